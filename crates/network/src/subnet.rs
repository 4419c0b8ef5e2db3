//! IPv4 subnets as a type: parsing "a.b.c.d/n" once, overlap tests, host ranges, and the
//! pool default subnets are chosen from. It knows no network, lease or host state.

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

    pub fn network(&self) -> Ipv4Addr {
        self.network
    }

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

    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network)
    }

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

impl FromStr for Subnet {
    type Err = Error;

    fn from_str(value: &str) -> Result<Subnet, Error> {
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
        if prefix > 30 {
            return Err(bad(
                "the prefix is too long to hold a gateway and a container (at most /30)",
            ));
        }
        if prefix < 8 {
            return Err(bad("the prefix is too short (at least /8)"));
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

impl Serialize for Subnet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subnet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Subnet, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
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
            "10.0.0.0/31",
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
        assert_eq!(Subnet::default_pool().count(), 31 + 127);
    }
}
