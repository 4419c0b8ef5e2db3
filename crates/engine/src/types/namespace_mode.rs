//! `--pid`, `--uts` and `--ipc`: whose namespace the container's processes are in, with
//! Docker's modes for each: a namespace of its own (the default: `""`, `private`), the host's
//! (`host`), another container's (`container:NAME`, for `--pid` and `--ipc`), and for IPC
//! `shareable` (its own, which `--ipc container:` may join: its /dev/shm lives on the host)
//! and `none` (its own, without /dev/shm). Never joins a namespace itself
//! (`shared_namespaces.rs` does, at each start).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// Whose namespace the container's processes are in.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NamespaceMode {
    /// One of its own.
    #[default]
    Private,
    /// The host's.
    Host,
    /// IPC: one of its own that other containers may join (`--ipc shareable`).
    Shareable,
    /// IPC: one of its own, without a /dev/shm.
    None,
    /// Another container's: its name as given, its full ID once the container is made.
    Container(String),
}

/// Which namespace a mode is for (each takes its own set of modes, as Docker's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceKind {
    /// `--pid`: host, container:NAME.
    Pid,
    /// `--ipc`: private, shareable, none, host, container:NAME.
    Ipc,
    /// `--uts`: host.
    Uts,
}

impl NamespaceMode {
    /// Whether it is the host's.
    pub fn is_host(&self) -> bool {
        *self == NamespaceMode::Host
    }

    /// The container whose namespace it is, if another's.
    pub fn container(&self) -> Option<&str> {
        match self {
            NamespaceMode::Container(c) => Some(c),
            _ => None,
        }
    }

    /// `s` as a mode of `kind`'s namespace.
    pub fn parse(kind: NamespaceKind, s: &str) -> Result<NamespaceMode, TypeError> {
        let (what, expected) = match kind {
            NamespaceKind::Pid => ("PID mode", "expected host or container:NAME"),
            NamespaceKind::Ipc => (
                "IPC mode",
                "expected private, shareable, none, host or container:NAME",
            ),
            NamespaceKind::Uts => ("UTS mode", "expected host"),
        };
        let bad = || TypeError::new(what, s, expected);
        let mode = match s {
            "" => NamespaceMode::Private,
            "host" => NamespaceMode::Host,
            "private" if kind == NamespaceKind::Ipc => NamespaceMode::Private,
            "shareable" if kind == NamespaceKind::Ipc => NamespaceMode::Shareable,
            "none" if kind == NamespaceKind::Ipc => NamespaceMode::None,
            _ => match s.strip_prefix("container:") {
                Some(name) if kind != NamespaceKind::Uts && !name.is_empty() => {
                    NamespaceMode::Container(name.to_owned())
                }
                _ => return Err(bad()),
            },
        };
        Ok(mode)
    }

    /// As Docker's `HostConfig` shows it: `""` for the default of PID and UTS, `private` for
    /// IPC's.
    pub fn docker_text(&self, kind: NamespaceKind) -> String {
        match self {
            NamespaceMode::Private if kind == NamespaceKind::Ipc => "private".into(),
            other => other.to_string(),
        }
    }
}

/// `--pid`.
pub fn parse_pid_mode(s: &str) -> Result<NamespaceMode, TypeError> {
    NamespaceMode::parse(NamespaceKind::Pid, s)
}

/// `--ipc`.
pub fn parse_ipc_mode(s: &str) -> Result<NamespaceMode, TypeError> {
    NamespaceMode::parse(NamespaceKind::Ipc, s)
}

/// `--uts`.
pub fn parse_uts_mode(s: &str) -> Result<NamespaceMode, TypeError> {
    NamespaceMode::parse(NamespaceKind::Uts, s)
}

impl fmt::Display for NamespaceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamespaceMode::Private => Ok(()),
            NamespaceMode::Host => f.write_str("host"),
            NamespaceMode::Shareable => f.write_str("shareable"),
            NamespaceMode::None => f.write_str("none"),
            NamespaceMode::Container(c) => write!(f, "container:{c}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_namespace_takes_dockers_modes() {
        use NamespaceKind::*;
        let ok = |k, s: &str| NamespaceMode::parse(k, s).unwrap();
        assert_eq!(ok(Pid, "host"), NamespaceMode::Host);
        assert_eq!(ok(Pid, ""), NamespaceMode::Private);
        assert_eq!(
            ok(Pid, "container:web"),
            NamespaceMode::Container("web".into())
        );
        assert_eq!(ok(Ipc, "private"), NamespaceMode::Private);
        assert_eq!(ok(Ipc, "shareable"), NamespaceMode::Shareable);
        assert_eq!(ok(Ipc, "none"), NamespaceMode::None);
        assert_eq!(
            ok(Ipc, "container:db"),
            NamespaceMode::Container("db".into())
        );
        assert_eq!(ok(Uts, "host"), NamespaceMode::Host);
        for (kind, bad, what) in [
            (Pid, "bogus", "invalid PID mode \"bogus\""),
            (Pid, "shareable", "invalid PID mode"),
            (Pid, "container:", "invalid PID mode \"container:\""),
            (Ipc, "bogus", "invalid IPC mode \"bogus\""),
            (Uts, "container:x", "invalid UTS mode \"container:x\""),
            (Uts, "private", "invalid UTS mode"),
        ] {
            let e = NamespaceMode::parse(kind, bad).unwrap_err().to_string();
            assert!(e.contains(what), "{e}");
        }
        assert_eq!(NamespaceMode::Private.docker_text(Ipc), "private");
        assert_eq!(NamespaceMode::Private.docker_text(Pid), "");
        assert_eq!(
            NamespaceMode::Container("x".into()).docker_text(Pid),
            "container:x"
        );
        // records made before the new modes still read
        let old: NamespaceMode = serde_json::from_str("\"Host\"").unwrap();
        assert_eq!(old, NamespaceMode::Host);
    }
}
