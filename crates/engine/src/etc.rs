//! The per-container files bind-mounted over /etc: `hostname`, `hosts` and `resolv.conf`,
//! written in the container's directory. Never mounts them (the runtime does, from the spec).
//! On a network, six-network rewrites the container's own `hosts` in place as containers
//! come and go (see `net.rs`); no other container ever sees or writes it.

use std::fs;
use std::path::Path;

use crate::error::{IoContext, Result};
use crate::spec::EtcFiles;
use crate::types::NetworkMode;

/// Writes the three files for a container and says where they are.
pub(crate) fn write_files(dir: &Path, hostname: &str, network: &NetworkMode) -> Result<EtcFiles> {
    let files = EtcFiles {
        hostname: dir.join("hostname"),
        hosts: dir.join("hosts"),
        resolv_conf: dir.join("resolv.conf"),
    };
    fs::write(&files.hostname, format!("{hostname}\n")).at("writing", &files.hostname)?;
    let hosts = match network {
        NetworkMode::Host => {
            fs::read_to_string("/etc/hosts").unwrap_or_else(|_| default_hosts(hostname))
        }
        _ => default_hosts(hostname),
    };
    fs::write(&files.hosts, hosts).at("writing", &files.hosts)?;
    let host_resolv = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let resolv = match network {
        NetworkMode::Host => host_resolv,
        _ => container_resolv_conf(&host_resolv),
    };
    fs::write(&files.resolv_conf, resolv).at("writing", &files.resolv_conf)?;
    Ok(files)
}

fn default_hosts(hostname: &str) -> String {
    format!(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n# {hostname}\n"
    )
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
    fn files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let f = write_files(dir.path(), "abc123", &NetworkMode::None).unwrap();
        assert_eq!(fs::read_to_string(&f.hostname).unwrap(), "abc123\n");
        let hosts = fs::read_to_string(&f.hosts).unwrap();
        assert!(hosts.starts_with("127.0.0.1\tlocalhost\n"));
        // every container has a hosts file of its own, on a user-defined network too
        let f = write_files(dir.path(), "abc", &NetworkMode::Named("n".into())).unwrap();
        assert_eq!(f.hosts, dir.path().join("hosts"));
    }
}
