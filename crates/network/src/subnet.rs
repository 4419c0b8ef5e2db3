//! IPv4 subnets as a type: parsing "a.b.c.d/n" once (refusing what cannot hold a gateway
//! and a container, or is not for hosts: this-network, loopback, link-local, multicast,
//! reserved, broadcast), overlap tests, host ranges, and the pool default subnets are chosen
//! from. It knows no network, lease or host state.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;

/// An IPv4 network such as 172.17.0.0/16: the address has no host bits set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    network: Ipv4Addr,
    prefix: u8,
}

impl Subnet {
    /// The subnet of `network/prefix`; None when `prefix` > 32 or host bits are set.
    pub fn new(network: Ipv4Addr, prefix: u8) -> Option<Subnet> {
        let subnet = Subnet { network, prefix };
        (prefix <= 32 && u32::from(network) & !subnet.mask() == 0).then_some(subnet)
    }

    /// The network address (all host bits clear).
    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

    /// The prefix length (0-32).
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    fn mask(&self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0)
    }

    /// The last address (all host bits set).
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask())
    }

    /// Whether `ip` is in the subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network)
    }

    /// Whether the two subnets share an address.
    pub fn overlaps(&self, other: &Subnet) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// The first address after the network address: the default gateway.
    pub fn first_host(&self) -> Option<Ipv4Addr> {
        self.hosts().next()
    }

    /// Every address that can be given to a host: not the network or broadcast address.
    pub fn hosts(&self) -> impl Iterator<Item = Ipv4Addr> {
        let first = u32::from(self.network);
        let last = u32::from(self.broadcast());
        let (start, end) = if self.prefix >= 31 {
            (first, last)
        } else {
            (first + 1, last - 1)
        };
        (start..=end).map(Ipv4Addr::from)
    }

    /// Candidates for networks created without --subnet, in order: 172.17.0.0/16 to
    /// 172.31.0.0/16, then 192.168.0.0/20 to 192.168.240.0/20 (as Docker does), then
    /// 10.128.0.0/16 to 10.254.0.0/16 (for many stores at once, e.g. parallel tests).
    pub fn default_pool() -> impl Iterator<Item = Subnet> {
        let large = (17u8..=31).map(|b| Subnet {
            network: Ipv4Addr::new(172, b, 0, 0),
            prefix: 16,
        });
        let small = (0u8..16).map(|c| Subnet {
            network: Ipv4Addr::new(192, 168, c * 16, 0),
            prefix: 20,
        });
        let more = (128u8..=254).map(|b| Subnet {
            network: Ipv4Addr::new(10, b, 0, 0),
            prefix: 16,
        });
        large.chain(small).chain(more)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Ranges no network may use (RFC 6890), with what they are for: checked in this order, so
/// 255.255.255.255 is named as the broadcast address rather than as part of 240.0.0.0/4.
const NOT_FOR_HOSTS: [([u8; 4], u8, &str); 6] = [
    ([0, 0, 0, 0], 8, "\"this network\" (0.0.0.0/8)"),
    ([127, 0, 0, 0], 8, "loopback (127.0.0.0/8)"),
    ([169, 254, 0, 0], 16, "link-local (169.254.0.0/16)"),
    ([224, 0, 0, 0], 4, "multicast (224.0.0.0/4)"),
    (
        [255, 255, 255, 255],
        32,
        "the broadcast address 255.255.255.255",
    ),
    ([240, 0, 0, 0], 4, "reserved (240.0.0.0/4)"),
];

impl Subnet {
    /// "a.b.c.d/n" with no host bits set; nothing more is checked (records written by
    /// earlier versions, reservations). User input goes through `FromStr`.
    pub(crate) fn parse_cidr(value: &str) -> Result<Subnet, Error> {
        let bad = |reason: &str| Error::InvalidSubnet {
            value: value.to_string(),
            reason: reason.to_string(),
        };
        let (address, prefix) = value
            .split_once('/')
            .ok_or_else(|| bad("expected CIDR notation such as 172.18.0.0/16"))?;
        let address: Ipv4Addr = address
            .parse()
            .map_err(|_| bad("expected an IPv4 address before the '/'"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| bad("expected a prefix length 0-32 after the '/'"))?;
        if prefix > 32 {
            return Err(bad("expected a prefix length 0-32 after the '/'"));
        }
        Subnet::new(address, prefix).ok_or_else(|| {
            let network = Subnet {
                network: address,
                prefix,
            };
            let network = Ipv4Addr::from(u32::from(address) & network.mask());
            Error::InvalidSubnet {
                value: value.to_string(),
                reason: format!("host bits are set; the network is {network}/{prefix}"),
            }
        })
    }
}

impl FromStr for Subnet {
    type Err = Error;

    /// A subnet a network can use: /8 to /31 (a /31 holds the gateway and one container,
    /// RFC 3021, as Docker allows; a /32 only the gateway), outside the ranges that are not
    /// for hosts (`NOT_FOR_HOSTS`).
    fn from_str(value: &str) -> Result<Subnet, Error> {
        let bad = |reason: String| Error::InvalidSubnet {
            value: value.to_string(),
            reason,
        };
        let subnet = Subnet::parse_cidr(value)?;
        if subnet.prefix > 31 {
            return Err(bad(
                "a /32 holds only the gateway, no container (at most /31)".into(),
            ));
        }
        if subnet.prefix < 8 {
            return Err(bad("the prefix is too short (at least /8)".into()));
        }
        for (network, prefix, what) in NOT_FOR_HOSTS {
            if subnet.overlaps(&Subnet {
                network: network.into(),
                prefix,
            }) {
                return Err(bad(format!("it overlaps {what}, which is not for hosts")));
            }
        }
        Ok(subnet)
    }
}

impl Serialize for Subnet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subnet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Subnet, D::Error> {
        let text = String::deserialize(d)?;
        Subnet::parse_cidr(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let s: Subnet = "172.18.0.0/16".parse().unwrap();
        assert_eq!(s.broadcast(), Ipv4Addr::new(172, 18, 255, 255));
        assert_eq!(s.first_host(), Some(Ipv4Addr::new(172, 18, 0, 1)));
        for bad in [
            "172.18.0.0",
            "172.18.0.0/33",
            "abc/16",
            "172.18.0.1/16",
            "10.0.0.0/32",
            "",
            "1.2.3.4/x",
        ] {
            let e = bad.parse::<Subnet>().unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
        assert!("172.18.0.1/16"
            .parse::<Subnet>()
            .unwrap_err()
            .to_string()
            .contains("172.18.0.0/16"));
    }

    #[test]
    fn refuses_ranges_not_for_hosts_and_too_small() {
        for (value, reason) in [
            ("224.0.0.0/24", "multicast (224.0.0.0/4)"),
            ("239.1.0.0/16", "multicast"),
            ("240.0.0.0/24", "reserved (240.0.0.0/4)"),
            ("0.0.0.0/8", "\"this network\" (0.0.0.0/8)"),
            ("0.1.0.0/16", "this network"),
            ("169.254.0.0/16", "link-local (169.254.0.0/16)"),
            ("127.0.0.0/8", "loopback"),
            (
                "255.255.255.252/30",
                "the broadcast address 255.255.255.255",
            ),
            ("10.0.0.1/32", "only the gateway"),
            ("10.0.0.0/7", "too short"),
        ] {
            let e = value.parse::<Subnet>().unwrap_err().to_string();
            assert!(
                e.contains(&format!("{value:?}")) && e.contains(reason) && !e.contains('\n'),
                "{value}: {e}"
            );
        }
        // neighbours of those ranges, and the smallest sizes that hold gateway + container
        for good in [
            "1.0.0.0/8",
            "126.255.255.0/24",
            "128.0.0.0/16",
            "169.253.0.0/16",
            "223.255.255.0/24",
            "10.3.0.0/30",
            "10.3.0.4/31",
        ] {
            good.parse::<Subnet>()
                .unwrap_or_else(|e| panic!("{good}: {e}"));
        }
        // records and reservations of earlier versions still load
        let old: Subnet = serde_json::from_str("\"224.0.0.0/24\"").unwrap();
        assert_eq!(old.to_string(), "224.0.0.0/24");
    }

    #[test]
    fn overlap_and_hosts() {
        let a: Subnet = "10.1.0.0/16".parse().unwrap();
        let b: Subnet = "10.1.2.0/24".parse().unwrap();
        let c: Subnet = "10.2.0.0/16".parse().unwrap();
        assert!(a.overlaps(&b) && b.overlaps(&a));
        assert!(!a.overlaps(&c));
        let small: Subnet = "10.3.0.0/30".parse().unwrap();
        assert_eq!(
            small.hosts().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(10, 3, 0, 1), Ipv4Addr::new(10, 3, 0, 2)]
        );
        let point_to_point: Subnet = "10.3.0.4/31".parse().unwrap();
        assert_eq!(
            point_to_point.hosts().collect::<Vec<_>>(),
            vec![Ipv4Addr::new(10, 3, 0, 4), Ipv4Addr::new(10, 3, 0, 5)]
        );
        assert_eq!(Subnet::default_pool().count(), 31 + 127);
    }
}
