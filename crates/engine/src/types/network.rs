//! `NetworkMode` (`--network bridge|none|host|container:NAME|NAME`) and `PortSpec` (`-p`).
//!
//! `-p` is parsed by six-network's [`six_network::PortMapping`] (one parser for the form);
//! `PortSpec` is the engine's record of it, kept in container records as before.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;

use super::TypeError;

/// `--network`: which network namespace the container gets.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum NetworkMode {
    /// The default network, named `bridge`.
    #[default]
    Bridge,
    /// A network namespace with only loopback.
    None,
    /// The host's network namespace.
    Host,
    /// A user-defined network.
    Named(String),
    /// `container:NAME`: the network namespace of another container (by its full ID once
    /// created).
    Container(String),
}

impl NetworkMode {
    /// The six-network network to attach to, if any.
    pub fn network_name(&self) -> Option<&str> {
        match self {
            NetworkMode::Bridge => Some("bridge"),
            NetworkMode::Named(n) => Some(n),
            NetworkMode::None | NetworkMode::Host | NetworkMode::Container(_) => None,
        }
    }
}

impl fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::Named(n) => f.write_str(n),
            NetworkMode::Container(c) => write!(f, "container:{c}"),
        }
    }
}

impl FromStr for NetworkMode {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<NetworkMode, TypeError> {
        match s {
            "bridge" | "default" => Ok(NetworkMode::Bridge),
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            _ if s.starts_with("container:") => match &s["container:".len()..] {
                "" => Err(TypeError::new(
                    "network mode",
                    s,
                    "expected container:NAME (a container's name or ID)",
                )),
                name => Ok(NetworkMode::Container(name.to_owned())),
            },
            _ => {
                let valid = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if valid {
                    Ok(NetworkMode::Named(s.to_owned()))
                } else {
                    Err(TypeError::new("network mode", s, "expected bridge, none, host or a network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"))
                }
            }
        }
    }
}

/// `--ip` (and `network connect --ip`): an IPv4 address.
pub fn parse_ipv4(s: &str) -> Result<Ipv4Addr, TypeError> {
    s.parse()
        .map_err(|_| TypeError::new("IPv4 address", s, "expected an address like 10.1.0.5"))
}

/// `--network-alias` (and `network connect --alias`): a name the other containers of the
/// network resolve; it goes into their hosts files, so it is one word.
pub fn parse_network_alias(s: &str) -> Result<String, TypeError> {
    let ok = !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('-')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c) || !c.is_ascii());
    match ok {
        true => Ok(s.to_owned()),
        false => Err(TypeError::new(
            "network alias",
            s,
            "expected a name of letters, digits, '_', '.' and '-' (like db or db.internal)",
        )),
    }
}

/// The protocol of a published port. Stored in records as `"Tcp"`/`"Udp"` (six-network's
/// own type serializes in lower case, so the engine keeps this one for its records).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Proto {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl From<six_network::Proto> for Proto {
    fn from(p: six_network::Proto) -> Proto {
        match p {
            six_network::Proto::Tcp => Proto::Tcp,
            six_network::Proto::Udp => Proto::Udp,
        }
    }
}

impl From<Proto> for six_network::Proto {
    fn from(p: Proto) -> six_network::Proto {
        match p {
            Proto::Tcp => six_network::Proto::Tcp,
            Proto::Udp => six_network::Proto::Udp,
        }
    }
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        six_network::Proto::from(*self).fmt(f)
    }
}

/// `-p [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/tcp|udp]`. No host port: one is chosen at run time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PortSpec {
    /// The host address it listens on (None: every address).
    pub host_ip: Option<IpAddr>,
    /// The host port (None: one is chosen).
    pub host_port: Option<u16>,
    /// With `host_port`, the end of a host port range (`-p 8000-8010:80`): the first free
    /// one of the range is chosen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port_end: Option<u16>,
    /// The container's port.
    pub container_port: u16,
    /// TCP or UDP.
    pub proto: Proto,
}

const EXPECTED: &str = "expected [[HOST_IP:]HOST_PORT:]CONTAINER_PORT[/tcp|udp] with ports 1-65535";

impl FromStr for PortSpec {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<PortSpec, TypeError> {
        // Docker accepts an empty host port without an address too (":80").
        let text = s.strip_prefix(':').unwrap_or(s);
        match text.parse::<six_network::PortMapping>() {
            Ok(m) => Ok(PortSpec::from(&m)),
            Err(six_network::Error::InvalidPort { reason, .. }) => Err(TypeError::new(
                "port mapping",
                s,
                format!("{reason}; {EXPECTED}"),
            )),
            Err(e) => Err(TypeError::new(
                "port mapping",
                s,
                format!("{e}; {EXPECTED}"),
            )),
        }
    }
}

/// One `-p` value: a mapping, or with Docker's port ranges several: `8000-8001:80-81` (one
/// a port, both ranges of one length), `80-81` (each a free host port), `8000-8010:80` (the
/// first free host port of the range), each with an address and `/udp` as for one port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpecs(pub Vec<PortSpec>);

impl FromStr for PortSpecs {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<PortSpecs, TypeError> {
        let (ports, proto) = match s.rsplit_once('/') {
            Some((ports, proto)) => (ports, format!("/{proto}")),
            None => (s, String::new()),
        };
        let parts: Vec<&str> = ports.rsplitn(3, ':').collect();
        let (container, host, ip) = match parts.as_slice() {
            [c] => (*c, None, None),
            [c, h] => (*c, Some(*h), None),
            [c, h, ip] => (*c, Some(*h), Some(*ip)),
            _ => (ports, None, None),
        };
        if !container.contains('-') && !host.is_some_and(|h| h.contains('-')) {
            return s.parse::<PortSpec>().map(|p| PortSpecs(vec![p]));
        }
        let bad = |why: String| TypeError::new("port mapping", s, why);
        let range = |text: &str, what: &str| -> Result<(u16, u16), TypeError> {
            let (first, last) = text.split_once('-').unwrap_or((text, text));
            let number = |n: &str| n.parse::<u16>().ok().filter(|p| *p > 0);
            match (number(first), number(last)) {
                (Some(a), Some(b)) if a <= b => Ok((a, b)),
                _ => Err(bad(format!("invalid {what} {text:?}: expected PORT or FIRST-LAST with ports 1-65535, FIRST not above LAST"))),
            }
        };
        let (c1, c2) = range(container, "container port")?;
        let host = host
            .filter(|h| !h.is_empty())
            .map(|h| range(h, "host port"))
            .transpose()?;
        let one = |host: Option<u16>, container: u16| {
            let host = host.map(|h| h.to_string()).unwrap_or_default();
            let text = match ip {
                Some(ip) => format!("{ip}:{host}:{container}{proto}"),
                None if host.is_empty() => format!("{container}{proto}"),
                None => format!("{host}:{container}{proto}"),
            };
            text.parse::<PortSpec>()
        };
        let count = c2 - c1;
        let specs = match host {
            None => (c1..=c2).map(|c| one(None, c)).collect::<Result<_, _>>()?,
            Some((h1, h2)) if h2 - h1 == count => (0..=count)
                .map(|i| one(Some(h1 + i), c1 + i))
                .collect::<Result<_, _>>()?,
            Some((h1, h2)) if count == 0 => {
                let mut spec = one(Some(h1), c1)?;
                spec.host_port_end = Some(h2);
                vec![spec]
            }
            Some(_) => {
                return Err(bad(format!(
                    "invalid ranges specified for container and host ports: {container} and {}",
                    host_text(ports)
                )))
            }
        };
        Ok(PortSpecs(specs))
    }
}

/// The host port part of `ip:host:container` or `host:container`.
fn host_text(ports: &str) -> &str {
    let mut parts = ports.rsplitn(3, ':');
    parts.next();
    parts.next().unwrap_or_default()
}

impl From<&six_network::PortMapping> for PortSpec {
    fn from(m: &six_network::PortMapping) -> PortSpec {
        PortSpec {
            host_ip: m.host_ip,
            host_port: m.host_port,
            host_port_end: m.host_port_end,
            container_port: m.container_port,
            proto: m.proto.into(),
        }
    }
}

impl From<&PortSpec> for six_network::PortMapping {
    fn from(p: &PortSpec) -> six_network::PortMapping {
        six_network::PortMapping {
            host_ip: p.host_ip,
            host_port: p.host_port,
            host_port_end: p.host_port_end,
            container_port: p.container_port,
            proto: p.proto.into(),
        }
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ip) = self.host_ip {
            write!(f, "{ip}:")?;
        }
        if let (Some(p), Some(end)) = (self.host_port, self.host_port_end) {
            write!(f, "{p}-{end}:")?;
        } else if let Some(p) = self.host_port {
            write!(f, "{p}:")?;
        } else if self.host_ip.is_some() {
            f.write_str(":")?;
        }
        write!(f, "{}/{}", self.container_port, self.proto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges_as_docker_reads_them() {
        let specs = |s: &str| {
            s.parse::<PortSpecs>()
                .map(|p| p.0.iter().map(PortSpec::to_string).collect::<Vec<_>>())
        };
        assert_eq!(
            specs("8000-8001:80-81").unwrap(),
            ["8000:80/tcp", "8001:81/tcp"]
        );
        assert_eq!(specs("80-81/udp").unwrap(), ["80/udp", "81/udp"]);
        assert_eq!(
            specs("127.0.0.1:8000-8001:80-81").unwrap(),
            ["127.0.0.1:8000:80/tcp", "127.0.0.1:8001:81/tcp"]
        );
        assert_eq!(specs("8000-8010:80").unwrap(), ["8000-8010:80/tcp"]);
        assert_eq!(specs("8080:80").unwrap(), ["8080:80/tcp"]);
        let e = specs("8000-8002:80-81").unwrap_err().to_string();
        assert!(
            e.contains(
                "invalid ranges specified for container and host ports: 80-81 and 8000-8002"
            ),
            "{e}"
        );
        assert!(specs("8001-8000:80")
            .unwrap_err()
            .to_string()
            .contains("invalid host port \"8001-8000\""));
        assert!(specs("80-x").is_err());
    }

    #[test]
    fn network_modes() {
        assert_eq!(
            "bridge".parse::<NetworkMode>().unwrap(),
            NetworkMode::Bridge
        );
        assert_eq!("none".parse::<NetworkMode>().unwrap(), NetworkMode::None);
        assert_eq!("host".parse::<NetworkMode>().unwrap(), NetworkMode::Host);
        assert_eq!(
            "docker0".parse::<NetworkMode>().unwrap(),
            NetworkMode::Named("docker0".into())
        );
        assert_eq!(NetworkMode::Named("n1".into()).network_name(), Some("n1"));
        let c = "container:web".parse::<NetworkMode>().unwrap();
        assert_eq!(
            (c.network_name(), c.to_string()),
            (None, "container:web".to_owned())
        );
        assert!("container:".parse::<NetworkMode>().is_err());
        assert!("-bad".parse::<NetworkMode>().is_err());
        assert!("".parse::<NetworkMode>().is_err());
    }

    #[test]
    fn addresses_and_aliases() {
        assert_eq!(parse_ipv4("10.1.0.5").unwrap(), Ipv4Addr::new(10, 1, 0, 5));
        for bad in ["bogus", "::1", "10.1.0", ""] {
            let e = parse_ipv4(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("invalid IPv4 address \"{bad}\"")),
                "{e}"
            );
        }
        assert_eq!(parse_network_alias("db.internal").unwrap(), "db.internal");
        for bad in ["", "a b", "-x", "a#b", "a\tb"] {
            let e = parse_network_alias(bad).unwrap_err().to_string();
            assert!(e.contains("invalid network alias"), "{e}");
        }
    }

    #[test]
    fn port_forms() {
        let p: PortSpec = "80".parse().unwrap();
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port, p.proto),
            (None, None, 80, Proto::Tcp)
        );
        let p: PortSpec = "8080:80".parse().unwrap();
        assert_eq!((p.host_port, p.container_port), (Some(8080), 80));
        let p: PortSpec = "127.0.0.1:8080:80/udp".parse().unwrap();
        assert_eq!(p.host_ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(p.proto, Proto::Udp);
        assert_eq!(p.to_string(), "127.0.0.1:8080:80/udp");
        let p: PortSpec = "127.0.0.1::80".parse().unwrap();
        assert_eq!((p.host_port, p.container_port), (None, 80));
        let p: PortSpec = "[::1]:8080:80".parse().unwrap();
        assert_eq!(p.host_ip, Some("::1".parse().unwrap()));
        let p: PortSpec = ":80".parse().unwrap();
        assert_eq!((p.host_ip, p.host_port, p.container_port), (None, None, 80));
        let p: PortSpec = "[::1]::80/udp".parse().unwrap();
        assert_eq!((p.host_port, p.proto), (None, Proto::Udp));
        assert_eq!(PortSpec::from(&six_network::PortMapping::from(&p)), p);
    }

    #[test]
    fn bad_ports_are_refused() {
        for bad in [
            "0",
            "65536",
            "70000:80",
            "80:0",
            "x",
            "80/sctp",
            "1.2.3:80:80",
            "a:b:c:d",
            "",
        ] {
            let e = bad.parse::<PortSpec>().unwrap_err().to_string();
            assert!(e.contains(&format!("\"{bad}\"")), "{e}");
        }
        assert!("65536"
            .parse::<PortSpec>()
            .unwrap_err()
            .to_string()
            .contains("outside 1-65535"));
    }
}
