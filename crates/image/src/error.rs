//! The one error type of the image store. Every message is one line a person can act on:
//! it names the image, file or archive entry and says what was expected.
//! This module never decides policy; it only describes failures.

use std::io;
use std::path::Path;

/// Errors of the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed; `context` says which and on what.
    #[error("{context}: {source}")]
    Io { context: String, source: io::Error },

    /// No image matches the name, reference or ID.
    #[error("no such image: {0}")]
    NotFound(String),

    /// An ID prefix matches more than one image.
    #[error("image ID prefix {prefix} is ambiguous: it matches {count} images")]
    Ambiguous { prefix: String, count: usize },

    /// A reference ("name", "name:tag") that does not follow the rules.
    #[error("invalid image reference {reference:?}: {reason}")]
    BadReference { reference: String, reason: String },

    /// An archive entry that would write outside its layer, or that we refuse to create.
    #[error("refusing archive entry {entry:?}: {reason}")]
    UnsafeEntry { entry: String, reason: String },

    /// An archive that cannot be read: truncated, bad compression, missing files, bad JSON.
    #[error("corrupt archive ({what}): {detail}")]
    CorruptArchive { what: String, detail: String },

    /// Content whose sha256 does not match the digest that names it.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        what: String,
        expected: String,
        actual: String,
    },

    /// Removing an image that a container uses (without force).
    #[error("image {image} is in use by a container (use force to remove it anyway)")]
    InUse { image: String },

    /// Removing by ID an image that has several names (without force).
    #[error("image {image} has several names ({names}); remove them by name, or use force")]
    MultipleNames { image: String, names: String },

    /// A store file that does not parse: the store needs repair.
    #[error("image store file {path} is damaged: {detail}")]
    DamagedStore { path: String, detail: String },

    /// Mounting or unmounting the overlay rootfs failed.
    #[error("{context}: {source}")]
    Mount { context: String, source: nix::Error },
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, detail: impl ToString) -> Error {
        Error::CorruptArchive {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn unsafe_entry(entry: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::UnsafeEntry {
            entry: entry.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn damaged(path: &Path, detail: impl ToString) -> Error {
        Error::DamagedStore {
            path: path.display().to_string(),
            detail: detail.to_string(),
        }
    }
}

/// Adds "doing what, on which path" to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn ctx(self, what: &str, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn ctx(self, what: &str, path: &Path) -> Result<T> {
        self.map_err(|e| Error::io(format!("{what} {}", path.display()), e))
    }
}
