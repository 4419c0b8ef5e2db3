//! The `Networks` store: opening it (with the default network), creating, listing,
//! inspecting and removing networks. Subnets are chosen and checked here against this
//! store, the other stores on the host and the host's own routes and addresses.
//! Attaching containers lives in `attach`.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::bridge::{self, short_hash};
use crate::error::{netlink, Error, Result};
use crate::firewall::{Firewall, FirewallBackend, Tagged};
use crate::netlink::Netlink;
use crate::store::{host_lock, Store, SubnetRegistry};
use crate::subnet::Subnet;
use crate::{Network, NetworkSpec, DEFAULT_NETWORK};

/// How to open the store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Turn on the host's net.ipv4.ip_forward when a network with NAT is first used.
    /// Default: on, unless env SIXDOCKER_NO_IP_FORWARD=1. Tests always turn it off.
    pub ip_forward: bool,
    /// The firewall backend for a store whose rules are not in one yet (a store keeps the
    /// one its rules are in). None: env SIXDOCKER_FIREWALL_BACKEND (`nftables`,
    /// `iptables`; unset, empty or `auto`: nftables when `nft` works, else iptables).
    pub firewall: Option<FirewallBackend>,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions {
            ip_forward: std::env::var("SIXDOCKER_NO_IP_FORWARD").map_or(true, |v| v != "1"),
            firewall: None,
        }
    }
}

/// The networks of one sixdocker store (`<root>/network`).
pub struct Networks {
    pub(crate) root: PathBuf,
    pub(crate) store: Store,
    pub(crate) firewall: Firewall,
    pub(crate) ip_forward: bool,
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    (1..=64).contains(&name.len())
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

impl Networks {
    /// Opens the store under `root` (e.g. /var/lib/sixdocker) with default options.
    pub fn open(root: &Path) -> Result<Networks> {
        Networks::open_with(root, OpenOptions::default())
    }

    /// Opens the store; the default network's record (and subnet) is made on first use.
    /// Nothing is created on the host until a container attaches.
    pub fn open_with(root: &Path, options: OpenOptions) -> Result<Networks> {
        std::fs::create_dir_all(root)
            .map_err(crate::error::io(format!("creating {}", root.display())))?;
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        let store = Store::open(root.join("network"))?;
        let setting = match options.firewall {
            Some(backend) => Some(backend),
            None => FirewallBackend::from_env()?,
        };
        let firewall = Firewall::new(
            &short_hash(&[root.as_os_str().as_encoded_bytes()], 8),
            root.join("network").join("firewall-backend"),
            setting,
        );
        let networks = Networks {
            root,
            store,
            firewall,
            ip_forward: options.ip_forward,
        };
        if networks.store.read(DEFAULT_NETWORK)?.is_none() {
            let _lock = networks.store.lock()?;
            if networks.store.read(DEFAULT_NETWORK)?.is_none() {
                networks.create_locked(NetworkSpec::bridge(DEFAULT_NETWORK))?;
            }
        }
        networks.reserve_missing()?;
        Ok(networks)
    }

    /// Reserves again the subnets of this store's networks that the host-wide registry
    /// lacks (it is on /run, empty after a reboot; and earlier versions could be killed
    /// between writing a record and reserving its subnet), unless another store took one
    /// meanwhile (then that network's first attach says so). Checked without a lock first:
    /// usually there is nothing to do.
    fn reserve_missing(&self) -> Result<()> {
        let reserved = SubnetRegistry::recorded_paths()?;
        let records = self.store.record_paths()?;
        if records.iter().all(|r| reserved.contains(r)) {
            return Ok(());
        }
        let _lock = self.store.lock()?;
        let _host = host_lock()?;
        let mut registry = SubnetRegistry::load()?;
        for network in self.store.list()? {
            let record = self.store.record_path(&network.name);
            if registry.has(&record) {
                continue;
            }
            if let Some((other, path)) = registry.overlapping(&network.subnet, &record) {
                tracing::warn!(
                    network = %network.name,
                    "subnet {} is reserved by another store ({other}, {}): not reserved",
                    network.subnet,
                    path.display()
                );
                continue;
            }
            tracing::debug!(network = %network.name, subnet = %network.subnet, "reserving its subnet again");
            registry.reserve(network.subnet, &record)?;
        }
        Ok(())
    }

    /// Creates a network: refuses a bad name or driver, a name in use, a subnet that
    /// overlaps another network or a host route, a gateway outside its subnet.
    pub fn create(&self, spec: NetworkSpec) -> Result<Network> {
        if spec.name == "host" || spec.name == "none" {
            return Err(Error::NameInUse(spec.name));
        }
        let _lock = self.store.lock()?;
        self.create_locked(spec)
    }

    fn create_locked(&self, spec: NetworkSpec) -> Result<Network> {
        if !valid_name(&spec.name) {
            return Err(Error::InvalidName(spec.name));
        }
        if spec.driver != "bridge" {
            return Err(Error::UnsupportedDriver(spec.driver));
        }
        if self.store.read(&spec.name)?.is_some() {
            return Err(Error::NameInUse(spec.name));
        }
        let record_path = self.store.record_path(&spec.name);
        let _host = host_lock()?;
        let mut registry = SubnetRegistry::load()?;
        if let Err(e) = crate::reap::reap_dead_stores(&registry) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "reaping what dead sixdocker stores left");
        }
        if let (Some(subnet), Some(gateway)) = (spec.subnet, spec.gateway) {
            check_gateway(&subnet, gateway)?;
        }
        let host_subnets = host_subnets()?;
        let fits = |s: &Subnet| spec.gateway.is_none_or(|g| check_gateway(s, g).is_ok());
        let subnet = match spec.subnet {
            Some(subnet) => {
                self.check_free(&subnet, &registry, &record_path, &host_subnets)?;
                subnet
            }
            None => Subnet::default_pool()
                .find(|s| {
                    fits(s)
                        && self
                            .check_free(s, &registry, &record_path, &host_subnets)
                            .is_ok()
                })
                .ok_or_else(|| Error::PoolExhausted(spec.name.clone()))?,
        };
        let gateway = match spec.gateway {
            Some(gateway) => gateway,
            None => subnet.first_host().ok_or_else(|| Error::InvalidSubnet {
                value: subnet.to_string(),
                reason: "it has no host addresses".into(),
            })?,
        };
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let network = Network {
            id: short_hash(
                &[
                    self.root.as_os_str().as_encoded_bytes(),
                    spec.name.as_bytes(),
                    &created.to_le_bytes(),
                ],
                64,
            ),
            bridge: bridge::device_name(&self.root, &spec.name),
            name: spec.name,
            driver: spec.driver,
            subnet,
            gateway,
            internal: spec.internal,
            user_subnet: spec.subnet.is_some(),
            created,
            labels: spec.labels,
            endpoints: Vec::new(),
        };
        // the reservation first, then the record: a reservation whose record does not exist
        // is stale (dropped on the next load), so a kill between the two leaves no network
        // and no subnet taken; the record's rename makes both visible at once
        registry.reserve(subnet, &record_path)?;
        crate::store::pause_point("subnet reserved");
        if let Err(e) = self.store.write(&network) {
            let _ = registry.release(&record_path);
            return Err(e);
        }
        crate::store::pause_point("network created");
        tracing::debug!(network = %network.name, %subnet, bridge = %network.bridge, "network created");
        Ok(network)
    }

    /// Is `subnet` free of this store's networks, other stores' networks and host routes?
    fn check_free(
        &self,
        subnet: &Subnet,
        registry: &SubnetRegistry,
        record_path: &Path,
        host: &[(Subnet, String)],
    ) -> Result<()> {
        let overlap = |other: String| Error::SubnetOverlap {
            subnet: subnet.to_string(),
            other,
        };
        for network in self.store.list()? {
            if network.subnet.overlaps(subnet) {
                return Err(overlap(format!(
                    "network {:?} ({})",
                    network.name, network.subnet
                )));
            }
        }
        if let Some((other, path)) = registry.overlapping(subnet, record_path) {
            return Err(overlap(format!(
                "{other} of another sixdocker store ({})",
                path.display()
            )));
        }
        match host.iter().find(|(s, _)| s.overlaps(subnet)) {
            Some((_, what)) => Err(overlap(what.clone())),
            None => Ok(()),
        }
    }

    /// Every name the store's firewall rules may live under, for diagnostics and leak
    /// checks: its iptables chains (`SIXDOCKER-<hash>`, `SIXDOCKER-<hash>-POST`) and its
    /// nftables table (`sixdocker-<hash>`, family ip).
    pub fn firewall_names(&self) -> Vec<String> {
        self.firewall.names()
    }

    /// The backend the store's firewall rules go through (chosen on first use: see
    /// [`OpenOptions::firewall`]).
    pub fn firewall_backend(&self) -> Result<FirewallBackend> {
        self.firewall.kind()
    }

    /// Every network of the store, by name.
    pub fn list(&self) -> Result<Vec<Network>> {
        self.store.list()
    }

    /// One network by name.
    pub fn inspect(&self, name: &str) -> Result<Network> {
        self.store.get(name)
    }

    /// Removes a network: its firewall rules, bridge and record. Refused for
    /// the default network and while containers are attached (they are named).
    pub fn remove(&self, name: &str) -> Result<()> {
        if name == DEFAULT_NETWORK {
            return Err(Error::DefaultNetwork(name.to_string()));
        }
        let _lock = self.store.lock()?;
        let network = self.store.get(name)?;
        self.remove_locked(&network)
    }

    fn remove_locked(&self, network: &Network) -> Result<()> {
        if !network.endpoints.is_empty() {
            let names: Vec<String> = network
                .endpoints
                .iter()
                .map(|e| {
                    if e.name.is_empty() {
                        e.id.clone()
                    } else {
                        e.name.clone()
                    }
                })
                .collect();
            return Err(Error::InUse {
                network: network.name.clone(),
                containers: names.join(", "),
            });
        }
        {
            let _host = host_lock()?;
            let saved = self.firewall.read()?;
            self.firewall.change(
                &saved,
                &[Tagged::AndBelow(&network_tag(&network.name))],
                &[],
            )?;
            let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
            bridge::remove(&mut host, &network.bridge)?;
            self.store.delete(&network.name)?;
            SubnetRegistry::load()?.release(&self.store.record_path(&network.name))?;
            let saved = self.firewall.read()?;
            if !self.firewall.has_rules(&saved) {
                self.firewall.remove_chains(&saved)?;
            }
        }
        tracing::debug!(network = %network.name, "network removed");
        Ok(())
    }

    /// Removes every network of the store, the default one included, with its chains:
    /// for `system reset` and test cleanup. Refused while any container is attached.
    /// The next `open` makes a fresh default network record.
    pub fn remove_all(&self) -> Result<()> {
        let _lock = self.store.lock()?;
        let networks = self.store.list()?;
        if let Some(busy) = networks.iter().find(|n| !n.endpoints.is_empty()) {
            return self.remove_locked(busy);
        }
        for network in &networks {
            self.remove_locked(network)?;
        }
        let _host = host_lock()?;
        self.firewall.remove_chains(&self.firewall.read()?)
    }
}

/// A gateway must be a host address of its subnet (a /31 has no network or broadcast
/// address: both of its addresses are hosts).
fn check_gateway(subnet: &Subnet, gateway: Ipv4Addr) -> Result<()> {
    let (g, s) = (gateway.to_string(), subnet.to_string());
    if !subnet.contains(gateway) {
        return Err(Error::GatewayOutsideSubnet {
            gateway: g,
            subnet: s,
        });
    }
    let point_to_point = subnet.prefix() >= 31;
    if !point_to_point && (gateway == subnet.network() || gateway == subnet.broadcast()) {
        return Err(Error::GatewayReserved {
            gateway: g,
            subnet: s,
        });
    }
    Ok(())
}

/// The host's routes (but the default route) and addresses, as subnets with a description.
fn host_subnets() -> Result<Vec<(Subnet, String)>> {
    let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
    let mut out = Vec::new();
    for route in host.routes_v4().map_err(netlink("listing host routes"))? {
        if let Some(destination) =
            Subnet::new(route.network, route.prefix).filter(|_| route.prefix > 0)
        {
            out.push((destination, format!("host route {destination}")));
        }
    }
    for address in host
        .addresses_v4()
        .map_err(netlink("listing host addresses"))?
    {
        if let Some(single) = Subnet::new(address.ip, 32) {
            out.push((
                single,
                format!("host address {}/{}", address.ip, address.prefix),
            ));
        }
    }
    Ok(out)
}

/// The firewall tag of a network's own rules; its containers' rules are tagged below it.
pub(crate) fn network_tag(network: &str) -> String {
    format!("six:{network}")
}
