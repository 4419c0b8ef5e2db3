//! The engine's error type: one line a person can act on, and the exit code Docker's CLI
//! would use for it (125 engine, 126 not executable, 127 not found).

use std::io;
use std::path::Path;

use crate::types::TypeError;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Type(#[from] TypeError),
    #[error("no such container: {0}")]
    NoSuchContainer(String),
    #[error("container id prefix \"{prefix}\" is ambiguous: it matches {count} containers; give more characters or the name")]
    AmbiguousPrefix { prefix: String, count: usize },
    #[error("the container name \"{name}\" is already in use by container {id}; remove that container or choose another name")]
    NameInUse { name: String, id: String },
    #[error("container {name} is running: stop it first or use rm -f")]
    Running { name: String },
    #[error("container {name} is not running")]
    NotRunning { name: String },
    #[error("{cmd}: not found in image {image}")]
    CommandNotFound { cmd: String, image: String },
    #[error("{cmd}: permission denied: not an executable file in image {image}")]
    NotExecutable { cmd: String, image: String },
    #[error("{0}")]
    Invalid(String),
    /// Reported by a container's monitor: the code is Docker's class (125/126/127).
    #[error("{message}")]
    StartFailed { code: i32, message: String },
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },
    #[error("{0}")]
    Corrupt(String),
    #[error("{0}")]
    Runtime(String),
    #[error("{0}")]
    Image(String),
    #[error("{0}")]
    Network(String),
}

impl Error {
    /// Docker's exit code for a failed `run`, `start` or `exec`.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::CommandNotFound { .. } => 127,
            Error::NotExecutable { .. } => 126,
            Error::StartFailed { code, .. } => *code,
            _ => 125,
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
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
