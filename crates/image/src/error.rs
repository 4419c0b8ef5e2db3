//! The one error type of the image store. Every message is one line a person can act on:
//! it names the image, file or archive entry and says what was expected. Text that can come
//! from an archive (entry names, link targets, manifest strings, and the tar reader's own
//! messages, which quote headers) is shown with its control characters escaped (`\u{1b}`),
//! so an archive cannot write escape sequences to the user's terminal.
//! A variant that wraps a lower error (`Io`, `Mount`) keeps it as its `source` and does not
//! repeat its text: a program prints the chain once ("writing /s/x: No space left on device
//! (os error 28)"), and the CLI escapes what it prints.
//! This module never decides policy; it only describes failures.

use std::fmt::{self, Display, Write as _};
use std::io;
use std::path::Path;

/// Errors of the image store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A system call or file operation failed; `context` says which and on what.
    #[error("{}", Shown(.context))]
    Io {
        /// What was being done, and on what ("writing /s/x").
        context: String,
        /// The system's error.
        source: io::Error,
    },

    /// No image matches the name, reference or ID.
    #[error("no such image: {}", Shown(.0))]
    NotFound(String),

    /// An ID prefix matches more than one image.
    #[error("image ID prefix {} is ambiguous: it matches {count} images", Shown(.prefix))]
    Ambiguous {
        /// The prefix given.
        prefix: String,
        /// How many images it matches.
        count: usize,
    },

    /// A reference ("name", "name:tag") that does not follow the rules.
    #[error("invalid image reference {reference:?}: {}", Shown(.reason))]
    BadReference {
        /// The reference given.
        reference: String,
        /// Which rule it breaks.
        reason: String,
    },

    /// An archive entry that would write outside its layer, or that we refuse to create.
    #[error("refusing archive entry {entry:?}: {}", Shown(.reason))]
    UnsafeEntry {
        /// The entry's name in the archive.
        entry: String,
        /// Why it is refused.
        reason: String,
    },

    /// An archive that cannot be read: truncated, bad compression, missing files, bad JSON.
    #[error("corrupt archive ({}): {}", Shown(.what), Shown(.detail))]
    CorruptArchive {
        /// The archive, layer or file inside it.
        what: String,
        /// What is wrong with it.
        detail: String,
    },

    /// Content whose sha256 does not match the digest that names it.
    #[error("digest mismatch for {}: expected {}, got {}", Shown(.what), Shown(.expected), Shown(.actual))]
    DigestMismatch {
        /// The blob, layer or config whose content was checked.
        what: String,
        /// The digest that names it.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },

    /// Removing an image that a container uses (without force).
    #[error("image {} is in use by a container (use force to remove it anyway)", Shown(.image))]
    InUse {
        /// The image, as given.
        image: String,
    },

    /// Removing by ID an image that has several names (without force).
    #[error("image {} has several names ({}); remove them by name, or use force", Shown(.image), Shown(.names))]
    MultipleNames {
        /// The image ID, as given.
        image: String,
        /// Its names, comma separated.
        names: String,
    },

    /// A store file that does not parse: the store needs repair.
    #[error("image store file {} is damaged: {}", Shown(.path), Shown(.detail))]
    DamagedStore {
        /// The damaged file.
        path: String,
        /// What does not parse.
        detail: String,
    },

    /// The store's file system has no room left (ENOSPC), or its user's quota is used up
    /// (EDQUOT). `store` is the store directory, `doing` what was being written.
    #[error("{}: no space left for the image store {} (while {})", .reason, Shown(.store), Shown(.doing))]
    DiskFull {
        /// "no space left on device" or "disk quota exceeded".
        reason: &'static str,
        /// The store directory.
        store: String,
        /// What was being written.
        doing: String,
    },

    /// Mounting or unmounting the overlay rootfs failed.
    #[error("{}", Shown(.context))]
    Mount {
        /// Which mount, and what was being done with it.
        context: String,
        /// The kernel's error.
        source: nix::Error,
    },
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

    /// Says "disk full" (naming the store directory `store`) for a write that failed with
    /// ENOSPC or EDQUOT; any other error is returned as it is.
    pub(crate) fn on_store_disk(self, store: &Path) -> Error {
        match self {
            Error::Io { context, source } => {
                // By kind as well as by number: some wrappers (tempfile's) keep only the kind.
                let reason = match (source.raw_os_error(), source.kind()) {
                    (Some(libc::ENOSPC), _) | (_, io::ErrorKind::StorageFull) => "disk full",
                    (Some(libc::EDQUOT), _) | (_, io::ErrorKind::QuotaExceeded) => {
                        "disk quota exceeded"
                    }
                    _ => return Error::Io { context, source },
                };
                Error::DiskFull {
                    reason,
                    store: store.display().to_string(),
                    doing: context,
                }
            }
            other => other,
        }
    }
}

/// Shows its value with control characters and invisible direction marks escaped the way
/// Rust's `{:?}` does (`\u{1b}`, `\n`, `\u{202e}`); everything else as it is.
pub(crate) struct Shown<T>(pub T);

impl<T: Display> Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(EscapingWriter(f), "{}", self.0)
    }
}

struct EscapingWriter<'a, 'b>(&'a mut fmt::Formatter<'b>);

impl fmt::Write for EscapingWriter<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if must_escape(c) {
                write!(self.0, "{}", c.escape_debug())?;
            } else {
                self.0.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// Control characters (C0, DEL, C1: ESC, BEL, CR, newline...) and the zero-width and
/// bidirectional format characters that can make text read differently than it is.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_in_every_part_of_a_message() {
        let e = Error::corrupt("layer \x1b]0;title\x07a.tar", "bad \x1b[31mred\r\nline");
        assert_eq!(
            e.to_string(),
            "corrupt archive (layer \\u{1b}]0;title\\u{7}a.tar): bad \\u{1b}[31mred\\r\\nline"
        );
        let e = Error::io("creating /x/\u{202e}gpj.exe", io::Error::other("\x1b[2J"));
        assert_eq!(e.to_string(), "creating /x/\\u{202e}gpj.exe");
        let e = Error::unsafe_entry("a\x1bb", "symlink target \"\x1b\" leads out");
        assert!(!e.to_string().contains('\x1b'), "{e}");
        assert_eq!(
            Shown("plain: é ✓ \"q\" \\").to_string(),
            "plain: é ✓ \"q\" \\"
        );
    }

    #[test]
    fn a_full_disk_names_the_store() {
        let full = Error::io(
            "writing /s/image/tmp/x",
            io::Error::from_raw_os_error(libc::ENOSPC),
        );
        assert_eq!(
            full.on_store_disk(Path::new("/s/image")).to_string(),
            "disk full: no space left for the image store /s/image (while writing /s/image/tmp/x)"
        );
        let quota = Error::io(
            "creating /s/image/tmp/y",
            io::Error::from_raw_os_error(libc::EDQUOT),
        );
        assert!(quota
            .on_store_disk(Path::new("/s/image"))
            .to_string()
            .starts_with("disk quota exceeded: no space left for the image store /s/image"));
        let other = Error::io("reading /s", io::Error::from_raw_os_error(libc::EIO));
        assert!(matches!(
            other.on_store_disk(Path::new("/s")),
            Error::Io { .. }
        ));
    }
}
