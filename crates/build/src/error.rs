//! The builder's errors: one line each, naming the Dockerfile line, the step or the value at
//! fault; lower crates' errors kept as sources (printed once, by the caller's chain).

use std::path::{Path, PathBuf};

/// What went wrong in a build.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The Dockerfile cannot be read as one (line number and Docker's words).
    #[error("Dockerfile line {line}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// The Dockerfile as a whole is wrong (no FROM, ...).
    #[error("{0}")]
    Dockerfile(String),
    /// A variable expansion failed (`${X:?msg}`, a quote left open).
    #[error("{0}")]
    Expand(String),
    /// A value the build cannot use (a flag, a path, a source).
    #[error("{0}")]
    Invalid(String),
    /// A step failed; the cause is the source.
    #[error("{step}")]
    Step {
        /// `[2/5] COPY a /b`, as the output shows it.
        step: String,
        /// Why.
        #[source]
        source: Box<Error>,
    },
    /// A `RUN` command exited non-zero.
    #[error("the command '{command}' returned a non-zero code: {code}")]
    RunFailed {
        /// The command as run (`/bin/sh -c make`).
        command: String,
        /// Its exit code.
        code: i32,
    },
    /// Ctrl-C (or SIGTERM): the build stopped, its container removed.
    #[error("build canceled")]
    Cancelled,
    /// The engine refused something (a container, a commit).
    #[error(transparent)]
    Engine(#[from] six_engine::Error),
    /// The image store refused something.
    #[error(transparent)]
    Image(#[from] six_image::Error),
    /// A pull or a download failed.
    #[error(transparent)]
    Registry(#[from] six_registry::Error),
    /// A file could not be read or written.
    #[error("{what} {}", path.display())]
    Io {
        /// What was being done ("reading").
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn dockerfile(line: usize, message: impl Into<String>) -> Error {
        Error::Syntax {
            line,
            message: message.into(),
        }
    }

    pub(crate) fn io(what: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }

    /// The step this error is in, as the output names it.
    pub(crate) fn in_step(self, step: &str) -> Error {
        match self {
            e @ (Error::Cancelled | Error::Step { .. }) => e,
            e => Error::Step {
                step: step.to_owned(),
                source: Box::new(e),
            },
        }
    }
}

/// The builder's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
