//! Typed values with rules, parsed once at the edge (the CLI) and carried inside.
//!
//! Every type here implements `FromStr` with a [`TypeError`]: one line naming the bad
//! value and what was expected. Nothing here touches the container store or the kernel,
//! except [`EnvVar`], which reads the caller's environment for a bare `KEY`.

mod cpu;
mod detach_keys;
mod device;
mod dns;
mod env;
mod expose;
mod health;
mod label;
mod log;
mod memory;
mod mount;
mod name;
mod namespace_mode;
mod network;
mod restart;
mod signal;
mod ulimit;
mod volume;

pub use cpu::{CpuSet, Cpus};
pub use detach_keys::{DetachKeys, DetachScanner};
pub use device::DeviceMapping;
pub use dns::{parse_dns_option, parse_dns_search, parse_dns_server, ExtraHost, HostAddress};
pub use env::EnvVar;
pub use expose::{ExposedPort, ExposedPorts};
pub(crate) use health::go_duration_nanos;
pub use health::{check_health_config, merge_health_config, GoDuration, HealthConfig, HealthFlags};
pub use label::Label;
pub use log::{LogConfig, LogDriver};
pub use memory::{MemorySize, MemorySwap};
pub use mount::{MountSpec, MountType, TmpfsSpec, VolumesFrom};
pub use name::ContainerName;
pub use namespace_mode::{
    parse_ipc_mode, parse_pid_mode, parse_uts_mode, NamespaceKind, NamespaceMode,
};
pub use network::{parse_ipv4, parse_network_alias, NetworkMode, PortSpec, PortSpecs, Proto};
pub use restart::RestartPolicy;
pub use signal::Signal;
pub use ulimit::Ulimit;
pub use volume::{VolumeSource, VolumeSpec, PROPAGATIONS};

/// A value that does not follow its type's rules, e.g.
/// `invalid memory size "10x": expected a number with an optional unit b, k, m or g (like 100m)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} \"{value}\": {expected}")]
pub struct TypeError {
    /// What kind of value it was ("memory size", "cpuset").
    pub what: &'static str,
    /// The value as the user gave it.
    pub value: String,
    /// What was expected instead.
    pub expected: String,
}

impl TypeError {
    pub(crate) fn new(what: &'static str, value: &str, expected: impl Into<String>) -> TypeError {
        TypeError {
            what,
            value: value.to_owned(),
            expected: expected.into(),
        }
    }
}
