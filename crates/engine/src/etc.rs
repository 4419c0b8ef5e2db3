//! The per-container files bind-mounted over /etc: `hostname`, `hosts` and `resolv.conf`,
//! written in the container's directory, with `--add-host`, `--dns`, `--dns-search` and
//! `--dns-option` as Docker applies them. Never mounts them (the runtime does, from the
//! spec). On a network, six-network rewrites the container's own `hosts` in place as
//! containers come and go (see `net.rs`), keeping its `--add-host` lines; no other container
//! ever sees or writes it.

use std::fs;
use std::path::Path;

use crate::engine::Engine;
use crate::error::{IoContext, Result};
use crate::request::RunRequest;
use crate::spec::EtcFiles;
use crate::types::{HostAddress, NetworkMode};

impl Engine {
    /// The `--add-host` lines of `req` (`ADDRESS\tNAME`), `host-gateway` as the default
    /// network's gateway (the networks are opened only for that).
    pub(crate) fn extra_host_lines(&self, req: &RunRequest) -> Result<Vec<String>> {
        let mut lines = Vec::with_capacity(req.add_hosts.len());
        for h in &req.add_hosts {
            let ip = match &h.address {
                HostAddress::Ip(ip) => ip.to_string(),
                HostAddress::HostGateway => self
                    .networks()?
                    .inspect(six_network::DEFAULT_NETWORK)?
                    .gateway
                    .to_string(),
            };
            lines.push(format!("{ip}\t{}", h.name));
        }
        Ok(lines)
    }
}

/// Writes the three files for a container and says where they are. `extra_hosts`: its
/// `--add-host` lines ([`Engine::extra_host_lines`]).
pub(crate) fn write_files(
    dir: &Path,
    hostname: &str,
    req: &RunRequest,
    extra_hosts: &[String],
) -> Result<EtcFiles> {
    let files = EtcFiles {
        hostname: dir.join("hostname"),
        hosts: dir.join("hosts"),
        resolv_conf: dir.join("resolv.conf"),
    };
    fs::write(&files.hostname, format!("{hostname}\n")).at("writing", &files.hostname)?;
    let mut hosts = match req.network {
        NetworkMode::Host => fs::read_to_string("/etc/hosts").unwrap_or_else(|_| LOCALHOST.into()),
        _ => LOCALHOST.to_owned(),
    };
    if !hosts.is_empty() && !hosts.ends_with('\n') {
        hosts.push('\n');
    }
    for line in extra_hosts {
        hosts.push_str(line);
        hosts.push('\n');
    }
    if req.network != NetworkMode::Host {
        hosts.push_str(&format!("# {hostname}\n"));
    }
    fs::write(&files.hosts, hosts).at("writing", &files.hosts)?;
    let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    fs::write(&files.resolv_conf, resolv_conf(&host_resolv, req))
        .at("writing", &files.resolv_conf)?;
    Ok(files)
}

const LOCALHOST: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

/// The container's resolv.conf from the host's, as Docker makes it: with any of `--dns`,
/// `--dns-search`, `--dns-option`, a new file (each list given replaces the host's; a search
/// list of `.` is none); otherwise the host's own (the host network) or the host's without
/// loopback name servers.
fn resolv_conf(host: &str, req: &RunRequest) -> String {
    if req.dns.is_empty() && req.dns_search.is_empty() && req.dns_options.is_empty() {
        return match req.network {
            NetworkMode::Host => host.to_owned(),
            _ => container_resolv_conf(host),
        };
    }
    // the words after `key` on the host's lines that begin with it
    let host_words = |key: &str| -> Vec<String> {
        host.lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                (words.next() == Some(key)).then(|| words.map(str::to_owned).collect::<Vec<_>>())
            })
            .flatten()
            .collect()
    };
    let servers: Vec<String> = if req.dns.is_empty() {
        container_resolv_conf(host)
            .lines()
            .filter_map(|l| l.strip_prefix("nameserver "))
            .map(|s| s.trim().to_owned())
            .collect()
    } else {
        req.dns.iter().map(|ip| ip.to_string()).collect()
    };
    let search = if req.dns_search.is_empty() {
        host_words("search")
    } else {
        req.dns_search.clone()
    };
    let options = if req.dns_options.is_empty() {
        host_words("options")
    } else {
        req.dns_options.clone()
    };
    let mut out = String::new();
    let search = search.join(" ");
    if !search.trim().is_empty() && search.trim() != "." {
        out.push_str(&format!("search {search}\n"));
    }
    for s in servers {
        out.push_str(&format!("nameserver {s}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}

/// The host's resolv.conf without loopback name servers (they cannot be reached from a
/// container's network namespace); Docker's public fallbacks when none remain.
pub(crate) fn container_resolv_conf(host: &str) -> String {
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            let addr = words.next().unwrap_or_default();
            if addr.starts_with("127.") || addr == "::1" {
                continue;
            }
            servers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if servers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_name_servers_are_dropped() {
        let r = container_resolv_conf("search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n");
        assert_eq!(r, "search lan\nnameserver 10.0.0.2\n");
        let r = container_resolv_conf("nameserver 127.0.0.53\n");
        assert!(r.contains("8.8.8.8"));
    }

    #[test]
    fn dns_flags_replace_what_they_name_as_docker() {
        let host = "search lan corp\nnameserver 10.0.0.2\noptions edns0\n";
        let req = |dns: &[&str], search: &[&str], options: &[&str]| RunRequest {
            dns: dns.iter().map(|s| s.parse().unwrap()).collect(),
            dns_search: search.iter().map(|s| s.to_string()).collect(),
            dns_options: options.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(
            resolv_conf(host, &req(&["9.9.9.9", "1.1.1.1"], &[], &[])),
            "search lan corp\nnameserver 9.9.9.9\nnameserver 1.1.1.1\noptions edns0\n"
        );
        assert_eq!(
            resolv_conf(host, &req(&[], &["example.com"], &["ndots:2"])),
            "search example.com\nnameserver 10.0.0.2\noptions ndots:2\n"
        );
        assert_eq!(
            resolv_conf(host, &req(&[], &["."], &[])),
            "nameserver 10.0.0.2\noptions edns0\n"
        );
        // no flag: the host's, loopback servers dropped
        assert_eq!(resolv_conf(host, &req(&[], &[], &[])), host);
    }

    #[test]
    fn files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let none = RunRequest {
            network: NetworkMode::None,
            ..Default::default()
        };
        let f = write_files(dir.path(), "abc123", &none, &["1.2.3.4\tdb".into()]).unwrap();
        assert_eq!(fs::read_to_string(&f.hostname).unwrap(), "abc123\n");
        let hosts = fs::read_to_string(&f.hosts).unwrap();
        assert!(hosts.starts_with("127.0.0.1\tlocalhost\n"));
        assert!(
            hosts.ends_with("ff02::2\tip6-allrouters\n1.2.3.4\tdb\n# abc123\n"),
            "{hosts}"
        );
        // every container has a hosts file of its own, on a user-defined network too
        let named = RunRequest {
            network: NetworkMode::Named("n".into()),
            ..Default::default()
        };
        let f = write_files(dir.path(), "abc", &named, &[]).unwrap();
        assert_eq!(f.hosts, dir.path().join("hosts"));
    }
}
