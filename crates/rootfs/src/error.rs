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
        destination: PathBuf,
        fstype: String,
        from: String,
        step: String,
        errno: Errno,
    },

    /// A spec mount carries an option this runtime does not implement.
    #[error("mount {destination} (type {fstype}): option {option:?} is not supported")]
    UnsupportedOption {
        destination: PathBuf,
        fstype: String,
        option: String,
    },

    /// A spec mount this runtime refuses for safety.
    #[error("mount {destination} (type {fstype}): refused: {reason}")]
    Refused {
        destination: PathBuf,
        fstype: String,
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
        path: PathBuf,
        step: String,
        errno: Errno,
    },

    /// A `linux.devices` entry that cannot be a device node.
    #[error("device {path}: {reason}")]
    InvalidDevice { path: PathBuf, reason: String },

    /// Any other step on a path: pivot_root, masked and read-only paths, the root remount.
    #[error("{step} {path}: {errno}")]
    Path {
        step: String,
        path: PathBuf,
        errno: Errno,
    },
}

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
