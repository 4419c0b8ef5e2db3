//! Each firewall backend, nftables and iptables, end to end inside the test's own network
//! namespace (its "host": the bridges, the rules, IP forwarding and bridge netfilter there
//! are the test's alone): published ports answer from the host (127.0.0.1, the gateway) and from another
//! container (hairpin); containers reach each other; no container of another network gets
//! into an internal one, nor out of it, whichever network was set up first; a container's
//! rules go with it; a host port it publishes is refused to other containers of any store;
//! the store's nftables table or iptables chains go with its last
//! network, and its rules are only ever in the backend it was told to use. Traffic goes only
//! to addresses of this namespace and of the containers' namespaces the test made.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{
    container_id, endpoint, firewall_listing, http_get, in_own_netns, Httpd, Netns, TestStore,
};
use six_network::{FirewallBackend, NetworkSpec, Networks, PortMapping, DEFAULT_NETWORK};

/// What `ns` gets for GET /index.html from `ip:port` (busybox nc, 3 s at most).
fn fetch_from(ns: &Netns, ip: Ipv4Addr, port: u16) -> String {
    let request =
        format!("printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 3 {ip} {port}");
    let out = common::run(&mut ns.command(&["busybox", "sh", "-c", &request]));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// [`fetch_from`] retried until `want` appears or 10 s pass; the last answer.
fn fetch_until(ns: &Netns, ip: Ipv4Addr, port: u16, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = fetch_from(ns, ip, port);
        if text.contains(want) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A web root serving `marker`.
fn site(marker: &str) -> tempfile::TempDir {
    let www = tempfile::tempdir().unwrap();
    std::fs::write(www.path().join("index.html"), marker).unwrap();
    www
}

/// The rules of this namespace in one backend: `nft list ruleset` or `iptables-save`.
fn listing(backend: FirewallBackend) -> String {
    let out = match backend {
        FirewallBackend::Nftables => common::run(Command::new("nft").args(["list", "ruleset"])),
        FirewallBackend::Iptables => common::run(&mut Command::new("iptables-save")),
    };
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The backend that is not `backend`.
fn other(backend: FirewallBackend) -> FirewallBackend {
    match backend {
        FirewallBackend::Nftables => FirewallBackend::Iptables,
        FirewallBackend::Iptables => FirewallBackend::Nftables,
    }
}

/// Which of a store's firewall names (its iptables chains, then its nftables table) are
/// `backend`'s.
fn names_in(names: &[String], backend: FirewallBackend) -> Vec<String> {
    match backend {
        FirewallBackend::Iptables => names[..2].to_vec(),
        FirewallBackend::Nftables => names[2..].to_vec(),
    }
}

/// The record of the store's backend, if any.
fn recorded(root: &Path) -> Option<String> {
    std::fs::read_to_string(root.join("network/firewall-backend")).ok()
}

fn published_ports_and_traffic_between_containers(backend: FirewallBackend) {
    let store = TestStore::with_backend(backend);
    let names = store.networks.firewall_names();
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    let (server, client) = (Netns::new(), Netns::new());
    let (id_server, id_client) = (container_id(), container_id());
    let marker = format!("hello from {id_server}");
    let www = site(&marker);
    let _httpd = Httpd::start(&server, www.path());
    let explicit = common::free_loopback_port();
    let ports: Vec<PortMapping> = ["80".to_string(), format!("127.0.0.1:{explicit}:80")]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let (at_server, _) =
        store.attach_server_and_client((&server, &id_server), (&client, &id_client), &ports);
    let tcp = at_server.ports[0].host_port.unwrap();

    // the rules are in this backend only, and it is recorded
    assert_eq!(store.networks.firewall_backend().unwrap(), backend);
    assert_eq!(
        recorded(store.root.path()).as_deref(),
        Some(format!("{backend}\n").as_str())
    );
    let rules = listing(backend);
    assert!(
        rules.contains(&format!("six:{DEFAULT_NETWORK}:{id_server}")),
        "{rules}"
    );
    // (iptables' chains show in nft's listing too where iptables is the nf_tables variant:
    // only the other backend's own names are looked for)
    let elsewhere = listing(other(backend));
    assert!(
        names_in(&names, other(backend))
            .iter()
            .all(|n| !elsewhere.contains(n.as_str())),
        "rules of a {backend} store in {}:\n{elsewhere}",
        other(backend)
    );

    // published: from the host via 127.0.0.1, the gateway, the 127.0.0.1-only mapping
    for (ip, port) in [
        (Ipv4Addr::LOCALHOST, tcp),
        (net.gateway, tcp),
        (Ipv4Addr::LOCALHOST, explicit),
    ] {
        let body = http_get(SocketAddr::from((ip, port)), &marker);
        assert!(body.contains(&marker), "{backend}: {ip}:{port}: {body}");
    }
    // from another container through the gateway (hairpin), and straight to the container
    for (ip, port) in [(net.gateway, tcp), (at_server.ip, 80)] {
        let body = fetch_until(&client, ip, port, &marker);
        assert!(body.contains(&marker), "{backend}: {ip}:{port}: {body}");
    }

    // a host port another container publishes is refused, by this store and by another
    // one on the same host (both read it back from the backend's rules)
    let other_store = TestStore::with_backend(backend);
    for (who, networks) in [
        ("this store", &store.networks),
        ("another store", &other_store.networks),
    ] {
        for taken in [format!("{tcp}:8080"), format!("127.0.0.1:{explicit}:8080")] {
            let (ns, id) = (Netns::new(), container_id());
            let mapping: PortMapping = taken.parse().unwrap();
            let refused = networks.attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[mapping]);
            let e = refused.map(|_| ()).unwrap_err().to_string();
            assert!(
                e.contains("already published"),
                "{backend}, {who}, -p {taken}: {e}"
            );
        }
    }
    other_store.finish();

    // an internal network made after the default one's accepts: nothing forwarded in or out
    let inner = six_testkit::unique_name("ti");
    let mut spec = NetworkSpec::bridge(&inner);
    spec.internal = true;
    store.networks.create(spec).unwrap();
    let (inside, id_inside) = (Netns::new(), container_id());
    let inner_marker = format!("inside {id_inside}");
    let inner_www = site(&inner_marker);
    let _inner_httpd = Httpd::start(&inside, inner_www.path());
    let at_inside = store
        .networks
        .attach(&inner, &endpoint(&id_inside), &inside.path(), &[])
        .unwrap();
    // it serves (the host reaches it: nothing forwarded), but not to the other network
    let body = http_get(SocketAddr::from((at_inside.ip, 80)), &inner_marker);
    assert!(body.contains(&inner_marker), "{backend}: {body}");
    let body = fetch_from(&client, at_inside.ip, 80);
    assert!(
        !body.contains(&inner_marker),
        "{backend}: a container of {DEFAULT_NETWORK} reached internal network {inner}"
    );
    let body = fetch_from(&inside, at_server.ip, 80);
    assert!(
        !body.contains(&marker),
        "{backend}: a container of internal network {inner} reached {DEFAULT_NETWORK}"
    );

    // a container's rules go with it, its network's stay
    store.networks.detach(DEFAULT_NETWORK, &id_server).unwrap();
    let rules = listing(backend);
    assert!(!rules.contains(&id_server), "{backend}:\n{rules}");
    assert!(
        rules.contains(&format!("six:{DEFAULT_NETWORK}")),
        "{backend}:\n{rules}"
    );
    store.networks.detach(&inner, &id_inside).unwrap();
    store.networks.remove(&inner).unwrap();
    assert!(
        !listing(backend).contains(&format!("six:{inner}")),
        "{backend}: rules of removed network {inner} left"
    );
    store.networks.detach(DEFAULT_NETWORK, &id_client).unwrap();
    let root = store.root.path().to_path_buf();
    store.finish();
    assert_eq!(recorded(&root), None, "{backend}: record left");
}

/// A store whose only network goes: its table or chains go with it.
fn the_last_network_takes_the_table_or_chains(backend: FirewallBackend) {
    let store = TestStore::with_backend(backend);
    let names = store.networks.firewall_names();
    let name = six_testkit::unique_name("tl");
    store.networks.create(NetworkSpec::bridge(&name)).unwrap();
    let (ns, id) = (Netns::new(), container_id());
    store
        .networks
        .attach(&name, &endpoint(&id), &ns.path(), &["80".parse().unwrap()])
        .unwrap();
    let ours = &names_in(&names, backend)[0];
    assert!(
        listing(backend).contains(ours.as_str()),
        "{backend}: no {ours}"
    );
    store.networks.detach(&name, &id).unwrap();
    assert!(
        listing(backend).contains(ours.as_str()),
        "{backend}: {ours} went early"
    );
    store.networks.remove(&name).unwrap();
    let left = firewall_listing();
    assert!(
        names.iter().all(|n| !left.contains(n.as_str())),
        "{backend}: left after the last network went:\n{left}"
    );
    assert_eq!(recorded(store.root.path()), None);
    store.finish();
}

/// A firewall reload that empties nftables (`nft flush ruleset`, as firewalld's does): the
/// next published port brings back the table, its chains and jumps, and the network's rules.
fn nftables_rules_come_back_after_a_flush() {
    let store = TestStore::with_backend(FirewallBackend::Nftables);
    let (first, second) = (Netns::new(), Netns::new());
    let (id_first, id_second) = (container_id(), container_id());
    let port: PortMapping = "127.0.0.1::80".parse().unwrap();
    store
        .networks
        .attach(
            DEFAULT_NETWORK,
            &endpoint(&id_first),
            &first.path(),
            &[port],
        )
        .unwrap();
    let flushed = common::run(Command::new("nft").args(["flush", "ruleset"]));
    assert!(flushed.status.success(), "{flushed:?}");
    let marker = format!("hello from {id_second}");
    let www = site(&marker);
    let _httpd = Httpd::start(&second, www.path());
    let at = store
        .networks
        .attach(
            DEFAULT_NETWORK,
            &endpoint(&id_second),
            &second.path(),
            &[port],
        )
        .unwrap();
    let host_port = at.ports[0].host_port.unwrap();
    let body = http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, host_port)), &marker);
    assert!(body.contains(&marker), "127.0.0.1:{host_port}: {body}");
    let rules = listing(FirewallBackend::Nftables);
    assert_eq!(
        rules
            .lines()
            .filter(|l| l.contains(&format!("comment \"six:{DEFAULT_NETWORK}\"")))
            .count(),
        6,
        "the network's rules did not come back:\n{rules}"
    );
    store.networks.detach(DEFAULT_NETWORK, &id_first).unwrap();
    store.networks.detach(DEFAULT_NETWORK, &id_second).unwrap();
    store.finish();
}

#[test]
fn nftables_publishes_ports_and_keeps_networks_apart() {
    in_own_netns(|| {
        published_ports_and_traffic_between_containers(FirewallBackend::Nftables);
        the_last_network_takes_the_table_or_chains(FirewallBackend::Nftables);
        nftables_rules_come_back_after_a_flush();
    });
}

#[test]
fn iptables_publishes_ports_and_keeps_networks_apart() {
    in_own_netns(|| {
        published_ports_and_traffic_between_containers(FirewallBackend::Iptables);
        the_last_network_takes_the_table_or_chains(FirewallBackend::Iptables);
    });
}

/// A store whose rules an earlier version put in iptables (chains, no record) stays on
/// iptables whatever the setting, so that its rules are removed where they are.
#[test]
fn a_store_with_iptables_chains_and_no_record_stays_on_iptables() {
    in_own_netns(|| {
        let store = TestStore::with_backend(FirewallBackend::Iptables);
        let (ns, id) = (Netns::new(), container_id());
        let port: PortMapping = "127.0.0.1::80".parse().unwrap();
        store
            .networks
            .attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[port])
            .unwrap();
        std::fs::remove_file(store.root.path().join("network/firewall-backend")).unwrap();
        let upgraded = Networks::open_with(
            store.root.path(),
            common::options(FirewallBackend::Nftables),
        )
        .unwrap();
        assert_eq!(
            upgraded.firewall_backend().unwrap(),
            FirewallBackend::Iptables
        );
        upgraded.detach(DEFAULT_NETWORK, &id).unwrap();
        assert!(!listing(FirewallBackend::Iptables).contains(&id));
        upgraded.remove_all().unwrap();
        let left = firewall_listing();
        assert!(
            store
                .networks
                .firewall_names()
                .iter()
                .all(|n| !left.contains(n.as_str())),
            "{left}"
        );
        store.finish();
    });
}

/// What a store that vanished without cleaning up left in nftables (its table) is reaped
/// by the next network creation.
#[test]
fn the_table_of_a_vanished_store_is_reaped() {
    in_own_netns(|| {
        six_testkit::require_root();
        let root = tempfile::Builder::new()
            .prefix("six-net-lost-")
            .tempdir()
            .unwrap();
        let lost =
            Networks::open_with(root.path(), common::options(FirewallBackend::Nftables)).unwrap();
        let (ns, id) = (Netns::new(), container_id());
        lost.attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[])
            .unwrap();
        lost.detach(DEFAULT_NETWORK, &id).unwrap();
        let table = lost.firewall_names()[2].clone();
        assert!(listing(FirewallBackend::Nftables).contains(&table));
        drop(lost);
        drop(root);
        let store = TestStore::with_backend(FirewallBackend::Nftables);
        let left = listing(FirewallBackend::Nftables);
        assert!(!left.contains(&table), "{table} not reaped:\n{left}");
        store.finish();
    });
}
