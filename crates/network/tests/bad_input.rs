//! Bad input is refused with one clear line and leaves nothing half-made.

mod common;

use std::net::Ipv4Addr;

use common::{container_id, endpoint, Netns, TestStore};
use six_network::{NetworkSpec, PortMapping, Subnet, DEFAULT_NETWORK};

fn one_line(e: impl std::fmt::Display) -> String {
    let text = e.to_string();
    assert!(!text.contains('\n'), "error spans lines: {text}");
    text
}

#[test]
fn bad_networks_are_refused_and_nothing_is_made() {
    let store = TestStore::new();
    let name = six_testkit::unique_name("tb");
    let made = store.networks.create(NetworkSpec::bridge(&name)).unwrap();

    let e = one_line(
        store
            .networks
            .create(NetworkSpec::bridge(&name))
            .unwrap_err(),
    );
    assert!(e.contains("already exists") && e.contains(&name), "{e}");
    let e = one_line(
        store
            .networks
            .create(NetworkSpec::bridge("host"))
            .unwrap_err(),
    );
    assert!(e.contains("already exists"), "{e}");

    let mut overlap = NetworkSpec::bridge(&six_testkit::unique_name("tb"));
    overlap.subnet = Some(made.subnet);
    let e = one_line(store.networks.create(overlap.clone()).unwrap_err());
    assert!(e.contains("overlaps") && e.contains(&name), "{e}");

    // a second store on this host may not take that subnet either
    let other = TestStore::new();
    let e = one_line(other.networks.create(overlap).unwrap_err());
    assert!(
        e.contains("overlaps") && e.contains("another sixdocker store"),
        "{e}"
    );
    // and picks a different one on its own
    assert!(!other
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .subnet
        .overlaps(&store.networks.inspect(DEFAULT_NETWORK).unwrap().subnet));

    // a subnet holding one of the host's own addresses (loopback is on every host; the
    // parser refuses it already, Subnet::new does not)
    let mut host_route = NetworkSpec::bridge(&six_testkit::unique_name("tb"));
    host_route.subnet = Subnet::new(Ipv4Addr::new(127, 0, 0, 0), 16);
    let e = one_line(store.networks.create(host_route).unwrap_err());
    assert!(e.contains("overlaps host"), "{e}");

    let mut gateway = NetworkSpec::bridge(&six_testkit::unique_name("tb"));
    gateway.subnet = Some("10.254.0.0/16".parse().unwrap());
    gateway.gateway = Some(Ipv4Addr::new(10, 253, 0, 1));
    let e = one_line(store.networks.create(gateway.clone()).unwrap_err());
    assert!(
        e.contains("gateway 10.253.0.1 is outside subnet 10.254.0.0/16"),
        "{e}"
    );
    gateway.gateway = Some(Ipv4Addr::new(10, 254, 255, 255));
    let e = one_line(store.networks.create(gateway).unwrap_err());
    assert!(e.contains("broadcast"), "{e}");

    for bad in [
        "172.18.0.0",
        "172.18.0.0/40",
        "300.1.0.0/16",
        "172.18.0.1/16",
    ] {
        let e = one_line(bad.parse::<Subnet>().unwrap_err());
        assert!(e.contains(bad), "{e}");
    }
    let e = one_line(
        store
            .networks
            .create(NetworkSpec::bridge("bad name!"))
            .unwrap_err(),
    );
    assert!(e.contains("invalid network name"), "{e}");
    let mut driver = NetworkSpec::bridge(&six_testkit::unique_name("tb"));
    driver.driver = "overlay".into();
    let e = one_line(store.networks.create(driver).unwrap_err());
    assert!(e.contains("overlay"), "{e}");

    let e = one_line(store.networks.inspect("no-such-net").unwrap_err());
    assert!(e.contains("not found"), "{e}");
    let e = one_line(store.networks.remove("no-such-net").unwrap_err());
    assert!(e.contains("not found"), "{e}");
    let e = one_line(store.networks.remove(DEFAULT_NETWORK).unwrap_err());
    assert!(e.contains("default network"), "{e}");
    let ns = Netns::new();
    let e = one_line(
        store
            .networks
            .attach("no-such-net", &endpoint(&container_id()), &ns.path(), &[])
            .unwrap_err(),
    );
    assert!(e.contains("not found"), "{e}");
    let e = one_line(
        store
            .networks
            .attach(
                DEFAULT_NETWORK,
                &endpoint(&container_id()),
                "/nonexistent/ns".as_ref(),
                &[],
            )
            .unwrap_err(),
    );
    assert!(e.contains("/nonexistent/ns"), "{e}");

    let e = one_line(
        store
            .networks
            .attach(DEFAULT_NETWORK, &endpoint("bad id/.."), &ns.path(), &[])
            .unwrap_err(),
    );
    assert!(e.contains("invalid container id"), "{e}");

    let names: Vec<String> = store
        .networks
        .list()
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, vec![DEFAULT_NETWORK.to_string(), name.clone()]);
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    other.finish();
    store.finish();
}

#[test]
fn bad_ports_are_refused() {
    for (bad, want) in [
        ("0", "outside 1-65535"),
        ("65536", "outside 1-65535"),
        ("8080:0", "outside"),
        ("80/sctp", "tcp or udp"),
        ("x:80", "not a port"),
    ] {
        let e = one_line(bad.parse::<PortMapping>().unwrap_err());
        assert!(e.contains(want) && e.contains(bad), "{bad}: {e}");
    }
    let store = TestStore::new();
    let ns = Netns::new();
    let zero = PortMapping {
        host_ip: None,
        host_port: Some(0),
        host_port_end: None,
        container_port: 80,
        proto: six_network::Proto::Tcp,
    };
    let e = one_line(
        store
            .networks
            .attach(
                DEFAULT_NETWORK,
                &endpoint(&container_id()),
                &ns.path(),
                &[zero],
            )
            .unwrap_err(),
    );
    assert!(e.contains("outside 1-65535"), "{e}");
    // a port a host process holds
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let mapping: PortMapping = format!("127.0.0.1:{port}:80").parse().unwrap();
    let e = one_line(
        store
            .networks
            .attach(
                DEFAULT_NETWORK,
                &endpoint(&container_id()),
                &ns.path(),
                &[mapping],
            )
            .unwrap_err(),
    );
    assert!(e.contains("in use") && e.contains(&port.to_string()), "{e}");
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    assert!(!ns.output(&["ip", "-o", "link"]).contains("eth0"));
    store.finish();
}

/// Deletes a host link made by the test, on drop.
struct DummyLink(String);

impl Drop for DummyLink {
    fn drop(&mut self) {
        let _ = common::run(std::process::Command::new("ip").args(["link", "del", &self.0]));
    }
}

#[test]
fn a_failing_veth_step_unwinds_lease_rules_and_hosts_line() {
    let store = TestStore::new();
    let ns = Netns::new();
    let id = container_id();
    store
        .networks
        .attach(DEFAULT_NETWORK, &store.endpoint(&id), &ns.path(), &[])
        .unwrap();
    let host_veth = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .host_veth
        .clone();
    store.networks.detach(DEFAULT_NETWORK, &id).unwrap();
    // a link of that name makes the next attach of this container fail at the veth step
    let out = common::run(
        std::process::Command::new("ip").args(["link", "add", &host_veth, "type", "bridge"]),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _dummy = DummyLink(host_veth.clone());

    let port: PortMapping = "127.0.0.1::80".parse().unwrap();
    let e = one_line(
        store
            .networks
            .attach(DEFAULT_NETWORK, &store.endpoint(&id), &ns.path(), &[port])
            .unwrap_err(),
    );
    assert!(e.contains(&host_veth) && e.contains(&id), "{e}");
    assert!(
        store
            .networks
            .inspect(DEFAULT_NETWORK)
            .unwrap()
            .endpoints
            .is_empty(),
        "lease kept"
    );
    let hosts = store.hosts_of(&id);
    assert!(!hosts.contains(&id), "hosts line kept: {hosts}");
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    assert!(!saved.contains(&id), "port rules kept:\n{saved}");
    assert!(
        !ns.output(&["ip", "-o", "link"]).contains("eth0"),
        "half-made interface inside"
    );

    // a path that is not a network namespace
    let not_ns = tempfile::NamedTempFile::new().unwrap();
    let e = one_line(
        store
            .networks
            .attach(
                DEFAULT_NETWORK,
                &endpoint(&container_id()),
                not_ns.path(),
                &[],
            )
            .unwrap_err(),
    );
    assert!(e.contains(&not_ns.path().display().to_string()), "{e}");
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    store.finish();
}
