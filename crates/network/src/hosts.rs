//! Name resolution data for containers: each container's own hosts file and the
//! resolv.conf content containers get.
//!
//! Every container has its own hosts file (the caller — the engine — makes it and
//! bind-mounts it as /etc/hosts; its path is recorded with the endpoint): localhost lines,
//! the container's own address on each network it is attached to, and on user-defined
//! networks the names of the other containers there (Docker resolves those names; the
//! default network shares none). No container can write another's file. When a container
//! joins or leaves a network, the files whose view changes are rewritten in place — same
//! inode, so the bind mounts see it — under the store's hosts lock; a file that already
//! says what it should is left as it is. This module never decides who
//! is attached; it renders what the network records say.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{io, Result};
use crate::{EndpointRecord, Network, DEFAULT_NETWORK};

const LOCALHOST: &str = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";

/// `ADDRESS NAME [HOSTNAME] [SHORT-ID] [ALIASES]` of one endpoint.
fn line(endpoint: &EndpointRecord) -> String {
    let mut names: Vec<&str> = Vec::new();
    let short_id = &endpoint.id[..endpoint.id.len().min(12)];
    let own = [endpoint.name.as_str(), endpoint.hostname.as_str(), short_id];
    for name in own
        .into_iter()
        .chain(endpoint.aliases.iter().map(String::as_str))
    {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    format!("{}\t{}\n", endpoint.ip, names.join(" "))
}

/// The hosts file of container `id` given every network of the store: localhost lines, its
/// `--add-host` lines, then per network it is attached to its own line, and on networks other than the default
/// one the lines of every other container attached there.
pub(crate) fn render_for(id: &str, networks: &[Network]) -> String {
    let mut text = String::from(LOCALHOST);
    // a set: with a hundred containers on a network, a list made each file O(n²) to render
    let mut seen: HashSet<String> = HashSet::new();
    // its --add-host lines (the same on every network it is on), then the containers'
    let own = networks
        .iter()
        .flat_map(|n| n.endpoints.iter())
        .find(|e| e.id == id);
    for extra in own.iter().flat_map(|e| e.extra_hosts.iter()) {
        let line = format!("{extra}\n");
        if !seen.contains(&line) {
            text.push_str(&line);
            seen.insert(line);
        }
    }
    for network in networks {
        if !network.endpoints.iter().any(|e| e.id == id) {
            continue;
        }
        let shared = network.name != DEFAULT_NETWORK;
        for endpoint in network.endpoints.iter().filter(|e| shared || e.id == id) {
            let line = line(endpoint);
            if !seen.contains(&line) {
                text.push_str(&line);
                seen.insert(line);
            }
        }
    }
    text
}

/// Rewrites the hosts files whose view changes when `changed` has joined or left `network`
/// (`networks`: every record of the store as it is now): the file of `changed` itself and,
/// on a network other than the default one, the files of the containers attached there.
/// A file that is gone (its container was removed) is skipped. An error writing the file
/// of `changed` is returned; others' are logged (their containers' own attaches retry).
/// Call under the store's hosts lock.
pub(crate) fn update(networks: &[Network], network: &str, changed: &EndpointRecord) -> Result<()> {
    if let Some(path) = &changed.hosts_file {
        rewrite(path, &render_for(&changed.id, networks))?;
    }
    if network == DEFAULT_NETWORK {
        return Ok(());
    }
    let Some(net) = networks.iter().find(|n| n.name == network) else {
        return Ok(());
    };
    for other in net.endpoints.iter().filter(|e| e.id != changed.id) {
        if let Some(path) = &other.hosts_file {
            if let Err(e) = rewrite(path, &render_for(&other.id, networks)) {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(container = %other.id, error, "updating its hosts file");
            }
        }
    }
    Ok(())
}

/// Rewrites the existing file `path` in place (same inode, so bind mounts follow) with
/// `contents`; a missing file is left missing, and a file that already holds `contents` is
/// not written (many attaches side by side each render every file of their network: only
/// the first to see a change writes it). A shorter text is written padded with
/// blanks to the old length and the file cut afterwards, so a reader between the two sees
/// the new lines and blanks, never a fragment of an old line.
pub(crate) fn rewrite(path: &Path, contents: &str) -> Result<()> {
    let what = || format!("writing hosts file {}", path.display());
    let file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(what())(e)),
    };
    let old_len = file.metadata().map_err(io(what()))?.len() as usize;
    if old_len == contents.len() {
        let mut old = vec![0; old_len];
        if file.read_exact_at(&mut old, 0).is_ok() && old == contents.as_bytes() {
            return Ok(());
        }
    }
    let mut text = contents.as_bytes().to_vec();
    if old_len > text.len() {
        let pad = old_len - text.len();
        text.extend(std::iter::repeat_n(b' ', pad - 1));
        text.push(b'\n');
    }
    file.write_all_at(&text, 0).map_err(io(what()))?;
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

    fn endpoint(id: &str, ip: [u8; 4]) -> EndpointRecord {
        EndpointRecord {
            id: id.into(),
            name: format!("name-{id}"),
            hostname: format!("host-{id}"),
            ip: ip.into(),
            mac: String::new(),
            host_veth: String::new(),
            interface: String::new(),
            ports: Vec::new(),
            hosts_file: None,
            extra_hosts: Vec::new(),
            aliases: Vec::new(),
        }
    }

    fn network(name: &str, endpoints: Vec<EndpointRecord>) -> Network {
        Network {
            name: name.into(),
            id: String::new(),
            driver: "bridge".into(),
            subnet: "10.9.0.0/24".parse().unwrap(),
            gateway: [10, 9, 0, 1].into(),
            internal: false,
            user_subnet: false,
            bridge: String::new(),
            created: 0,
            labels: Default::default(),
            endpoints,
        }
    }

    #[test]
    fn names_are_shared_on_user_networks_only() {
        let (a, b, c) = (
            endpoint("a", [10, 9, 0, 2]),
            endpoint("b", [10, 9, 0, 3]),
            endpoint("c", [10, 8, 0, 2]),
        );
        let networks = [
            network("bridge", vec![a.clone(), c.clone()]),
            network("user", vec![a.clone(), b.clone()]),
        ];
        let for_a = render_for("a", &networks);
        assert!(for_a.starts_with("127.0.0.1\tlocalhost\n"), "{for_a}");
        assert!(
            for_a.ends_with("10.9.0.2\tname-a host-a a\n10.9.0.3\tname-b host-b b\n"),
            "{for_a}"
        );
        assert_eq!(for_a.matches("name-a").count(), 1, "{for_a}");
        // the default network shares no names: c sees itself only
        assert_eq!(
            render_for("c", &networks),
            format!("{LOCALHOST}10.8.0.2\tname-c host-c c\n")
        );
        assert_eq!(render_for("gone", &networks), LOCALHOST);
    }

    #[test]
    fn aliases_follow_the_names_on_their_network_only() {
        let mut a = endpoint("a", [10, 9, 0, 2]);
        a.aliases = vec!["db".into(), "name-a".into()];
        let mut a_elsewhere = endpoint("a", [10, 7, 0, 2]);
        a_elsewhere.aliases = vec!["cache".into()];
        let networks = [
            network("user", vec![a, endpoint("b", [10, 9, 0, 3])]),
            network("other", vec![a_elsewhere]),
        ];
        let for_b = render_for("b", &networks);
        assert!(for_b.contains("10.9.0.2\tname-a host-a a db\n"), "{for_b}");
        assert!(!for_b.contains("cache"), "{for_b}");
        let for_a = render_for("a", &networks);
        assert!(
            for_a.contains("10.7.0.2\tname-a host-a a cache\n"),
            "{for_a}"
        );
    }

    #[test]
    fn add_host_lines_follow_localhost_and_precede_the_containers() {
        let mut a = endpoint("a", [10, 9, 0, 2]);
        a.extra_hosts = vec!["1.2.3.4\tdb".into()];
        let networks = [
            network("user", vec![a.clone(), endpoint("b", [10, 9, 0, 3])]),
            network("other", vec![a]),
        ];
        assert_eq!(
            render_for("a", &networks),
            format!(
                "{LOCALHOST}1.2.3.4\tdb\n10.9.0.2\tname-a host-a a\n10.9.0.3\tname-b host-b b\n"
            )
        );
        assert!(
            !render_for("b", &networks).contains("db"),
            "its own lines only"
        );
    }

    #[test]
    fn rewrites_in_place_and_leaves_missing_files_missing() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        rewrite(&path, "never\n").unwrap();
        assert!(!path.exists());
        std::fs::write(&path, "a long first version\n").unwrap();
        let inode = std::fs::metadata(&path).unwrap().ino();
        rewrite(&path, "short\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "short\n");
        rewrite(&path, "a longer second version\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "a longer second version\n"
        );
        assert_eq!(std::fs::metadata(&path).unwrap().ino(), inode);
    }

    #[test]
    fn a_file_that_already_says_it_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        std::fs::write(&path, "10.9.0.2\ta\n").unwrap();
        let long_ago = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let set_long_ago = || {
            let file = std::fs::File::options().write(true).open(&path).unwrap();
            file.set_modified(long_ago).unwrap();
        };
        set_long_ago();
        rewrite(&path, "10.9.0.2\ta\n").unwrap();
        let modified = || std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(modified(), long_ago, "the same text was written again");
        // same length, other text: written
        rewrite(&path, "10.9.0.3\tb\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "10.9.0.3\tb\n");
        assert_ne!(modified(), long_ago);
    }
}
