//! What kind of failure an error is, for clients that answer by class rather than by text:
//! the Engine API turns an [`ErrorKind`] into Docker's HTTP status (404 no such container or
//! image, 409 conflict with the container's state, 400 bad parameter, 500 server error...).
//!
//! The classes are moby's `errdefs` (`NotFound`, `InvalidParameter`, `Conflict`,
//! `Unauthorized`, `Forbidden`, `NotImplemented`, `Unavailable`, `System`/`Unknown`), and each
//! error is put where the Docker daemon puts its own: a container that is not running is a
//! conflict (`errNotRunning`), a name in use a conflict, an ambiguous ID prefix and a command
//! that cannot be found or run a bad parameter (`startInvalidConfigError`), a pull of an
//! unknown or denied repository "not found" (`translatePullError`).
//!
//! It owns the classification of every error type the engine hands out (its own, and the
//! lower crates' errors it returns or wraps); it never decides what to do about an error.

/// The class of a failure, as Docker's API reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// No such container, image, network or manifest (404).
    NotFound,
    /// A bad value in the request: a flag, a reference, an archive (400).
    InvalidArgument,
    /// The object's state does not allow it: running, not running, name in use (409).
    Conflict,
    /// The registry refused the credentials (401).
    Unauthorized,
    /// Never allowed: removing the default network, or one containers use (403).
    Forbidden,
    /// Something this engine does not do (501).
    NotImplemented,
    /// Something it depends on cannot serve now: a registry that cannot be reached, no free
    /// address or port left, a container lock another command held too long (503).
    Unavailable,
    /// Anything else: the kernel, the disk, a broken record (500).
    Internal,
}

impl ErrorKind {
    /// The HTTP status Docker's Engine API answers with for this class.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::NotFound => 404,
            ErrorKind::InvalidArgument => 400,
            ErrorKind::Conflict => 409,
            ErrorKind::Unauthorized => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotImplemented => 501,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
}

/// An error that knows its [`ErrorKind`]: the engine's, and the lower crates' errors that the
/// engine returns (`pull`, `push`, `login` give six-registry's) or that `images()` and
/// `networks()` give.
pub trait Classify {
    /// What kind of failure this is (Docker's errdefs class).
    fn kind(&self) -> ErrorKind;
}

use ErrorKind::*;

impl crate::Error {
    /// What kind of failure this is (the Engine API's status code).
    pub fn kind(&self) -> ErrorKind {
        use crate::Error as E;
        match self {
            E::Type(e) => e.kind(),
            E::NoSuchContainer(_) | E::NoSuchVolume(_) | E::NoSuchPath { .. } => NotFound,
            E::NoSuchExec(_) => NotFound,
            E::AmbiguousPrefix { .. } | E::Invalid(_) => InvalidArgument,
            E::CommandNotFound { .. } | E::NotExecutable { .. } => InvalidArgument,
            E::NameInUse { .. } | E::Running { .. } | E::NotRunning { .. } => Conflict,
            E::Conflict(_) => Conflict,
            E::Unsupported(_) => NotImplemented,
            E::StartFailed {
                code: 126 | 127, ..
            } => InvalidArgument,
            E::StartFailed { .. } => Internal,
            // A lock another process held past the wait: busy, try again.
            E::Io { source, .. } if source.kind() == std::io::ErrorKind::TimedOut => Unavailable,
            E::Io { .. } | E::Sys { .. } | E::Corrupt(_) | E::Internal(_) => Internal,
            E::Runtime(e) => e.kind(),
            E::Image(e) => e.kind(),
            E::Network(e) => e.kind(),
            E::Context { source, .. } => source.kind(),
        }
    }
}

impl Classify for crate::Error {
    fn kind(&self) -> ErrorKind {
        crate::Error::kind(self)
    }
}

impl Classify for crate::types::TypeError {
    fn kind(&self) -> ErrorKind {
        InvalidArgument
    }
}

impl Classify for six_runtime::Error {
    fn kind(&self) -> ErrorKind {
        use six_runtime::Error as E;
        match self {
            E::InvalidId(_) | E::NoBundle(_) | E::Config { .. } | E::Invalid { .. } => {
                InvalidArgument
            }
            E::Exists(_) | E::WrongState { .. } => Conflict,
            E::NotFound(_) => NotFound,
            E::Cgroup { source, .. } => source.kind(),
            // Threaded: the caller broke the runtime's contract (single-threaded create/exec).
            E::Setup { .. }
            | E::Hook { .. }
            | E::Io { .. }
            | E::Sys { .. }
            | E::Threaded(_)
            | E::Unsealed(_) => Internal,
        }
    }
}

impl Classify for six_cgroups::Error {
    fn kind(&self) -> ErrorKind {
        use six_cgroups::Error as E;
        match self {
            // A limit this host cannot apply as given.
            E::BadPath { .. }
            | E::BadValue { .. }
            | E::OutOfRange { .. }
            | E::BadDeviceRule { .. }
            | E::SubCgroup { .. }
            | E::Unsupported { .. } => InvalidArgument,
            E::Write { .. }
            | E::Read { .. }
            | E::Parse { .. }
            | E::Create { .. }
            | E::Remove { .. }
            | E::Join { .. }
            | E::NoHierarchy
            | E::Timeout { .. }
            | E::DeviceFilter { .. }
            | E::OomWatch { .. }
            | E::DevicesMismatch { .. } => Internal,
        }
    }
}

impl Classify for six_image::Error {
    fn kind(&self) -> ErrorKind {
        use six_image::Error as E;
        match self {
            E::NotFound(_) => NotFound,
            // What the user gave: a name, a prefix, an archive.
            E::Ambiguous { .. }
            | E::BadReference { .. }
            | E::UnsafeEntry { .. }
            | E::CorruptArchive { .. }
            | E::DigestMismatch { .. } => InvalidArgument,
            E::InUse { .. } | E::MultipleNames { .. } => Conflict,
            E::DamagedStore { .. } | E::DiskFull { .. } | E::Io { .. } | E::Mount { .. } => {
                Internal
            }
        }
    }
}

impl Classify for six_network::Error {
    fn kind(&self) -> ErrorKind {
        use six_network::Error as E;
        match self {
            E::InvalidSubnet { .. }
            | E::InvalidName(_)
            | E::InvalidContainerId(_)
            | E::UnsupportedDriver(_)
            | E::GatewayOutsideSubnet { .. }
            | E::GatewayReserved { .. }
            | E::InvalidPort { .. }
            | E::NotHostAddress { .. }
            | E::NoIpv6(_)
            | E::InternalPorts(_)
            | E::FixedAddressNeedsSubnet { .. }
            | E::AddressOutsideSubnet { .. }
            | E::InvalidFirewallBackend(_) => InvalidArgument,
            E::UnknownNetwork(_) => NotFound,
            E::NameInUse(_)
            | E::AlreadyAttached { .. }
            | E::NotAttached { .. }
            | E::PortPublished(_)
            | E::AddressInUse { .. }
            | E::PortInUse { .. } => Conflict,
            // libnetwork's answers: an overlapping pool and removing a network in use or a
            // predefined one are Forbidden; an exhausted pool is "no service".
            E::SubnetOverlap { .. } | E::InUse { .. } | E::DefaultNetwork(_) => Forbidden,
            E::PoolExhausted(_) | E::AddressesExhausted { .. } | E::NoFreePort(_) => Unavailable,
            E::Netns { .. } | E::Netlink { .. } | E::Io { .. } | E::Firewall { .. } => Internal,
            E::Record { .. } => Internal,
        }
    }
}

impl Classify for six_registry::Error {
    fn kind(&self) -> ErrorKind {
        use six_registry::Error as E;
        match self {
            E::Reference(_) | E::Usage(_) => InvalidArgument,
            E::Connect { .. } => Unavailable,
            // Docker's pull says "not found" for an unknown manifest and a denied repository
            // alike (it cannot tell them apart); a denied push is forbidden.
            E::ManifestUnknown { .. } | E::NoMatchingPlatform { .. } | E::WrongPlatform { .. } => {
                NotFound
            }
            E::AccessDenied { action: "pull", .. } => NotFound,
            E::AccessDenied { .. } => Forbidden,
            E::Unauthorized { .. } => Unauthorized,
            E::Http { status, .. } => match status {
                404 => NotFound,
                401 => Unauthorized,
                403 => Forbidden,
                429 | 502..=504 => Unavailable,
                _ => Internal,
            },
            E::Store(e) => e.kind(),
            E::DigestMismatch { .. }
            | E::Truncated { .. }
            | E::Invalid { .. }
            | E::Io { .. }
            | E::Cancelled => Internal,
        }
    }
}

impl Classify for six_registry::ReferenceError {
    fn kind(&self) -> ErrorKind {
        InvalidArgument
    }
}

#[cfg(test)]
#[path = "error_kind_tests.rs"]
mod tests;
