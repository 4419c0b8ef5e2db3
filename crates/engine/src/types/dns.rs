//! The name-resolution flags of `run`: `--add-host NAME:IP` (or `NAME:host-gateway`),
//! `--dns IP`, `--dns-search DOMAIN` (`.` for none) and `--dns-option OPT`, parsed as
//! Docker's CLI checks them. Never writes a file.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// Where an `--add-host` name leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostAddress {
    /// This address.
    Ip(IpAddr),
    /// `host-gateway`: the host as containers reach it (the default network's gateway).
    HostGateway,
}

/// One `--add-host NAME:IP` line for the container's /etc/hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtraHost {
    /// The host name containers look up.
    pub name: String,
    /// What it leads to.
    pub address: HostAddress,
}

/// Docker's rule: split at the first `:`; the name is not empty and has no blank, the rest
/// is an IP address (IPv6 too: `db:::1`) or `host-gateway`.
impl FromStr for ExtraHost {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<ExtraHost, TypeError> {
        let bad = |why: &str| TypeError::new("add-host", s, why);
        let Some((name, ip)) = s.split_once(':') else {
            return Err(bad("expected NAME:IP (an address, or host-gateway)"));
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("expected NAME:IP with a host name before the colon"));
        }
        let ip = ip.trim_start_matches('[').trim_end_matches(']');
        let address = match ip {
            "host-gateway" => HostAddress::HostGateway,
            ip => HostAddress::Ip(
                ip.parse()
                    .map_err(|_| bad(&format!("{ip:?} is not an IP address (nor host-gateway)")))?,
            ),
        };
        Ok(ExtraHost {
            name: name.to_owned(),
            address,
        })
    }
}

impl fmt::Display for ExtraHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.address {
            HostAddress::Ip(ip) => write!(f, "{}:{ip}", self.name),
            HostAddress::HostGateway => write!(f, "{}:host-gateway", self.name),
        }
    }
}

/// `--dns`: a name server's address.
pub fn parse_dns_server(s: &str) -> Result<IpAddr, TypeError> {
    s.trim()
        .parse()
        .map_err(|_| TypeError::new("DNS server", s, "expected an IP address"))
}

/// `--dns-search`: a domain (no blank, not starting with `-` or `.`, at most 255
/// characters), or `.` for no search domain at all.
pub fn parse_dns_search(s: &str) -> Result<String, TypeError> {
    let valid = s == "."
        || (!s.is_empty()
            && s.len() <= 255
            && !s.starts_with(['-', '.'])
            && !s.chars().any(|c| c.is_whitespace() || c.is_control()));
    if valid {
        Ok(s.to_owned())
    } else {
        Err(TypeError::new(
            "DNS search domain",
            s,
            "expected a domain name (or . for none)",
        ))
    }
}

/// `--dns-option`: one resolver option (`ndots:2`), no blank inside.
pub fn parse_dns_option(s: &str) -> Result<String, TypeError> {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(TypeError::new(
            "DNS option",
            s,
            "expected one resolver option without blanks (like ndots:2)",
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_host_as_docker_reads_it() {
        let h: ExtraHost = "db:10.0.0.5".parse().unwrap();
        assert_eq!(h.address, HostAddress::Ip("10.0.0.5".parse().unwrap()));
        let h: ExtraHost = "v6:::1".parse().unwrap();
        assert_eq!(
            (h.name.as_str(), h.to_string()),
            ("v6", "v6:::1".to_owned())
        );
        let h: ExtraHost = "gw:host-gateway".parse().unwrap();
        assert_eq!(h.address, HostAddress::HostGateway);
        for bad in ["bad", ":1.2.3.4", "x:y", "a b:1.2.3.4", "x:"] {
            let e = bad.parse::<ExtraHost>().unwrap_err().to_string();
            assert!(e.starts_with(&format!("invalid add-host \"{bad}\"")), "{e}");
        }
    }

    #[test]
    fn dns_values() {
        assert!(parse_dns_server("9.9.9.9").is_ok());
        assert!(parse_dns_server("2001:db8::1").is_ok());
        assert!(parse_dns_server("foo")
            .unwrap_err()
            .to_string()
            .contains("\"foo\""));
        assert_eq!(parse_dns_search(".").unwrap(), ".");
        assert!(parse_dns_search("example.com").is_ok());
        assert!(parse_dns_search("-x").is_err() && parse_dns_search("a b").is_err());
        assert!(parse_dns_option("ndots:2").is_ok() && parse_dns_option("a b").is_err());
    }
}
