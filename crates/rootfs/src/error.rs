//! The errors of this crate: one line each, naming the mount, device or path and the errno.
//!
//! It owns only the error type; it never decides what failed.

use std::path::PathBuf;

use nix::errno::Errno;

/// Everything `prepare`, `pivot` and `finalize` can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A spec mount failed at one of its steps.
    #[error("mount {destination} (type {fstype}, source {from}): {step}: {errno}")]
    Mount {
        /// The mount's destination in the container.
        destination: PathBuf,
        /// Its type ("bind", "tmpfs"...).
        fstype: String,
        /// Its source.
        from: String,
        /// The step that failed ("mounting", "remounting read-only"...).
        step: String,
        /// The kernel's error.
        errno: Errno,
    },

    /// A spec mount carries an option this runtime does not implement.
    #[error("mount {destination} (type {fstype}): option {option:?} is not supported")]
    UnsupportedOption {
        /// The mount's destination.
        destination: PathBuf,
        /// Its type.
        fstype: String,
        /// The option.
        option: String,
    },

    /// A spec mount this runtime refuses for safety.
    #[error("mount {destination} (type {fstype}): refused: {reason}")]
    Refused {
        /// The mount's destination.
        destination: PathBuf,
        /// Its type.
        fstype: String,
        /// Why it is refused.
        reason: String,
    },

    /// `linux.rootfsPropagation` is not a propagation mode.
    #[error("linux.rootfsPropagation {0:?}: expected private, rprivate, slave, rslave, shared, rshared, unbindable or runbindable")]
    Propagation(String),

    /// `prepare` only runs in the container's own mount namespace.
    #[error("linux.namespaces has no mount namespace: the rootfs is only built in the container's own mount namespace")]
    NoMountNamespace,

    /// A spec feature this runtime cannot honour on this host.
    #[error("{0} is not supported by this runtime")]
    Unsupported(String),

    /// A device node could not be made.
    #[error("device {path}: {step}: {errno}")]
    Device {
        /// The node's path in the container.
        path: PathBuf,
        /// The step that failed ("mknod", "bind-mounting the host's node"...).
        step: String,
        /// The kernel's error.
        errno: Errno,
    },

    /// A `linux.devices` entry that cannot be a device node.
    #[error("device {path}: {reason}")]
    InvalidDevice {
        /// The entry's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },

    /// Any other step on a path: pivot_root, masked and read-only paths, the root remount.
    #[error("{step} {path}: {errno}")]
    Path {
        /// The step ("pivot_root", "masking"...).
        step: String,
        /// The path it was done on.
        path: PathBuf,
        /// The kernel's error.
        errno: Errno,
    },
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn path(
        step: impl Into<String>,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(Errno) -> Error {
        let (step, path) = (step.into(), path.into());
        move |errno| Error::Path { step, path, errno }
    }
}
