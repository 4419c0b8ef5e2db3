//! The one error type of the network crate. Every message is one line a person can act on:
//! it names the network, container, file or value involved and what was expected. A variant
//! that wraps an `io::Error` keeps it as its `source` and does not repeat its text: a program
//! prints the chain once ("opening network namespace /proc/9/ns/net: No such file or
//! directory (os error 2)").

use std::io;
use std::path::PathBuf;

/// Errors of the network crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `--subnet` that is not a usable IPv4 CIDR.
    #[error("invalid subnet {value:?}: {reason}")]
    InvalidSubnet {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A network name Docker would refuse.
    #[error("invalid network name {0:?}: expected 1-64 characters of [a-zA-Z0-9_.-], starting with a letter or digit")]
    InvalidName(String),
    /// A container ID that cannot name an endpoint.
    #[error("invalid container id {0:?}: expected 1-128 characters of [a-zA-Z0-9_.-]")]
    InvalidContainerId(String),
    /// A driver other than bridge.
    #[error("unsupported network driver {0:?}: only \"bridge\" is supported")]
    UnsupportedDriver(String),
    /// A `--gateway` outside the subnet.
    #[error("gateway {gateway} is outside subnet {subnet}")]
    GatewayOutsideSubnet {
        /// The gateway given.
        gateway: String,
        /// The subnet.
        subnet: String,
    },
    /// A `--gateway` that is the subnet's network or broadcast address.
    #[error("gateway {gateway} cannot be the network or broadcast address of subnet {subnet}")]
    GatewayReserved {
        /// The gateway given.
        gateway: String,
        /// The subnet.
        subnet: String,
    },
    /// `network create` of a name that exists.
    #[error("network {0:?} already exists")]
    NameInUse(String),
    /// No network has this name (or ID).
    #[error("network {0:?} not found")]
    UnknownNetwork(String),
    /// A subnet that overlaps another network's (of any store on this host).
    #[error("subnet {subnet} overlaps {other}")]
    SubnetOverlap {
        /// The subnet asked for.
        subnet: String,
        /// The one it overlaps, and whose it is.
        other: String,
    },
    /// No default subnet is free for a new network (its name).
    #[error("no free subnet left in the default pools (172.17-31.0.0/16, 192.168.0-240.0/20, 10.128-254.0.0/16) for network {0:?}; give one with --subnet")]
    PoolExhausted(String),
    /// Every address of the subnet is leased.
    #[error("network {network:?} has no free address left in {subnet}")]
    AddressesExhausted {
        /// The network.
        network: String,
        /// Its subnet.
        subnet: String,
    },
    /// `--ip` on a network whose subnet was chosen for it (Docker's rule).
    #[error("user specified IP address {address} is supported only when connecting to networks with user configured subnets; network {network:?} has none (network create --subnet)")]
    FixedAddressNeedsSubnet {
        /// The address asked for.
        address: String,
        /// The network.
        network: String,
    },
    /// `--ip` outside the network's subnet.
    #[error(
        "invalid address {address}: it does not belong to subnet {subnet} of network {network:?}"
    )]
    AddressOutsideSubnet {
        /// The address asked for.
        address: String,
        /// The network.
        network: String,
        /// Its subnet.
        subnet: String,
    },
    /// `--ip` of an address another container has, or the network's own (its network,
    /// broadcast or gateway address).
    #[error("address {address} is already in use on network {network:?}{by}")]
    AddressInUse {
        /// The address asked for.
        address: String,
        /// The network.
        network: String,
        /// ": by container ID" or ": it is the network's gateway" (may be empty).
        by: String,
    },
    /// Removing a network containers are attached to.
    #[error("network {network:?} cannot be removed: containers attached: {containers}")]
    InUse {
        /// The network.
        network: String,
        /// The containers attached, comma separated.
        containers: String,
    },
    /// Removing the default `bridge` network.
    #[error("network {0:?} is the default network and cannot be removed")]
    DefaultNetwork(String),
    /// Connecting a container twice to one network.
    #[error("container {container} is already attached to network {network:?}")]
    AlreadyAttached {
        /// The network.
        network: String,
        /// The container.
        container: String,
    },
    /// Disconnecting a container that is not connected.
    #[error("container {container} is not attached to network {network:?}")]
    NotAttached {
        /// The network.
        network: String,
        /// The container.
        container: String,
    },
    /// A `-p` value that does not parse.
    #[error("invalid port mapping {value:?}: {reason}")]
    InvalidPort {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `-p` host address that no interface of this host has.
    #[error("-p {value}: {address} is not an address of this host")]
    NotHostAddress {
        /// The value given.
        value: String,
        /// The address.
        address: String,
    },
    /// A `-p` IPv6 host address on a host without IPv6.
    #[error("-p {0}: this host has no IPv6 (no IPv6 address, or IPv6 is disabled)")]
    NoIpv6(String),
    /// A host port another container publishes already.
    #[error("host port {0} is already published")]
    PortPublished(String),
    /// A host port a process of the host listens on.
    #[error("host port {port} is in use on the host")]
    PortInUse {
        /// The port (with its address and protocol).
        port: String,
        /// The bind's error.
        source: io::Error,
    },
    /// No ephemeral host port is free.
    #[error("no free host port left in 49153-65535 for {0}")]
    NoFreePort(String),
    /// Publishing ports on an `--internal` network.
    #[error("network {0:?} is internal: it cannot publish ports")]
    InternalPorts(String),
    /// A container's network namespace could not be opened.
    #[error("opening network namespace {path}")]
    Netns {
        /// Its path.
        path: PathBuf,
        /// The system's error.
        source: io::Error,
    },
    /// A netlink request failed (a link, an address, a route).
    #[error("{what}")]
    Netlink {
        /// What was being done.
        what: String,
        /// The kernel's error.
        source: io::Error,
    },
    /// A file of the network store could not be read or written.
    #[error("{what}")]
    Io {
        /// What was being done, on which file.
        what: String,
        /// The system's error.
        source: io::Error,
    },
    /// SIXDOCKER_FIREWALL_BACKEND names no backend.
    #[error("SIXDOCKER_FIREWALL_BACKEND={0:?}: expected nftables, iptables or auto")]
    InvalidFirewallBackend(String),
    /// The firewall backend failed to apply or read rules.
    #[error("firewall ({backend}): {what}")]
    Firewall {
        /// "nftables" or "iptables".
        backend: &'static str,
        /// What failed, with the tool's own message.
        what: String,
    },
    /// A network record that does not parse.
    #[error("reading network record {path}: {reason}")]
    Record {
        /// The record.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds "what we were doing" to an io::Error from netlink.
pub(crate) fn netlink(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Netlink { what, source }
}

/// Adds "what we were doing" to an io::Error from the file system.
pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}
