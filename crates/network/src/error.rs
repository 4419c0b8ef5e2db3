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
    #[error("invalid subnet {value:?}: {reason}")]
    InvalidSubnet { value: String, reason: String },
    #[error("invalid network name {0:?}: expected 1-64 characters of [a-zA-Z0-9_.-], starting with a letter or digit")]
    InvalidName(String),
    #[error("invalid container id {0:?}: expected 1-128 characters of [a-zA-Z0-9_.-]")]
    InvalidContainerId(String),
    #[error("unsupported network driver {0:?}: only \"bridge\" is supported")]
    UnsupportedDriver(String),
    #[error("gateway {gateway} is outside subnet {subnet}")]
    GatewayOutsideSubnet { gateway: String, subnet: String },
    #[error("gateway {gateway} cannot be the network or broadcast address of subnet {subnet}")]
    GatewayReserved { gateway: String, subnet: String },
    #[error("network {0:?} already exists")]
    NameInUse(String),
    #[error("network {0:?} not found")]
    UnknownNetwork(String),
    #[error("subnet {subnet} overlaps {other}")]
    SubnetOverlap { subnet: String, other: String },
    #[error("no free subnet left in the default pools (172.17-31.0.0/16, 192.168.0-240.0/20, 10.128-254.0.0/16) for network {0:?}; give one with --subnet")]
    PoolExhausted(String),
    #[error("network {network:?} has no free address left in {subnet}")]
    AddressesExhausted { network: String, subnet: String },
    #[error("network {network:?} cannot be removed: containers attached: {containers}")]
    InUse { network: String, containers: String },
    #[error("network {0:?} is the default network and cannot be removed")]
    DefaultNetwork(String),
    #[error("container {container} is already attached to network {network:?}")]
    AlreadyAttached { network: String, container: String },
    #[error("container {container} is not attached to network {network:?}")]
    NotAttached { network: String, container: String },
    #[error("invalid port mapping {value:?}: {reason}")]
    InvalidPort { value: String, reason: String },
    #[error("-p {value}: {address} is not an address of this host")]
    NotHostAddress { value: String, address: String },
    #[error("host port {0} is already published")]
    PortPublished(String),
    #[error("host port {port} is in use on the host")]
    PortInUse { port: String, source: io::Error },
    #[error("no free host port left in 49153-65535 for {0}")]
    NoFreePort(String),
    #[error("network {0:?} is internal: it cannot publish ports")]
    InternalPorts(String),
    #[error("opening network namespace {path}")]
    Netns { path: PathBuf, source: io::Error },
    #[error("{what}")]
    Netlink { what: String, source: io::Error },
    #[error("{what}")]
    Io { what: String, source: io::Error },
    #[error("SIXDOCKER_FIREWALL_BACKEND={0:?}: expected nftables, iptables or auto")]
    InvalidFirewallBackend(String),
    #[error("firewall ({backend}): {what}")]
    Firewall { backend: &'static str, what: String },
    #[error("reading network record {path}: {reason}")]
    Record { path: PathBuf, reason: String },
}

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
