//! The runtime's error type: one line a person can act on, naming the container, the file or
//! the value at fault. A variant that wraps a lower error (an `io::Error`, an errno, a
//! six-cgroups error) keeps it as its `source` and does not repeat its text: a program
//! prints the chain once (`sixrun`: "container x: cgroup: pids.max: cannot set 10 for
//! /sys/fs/cgroup/x: Invalid argument (os error 22)"). It never decides what to do about an
//! error; callers do.

use std::path::PathBuf;

/// Everything that can go wrong in the runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A container ID with characters runc does not allow.
    #[error("container ID {0:?} is invalid: use letters, digits, '_', '+', '-' and '.' (not '.' or '..' alone)")]
    InvalidId(String),
    /// `create` of an ID that is taken.
    #[error("container {0} already exists")]
    Exists(String),
    /// No container has this ID.
    #[error("container {0} does not exist")]
    NotFound(String),
    /// The bundle directory is missing.
    #[error("bundle {0} does not exist or is not a directory")]
    NoBundle(PathBuf),
    /// config.json cannot be read or parsed.
    #[error("reading {path}: {msg}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong (serde's message, with the line and column).
        msg: String,
    },
    /// A spec or process value the runtime refuses (the message names the field).
    #[error("invalid config for container {id}: {msg}")]
    Invalid {
        /// The container.
        id: String,
        /// Which field, and what is wrong with it.
        msg: String,
    },
    /// An operation the container's status does not allow (start of a running container).
    #[error("container {id} is {status}: {what}")]
    WrongState {
        /// The container.
        id: String,
        /// Its status ("running").
        status: String,
        /// What cannot be done, and why.
        what: String,
    },
    /// A step of setting the container up failed (the init's own report, or ours).
    #[error("container {id}: {msg}")]
    Setup {
        /// The container.
        id: String,
        /// The step and its error, as text (the child reports text over its channel).
        msg: String,
    },
    /// A hook failed, timed out or could not run.
    #[error("container {id}: {hook} hook {path}: {msg}")]
    Hook {
        /// The container.
        id: String,
        /// Which kind ("prestart", "poststart"...).
        hook: &'static str,
        /// The hook's program.
        path: PathBuf,
        /// What happened (its exit status and stderr, or the timeout).
        msg: String,
    },
    /// A file operation of the runtime failed.
    #[error("{what} {path}")]
    Io {
        /// What was being done ("writing pid file").
        what: &'static str,
        /// On which path.
        path: PathBuf,
        /// The system's error.
        #[source]
        source: std::io::Error,
    },
    /// A system call of the runtime failed.
    #[error("{what}")]
    Sys {
        /// What was being done.
        what: String,
        /// The kernel's error.
        #[source]
        source: nix::Error,
    },
    /// `create` or `exec` from a process with more than one thread (the number it has).
    #[error("refusing to clone a container process from a process with {0} threads: the child could wait forever on a lock another thread holds (call create and exec from a single-threaded process)")]
    Threaded(u64),
    /// The runtime does not run from a sealed copy of its binary (CVE-2019-5736).
    #[error(transparent)]
    Unsealed(#[from] crate::sealed_exe::SealError),
    /// The container's cgroup could not be made, limited, read or removed.
    #[error("container {id}: cgroup")]
    Cgroup {
        /// The container.
        id: String,
        /// six-cgroups' error.
        #[source]
        source: six_cgroups::Error,
    },
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(
        what: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Error {
        Error::Io {
            what,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn sys(what: impl Into<String>, source: nix::Error) -> Error {
        Error::Sys {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn setup(id: &str, msg: impl Into<String>) -> Error {
        Error::Setup {
            id: id.to_owned(),
            msg: msg.into(),
        }
    }
}
