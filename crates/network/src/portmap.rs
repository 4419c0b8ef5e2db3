//! Published ports: the `PortMapping` value (parsed once from "[IP:][HOSTPORT:]CPORT[/PROTO]"),
//! the choice of host ports (refusing a host address that is not this host's, and a port
//! already published by any sixdocker store or bound by a host process), and the firewall
//! rules a mapping needs. It never runs a firewall command itself; `firewall` does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, UdpSocket};
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
    /// Published by the container's own proxy, not by DNAT rules: an IPv6 host address
    /// (netfilter cannot translate IPv6 to a container's IPv4 address, and IPv6 has no
    /// route_localnet for `[::1]`), as Docker's userland proxy publishes it.
    pub fn is_proxied(&self) -> bool {
        matches!(self.host_ip, Some(IpAddr::V6(_)))
    }

    /// The host address to match: None for every IPv4 address (no address or 0.0.0.0).
    fn host_addr(&self) -> Option<IpAddr> {
        match self.host_ip {
            Some(IpAddr::V4(ip)) if ip.is_unspecified() => None,
            other => other,
        }
    }

    /// The IPv4 host address of a DNAT rule (None: any).
    fn host_v4(&self) -> Option<Ipv4Addr> {
        match self.host_addr() {
            Some(IpAddr::V4(ip)) => Some(ip),
            _ => None,
        }
    }

    /// The mapping as `-p` takes it: "IP:[HOSTPORT:]CPORT" (+ "/udp").
    fn flag_form(&self) -> String {
        let ip = match self.host_ip {
            Some(IpAddr::V6(ip)) => format!("[{ip}]:"),
            Some(ip) => format!("{ip}:"),
            None => String::new(),
        };
        let port = self.host_port.map(|p| p.to_string()).unwrap_or_default();
        let proto = if self.proto == Proto::Udp { "/udp" } else { "" };
        match (ip.is_empty(), port.is_empty()) {
            (true, true) => format!("{}{proto}", self.container_port),
            (true, false) => format!("{port}:{}{proto}", self.container_port),
            _ => format!("{ip}{port}:{}{proto}", self.container_port),
        }
    }

    /// The specific IPv4 host address to check against the host's own (None: every address,
    /// or loopback, which is always this host's).
    pub(crate) fn specific_host_v4(&self) -> Option<Ipv4Addr> {
        self.host_v4().filter(|ip| !ip.is_loopback())
    }

    /// Would this mapping and one of `proto` on `host` (None: every IPv4 address), `port`
    /// take the same socket? Only within one address family (`[::]` is every IPv6 one).
    fn clashes(&self, proto: Proto, host: Option<IpAddr>, port: u16) -> bool {
        let same_address = match (self.host_addr(), host) {
            (None, None | Some(IpAddr::V4(_))) | (Some(IpAddr::V4(_)), None) => true,
            (Some(IpAddr::V6(a)), Some(IpAddr::V6(b))) => {
                a == b || a.is_unspecified() || b.is_unspecified()
            }
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        self.proto == proto && self.host_port == Some(port) && same_address
    }
}

/// The host's own addresses a mapping may name (loopback and unspecified ones always pass).
#[derive(Debug, Clone, Default)]
pub(crate) struct HostAddresses {
    /// Its IPv4 addresses (looked up only when a mapping names a specific one).
    pub v4: Vec<Ipv4Addr>,
    /// Its IPv6 addresses; None when the host has no IPv6 (not even `::1`).
    pub v6: Option<Vec<Ipv6Addr>>,
}

/// Is `port` free for a host process too? Binds it for a moment on the mapping's address.
fn bindable(proto: Proto, host: Option<IpAddr>, port: u16) -> std::io::Result<()> {
    let address = SocketAddr::new(host.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)), port);
    match proto {
        Proto::Tcp => TcpListener::bind(address).map(drop),
        Proto::Udp => UdpSocket::bind(address).map(drop),
    }
}

/// A mapping's host address must be this host's: refused before anything is bound.
fn check_host_address(mapping: &PortMapping, host: &HostAddresses) -> Result<()> {
    let not_ours = |address: String| Error::NotHostAddress {
        value: mapping.flag_form(),
        address,
    };
    match mapping.host_addr() {
        Some(IpAddr::V4(ip)) if !ip.is_loopback() && !host.v4.contains(&ip) => {
            Err(not_ours(ip.to_string()))
        }
        Some(IpAddr::V6(ip)) => match &host.v6 {
            None => Err(Error::NoIpv6(mapping.flag_form())),
            Some(own) if !ip.is_unspecified() && !own.contains(&ip) => {
                Err(not_ours(ip.to_string()))
            }
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

/// Fills in host ports: checks host addresses against `host` (the host's own), requested
/// ports against every published port on the host and against host sockets; picks free
/// ones for `-p CPORT`. Call under the host lock.
pub(crate) fn assign(
    requested: &[PortMapping],
    published: &[Published],
    host: &HostAddresses,
) -> Result<Vec<PortMapping>> {
    let mut assigned: Vec<PortMapping> = Vec::with_capacity(requested.len());
    let taken = |assigned: &[PortMapping], proto: Proto, ip: Option<IpAddr>, port: u16| {
        let v4 = match ip {
            None => Some(None),
            Some(IpAddr::V4(ip)) => Some(Some(ip)),
            Some(IpAddr::V6(_)) => None,
        };
        // the store's DNAT rules (IPv4 only; proxied ports hold their sockets)
        let by_store = v4.is_some_and(|ip| {
            published.iter().any(|p| {
                p.proto == proto
                    && p.host_port == port
                    && (p.host_ip.is_none() || ip.is_none() || p.host_ip == ip)
            })
        });
        by_store || assigned.iter().any(|a| a.clashes(proto, ip, port))
    };
    let shown = |ip: Option<IpAddr>| match ip {
        None => Ipv4Addr::UNSPECIFIED.to_string(),
        Some(IpAddr::V6(ip)) => format!("[{ip}]"),
        Some(ip) => ip.to_string(),
    };
    for mapping in requested {
        if mapping.container_port == 0 || mapping.host_port == Some(0) {
            return Err(Error::InvalidPort {
                value: mapping.to_string(),
                reason: "port 0 is outside 1-65535".into(),
            });
        }
        check_host_address(mapping, host)?;
        let ip = mapping.host_addr();
        let port = match (mapping.host_port, mapping.host_port_end) {
            (Some(first), Some(last)) => (first..=last)
                .find(|port| {
                    !taken(&assigned, mapping.proto, ip, *port)
                        && bindable(mapping.proto, ip, *port).is_ok()
                })
                .ok_or_else(|| {
                    Error::PortPublished(format!(
                        "{}:{first}-{last}/{} (every port of the range)",
                        shown(ip),
                        mapping.proto
                    ))
                })?,
            (Some(port), None) => {
                if taken(&assigned, mapping.proto, ip, port) {
                    return Err(Error::PortPublished(format!(
                        "{}:{port}/{}",
                        shown(ip),
                        mapping.proto
                    )));
                }
                bindable(mapping.proto, ip, port).map_err(|source| Error::PortInUse {
                    port: format!("{port}/{}", mapping.proto),
                    source,
                })?;
                port
            }
            (None, _) => EPHEMERAL
                .clone()
                .find(|port| {
                    !taken(&assigned, mapping.proto, ip, *port)
                        && bindable(mapping.proto, ip, *port).is_ok()
                })
                .ok_or_else(|| Error::NoFreePort(mapping.to_string()))?,
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
    for port in ports.iter().filter(|p| !p.is_proxied()) {
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
            host_ip: port.host_v4(),
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
        Some(IpAddr::V4(ip)) => ip.is_unspecified() || ip.is_loopback(),
        Some(IpAddr::V6(_)) => false,
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
        let e = assign(&[want], &published, &HostAddresses::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("already published"), "{e}");
        // the same port for UDP is fine, and twice in one request is not
        let udp: PortMapping = "40001:80/udp".parse().unwrap();
        let e = assign(&[udp, udp], &published, &HostAddresses::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("already published"), "{e}");
    }

    fn host_10_0_0_1() -> HostAddresses {
        HostAddresses {
            v4: vec![Ipv4Addr::new(10, 0, 0, 1)],
            v6: Some(vec![Ipv6Addr::LOCALHOST]),
        }
    }

    #[test]
    fn ipv6_host_addresses_are_proxied_where_the_host_has_ipv6() {
        let want: PortMapping = "[::1]:40004:80".parse().unwrap();
        assert!(want.is_proxied());
        assert!(!"127.0.0.1:40004:80"
            .parse::<PortMapping>()
            .unwrap()
            .is_proxied());
        let none = HostAddresses::default();
        let e = assign(&[want], &[], &none).unwrap_err().to_string();
        assert_eq!(
            e,
            "-p [::1]:40004:80: this host has no IPv6 (no IPv6 address, or IPv6 is disabled)"
        );
        let e = assign(
            &["[2001:db8::1]:40004:80".parse().unwrap()],
            &[],
            &host_10_0_0_1(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("2001:db8::1 is not an address of this host"),
            "{e}"
        );
        // no DNAT rule for it, and no route_localnet
        let rules = rules(&[want], Ipv4Addr::new(10, 1, 0, 2), "b", "t").unwrap();
        assert!(rules.is_empty());
        assert!(!reach_loopback(&[want]));
        // a v4 mapping on the same port is another socket; the same v6 one twice is not
        let v4: PortMapping = "127.0.0.1:40004:80".parse().unwrap();
        assert!(!want.clashes(Proto::Tcp, v4.host_addr(), 40004));
        let any6: PortMapping = "[::]:40004:80".parse().unwrap();
        assert!(want.clashes(Proto::Tcp, any6.host_addr(), 40004));
    }

    #[test]
    fn refuses_a_host_address_that_is_not_this_hosts() {
        // checked before any bind: 192.0.2.1 (TEST-NET-1) is never bound or sent to
        let want: PortMapping = "192.0.2.1:40002:80".parse().unwrap();
        let e = assign(&[want], &[], &host_10_0_0_1())
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
            let e = assign(&[ok.parse().unwrap()], &published, &host_10_0_0_1())
                .unwrap_err()
                .to_string();
            assert!(e.contains("already published"), "{ok}: {e}");
        }
    }
}
