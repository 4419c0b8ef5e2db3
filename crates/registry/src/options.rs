//! `Options`: how sixdocker reaches registries. Which registries may be spoken to without
//! verified TLS (those the user lists, and loopback addresses, as Docker's defaults), where
//! Docker's per-registry certificate directories are (`certs.d/HOST[:PORT]/`), where the
//! credentials file is, and how many layers move at once. Read once from the environment
//! (or set by the caller); never touches the network.

use std::net::IpAddr;
use std::path::PathBuf;

/// Docker's default location of per-registry certificates.
pub const DEFAULT_CERTS_DIR: &str = "/etc/docker/certs.d";

/// How the client reaches registries: which may be insecure, and where certificates are.
#[derive(Clone, Debug)]
pub struct Options {
    /// Registries (`host`, `host:port`) or CIDR ranges (`10.0.0.0/8`) that may use plain
    /// HTTP or unverified TLS. Loopback addresses and `localhost` always may.
    pub insecure: Vec<String>,
    /// `<certs_dir>/<host[:port]>/*.crt` are extra CA roots for that registry;
    /// `*.cert` with the matching `*.key` a client certificate.
    pub certs_dir: PathBuf,
    /// Directory of Docker's `config.json` (credentials); `None`: none are read or stored.
    pub config_dir: Option<PathBuf>,
    /// Layers downloaded or uploaded at once.
    pub max_concurrent: usize,
    /// Credentials given with the request (the Engine API's `X-Registry-Auth`), used instead
    /// of those in `config_dir` for every registry this pull or push reaches.
    pub credentials: Option<crate::Credentials>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            insecure: Vec::new(),
            certs_dir: PathBuf::from(DEFAULT_CERTS_DIR),
            config_dir: None,
            max_concurrent: 3,
            credentials: None,
        }
    }
}

impl Options {
    /// From the environment: `SIXDOCKER_INSECURE_REGISTRIES` (comma-separated),
    /// `SIXDOCKER_CERTS_D` (default /etc/docker/certs.d), `DOCKER_CONFIG` (default
    /// `$HOME/.docker`), `SIXDOCKER_MAX_CONCURRENT_TRANSFERS` (default 3).
    pub fn from_env() -> Options {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Options {
            insecure: var("SIXDOCKER_INSECURE_REGISTRIES")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            certs_dir: var("SIXDOCKER_CERTS_D")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_CERTS_DIR)),
            config_dir: var("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".docker"))),
            max_concurrent: var("SIXDOCKER_MAX_CONCURRENT_TRANSFERS")
                .and_then(|v| v.parse().ok())
                .filter(|n| *n > 0)
                .unwrap_or(3),
            credentials: None,
        }
    }

    /// The credentials for `domain`: those given with the request, else config.json's.
    pub(crate) fn credentials_for(
        &self,
        domain: &str,
    ) -> crate::Result<Option<crate::Credentials>> {
        match &self.credentials {
            Some(c) => Ok(Some(c.clone())),
            None => crate::credentials::lookup(self, domain),
        }
    }

    /// Whether `domain` (`host[:port]` as in a reference) may be reached over plain HTTP:
    /// loopback, `localhost`, or listed (by name, by `host:port`, or by CIDR).
    pub fn is_insecure(&self, domain: &str) -> bool {
        is_loopback(domain) || self.is_listed_insecure(domain)
    }

    /// Whether `domain`'s TLS certificate goes unchecked: listed insecure registries, and
    /// loopback ones (as Docker's defaults) unless `certs.d/<domain>/` exists: whoever put
    /// certificates there wants them checked.
    pub fn skips_verification(&self, domain: &str) -> bool {
        self.is_listed_insecure(domain)
            || (is_loopback(domain) && !self.certs_dir.join(domain).is_dir())
    }

    fn is_listed_insecure(&self, domain: &str) -> bool {
        let host = host_of(domain);
        let ip: Option<IpAddr> = host.trim_matches(['[', ']']).parse().ok();
        self.insecure.iter().any(|entry| {
            entry == domain
                || entry == host
                || match (ip, entry.split_once('/')) {
                    (Some(ip), Some((net, bits))) => in_cidr(ip, net, bits),
                    _ => false,
                }
        })
    }
}

fn is_loopback(domain: &str) -> bool {
    let host = host_of(domain);
    let ip: Option<IpAddr> = host.trim_matches(['[', ']']).parse().ok();
    host == "localhost" || ip.is_some_and(|ip| ip.is_loopback())
}

/// `host` of `host[:port]` (`[v6]:port` keeps its brackets).
pub(crate) fn host_of(domain: &str) -> &str {
    if domain.starts_with('[') {
        return domain
            .split_once(']')
            .map_or(domain, |(h, _)| &domain[..h.len() + 1]);
    }
    domain.split_once(':').map_or(domain, |(h, _)| h)
}

fn in_cidr(ip: IpAddr, net: &str, bits: &str) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_listed_registries_are_insecure() {
        let o = Options {
            insecure: vec![
                "reg.example:5000".into(),
                "10.1.0.0/16".into(),
                "plain.example".into(),
            ],
            ..Options::default()
        };
        for yes in [
            "localhost:5000",
            "127.0.0.1:5000",
            "127.8.9.1",
            "[::1]:5000",
            "reg.example:5000",
            "10.1.2.3:443",
            "plain.example:8080",
        ] {
            assert!(o.is_insecure(yes), "{yes}");
        }
        for no in ["docker.io", "reg.example:5001", "10.2.0.1:5000", "quay.io"] {
            assert!(!o.is_insecure(no), "{no}");
        }
        assert_eq!(host_of("[::1]:5000"), "[::1]");
        assert_eq!(host_of("a.b:1"), "a.b");
    }
}
