//! The engine's error type: one line a person can act on, the exit code Docker's CLI would
//! use for it (125 engine, 126 not executable, 127 not found), and its [`ErrorKind`] (what
//! an API answers with: 404, 409, 400, ...; see `error_kind.rs`).
//!
//! Errors of the crates below (six-runtime, six-image, six-network) are kept as they are, not
//! flattened to text: `Runtime`, `Image` and `Network` ARE the lower error (transparent:
//! their message and their causes), so a caller can still match on it. No message repeats
//! its source: a variant that wraps one (`Io`, `Sys`, `Context`) says only what the engine
//! was doing, and a program prints the chain once with [`Chain`].

use std::fmt;
use std::io;
use std::path::Path;

use crate::types::TypeError;

pub use crate::error_kind::{Classify, ErrorKind};

/// The engine's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an engine call failed; [`Error::kind`] classifies it as Docker's daemon would.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A flag value that does not parse (a [`crate::types`] value).
    #[error(transparent)]
    Type(#[from] TypeError),
    /// No container has this name, ID or ID prefix.
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    /// `cp`: nothing at this path in the container (Docker's words).
    #[error("Could not find the file {path} in container {container}")]
    NoSuchPath {
        /// The path inside the container.
        path: String,
        /// The container as the user named it.
        container: String,
    },
    /// No volume has this name.
    #[error("no such volume: {0}")]
    NoSuchVolume(String),
    /// No exec instance has this ID (Docker's words).
    #[error("No such exec instance: {0}")]
    NoSuchExec(String),
    /// An ID prefix that matches more than one container.
    #[error("container id prefix \"{prefix}\" is ambiguous: it matches {count} containers; give more characters or the name")]
    AmbiguousPrefix {
        /// The prefix given.
        prefix: String,
        /// How many containers it matches.
        count: usize,
    },
    /// A name another container has.
    #[error("the container name \"{name}\" is already in use by container {id}; remove that container or choose another name")]
    NameInUse {
        /// The name.
        name: String,
        /// The ID of the container that has it.
        id: String,
    },
    /// Removing a running container without force.
    #[error("container {name} is running: stop it first or use rm -f")]
    Running {
        /// The container's name.
        name: String,
    },
    /// An operation that needs a running container (exec, kill, pause...).
    #[error("container {name} is not running")]
    NotRunning {
        /// The container's name.
        name: String,
    },
    /// The command is not in the image (Docker's exit code 127).
    #[error("{cmd}: not found in image {image}")]
    CommandNotFound {
        /// The command.
        cmd: String,
        /// The image.
        image: String,
    },
    /// The command is not an executable file (Docker's exit code 126).
    #[error("{cmd}: permission denied: not an executable file in image {image}")]
    NotExecutable {
        /// The command.
        cmd: String,
        /// The image.
        image: String,
    },
    /// A request the engine refuses: a bad value, or flags that do not go together.
    #[error("{0}")]
    Invalid(String),
    /// The container is not in a state that allows this now: another command is creating,
    /// starting or removing it, or it is already connected to that network.
    #[error("{0}")]
    Conflict(String),
    /// Something this engine does not do (reading the log of the `none` driver).
    #[error("{0}")]
    Unsupported(String),
    /// Reported by a container's monitor: the code is Docker's class (125/126/127); the
    /// message is the monitor's error with its causes, on one line.
    #[error("{message}")]
    StartFailed {
        /// 125, 126 or 127.
        code: i32,
        /// The monitor's error and its causes.
        message: String,
    },
    /// A file operation failed.
    #[error("{context}")]
    Io {
        /// What was being done, and on what.
        context: String,
        /// The system's error.
        #[source]
        source: io::Error,
    },
    /// A system call failed.
    #[error("{context}")]
    Sys {
        /// What was being done.
        context: String,
        /// The kernel's error.
        #[source]
        source: nix::Error,
    },
    /// A record of the store that does not parse, or a spec without a process.
    #[error("{0}")]
    Corrupt(String),
    /// A helper process of the engine (a monitor, an exec keeper) went away or reported a
    /// failure it could only send as text.
    #[error("{0}")]
    Internal(String),
    /// six-runtime's error, as it is.
    #[error(transparent)]
    Runtime(#[from] six_runtime::Error),
    /// six-image's error, as it is.
    #[error(transparent)]
    Image(#[from] six_image::Error),
    /// six-network's error, as it is.
    #[error(transparent)]
    Network(#[from] six_network::Error),
    /// What the engine was doing when a lower error happened ("unmounting the rootfs of
    /// container x"); its kind is its source's.
    #[error("{context}")]
    Context {
        /// What the engine was doing.
        context: String,
        /// The error it met.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Docker's exit code for a failed `run`, `start` or `exec`.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CommandNotFound { .. } => 127,
            Error::NotExecutable { .. } => 126,
            Error::StartFailed { code, .. } => *code,
            Error::Context { source, .. } => source.exit_code(),
            _ => 125,
        }
    }

    /// `self` with what the engine was doing in front: "unmounting the rootfs of x: ...".
    pub(crate) fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn sys(context: impl Into<String>, source: nix::Error) -> Error {
        Error::Sys {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn at(what: &str, path: &Path, source: io::Error) -> Error {
        Error::Io {
            context: format!("{what} {}", path.display()),
            source,
        }
    }
}

/// Adds "what, which path" context to io results.
pub(crate) trait IoContext<T> {
    fn at(self, what: &str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, what: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::at(what, path, e))
    }
}

impl From<nix::Error> for Error {
    fn from(e: nix::Error) -> Error {
        Error::io("system call", io::Error::from(e))
    }
}

/// An error and its causes on one line, each once, as the CLI prints them:
/// `format!("{}", Chain(&e))` is "starting container web: container web: cgroup: pids.max:
/// cannot set 10 for /sys/fs/cgroup/x: Invalid argument (os error 22)". Any error type works
/// (the registry's, the image store's); it relies on messages not repeating their source.
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'a));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
pub(crate) mod tests;
