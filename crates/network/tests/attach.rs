//! Attach and detach on real namespaces: addresses, routes, reachability, hosts files,
//! reconcile, and that nothing is left afterwards.

mod common;

use std::net::Ipv4Addr;

use common::{address_in, container_id, endpoint, Netns, TestStore};
use six_network::{NetworkSpec, DEFAULT_NETWORK};

#[test]
fn attach_gives_address_and_default_route_and_detach_removes_all() {
    let store = TestStore::new();
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    let ns = Netns::new();
    let id = container_id();
    let attachment = store
        .networks
        .attach(DEFAULT_NETWORK, &store.endpoint(&id), &ns.path(), &[])
        .unwrap();

    assert_eq!(attachment.interface, "eth0");
    assert!(
        net.subnet.contains(attachment.ip),
        "{} not in {}",
        attachment.ip,
        net.subnet
    );
    assert_ne!(attachment.ip, net.gateway);
    assert_eq!(
        address_in(&ns, "eth0"),
        Some((attachment.ip, net.subnet.prefix()))
    );
    let routes = ns.output(&["ip", "-4", "route", "show", "default"]);
    assert!(
        routes.contains(&format!("default via {} dev eth0", net.gateway)),
        "{routes}"
    );
    assert!(ns
        .output(&["ip", "-o", "link", "show", "lo"])
        .contains("UP"));
    let link = ns.output(&["ip", "-o", "link", "show", "eth0"]);
    let mac = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .mac
        .clone();
    assert!(
        link.contains(&format!("link/ether {mac} ")),
        "{link} lacks {mac}"
    );

    // the host end is in the bridge
    let host_veth = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .host_veth
        .clone();
    let link =
        common::run(std::process::Command::new("ip").args(["-o", "link", "show", &host_veth]));
    assert!(String::from_utf8_lossy(&link.stdout).contains(&format!("master {}", net.bridge)));
    // the gateway answers from inside
    ns.output(&["busybox", "ping", "-c1", "-W2", &net.gateway.to_string()]);

    let hosts = store.hosts_of(&id);
    assert!(
        hosts.starts_with("127.0.0.1\tlocalhost\n")
            && hosts.contains(&format!("{}\tname-{id} host-{id}", attachment.ip)),
        "{hosts}"
    );
    // the default network shares no names: a second container sees only itself
    let other_ns = Netns::new();
    let other = container_id();
    let other_at = store
        .networks
        .attach(
            DEFAULT_NETWORK,
            &store.endpoint(&other),
            &other_ns.path(),
            &[],
        )
        .unwrap();
    let theirs = store.hosts_of(&other);
    assert!(
        theirs.contains(&format!("{}\tname-{other}", other_at.ip)) && !theirs.contains(&id),
        "{theirs}"
    );
    assert!(!store.hosts_of(&id).contains(&other));
    store.networks.detach(DEFAULT_NETWORK, &other).unwrap();

    store.networks.detach(DEFAULT_NETWORK, &id).unwrap();
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    assert!(!store.hosts_of(&id).contains(&id));
    let links = ns.output(&["ip", "-o", "link", "show"]);
    assert!(
        !links.contains("eth0"),
        "eth0 still in the namespace: {links}"
    );
    common::assert_no_leftovers(&[host_veth], &[]);
    let e = store
        .networks
        .detach(DEFAULT_NETWORK, &id)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not attached"), "{e}");
    store.finish();
}

#[test]
fn containers_of_a_user_network_ping_each_other_and_see_each_other_in_their_own_hosts() {
    use std::os::unix::fs::MetadataExt;
    let store = TestStore::new();
    let name = six_testkit::unique_name("tn");
    let net = store.networks.create(NetworkSpec::bridge(&name)).unwrap();
    let (a, b, c) = (Netns::new(), Netns::new(), Netns::new());
    let (ida, idb, idc) = (container_id(), container_id(), container_id());
    let at_a = store
        .networks
        .attach(&name, &store.endpoint(&ida), &a.path(), &[])
        .unwrap();
    let inode_a = std::fs::metadata(store.root.path().join(format!("containers/{ida}.hosts")))
        .unwrap()
        .ino();
    let at_b = store
        .networks
        .attach(&name, &store.endpoint(&idb), &b.path(), &[])
        .unwrap();
    assert_ne!(at_a.ip, at_b.ip);
    assert!(net.subnet.contains(at_b.ip));
    a.output(&["busybox", "ping", "-c1", "-W2", &at_b.ip.to_string()]);
    b.output(&["busybox", "ping", "-c1", "-W2", &at_a.ip.to_string()]);

    // each has its own file with both names: b, attached later, was added to a's
    let line_a = format!("{}\tname-{ida} host-{ida}", at_a.ip);
    let line_b = format!("{}\tname-{idb} host-{idb}", at_b.ip);
    for id in [&ida, &idb] {
        let hosts = store.hosts_of(id);
        assert!(
            hosts.contains(&line_a) && hosts.contains(&line_b),
            "{id}: {hosts}"
        );
    }
    assert_eq!(
        std::fs::metadata(store.root.path().join(format!("containers/{ida}.hosts")))
            .unwrap()
            .ino(),
        inode_a,
        "hosts file replaced, not rewritten in place"
    );

    // removing the network is refused while containers are attached, naming them
    let e = store.networks.remove(&name).unwrap_err().to_string();
    assert!(
        e.contains(&format!("name-{ida}")) && e.contains(&format!("name-{idb}")),
        "{e}"
    );

    // b leaves: its name goes from a's file; c comes: a sees it, c sees a
    store.networks.detach(&name, &idb).unwrap();
    assert!(
        !store.hosts_of(&ida).contains(&idb),
        "{}",
        store.hosts_of(&ida)
    );
    let at_c = store
        .networks
        .attach(&name, &store.endpoint(&idc), &c.path(), &[])
        .unwrap();
    let line_c = format!("{}\tname-{idc} host-{idc}", at_c.ip);
    assert!(store.hosts_of(&ida).contains(&line_c));
    assert!(store.hosts_of(&idc).contains(&line_a));

    store.networks.detach(&name, &ida).unwrap();
    store.networks.detach(&name, &idc).unwrap();
    assert!(!store.hosts_of(&idc).contains(&ida));
    let links = store.links();
    store.networks.remove(&name).unwrap();
    common::assert_no_leftovers(&links, &[]);
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    assert!(
        !saved.contains(&format!("six:{name}")),
        "rules of network {name} left:\n{saved}"
    );
    store.finish();
}

#[test]
fn second_network_becomes_eth1() {
    let store = TestStore::new();
    let name = six_testkit::unique_name("tn");
    store.networks.create(NetworkSpec::bridge(&name)).unwrap();
    let ns = Netns::new();
    let id = container_id();
    store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[])
        .unwrap();
    let second = store
        .networks
        .attach(&name, &endpoint(&id), &ns.path(), &[])
        .unwrap();
    assert_eq!(second.interface, "eth1");
    assert_eq!(address_in(&ns, "eth1").map(|a| a.0), Some(second.ip));
    let e = store
        .networks
        .attach(&name, &endpoint(&id), &ns.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("already attached"), "{e}");
    store.networks.detach(&name, &id).unwrap();
    store.networks.detach(DEFAULT_NETWORK, &id).unwrap();
    store.finish();
}

#[test]
fn reconcile_removes_what_dead_containers_left() {
    let store = TestStore::new();
    let (mut dead, live) = (Netns::new(), Netns::new());
    let (id_dead, id_live) = (container_id(), container_id());
    let ports = ["127.0.0.1::80".parse().unwrap()];
    store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&id_dead), &dead.path(), &ports)
        .unwrap();
    store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&id_live), &live.path(), &[])
        .unwrap();
    let dead_veth = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .host_veth
        .clone();
    dead.kill();
    store
        .networks
        .reconcile(std::slice::from_ref(&id_live))
        .unwrap();

    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    let ids: Vec<&str> = net.endpoints.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec![id_live.as_str()]);
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    assert!(
        !saved.contains(&id_dead),
        "rules of the dead container left:\n{saved}"
    );
    common::assert_no_leftovers(&[dead_veth], &[]);
    // its address is free again
    let again = store.networks.attach(
        DEFAULT_NETWORK,
        &endpoint(&id_dead),
        &Netns::new().path(),
        &[],
    );
    assert!(again.is_ok());
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .iter()
        .any(|e| e.ip == Ipv4Addr::from(u32::from(net.gateway) + 1)));
    store.finish();
}

#[test]
fn bridge_and_chains_of_a_vanished_store_are_reaped() {
    six_testkit::require_root();
    let root = tempfile::Builder::new()
        .prefix("six-net-lost-")
        .tempdir()
        .unwrap();
    let lost = six_network::Networks::open_with(
        root.path(),
        common::options(six_network::FirewallBackend::Iptables),
    )
    .unwrap();
    let ns = Netns::new();
    let id = container_id();
    lost.attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[])
        .unwrap();
    lost.detach(DEFAULT_NETWORK, &id).unwrap();
    let bridge = lost.inspect(DEFAULT_NETWORK).unwrap().bridge;
    let chains = lost.firewall_names();
    let listing =
        common::run(std::process::Command::new("ip").args(["-o", "link", "show", &bridge]));
    assert!(listing.status.success(), "bridge {bridge} was not made");
    // the store vanishes without cleaning up (a test that forgot, a deleted root)
    drop(lost);
    drop(root);
    // the next network creation on the host reaps what it left
    let store = TestStore::new();
    common::assert_no_leftovers(&[bridge], &chains);
    store.finish();
}

#[test]
fn a_container_reattaches_right_after_its_namespace_died() {
    // as `restart` does: the container exits, is detached, and its next run attaches at once
    // while the kernel may still be removing the previous pair (same host veth name)
    let store = TestStore::new();
    let id = container_id();
    let mut veths = Vec::new();
    for running_ms in [0u64, 5, 10, 20, 40] {
        let mut ns = Netns::new();
        let attachment = store
            .networks
            .attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &[])
            .unwrap();
        assert_eq!(address_in(&ns, "eth0").map(|a| a.0), Some(attachment.ip));
        veths.extend(
            store
                .networks
                .inspect(DEFAULT_NETWORK)
                .unwrap()
                .endpoints
                .iter()
                .map(|e| e.host_veth.clone()),
        );
        std::thread::sleep(std::time::Duration::from_millis(running_ms));
        ns.kill();
        store.networks.detach(DEFAULT_NETWORK, &id).unwrap();
    }
    veths.dedup();
    common::assert_no_leftovers(&veths, &[]);
    store.finish();
}

#[test]
fn detach_of_an_exited_container_releases_at_once_and_the_kernel_takes_the_veth() {
    // the engine's monitor, once the container's init is reaped: the lease, rules and hosts
    // line go now (so `network rm` works right after), the veth pair dies with the namespace
    let store = TestStore::new();
    let mut ns = Netns::new();
    let id = container_id();
    let ports = ["127.0.0.1::80".parse().unwrap()];
    store
        .networks
        .attach(DEFAULT_NETWORK, &store.endpoint(&id), &ns.path(), &ports)
        .unwrap();
    let host_veth = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .host_veth
        .clone();
    ns.kill();
    store.networks.detach_exited(DEFAULT_NETWORK, &id).unwrap();
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    assert!(
        !saved.contains(&id),
        "rules of the container left:\n{saved}"
    );
    assert!(!store.hosts_of(&id).contains(&id));
    common::assert_no_leftovers(&[host_veth], &[]);
    store.finish();
}

#[test]
fn a_point_to_point_network_holds_the_gateway_and_one_container() {
    // a /31 (RFC 3021, as Docker allows): both addresses are hosts, the gateway and one
    // container; there is no room for a second one
    let store = TestStore::new();
    let name = six_testkit::unique_name("tp");
    let mut spec = NetworkSpec::bridge(&name);
    spec.subnet = Some("10.211.14.0/31".parse().unwrap());
    let net = store.networks.create(spec).unwrap();
    assert_eq!(net.gateway, Ipv4Addr::new(10, 211, 14, 0));
    let (a, b) = (Netns::new(), Netns::new());
    let (ida, idb) = (container_id(), container_id());
    let at = store
        .networks
        .attach(&name, &endpoint(&ida), &a.path(), &[])
        .unwrap();
    assert_eq!(at.ip, Ipv4Addr::new(10, 211, 14, 1));
    assert_eq!(address_in(&a, "eth0"), Some((at.ip, 31)));
    a.output(&["busybox", "ping", "-c1", "-W2", "10.211.14.0"]);
    let e = store
        .networks
        .attach(&name, &endpoint(&idb), &b.path(), &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no free address") && e.contains("10.211.14.0/31"),
        "{e}"
    );
    store.networks.detach(&name, &ida).unwrap();
    store.finish();
}
