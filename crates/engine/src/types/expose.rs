//! `ExposedPort` (`80/tcp`): a port a container exposes without publishing it — the image's
//! `EXPOSE`, `--expose PORT[-LAST][/tcp|udp]`, and every `-p` container port, as Docker
//! keeps them in `Config.ExposedPorts`. `-P` publishes them all; `ps` shows the unpublished
//! ones of a running container as `80/tcp`.

use std::fmt;
use std::str::FromStr;

use super::{Proto, TypeError};

/// One exposed port and its protocol; written `80/tcp` as Docker's `ExposedPorts` keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ExposedPort {
    /// The container's port (1-65535).
    pub port: u16,
    /// TCP or UDP.
    pub proto: Proto,
}

impl ExposedPort {
    /// The order Docker's `ps` sorts ports in: by number, then protocol.
    pub fn sort_key(&self) -> (u16, u8) {
        (self.port, self.proto as u8)
    }

    /// An image's `EXPOSE` entry (`80`, `80/tcp`, `53/udp`); None for what no container can
    /// use (another protocol, not a port).
    pub fn from_image(text: &str) -> Option<ExposedPort> {
        let (number, proto) = text.split_once('/').unwrap_or((text, "tcp"));
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => return None,
        };
        let port = number.parse::<u16>().ok().filter(|p| *p > 0)?;
        Some(ExposedPort { port, proto })
    }
}

impl fmt::Display for ExposedPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.proto)
    }
}

/// One `--expose` value: a port or a range (`8000-8010`), each with `/tcp` (the default) or
/// `/udp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedPorts(pub Vec<ExposedPort>);

const EXPECTED: &str =
    "expected PORT or FIRST-LAST with ports 1-65535 and an optional /tcp or /udp (like 80 or 8000-8010/udp)";

impl FromStr for ExposedPorts {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<ExposedPorts, TypeError> {
        let bad = || TypeError::new("exposed port", s, EXPECTED);
        let (range, proto) = s.rsplit_once('/').unwrap_or((s, "tcp"));
        let proto = match proto {
            "tcp" => Proto::Tcp,
            "udp" => Proto::Udp,
            _ => return Err(bad()),
        };
        let (first, last) = range.split_once('-').unwrap_or((range, range));
        let number = |n: &str| n.parse::<u16>().ok().filter(|p| *p > 0);
        match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b => Ok(ExposedPorts(
                (a..=b).map(|port| ExposedPort { port, proto }).collect(),
            )),
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(s: &str) -> Result<Vec<String>, TypeError> {
        s.parse::<ExposedPorts>()
            .map(|p| p.0.iter().map(ExposedPort::to_string).collect())
    }

    #[test]
    fn ports_ranges_and_protocols_as_docker_reads_them() {
        assert_eq!(exposed("80").unwrap(), ["80/tcp"]);
        assert_eq!(exposed("53/udp").unwrap(), ["53/udp"]);
        assert_eq!(
            exposed("8000-8002/tcp").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        for bad in [
            "abc",
            "90-80",
            "0",
            "70000",
            ":80",
            "1.2.3.4:80:80",
            "80/sctp",
            "",
        ] {
            let e = exposed(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("invalid exposed port {bad:?}: expected")),
                "{e}"
            );
        }
    }

    #[test]
    fn image_entries_without_a_usable_protocol_are_skipped() {
        assert_eq!(
            ExposedPort::from_image("80")
                .map(|p| p.to_string())
                .as_deref(),
            Some("80/tcp")
        );
        assert_eq!(
            ExposedPort::from_image("81/udp")
                .map(|p| p.to_string())
                .as_deref(),
            Some("81/udp")
        );
        assert_eq!(ExposedPort::from_image("132/sctp"), None);
        assert_eq!(ExposedPort::from_image("x/tcp"), None);
    }
}
