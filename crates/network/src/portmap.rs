//! Published ports: the `PortMapping` value (parsed once from "[IP:][HOSTPORT:]CPORT[/PROTO]"),
//! the choice of host ports (refusing a host address that is not this host's, and a port
//! already published by any sixdocker store or bound by a host process), and the firewall
//! rules a mapping needs. It never runs a firewall command itself; `firewall` does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4, TcpListener, UdpSocket};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::firewall::{Action, Published, Rule};
use crate::Subnet;

/// Transport protocol of a published port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    /// TCP (the default).
    #[default]
    Tcp,
    /// UDP.
    Udp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        })
    }
}

/// One `-p`: host address (None: every address), host port (None: pick a free one),
/// container port and protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// The host address (None: every address).
    pub host_ip: Option<IpAddr>,
    /// The host port (None: a free one is picked).
    pub host_port: Option<u16>,
    /// With `host_port`, the end of a host port range (`-p 8000-8010:80`): the first free
    /// port from `host_port` to it is picked. None once assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port_end: Option<u16>,
    /// The container's port.
    pub container_port: u16,
    /// TCP or UDP.
    pub proto: Proto,
}

/// Host ports are picked from here for `-p CPORT` (as Docker does).
const EPHEMERAL: std::ops::RangeInclusive<u16> = 49153..=65535;

fn port_number(value: &str, text: &str) -> Result<u16> {
    let bad = |reason: String| Error::InvalidPort {
        value: value.to_string(),
        reason,
    };
    let n: u32 = text
        .parse()
        .map_err(|_| bad(format!("{text:?} is not a port number (1-65535)")))?;
    match u16::try_from(n) {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(bad(format!("port {n} is outside 1-65535"))),
    }
}

impl FromStr for PortMapping {
    type Err = Error;

    /// "80", "8080:80", "127.0.0.1:8080:80", "127.0.0.1::80", each with optional "/tcp" or "/udp".
    fn from_str(value: &str) -> Result<PortMapping> {
        let bad = |reason: &str| Error::InvalidPort {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let (ports, proto) = match value.rsplit_once('/') {
            Some((ports, "tcp")) => (ports, Proto::Tcp),
            Some((ports, "udp")) => (ports, Proto::Udp),
            Some(_) => return Err(bad("the protocol must be tcp or udp")),
            None => (value, Proto::Tcp),
        };
        let parts: Vec<&str> = ports.rsplitn(3, ':').collect();
        let (host_ip, host_port, container_port) = match parts.as_slice() {
            [c] => (None, None, *c),
            [c, h] => (None, Some(*h), *c),
            [c, h, ip] => (Some(*ip), (!h.is_empty()).then_some(*h), *c),
            _ => return Err(bad("expected [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]")),
        };
        let host_ip = match host_ip {
            Some(ip) => Some(
                ip.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<IpAddr>()
                    .map_err(|_| bad("the host address is not an IP address"))?,
            ),
            None => None,
        };
        let host_port = host_port.map(|p| port_number(value, p)).transpose()?;
        let container_port = port_number(value, container_port)?;
        Ok(PortMapping {
            host_ip,
            host_port,
            host_port_end: None,
            container_port,
            proto,
        })
    }
}

impl fmt::Display for PortMapping {
    /// Docker's `port`/`ps` form: "0.0.0.0:8080->80/tcp" (host port "?" while unassigned).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ip = self.host_ip.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        match (self.host_port, self.host_port_end) {
            (Some(port), Some(end)) => {
                write!(
                    f,
                    "{ip}:{port}-{end}->{}/{}",
                    self.container_port, self.proto
                )
            }
            (Some(port), None) => write!(f, "{ip}:{port}->{}/{}", self.container_port, self.proto),
            (None, _) => write!(f, "{ip}:?->{}/{}", self.container_port, self.proto),
        }
    }
}

impl PortMapping {
    /// The IPv4 host address to match (None: any); IPv6 is refused.
    fn host_v4(&self) -> Result<Option<Ipv4Addr>> {
        match self.host_ip {
            None => Ok(None),
            Some(IpAddr::V4(ip)) if ip.is_unspecified() => Ok(None),
            Some(IpAddr::V4(ip)) => Ok(Some(ip)),
            Some(IpAddr::V6(ip)) => Err(Error::InvalidPort {
                value: self.to_string(),
                reason: format!("IPv6 host address {ip} is not supported"),
            }),
        }
    }

    /// The mapping as `-p` takes it: "IP:[HOSTPORT:]CPORT" (+ "/udp").
    fn flag_form(&self) -> String {
        let ip = self.host_ip.map(|ip| format!("{ip}:")).unwrap_or_default();
        let port = self.host_port.map(|p| p.to_string()).unwrap_or_default();
        let proto = if self.proto == Proto::Udp { "/udp" } else { "" };
        match (ip.is_empty(), port.is_empty()) {
            (true, true) => format!("{}{proto}", self.container_port),
            (true, false) => format!("{port}:{}{proto}", self.container_port),
            _ => format!("{ip}{port}:{}{proto}", self.container_port),
        }
    }

    /// The specific host address to check against the host's own (None: every address, or
    /// loopback, which is always this host's).
    pub(crate) fn specific_host_v4(&self) -> Result<Option<Ipv4Addr>> {
        Ok(self.host_v4()?.filter(|ip| !ip.is_loopback()))
    }

    fn clashes(&self, proto: Proto, host_ip: Option<Ipv4Addr>, port: u16) -> Result<bool> {
        let mine = self.host_v4()?;
        Ok(self.proto == proto
            && self.host_port == Some(port)
            && (mine.is_none() || host_ip.is_none() || mine == host_ip))
    }
}

/// Is `port` free for a host process too? Binds it for a moment on the mapping's address.
fn bindable(proto: Proto, host_ip: Option<Ipv4Addr>, port: u16) -> std::io::Result<()> {
    let address = SocketAddrV4::new(host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED), port);
    match proto {
        Proto::Tcp => TcpListener::bind(address).map(drop),
        Proto::Udp => UdpSocket::bind(address).map(drop),
    }
}

/// Fills in host ports: checks host addresses against `host_addresses` (the host's own;
/// only consulted for mappings on a specific non-loopback address), requested ports against
/// every published port on the host and against host sockets; picks free ones for
/// `-p CPORT`. Call under the host lock.
pub(crate) fn assign(
    requested: &[PortMapping],
    published: &[Published],
    host_addresses: &[Ipv4Addr],
) -> Result<Vec<PortMapping>> {
    let mut assigned: Vec<PortMapping> = Vec::with_capacity(requested.len());
    let taken =
        |assigned: &[PortMapping], proto: Proto, ip: Option<Ipv4Addr>, port: u16| -> Result<bool> {
            let by_store = published.iter().any(|p| {
                p.proto == proto
                    && p.host_port == port
                    && (p.host_ip.is_none() || ip.is_none() || p.host_ip == ip)
            });
            let mut by_request = false;
            for a in assigned {
                by_request |= a.clashes(proto, ip, port)?;
            }
            Ok(by_store || by_request)
        };
    for mapping in requested {
        if mapping.container_port == 0 || mapping.host_port == Some(0) {
            return Err(Error::InvalidPort {
                value: mapping.to_string(),
                reason: "port 0 is outside 1-65535".into(),
            });
        }
        let ip = mapping.host_v4()?;
        if let Some(address) = mapping.specific_host_v4()? {
            if !host_addresses.contains(&address) {
                return Err(Error::NotHostAddress {
                    value: mapping.flag_form(),
                    address: address.to_string(),
                });
            }
        }
        let port = match (mapping.host_port, mapping.host_port_end) {
            (Some(first), Some(last)) => {
                let mut found = None;
                for port in first..=last {
                    if !taken(&assigned, mapping.proto, ip, port)?
                        && bindable(mapping.proto, ip, port).is_ok()
                    {
                        found = Some(port);
                        break;
                    }
                }
                found.ok_or_else(|| {
                    Error::PortPublished(format!(
                        "{}:{first}-{last}/{} (every port of the range)",
                        ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
                        mapping.proto
                    ))
                })?
            }
            (Some(port), None) => {
                if taken(&assigned, mapping.proto, ip, port)? {
                    return Err(Error::PortPublished(format!(
                        "{}:{port}/{}",
                        ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
                        mapping.proto
                    )));
                }
                bindable(mapping.proto, ip, port).map_err(|source| Error::PortInUse {
                    port: format!("{port}/{}", mapping.proto),
                    source,
                })?;
                port
            }
            (None, _) => {
                let mut found = None;
                for port in EPHEMERAL {
                    if !taken(&assigned, mapping.proto, ip, port)?
                        && bindable(mapping.proto, ip, port).is_ok()
                    {
                        found = Some(port);
                        break;
                    }
                }
                found.ok_or_else(|| Error::NoFreePort(mapping.to_string()))?
            }
        };
        assigned.push(PortMapping {
            host_port: Some(port),
            host_port_end: None,
            ..*mapping
        });
    }
    Ok(assigned)
}

/// The rules publishing `ports` of the container at `ip` behind `bridge`, tagged `tag`.
pub(crate) fn rules(
    ports: &[PortMapping],
    ip: Ipv4Addr,
    bridge: &str,
    tag: &str,
) -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    for port in ports {
        let host_port = port.host_port.ok_or_else(|| Error::InvalidPort {
            value: port.to_string(),
            reason: "no host port was assigned".into(),
        })?;
        let rule = |action| Rule {
            action,
            tag: tag.to_string(),
        };
        out.push(rule(Action::Dnat {
            proto: port.proto,
            host_ip: port.host_v4()?,
            host_port,
            to: ip,
            to_port: port.container_port,
        }));
        out.push(rule(Action::AcceptPublished {
            bridge: bridge.to_string(),
            to: ip,
            proto: port.proto,
            port: port.container_port,
        }));
    }
    Ok(out)
}

/// Does publishing `ports` DNAT traffic to 127.0.0.1 (a mapping on every host address or
/// on a loopback one)? Then the bridge needs route_localnet.
pub(crate) fn reach_loopback(ports: &[PortMapping]) -> bool {
    ports.iter().any(|p| match p.host_ip {
        None => true,
        Some(ip) => ip.is_unspecified() || ip.is_loopback(),
    })
}

/// The rules of a whole network: the drop of anything from the bridge addressed to the
/// host's loopback, then outbound masquerade, masquerade of host-originated and hairpin
/// traffic to published ports, forwarding; for an internal network only drops of traffic
/// entering or leaving it.
pub(crate) fn network_rules(subnet: Subnet, bridge: &str, internal: bool, tag: &str) -> Vec<Rule> {
    let rule = |action| Rule {
        action,
        tag: tag.to_string(),
    };
    let bridge = bridge.to_string();
    let guard = rule(Action::DropToLoopback {
        bridge: bridge.clone(),
    });
    if internal {
        return vec![
            guard,
            rule(Action::DropLeaving {
                bridge: bridge.clone(),
            }),
            rule(Action::DropEntering { bridge }),
        ];
    }
    vec![
        guard,
        rule(Action::MasqueradeOutbound {
            subnet,
            bridge: bridge.clone(),
        }),
        rule(Action::MasqueradeLocal {
            bridge: bridge.clone(),
        }),
        rule(Action::MasqueradeHairpin {
            subnet,
            bridge: bridge.clone(),
        }),
        rule(Action::AcceptReplies {
            bridge: bridge.clone(),
        }),
        rule(Action::AcceptFrom { bridge }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_port_forms() {
        let p: PortMapping = "80".parse().unwrap();
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port, p.proto),
            (None, None, 80, Proto::Tcp)
        );
        let p: PortMapping = "8080:80/udp".parse().unwrap();
        assert_eq!(
            (p.host_port, p.container_port, p.proto),
            (Some(8080), 80, Proto::Udp)
        );
        let p: PortMapping = "127.0.0.1:8080:80".parse().unwrap();
        assert_eq!(p.host_ip, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        let p: PortMapping = "127.0.0.1::80".parse().unwrap();
        assert_eq!(p.host_port, None);
        for bad in ["0", "70000", "80:0", "x", "80/sctp", "a.b:1:2", "1:2:3:4"] {
            let e = bad.parse::<PortMapping>().unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        assert!("70000"
            .parse::<PortMapping>()
            .unwrap_err()
            .to_string()
            .contains("outside 1-65535"));
    }

    #[test]
    fn refuses_published_ports() {
        let published = [Published {
            proto: Proto::Tcp,
            host_ip: None,
            host_port: 40001,
        }];
        let want: PortMapping = "127.0.0.1:40001:80".parse().unwrap();
        let e = assign(&[want], &published, &[]).unwrap_err().to_string();
        assert!(e.contains("already published"), "{e}");
        // the same port for UDP is fine, and twice in one request is not
        let udp: PortMapping = "40001:80/udp".parse().unwrap();
        let e = assign(&[udp, udp], &published, &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("already published"), "{e}");
    }

    #[test]
    fn refuses_a_host_address_that_is_not_this_hosts() {
        // checked before any bind: 192.0.2.1 (TEST-NET-1) is never bound or sent to
        let want: PortMapping = "192.0.2.1:40002:80".parse().unwrap();
        let e = assign(&[want], &[], &[Ipv4Addr::new(10, 0, 0, 1)])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "-p 192.0.2.1:40002:80: 192.0.2.1 is not an address of this host"
        );
        // the host's own address and any loopback one pass (to the next check, published
        // ports, which refuses these without binding)
        let published = [Published {
            proto: Proto::Tcp,
            host_ip: None,
            host_port: 40003,
        }];
        for ok in ["10.0.0.1:40003:80", "127.0.0.2:40003:80"] {
            let e = assign(
                &[ok.parse().unwrap()],
                &published,
                &[Ipv4Addr::new(10, 0, 0, 1)],
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains("already published"), "{ok}: {e}");
        }
    }
}
