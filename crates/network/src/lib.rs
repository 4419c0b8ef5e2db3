//! Container networks: Linux bridges, IPAM leases, veth pairs over netlink, port mapping and
//! NAT through one firewall module (nftables or iptables behind one trait).
//!
//! [`Networks`] turns "attach this network namespace to network N, publish these ports" into
//! netlink and firewall calls, and undoes them. Its state — networks with their leases — is
//! on disk under `<root>/network`, changed under a flock. It never creates namespaces or
//! processes: the caller hands in the path of a network namespace (`/proc/<pid>/ns/net`).
//!
//! The steps of an attach, each undone if a later one fails:
//! 1. under the store's flock: the network's bridge and firewall rules on first use
//!    (`bridge`, `firewall`), an address lease (`ipam`), host ports and DNAT rules
//!    (`portmap`, under the host-wide lock too), the record written once, the hosts files
//!    whose view changed rewritten (`hosts`);
//! 2. `veth`: the pair, address, MAC, lo and default route inside the namespace.
//!
//! `detach` undoes both; `reconcile` does it for containers that are gone; `reap` removes
//! bridges and chains of whole stores that are gone.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod attach;
mod bridge;
mod error;
mod firewall;
mod hosts;
mod ipam;
mod netlink;
mod network;
mod portmap;
mod reap;
mod rename;
mod store;
mod subnet;
mod veth;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use bridge::DEFAULT_ROOT;
pub use error::{Error, Result};
pub use firewall::{FirewallBackend, BACKEND_ENV as FIREWALL_BACKEND_ENV};
pub use hosts::{resolv_conf, resolv_conf_from};
pub use ipam::check_requested as check_requested_address;
pub use network::{Networks, OpenOptions};
pub use portmap::{PortMapping, Proto};
pub use subnet::Subnet;
pub use veth::loopback_up;

/// The network containers join unless told otherwise; it exists without setup.
pub const DEFAULT_NETWORK: &str = "bridge";

/// What `network create` asks for. Parse `subnet` with `Subnet::from_str` at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    /// The network's name.
    pub name: String,
    /// Only "bridge" is supported.
    pub driver: String,
    /// None: a free subnet from the default pools.
    pub subnet: Option<Subnet>,
    /// None: the first address of the subnet.
    pub gateway: Option<Ipv4Addr>,
    /// No NAT, no forwarding in or out of the network.
    pub internal: bool,
    /// `--label`s (only kept and shown; compose finds its networks by them).
    pub labels: BTreeMap<String, String>,
}

impl NetworkSpec {
    /// A bridge network called `name` with every option at its default.
    pub fn bridge(name: &str) -> NetworkSpec {
        NetworkSpec {
            name: name.to_string(),
            driver: "bridge".to_string(),
            subnet: None,
            gateway: None,
            internal: false,
            labels: BTreeMap::new(),
        }
    }
}

/// A network as recorded on disk (and shown by `network inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// 64 hex digits, fixed at creation.
    pub id: String,
    /// "bridge".
    pub driver: String,
    /// Its IPv4 subnet.
    pub subnet: Subnet,
    /// The bridge's address, the containers' default route.
    pub gateway: Ipv4Addr,
    /// No NAT, no forwarding in or out of the network.
    pub internal: bool,
    /// The subnet was given at `network create` (Docker's condition for `--ip`). False in
    /// records made before it was kept.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub user_subnet: bool,
    /// The Linux bridge device (created on the first attach).
    pub bridge: String,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// Its labels (records made before labels existed have none).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The attached containers; each holds an address lease.
    pub endpoints: Vec<EndpointRecord>,
}

/// One attached container: its lease and what was made for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointRecord {
    /// The container's ID.
    pub id: String,
    /// Its name (resolvable by the other containers of a user-defined network).
    pub name: String,
    /// Its hostname.
    pub hostname: String,
    /// Its leased address.
    pub ip: Ipv4Addr,
    /// Its interface's MAC address ("02:42:…").
    pub mac: String,
    /// The host end of the veth pair.
    pub host_veth: String,
    /// The interface inside the container ("" until the attach has finished).
    pub interface: String,
    /// Published ports, host ports filled in.
    pub ports: Vec<PortMapping>,
    /// The container's own hosts file (see [`Endpoint::hosts_file`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts_file: Option<PathBuf>,
    /// Lines of its own for its hosts file (see [`Endpoint::extra_hosts`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// More names it has on this network (see [`Endpoint::aliases`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

/// The container being attached: its id (hex), name and hostname (both go in hosts files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The container's ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its hostname.
    pub hostname: String,
    /// The container's own hosts file, bind-mounted as its /etc/hosts (it must exist; the
    /// caller makes it and removes it with the container). While the container is attached
    /// it is rewritten in place: localhost, its own addresses, and on user-defined networks
    /// the other containers' names. None: no hosts file is kept for it.
    pub hosts_file: Option<PathBuf>,
    /// `--add-host` lines (`ADDRESS\tNAME`) its hosts file keeps after the localhost ones,
    /// before the containers' (Docker's order).
    pub extra_hosts: Vec<String>,
    /// The address it asks for (`--ip`): only on a network whose subnet was given at its
    /// creation, inside it, and free. None: the lowest free one.
    pub ip: Option<Ipv4Addr>,
    /// More names it has on this network (`--network-alias`, `network connect --alias`):
    /// the other containers there resolve them to its address, as its name.
    pub aliases: Vec<String>,
}

/// What an attach gave the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The container's address.
    pub ip: Ipv4Addr,
    /// The subnet's prefix length.
    pub prefix: u8,
    /// Its default route.
    pub gateway: Ipv4Addr,
    /// Its interface's MAC address.
    pub mac: [u8; 6],
    /// The interface inside the container: eth0 for the first network, eth1 ...
    pub interface: String,
    /// The published ports with their host ports filled in.
    pub ports: Vec<PortMapping>,
}
