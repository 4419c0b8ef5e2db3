//! Attaching containers to networks and detaching them, and `reconcile`, which removes
//! what containers that no longer exist left behind. Each step of an attach is undone if a
//! later one fails; a crash between steps leaves a record that `reconcile` can clean.

use std::fs::File;
use std::path::Path;

use crate::bridge::{self, short_hash};
use crate::error::{netlink, Error, Result};
use crate::firewall::{names_container, Installed, Tagged};
use crate::netlink::Netlink;
use crate::network::network_tag;
use crate::store::{host_lock, SubnetRegistry};
use crate::{hosts, ipam, portmap, veth};
use crate::{Attachment, Endpoint, EndpointRecord, Network, Networks, PortMapping};

fn container_tag(network: &str, container: &str) -> String {
    format!("{}:{container}", network_tag(network))
}

fn valid_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Networks {
    /// Attaches the network namespace at `netns` (e.g. `/proc/<pid>/ns/net`) to `network`:
    /// an address lease, a veth pair into the network's bridge (created on first use),
    /// address and default route inside, the published `ports`, and its line in the hosts
    /// files of the containers that see it (its own; on user-defined networks, all there).
    pub fn attach(
        &self,
        network: &str,
        container: &Endpoint,
        netns: &Path,
        ports: &[PortMapping],
    ) -> Result<Attachment> {
        let _span =
            tracing::debug_span!("network_attach", network, container = %container.id).entered();
        if !valid_id(&container.id) {
            return Err(Error::InvalidContainerId(container.id.clone()));
        }
        let netns_file = File::open(netns).map_err(|source| Error::Netns {
            path: netns.to_path_buf(),
            source,
        })?;
        let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
        let mut inside = Netlink::in_netns(&netns_file).map_err(netlink(format!(
            "entering the network namespace {} of container {}",
            netns.display(),
            container.id
        )))?;
        let interface = veth::free_interface_name(&mut inside, &container.id)?;

        // 1. under the store lock: the bridge on first use, the lease, the published ports
        //    and the record (one write)
        let (net, endpoint, bridge_index) = {
            let _span = tracing::debug_span!("lease").entered();
            let _lock = self.store.lock()?;
            let mut net = self.store.get(network)?;
            if net.endpoints.iter().any(|e| e.id == container.id) {
                return Err(Error::AlreadyAttached {
                    network: network.to_string(),
                    container: container.id.clone(),
                });
            }
            if net.internal && !ports.is_empty() {
                return Err(Error::InternalPorts(network.to_string()));
            }
            let bridge_index = self.ensure_network(&mut host, &net)?;
            let ip = ipam::lease(&net, container.ip)?;
            let mut endpoint = EndpointRecord {
                id: container.id.clone(),
                name: container.name.clone(),
                hostname: container.hostname.clone(),
                ip,
                mac: veth::mac_text(veth::mac_for(ip)),
                host_veth: format!(
                    "vs{}",
                    short_hash(
                        &[
                            self.root.as_os_str().as_encoded_bytes(),
                            network.as_bytes(),
                            container.id.as_bytes()
                        ],
                        10
                    )
                ),
                interface: interface.clone(),
                ports: Vec::new(),
                hosts_file: container.hosts_file.clone(),
                extra_hosts: container.extra_hosts.clone(),
                aliases: container.aliases.clone(),
            };
            if !ports.is_empty() {
                let _span = tracing::debug_span!("ports").entered();
                endpoint.ports = self.publish(&net, &endpoint, ports)?;
            }
            net.endpoints.push(endpoint.clone());
            if let Err(e) = self.store.write(&net) {
                if !endpoint.ports.is_empty() {
                    let _ = self.unpublish(network, &endpoint.id);
                }
                return Err(e);
            }
            (net, endpoint, bridge_index)
        };

        // 2. the hosts files (its own, and the others' on this network), after the store
        //    lock is given back: the next container's lease need not wait for them
        if let Err(e) = self.update_hosts(network, &endpoint) {
            if let Err(undo) = self.forget(network, &endpoint) {
                tracing::warn!(network, container = %endpoint.id, "undoing a failed attach: {undo}");
            }
            return Err(e);
        }

        // 3. the veth pair, configured inside
        let plan = veth::Plan {
            host_veth: &endpoint.host_veth,
            interface: &interface,
            bridge_index,
            ip: endpoint.ip,
            prefix: net.subnet.prefix(),
            gateway: net.gateway,
            mac: veth::mac_for(endpoint.ip),
            container: &endpoint.id,
        };
        let made = {
            let _span = tracing::debug_span!("veth").entered();
            veth::setup(&mut host, &mut inside, &netns_file, &plan)
        };
        if let Err(e) = made {
            if let Err(undo) = self.forget(network, &endpoint) {
                tracing::warn!(network, container = %endpoint.id, "undoing a failed attach: {undo}");
            }
            return Err(e);
        }
        Ok(Attachment {
            ip: endpoint.ip,
            prefix: net.subnet.prefix(),
            gateway: net.gateway,
            mac: plan.mac,
            interface,
            ports: endpoint.ports,
        })
    }

    /// The bridge of `net` (created with the network's firewall rules when missing, e.g.
    /// on first use or after a reboot). Call under the store lock.
    fn ensure_network(&self, host: &mut Netlink, net: &Network) -> Result<u32> {
        if let Some(index) = host
            .link_index(&net.bridge)
            .map_err(netlink(format!("looking up bridge {}", net.bridge)))?
        {
            return Ok(index);
        }
        let _span = tracing::debug_span!("create_network", network = %net.name).entered();
        let _host = host_lock()?;
        // the subnet reservation is gone after a reboot (/run is empty): take it again
        let record = self.store.record_path(&net.name);
        let mut registry = SubnetRegistry::load()?;
        if let Some((other, path)) = registry.overlapping(&net.subnet, &record) {
            return Err(Error::SubnetOverlap {
                subnet: format!("{} of network {:?}", net.subnet, net.name),
                other: format!("{other} of another sixdocker store ({})", path.display()),
            });
        }
        registry.reserve(net.subnet, &record)?;
        let index = bridge::ensure(host, &net.bridge, net.gateway, net.subnet.prefix())?;
        let rules = crate::portmap::network_rules(
            net.subnet,
            &net.bridge,
            net.internal,
            &network_tag(&net.name),
        );
        let firewall = (|| {
            let saved = self.firewall.read()?;
            self.firewall
                .change(&saved, &[Tagged::Exactly(&network_tag(&net.name))], &rules)?;
            if self.ip_forward && !net.internal {
                bridge::enable_ip_forward()?;
            }
            Ok(())
        })();
        if let Err(e) = firewall {
            let _ = bridge::remove(host, &net.bridge);
            return Err(e);
        }
        Ok(index)
    }

    /// Chooses host ports and adds the DNAT rules, under the host-wide lock; turns on the
    /// bridge's route_localnet when a port is published on 127.0.0.1, once the network's
    /// rules (which keep the host's loopback out of the containers' reach) are in place.
    fn publish(
        &self,
        net: &Network,
        endpoint: &EndpointRecord,
        ports: &[PortMapping],
    ) -> Result<Vec<PortMapping>> {
        let mut host_addresses = portmap::HostAddresses::default();
        let v4 = ports.iter().any(|p| p.specific_host_v4().is_some());
        let v6 = ports.iter().any(PortMapping::is_proxied);
        if v4 || v6 {
            let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
            if v4 {
                host_addresses.v4 = host
                    .addresses_v4()
                    .map_err(netlink("listing host addresses"))?
                    .into_iter()
                    .map(|a| a.ip)
                    .collect();
            }
            if v6 {
                let own = host
                    .addresses_v6()
                    .map_err(netlink("listing host IPv6 addresses"))?;
                host_addresses.v6 = (!own.is_empty()).then_some(own);
            }
        }
        let _host = host_lock()?;
        let saved = self.firewall.read()?;
        let assigned = portmap::assign(ports, &saved.published(), &host_addresses)?;
        let mut rules = portmap::rules(
            &assigned,
            endpoint.ip,
            &net.bridge,
            &container_tag(&net.name, &endpoint.id),
        )?;
        // the network's own rules (masquerade for 127.0.0.1 and hairpin) may have been
        // flushed from under us (a firewall reload): put them back with the ports
        let tag = network_tag(&net.name);
        let mut remove = Vec::new();
        let wanted = portmap::network_rules(net.subnet, &net.bridge, net.internal, &tag);
        if self.firewall.tags(&saved).filter(|t| *t == tag).count() != wanted.len() {
            rules.extend(wanted);
            remove.push(Tagged::Exactly(&tag));
        }
        self.firewall.change(&saved, &remove, &rules)?;
        if portmap::reach_loopback(&assigned) {
            if let Err(e) = bridge::enable_route_localnet(&net.bridge) {
                let tag = container_tag(&net.name, &endpoint.id);
                let _ = self
                    .firewall
                    .change(&self.firewall.read()?, &[Tagged::Exactly(&tag)], &[]);
                return Err(e);
            }
        }
        Ok(assigned)
    }

    /// Removes the rules of one container.
    fn unpublish(&self, network: &str, container_id: &str) -> Result<()> {
        let _host = host_lock()?;
        let saved = self.firewall.read()?;
        self.firewall.change(
            &saved,
            &[Tagged::Exactly(&container_tag(network, container_id))],
            &[],
        )
    }

    /// Rewrites the hosts files whose view changed when `changed` joined or left `network`
    /// (see `hosts::update`), from the records as they are once the hosts lock is held. Call
    /// after the record was written, with or without the store lock: every change of a record
    /// is followed by an update that reads it, and updates run one at a time, so the files
    /// end as the latest records say. Files already right are not written again, so an
    /// update queued behind another that saw its change costs only reads.
    fn update_hosts(&self, network: &str, changed: &EndpointRecord) -> Result<()> {
        if network == crate::DEFAULT_NETWORK && changed.hosts_file.is_none() {
            return Ok(());
        }
        let _span = tracing::debug_span!("hosts").entered();
        let _lock = self.store.hosts_lock()?;
        hosts::update(&self.store.list()?, network, changed)
    }

    /// Undoes the recorded part of an attach: rules, lease, hosts lines.
    fn forget(&self, network: &str, endpoint: &EndpointRecord) -> Result<()> {
        {
            let _lock = self.store.lock()?;
            if !endpoint.ports.is_empty() {
                self.unpublish(network, &endpoint.id)?;
            }
            let mut net = self.store.get(network)?;
            net.endpoints.retain(|e| e.id != endpoint.id);
            self.store.write(&net)?;
        }
        self.update_hosts(network, endpoint)
    }

    /// Undoes an attach: veth pair, published ports, lease, hosts lines. A container whose
    /// namespace is already gone is fine (its veth went with it).
    ///
    /// The veth and the rules go first, without the store lock: deleting a veth waits for
    /// the kernel (an RCU barrier, 10–20 ms here), and other containers' attaches and
    /// detaches on this store need not wait with it. The lease is released afterwards, under
    /// the lock, so an address is never handed out while its old veth is still on the bridge.
    pub fn detach(&self, network: &str, container_id: &str) -> Result<()> {
        self.detach_endpoint(network, container_id, VethFate::Delete)
    }

    /// Like [`Networks::detach`], for a container whose processes have all exited: its
    /// network namespace dies with them and the kernel deletes the veth pair then, so the
    /// pair is left to the kernel instead of waiting 10–20 ms for its deletion (which a
    /// namespace still alive for one more RCU grace period would otherwise cost). Rules,
    /// lease and hosts lines are released at once, so the network can be removed right after.
    pub fn detach_exited(&self, network: &str, container_id: &str) -> Result<()> {
        self.detach_endpoint(network, container_id, VethFate::LeaveToKernel)
    }

    fn detach_endpoint(&self, network: &str, container_id: &str, veth: VethFate) -> Result<()> {
        let _span =
            tracing::debug_span!("network_detach", network, container = container_id).entered();
        // records are replaced by rename: reading one without the lock sees a whole record
        let endpoint = self.attached(network, container_id)?;
        match veth {
            VethFate::Delete => self.tear_down(network, &endpoint)?,
            VethFate::LeaveToKernel if !endpoint.ports.is_empty() => {
                self.unpublish(network, &endpoint.id)?
            }
            VethFate::LeaveToKernel => {}
        }
        {
            let _span = tracing::debug_span!("release_lease").entered();
            let _lock = self.store.lock()?;
            let mut net = self.store.get(network)?;
            if !net.endpoints.iter().any(|e| e.id == container_id) {
                // a detach running side by side released it first
                return Ok(());
            }
            net.endpoints.retain(|e| e.id != container_id);
            self.store.write(&net)?;
        }
        self.update_hosts(network, &endpoint)
    }

    /// The record of `container_id` on `network`.
    fn attached(&self, network: &str, container_id: &str) -> Result<EndpointRecord> {
        let net = self.store.get(network)?;
        net.endpoints
            .into_iter()
            .find(|e| e.id == container_id)
            .ok_or_else(|| Error::NotAttached {
                network: network.to_string(),
                container: container_id.to_string(),
            })
    }

    /// Deletes the veth pair and the published ports' rules of one endpoint, side by side:
    /// both wait for the kernel (RCU grace periods).
    fn tear_down(&self, network: &str, endpoint: &EndpointRecord) -> Result<()> {
        let delete_veth = || -> Result<()> {
            let _span = tracing::debug_span!("veth_delete").entered();
            let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
            veth::teardown(&mut host, &endpoint.host_veth)
        };
        let (veth_deleted, unpublished) = if endpoint.ports.is_empty() {
            (delete_veth(), Ok(()))
        } else {
            std::thread::scope(|scope| {
                let veth = scope.spawn(delete_veth);
                let unpublished = {
                    let _span = tracing::debug_span!("unpublish").entered();
                    self.unpublish(network, &endpoint.id)
                };
                let veth = veth.join().unwrap_or_else(|_| {
                    Err(Error::Io {
                        what: format!("deleting veth {}", endpoint.host_veth),
                        source: std::io::Error::other("thread panicked"),
                    })
                });
                (veth, unpublished)
            })
        };
        veth_deleted?;
        unpublished
    }

    /// Removes every endpoint (veth, rules, lease, hosts lines) of containers not in
    /// `live_container_ids`, and rules of containers no record knows. For a list that is
    /// fixed (nothing attaches meanwhile); a caller whose containers come and go uses
    /// [`Networks::reconcile_with`].
    pub fn reconcile(&self, live_container_ids: &[String]) -> Result<()> {
        self.reconcile_with(|| Some(live_container_ids.to_vec()))
    }

    /// Like [`Networks::reconcile`], with the live containers listed by `live_container_ids`
    /// once the store's lock is held (None: they cannot be told, and nothing is removed).
    /// A list taken before the lock misses a container that started meanwhile, and its
    /// endpoint, recorded by then, would be torn down while it is being configured. Attaches
    /// record their endpoint under this lock after the container's maker has marked it live,
    /// so a list taken here names every container recorded here.
    pub fn reconcile_with(
        &self,
        live_container_ids: impl FnOnce() -> Option<Vec<String>>,
    ) -> Result<()> {
        let _span = tracing::debug_span!("network_reconcile").entered();
        crate::store::pause_point("reconcile");
        let _lock = self.store.lock()?;
        let Some(live_container_ids) = live_container_ids() else {
            return Ok(());
        };
        let live_container_ids = live_container_ids.as_slice();
        let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
        let mut stale_tags = Vec::new();
        let mut gone = Vec::new();
        let networks = self.store.list()?;
        for mut net in networks.iter().cloned() {
            let (dead, live): (Vec<EndpointRecord>, Vec<EndpointRecord>) = net
                .endpoints
                .drain(..)
                .partition(|e| !live_container_ids.contains(&e.id));
            net.endpoints = live;
            if dead.is_empty() {
                continue;
            }
            for endpoint in &dead {
                tracing::debug!(network = %net.name, container = %endpoint.id, "reconcile: removing endpoint");
                veth::teardown(&mut host, &endpoint.host_veth)?;
                stale_tags.push(container_tag(&net.name, &endpoint.id));
            }
            self.store.write(&net)?;
            gone.extend(dead.into_iter().map(|e| (net.name.clone(), e)));
        }
        for (network, endpoint) in &gone {
            self.update_hosts(network, endpoint)?;
        }
        let _host = host_lock()?;
        let saved = self.firewall.read()?;
        stale_tags.extend(self.orphan_tags(&saved, &networks, live_container_ids));
        if stale_tags.is_empty() {
            return Ok(());
        }
        let tags: Vec<Tagged> = stale_tags.iter().map(|t| Tagged::Exactly(t)).collect();
        self.firewall.change(&saved, &tags, &[])
    }

    /// Tags of container rules whose container is neither live nor recorded.
    /// (A backend may keep a tag cut short: the container part then names the container
    /// whose id it begins.)
    fn orphan_tags(&self, saved: &Installed, networks: &[Network], live: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tag in self.firewall.tags(saved) {
            let Some((network, container)) =
                tag.strip_prefix("six:").and_then(|t| t.split_once(':'))
            else {
                continue;
            };
            let named = |id: &str| names_container(container, id, tag.len());
            let recorded = networks
                .iter()
                .any(|n| n.name == network && n.endpoints.iter().any(|e| named(&e.id)));
            if !recorded && !live.iter().any(|l| named(l)) && !out.iter().any(|t| t == tag) {
                out.push(tag.to_string());
            }
        }
        out
    }
}

/// What detach does with the container's veth pair.
#[derive(Clone, Copy)]
enum VethFate {
    /// Delete it now (the container's namespace may live on).
    Delete,
    /// The container's processes are gone: its namespace dies, and the pair with it.
    LeaveToKernel,
}
