//! The engine's seam to six-network: attach a container's network namespace to a network
//! with its published ports, detach it, connect/disconnect, and `port`. Only this file
//! (and the `-p` conversions in `types/network.rs`) speaks six-network's types.

use std::path::PathBuf;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, NetworkState, Status};
use crate::types::PortSpec;

fn to_mapping(p: &PortSpec) -> six_network::PortMapping {
    p.into()
}

fn from_mapping(p: &six_network::PortMapping) -> PortSpec {
    p.into()
}

impl Engine {
    /// Attaches the network namespace of `pid` to `network`, publishing the request's ports
    /// (only on the container's first network). six-network keeps the container's own
    /// /etc/hosts (its `hosts` file) up to date: its addresses, and on user-defined networks
    /// the other containers' names as they come and go.
    pub(crate) fn attach_network(
        &self,
        config: &ContainerConfig,
        network: &str,
        pid: i32,
    ) -> Result<NetworkState> {
        let networks = self.networks()?;
        // its own file bind-mounted as /etc/hosts; with --network host or none (a copy of
        // the host's, or localhost only) that file is left as it is
        let hosts_file = config
            .request
            .network
            .network_name()
            .map(|_| self.container_dir(&config.id).join("hosts"));
        let endpoint = six_network::Endpoint {
            id: config.id.clone(),
            name: config.name.clone(),
            hostname: config.hostname.clone(),
            hosts_file,
        };
        let ports: Vec<six_network::PortMapping> =
            config.request.ports.iter().map(to_mapping).collect();
        let netns = PathBuf::from(format!("/proc/{pid}/ns/net"));
        let a = networks.attach(network, &endpoint, &netns, &ports)?;
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
                if let Err(e) = detached {
                    let error = &e as &dyn std::error::Error;
                    tracing::debug!(error, "detaching {id} from {network}");
                }
            }
            Err(e) => {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "detaching {id} from {network}");
            }
        }
    }

    /// `docker network connect NETWORK CONTAINER`: a running container joins another network.
    pub fn connect(&self, network: &str, c: &str) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let pid = match (state.status, state.pid) {
            (Status::Running, Some(pid)) => pid,
            _ => return Err(Error::NotRunning { name: config.name }),
        };
        if state.networks.iter().any(|n| n.network == network) {
            return Err(Error::Conflict(format!(
                "container {} is already connected to network {network}",
                config.name
            )));
        }
        let mut plain = config.clone();
        plain.request.ports.clear();
        let net = self.attach_network(&plain, network, pid)?;
        self.store.update(&id, |s| {
            s.networks.push(net);
            Ok(())
        })
    }

    /// `docker network disconnect NETWORK CONTAINER`.
    pub fn disconnect(&self, network: &str, c: &str) -> Result<()> {
        let id = self.resolve(c)?;
        let state = self.store.state(&id)?;
        if !state.networks.iter().any(|n| n.network == network) {
            let name = self.store.config(&id)?.name;
            return Err(Error::Conflict(format!(
                "container {name} is not connected to network {network}"
            )));
        }
        self.networks()?.detach(network, &id)?;
        self.store.update(&id, |s| {
            s.networks.retain(|n| n.network != network);
            Ok(())
        })
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
