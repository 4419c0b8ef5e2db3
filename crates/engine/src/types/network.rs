//! `NetworkMode` (`--network bridge|none|host|container:NAME|NAME`) and `PortSpec` (`-p`).
//!
//! `-p` is parsed by six-network's [`six_network::PortMapping`] (one parser for the form);
//! `PortSpec` is the engine's record of it, kept in container records as before.

use std::fmt;
use std::net::IpAddr;
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

/// The protocol of a published port. Stored in records as `"Tcp"`/`"Udp"` (six-network's
/// own type serializes in lower case, so the engine keeps this one for its records).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
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

impl From<&six_network::PortMapping> for PortSpec {
    fn from(m: &six_network::PortMapping) -> PortSpec {
        PortSpec {
            host_ip: m.host_ip,
            host_port: m.host_port,
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
        if let Some(p) = self.host_port {
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
