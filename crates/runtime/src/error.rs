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
    #[error("container ID {0:?} is invalid: use letters, digits, '_', '+', '-' and '.' (not '.' or '..' alone)")]
    InvalidId(String),
    #[error("container {0} already exists")]
    Exists(String),
    #[error("container {0} does not exist")]
    NotFound(String),
    #[error("bundle {0} does not exist or is not a directory")]
    NoBundle(PathBuf),
    #[error("reading {path}: {msg}")]
    Config { path: PathBuf, msg: String },
    #[error("invalid config for container {id}: {msg}")]
    Invalid { id: String, msg: String },
    #[error("container {id} is {status}: {what}")]
    WrongState {
        id: String,
        status: String,
        what: String,
    },
    #[error("container {id}: {msg}")]
    Setup { id: String, msg: String },
    #[error("container {id}: {hook} hook {path}: {msg}")]
    Hook {
        id: String,
        hook: &'static str,
        path: PathBuf,
        msg: String,
    },
    #[error("{what} {path}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}")]
    Sys {
        what: String,
        #[source]
        source: nix::Error,
    },
    #[error("refusing to clone a container process from a process with {0} threads: the child could wait forever on a lock another thread holds (call create and exec from a single-threaded process)")]
    Threaded(u64),
    #[error(transparent)]
    Unsealed(#[from] crate::sealed_exe::SealError),
    #[error("container {id}: cgroup")]
    Cgroup {
        id: String,
        #[source]
        source: six_cgroups::Error,
    },
}

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
