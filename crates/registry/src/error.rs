//! The one error type of the registry client. Each message is one line a person can act
//! on, worded like Docker's where Docker has a message for the case ("manifest for x:y not
//! found", "no matching manifest for linux/arm64 in the manifest list entries", "pull access
//! denied for x, repository does not exist or may require 'docker login'"). Text that comes
//! from a server is shown with its control characters escaped. A variant that wraps a lower
//! error (`Io`) keeps it as its `source` and does not repeat its text; `Reference` and
//! `Store` are the lower error itself (transparent): a program prints the chain once.

use std::fmt::{self, Display};

use crate::reference::ReferenceError;

/// Why a pull, push, login or logout failed (one line; Docker's words where it has them).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A reference Docker would refuse (Docker's own text).
    #[error(transparent)]
    Reference(#[from] ReferenceError),

    /// The registry cannot be reached: DNS, connection, TLS.
    #[error("{} {}: {}", .method, Shown(.url), Shown(.detail))]
    Connect {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// What went wrong (the resolver's, the socket's or TLS's error).
        detail: String,
    },

    /// The registry has no such tag or digest.
    #[error("manifest for {} not found: manifest unknown", Shown(.reference))]
    ManifestUnknown {
        /// The reference, as Docker shows it.
        reference: String,
    },

    /// 401/403/404 on a repository: Docker cannot tell "absent" from "not yours" either.
    #[error("{} access denied for {}, repository does not exist or may require 'sixdocker login': {}", .action, Shown(.repository), Shown(.detail))]
    AccessDenied {
        /// "pull" or "push".
        action: &'static str,
        /// The repository.
        repository: String,
        /// The registry's error text.
        detail: String,
    },

    /// Login refused, or credentials the registry does not accept.
    #[error("{}: unauthorized: {}", Shown(.registry), Shown(.detail))]
    Unauthorized {
        /// The registry.
        registry: String,
        /// The registry's error text.
        detail: String,
    },

    /// Any other answer the client cannot use (a 5xx, a 4xx with a registry error body).
    #[error("{} {}: {} {}", .method, Shown(.url), .status, Shown(.detail))]
    Http {
        /// The HTTP method.
        method: &'static str,
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
        /// The registry's error text, or the status's reason.
        detail: String,
    },

    /// Content whose digest is not the one that names it.
    #[error("digest mismatch for {}: expected {}, got {}", Shown(.what), .expected, .actual)]
    DigestMismatch {
        /// The blob or manifest.
        what: String,
        /// The digest that names it.
        expected: String,
        /// The digest of what came.
        actual: String,
    },

    /// A blob or manifest that ended early (or ran past its announced size).
    #[error("{} is truncated: expected {} bytes, got {}", Shown(.what), .expected, .got)]
    Truncated {
        /// The blob or manifest.
        what: String,
        /// Its announced size.
        expected: u64,
        /// How many bytes came.
        got: u64,
    },

    /// No manifest of a list or index is for the wanted platform.
    #[error("no matching manifest for {} in the manifest list entries (it has: {})", .platform, .available)]
    NoMatchingPlatform {
        /// The platform wanted ("linux/arm64").
        platform: String,
        /// The platforms the list has, comma separated.
        available: String,
    },

    /// The image found is for another platform than the one asked for with --platform.
    #[error("image with reference {} was found but does not match the specified platform: wanted {}, actual: {}", Shown(.reference), .wanted, .actual)]
    WrongPlatform {
        /// The reference.
        reference: String,
        /// The platform asked for.
        wanted: String,
        /// The image's platform.
        actual: String,
    },

    /// A manifest, config or token response that does not parse or is not supported.
    #[error("{}: {}", Shown(.what), Shown(.detail))]
    Invalid {
        /// The manifest, config or response.
        what: String,
        /// What is wrong with it.
        detail: String,
    },

    /// Local files: credentials, certificates.
    #[error("{context}")]
    Io {
        /// What was being done, on which file.
        context: String,
        /// The system's error.
        source: std::io::Error,
    },

    /// The image store refused what was pulled, or could not give what is pushed.
    #[error(transparent)]
    Store(#[from] six_image::Error),

    /// A bad value given by the user (a platform, a registry name).
    #[error("{0}")]
    Usage(String),

    /// Another transfer of the same operation failed first.
    #[error("cancelled")]
    Cancelled,
}

/// This crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn invalid(what: impl Into<String>, detail: impl ToString) -> Error {
        Error::Invalid {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Error {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

/// Shows server-provided text with control characters escaped, on one line.
pub(crate) struct Shown<T>(pub T);

impl<T: Display> Display for Shown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.to_string().chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_debug())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl six_trace::Failure for Error {
    /// A registry failure is no single kernel refusal: `--trace` says "failed".
    fn errno(&self) -> i32 {
        -1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_cannot_reach_the_terminal_raw() {
        let e = Error::Http {
            method: "GET",
            url: "http://x/v2/".into(),
            status: 500,
            detail: "boom\x1b[2J\nsecond".into(),
        };
        let s = e.to_string();
        assert!(!s.contains('\x1b') && !s.contains('\n'), "{s}");
    }
}
