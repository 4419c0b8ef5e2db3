//! The engine's seam to six-network: attach a container's network namespace to a network
//! with its published ports, detach it, connect/disconnect, and `port`. Only this file
//! (and the `-p` conversions in `types/network.rs`) speaks six-network's types.

use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, NetworkState, Status};
use crate::request::EndpointSettings;
use crate::types::PortSpec;

fn to_mapping(p: &PortSpec) -> six_network::PortMapping {
    p.into()
}

fn from_mapping(p: &six_network::PortMapping) -> PortSpec {
    p.into()
}

impl Engine {
    /// Attaches the network namespace of `pid` to `network`, publishing the request's ports
    /// when `publish` (its first network). six-network keeps the container's own /etc/hosts
    /// (its `hosts` file) up to date: its addresses, and on user-defined networks the other
    /// containers' names as they come and go.
    pub(crate) fn attach_network(
        &self,
        config: &ContainerConfig,
        network: &str,
        pid: i32,
        publish: bool,
    ) -> Result<NetworkState> {
        let networks = self.networks()?;
        let settings = config.endpoint_settings(network);
        // its own file, bind-mounted as /etc/hosts (with --network host, a copy of the
        // host's; such a container never attaches)
        let endpoint = six_network::Endpoint {
            id: config.id.clone(),
            name: config.name.clone(),
            hostname: config.hostname.clone(),
            hosts_file: Some(self.container_dir(&config.id).join("hosts")),
            extra_hosts: self.extra_host_lines(&config.request)?,
            ip: settings.ip,
            aliases: settings.aliases,
        };
        let ports: Vec<six_network::PortMapping> = if publish {
            self.published_ports(config)
                .iter()
                .map(to_mapping)
                .collect()
        } else {
            Vec::new()
        };
        let netns = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let a = networks.attach(network, &endpoint, &netns, &ports)?;
        self.emit_network("connect", network, Some(&config.id));
        Ok(NetworkState {
            network: network.to_owned(),
            ip: a.ip.to_string(),
            prefix: a.prefix,
            gateway: a.gateway.to_string(),
            mac: a
                .mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            ports: a.ports.iter().map(from_mapping).collect(),
        })
    }

    /// What the container publishes: its `-p` ports, and with `-P` every port it exposes
    /// (its image's, `--expose`'s) that `-p` does not name, on a free host port (Docker's
    /// rule).
    fn published_ports(&self, config: &ContainerConfig) -> Vec<PortSpec> {
        let mut ports = config.request.ports.clone();
        if !config.request.publish_all {
            return ports;
        }
        let exposed = match config.exposed_ports {
            Some(_) => config.exposed_ports(),
            // A record made before they were kept: its image's, read now.
            None => {
                let image = self
                    .images
                    .container_image(&config.image_id)
                    .map(|i| i.config.exposed_ports)
                    .unwrap_or_default();
                crate::record::exposed_ports(&image, &config.request)
            }
        };
        for port in exposed {
            if !ports
                .iter()
                .any(|p| p.container_port == port.port && p.proto == port.proto)
            {
                ports.push(PortSpec {
                    host_ip: None,
                    host_port: None,
                    host_port_end: None,
                    container_port: port.port,
                    proto: port.proto,
                });
            }
        }
        ports
    }

    /// Detaches; a network that no longer knows the container is fine. `processes_gone`:
    /// every process of the container has exited (its init reaped, the runtime container
    /// deleted), so its network namespace is dying and six-network leaves the veth pair to
    /// the kernel instead of waiting 10-20 ms for its deletion.
    pub(crate) fn detach_network(&self, network: &str, id: &str, processes_gone: bool) {
        match self.networks() {
            Ok(n) => {
                let detached = if processes_gone {
                    n.detach_exited(network, id)
                } else {
                    n.detach(network, id)
                };
                match detached {
                    Ok(()) => self.emit_network("disconnect", network, Some(id)),
                    Err(e) => {
                        let error = &e as &dyn std::error::Error;
                        tracing::debug!(error, "detaching {id} from {network}");
                    }
                }
            }
            Err(e) => {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "detaching {id} from {network}");
            }
        }
    }

    /// `docker network connect NETWORK CONTAINER`: the container joins `network` now if it
    /// runs, and at every start from now on (recorded in its config), as Docker. Refused for
    /// a container on `none` or the host's network, as Docker refuses it.
    pub fn connect(&self, network: &str, c: &str) -> Result<()> {
        self.connect_with(network, c, &EndpointSettings::default())
    }

    /// [`Engine::connect`] with `network connect --ip` and `--alias` (user-defined networks
    /// only; the address inside a subnet given at the network's creation).
    pub fn connect_with(&self, network: &str, c: &str, settings: &EndpointSettings) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        if network != "none" && network != "host" {
            self.networks()?.inspect(network)?;
        }
        check_connect(&config.joined_networks(), network, &config.name)?;
        self.check_endpoint_settings(network, settings)?;
        let state = self.store.state(&id)?;
        let running = match (state.status, state.pid) {
            (Status::Running, Some(pid)) if network != "none" => Some(pid),
            _ => None,
        };
        let mut config = config;
        if !settings.is_empty() {
            config
                .endpoint_settings
                .insert(network.to_owned(), settings.clone());
        }
        if let Some(pid) = running {
            if state.networks.iter().any(|n| n.network == network) {
                return Err(already_connected(&config.name, network));
            }
            let net = self.attach_network(&config, network, pid, false)?;
            let recorded = self.store.update(&id, |s| {
                s.networks.push(net);
                Ok(())
            });
            if let Err(e) = recorded {
                self.detach_network(network, &id, false);
                return Err(e);
            }
        }
        let joined = self.store.update_config(&id, |config| {
            let mut networks = config.joined_networks();
            check_connect(&networks, network, &config.name)?;
            networks.push(network.to_owned());
            config.networks = Some(networks);
            config.endpoint_settings.remove(network);
            if !settings.is_empty() {
                config
                    .endpoint_settings
                    .insert(network.to_owned(), settings.clone());
            }
            Ok(())
        });
        if joined.is_err() && running.is_some() {
            self.undo_attach(network, &id);
        }
        joined
    }

    /// `docker network disconnect NETWORK CONTAINER`: it leaves `network` now if it runs,
    /// and joins it no more.
    pub fn disconnect(&self, network: &str, c: &str) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        if config
            .joined_networks()
            .iter()
            .any(|n| n.starts_with("container:"))
        {
            return Err(Error::Invalid(
                "container sharing network namespace with another container or host cannot be disconnected from any network"
                    .into(),
            ));
        }
        if network == "host" || config.joined_networks().iter().any(|n| n == "host") {
            return Err(Error::Invalid(
                "container cannot be disconnected from host network or connected to host network"
                    .into(),
            ));
        }
        self.store.update_config(&id, |config| {
            let mut networks = config.joined_networks();
            if !networks.iter().any(|n| n == network) {
                return Err(Error::Conflict(format!(
                    "container {} is not connected to network {network}",
                    config.name
                )));
            }
            networks.retain(|n| n != network);
            config.networks = Some(networks);
            config.endpoint_settings.remove(network);
            Ok(())
        })?;
        let state = self.store.state(&id)?;
        if state.networks.iter().any(|n| n.network == network) {
            self.undo_attach(network, &id);
        }
        Ok(())
    }

    /// Detaches a running container from `network` and forgets the attachment in its state.
    fn undo_attach(&self, network: &str, id: &str) {
        self.detach_network(network, id, false);
        let _ = self.store.update(id, |s| {
            s.networks.retain(|n| n.network != network);
            Ok(())
        });
    }

    /// Docker's rules for `--ip` and `--network-alias` on `network` (checked at create and
    /// connect; whether the address is free is known only when it joins).
    pub(crate) fn check_endpoint_settings(
        &self,
        network: &str,
        settings: &EndpointSettings,
    ) -> Result<()> {
        let user_defined = !matches!(network, "bridge" | "none" | "host" | "default")
            && !network.starts_with("container:");
        if settings.ip.is_some() && !user_defined {
            return Err(Error::Invalid(format!(
                "user specified IP address is supported on user defined networks only (--network {network})"
            )));
        }
        if !settings.aliases.is_empty() && !user_defined {
            return Err(Error::Invalid(format!(
                "network-scoped aliases are only supported for user-defined networks (--network {network})"
            )));
        }
        if let Some(ip) = settings.ip {
            let net = self.networks()?.inspect(network)?;
            six_network::check_requested_address(&net, ip)?;
        }
        Ok(())
    }

    /// `docker port`: the published ports of a running container, host ports filled in.
    pub fn port(&self, c: &str) -> Result<Vec<six_network::PortMapping>> {
        let id = self.resolve(c)?;
        let state = self.store.state(&id)?;
        Ok(state
            .networks
            .iter()
            .flat_map(|n| n.ports.iter().map(to_mapping))
            .collect())
    }
}

fn already_connected(name: &str, network: &str) -> Error {
    Error::Conflict(format!(
        "endpoint with name {name} already exists in network {network}"
    ))
}

/// Docker's rules for joining `network` on top of `joined`: not twice, nothing next to the
/// host's network or `none`.
fn check_connect(joined: &[String], network: &str, name: &str) -> Result<()> {
    if joined.iter().any(|n| n == network) {
        return Err(already_connected(name, network));
    }
    let shares = |n: &String| n == "host" || n.starts_with("container:");
    if network == "host" || network.starts_with("container:") || joined.iter().any(shares) {
        return Err(Error::Invalid(
            "container sharing network namespace with another container or host cannot be connected to any other network"
                .into(),
        ));
    }
    if !joined.is_empty() && (network == "none" || joined.iter().any(|n| n == "none")) {
        return Err(Error::Invalid(
            "container cannot be connected to multiple networks with one of the networks in private (none) mode"
                .into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn connect_follows_dockers_rules() {
        assert!(check_connect(&joined(&["bridge"]), "net", "c").is_ok());
        assert!(check_connect(&joined(&[]), "none", "c").is_ok());
        assert!(check_connect(&joined(&[]), "net", "c").is_ok());
        let refused =
            |j: &[&str], n: &str| check_connect(&joined(j), n, "c").unwrap_err().to_string();
        assert!(
            refused(&["net"], "net").contains("endpoint with name c already exists in network net")
        );
        assert!(refused(&["none"], "net").contains("private (none) mode"));
        assert!(refused(&["bridge"], "none").contains("private (none) mode"));
        assert!(refused(&["host"], "net").contains("host cannot be connected"));
        assert!(refused(&["bridge"], "host").contains("host cannot be connected"));
    }
}
