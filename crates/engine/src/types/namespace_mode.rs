//! `--pid`, `--uts` and `--ipc`: a namespace of the container's own (the default) or the
//! host's (`host`). `private` (and for IPC `shareable`, which every private IPC namespace
//! of this engine is) name the default. Never joins a namespace itself.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// Whose namespace the container's processes are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NamespaceMode {
    /// One of its own.
    #[default]
    Private,
    /// The host's.
    Host,
}

impl NamespaceMode {
    /// Whether it is the host's.
    pub fn is_host(self) -> bool {
        self == NamespaceMode::Host
    }
}

impl FromStr for NamespaceMode {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<NamespaceMode, TypeError> {
        match s {
            "host" => Ok(NamespaceMode::Host),
            "" | "private" | "shareable" => Ok(NamespaceMode::Private),
            _ => Err(TypeError::new(
                "namespace mode",
                s,
                "expected host (the host's namespace) or private (one of its own)",
            )),
        }
    }
}

impl fmt::Display for NamespaceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NamespaceMode::Private => "",
            NamespaceMode::Host => "host",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(
            "host".parse::<NamespaceMode>().unwrap(),
            NamespaceMode::Host
        );
        assert_eq!(
            "private".parse::<NamespaceMode>().unwrap(),
            NamespaceMode::Private
        );
        assert!("container:x"
            .parse::<NamespaceMode>()
            .unwrap_err()
            .to_string()
            .contains("\"container:x\""));
    }
}
