//! Name resolution data for containers: the per-network hosts file (name → address of
//! every attached container) and the resolv.conf content containers get.
//!
//! The hosts file is rewritten in place — same inode — so a read-only bind mount of it
//! into each container sees every update. It never decides who is attached; it renders
//! what the network record says.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{io, Result};
use crate::Network;

/// The hosts file of `network`: localhost lines, then one line per container:
/// `ADDRESS NAME [HOSTNAME] [SHORT-ID]`.
pub(crate) fn render(network: &Network) -> String {
    let mut text = String::from(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n",
    );
    for endpoint in &network.endpoints {
        let mut names: Vec<&str> = Vec::new();
        let short_id = &endpoint.id[..endpoint.id.len().min(12)];
        for name in [endpoint.name.as_str(), endpoint.hostname.as_str(), short_id] {
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
        text.push_str(&format!("{}\t{}\n", endpoint.ip, names.join(" ")));
    }
    text
}

/// Rewrites `path` in place with `contents` (creating it when missing): write from offset
/// 0, then cut the file to the new length. The inode stays, so bind mounts follow.
pub(crate) fn write_in_place(path: &Path, contents: &str) -> Result<()> {
    let what = || format!("writing hosts file {}", path.display());
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(what()))?;
    file.write_all_at(contents.as_bytes(), 0)
        .map_err(io(what()))?;
    file.set_len(contents.len() as u64).map_err(io(what()))?;
    Ok(())
}

/// What a container's /etc/resolv.conf should say: the host's `host_resolv` content minus
/// nameservers on loopback (unreachable from a container's own network namespace); when no
/// nameserver is left, Docker's fallback (8.8.8.8 and 8.8.4.4).
pub fn resolv_conf_from(host_resolv: &str) -> String {
    let mut out = String::new();
    let mut nameservers = 0;
    for line in host_resolv.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            let loopback = words
                .next()
                .and_then(|a| a.split('%').next())
                .and_then(|a| a.parse::<std::net::IpAddr>().ok())
                .is_none_or(|ip| ip.is_loopback());
            if loopback {
                continue;
            }
            nameservers += 1;
        }
        out.push_str(line);
        out.push('\n');
    }
    if nameservers == 0 {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

/// [`resolv_conf_from`] applied to the host's /etc/resolv.conf (empty when unreadable).
pub fn resolv_conf() -> String {
    resolv_conf_from(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_loopback_nameservers() {
        let host = "search example.org\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 192.0.2.53\noptions edns0\n";
        assert_eq!(
            resolv_conf_from(host),
            "search example.org\nnameserver 192.0.2.53\noptions edns0\n"
        );
        assert_eq!(
            resolv_conf_from("nameserver 127.0.0.1\n"),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
    }

    #[test]
    fn rewrites_in_place() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        write_in_place(&path, "a long first version\n").unwrap();
        let inode = std::fs::metadata(&path).unwrap().ino();
        write_in_place(&path, "short\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "short\n");
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
    }
}
