//! Published ports on real namespaces: TCP from the host via 127.0.0.1 and the gateway,
//! from another container (hairpin), UDP, `-p IP:HOSTPORT:CPORT`, refusal of a port
//! already published, and no rule left afterwards. Traffic goes only to loopback and to
//! addresses this test created (the first test in a network namespace of its own).

mod common;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use common::{container_id, endpoint, http_get, http_get_once, Httpd, Netns, TestStore};
use six_network::{PortMapping, Proto, DEFAULT_NETWORK};

/// A UDP socket bound to `port` inside `ns` (opened by a thread that entered the namespace).
fn udp_socket_in(ns: &Netns, port: u16) -> UdpSocket {
    let file = std::fs::File::open(ns.path()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::setns(file.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, port)).unwrap()
        })
        .join()
        .unwrap()
    })
}

fn host_port(mapping: &PortMapping) -> u16 {
    mapping.host_port.expect("host port assigned")
}

/// In a network namespace of the test's own, with IP forwarding on there: the hairpin
/// check needs it, and a host setting is never the test's to change.
#[test]
fn published_ports_answer_from_host_gateway_and_other_containers() {
    common::in_own_netns(published_ports_answer);
}

fn published_ports_answer() {
    let store = TestStore::new();
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    let (server, client) = (Netns::new(), Netns::new());
    let (id_server, id_client) = (container_id(), container_id());
    let www = tempfile::tempdir().unwrap();
    let marker = format!("hello from {id_server}");
    std::fs::write(www.path().join("index.html"), &marker).unwrap();
    let _httpd = Httpd::start(&server, www.path());
    let udp_server = udp_socket_in(&server, 5353);

    let explicit = common::free_loopback_port();
    let ports: Vec<PortMapping> = ["80", &format!("127.0.0.1:{explicit}:80"), "5353/udp"]
        .iter()
        .map(|p| p.parse().unwrap())
        .collect();
    let (attached, at_client) =
        store.attach_server_and_client((&server, &id_server), (&client, &id_client), &ports);
    assert_eq!(attached.ports.len(), 3);
    assert_eq!(attached.ports[1].host_port, Some(explicit));
    let (tcp, udp) = (host_port(&attached.ports[0]), host_port(&attached.ports[2]));
    assert_eq!(attached.ports[2].proto, Proto::Udp);
    assert!(tcp >= 49153 && udp >= 49153, "{tcp} {udp}");

    // TCP: host via 127.0.0.1, via the gateway, via the explicit 127.0.0.1 mapping
    let body = http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, tcp)), &marker);
    assert!(body.contains(&marker), "127.0.0.1:{tcp}: {body}");
    let body = http_get(SocketAddr::from((net.gateway, tcp)), &marker);
    assert!(body.contains(&marker), "{}:{tcp}: {body}", net.gateway);
    let body = http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, explicit)), &marker);
    assert!(body.contains(&marker), "127.0.0.1:{explicit}: {body}");
    // the explicit mapping is only on 127.0.0.1
    let body = http_get_once(SocketAddr::from((net.gateway, explicit)));
    assert!(
        !body.contains(&marker),
        "{}:{explicit} answered though published on 127.0.0.1 only",
        net.gateway
    );

    // hairpin: another container through the gateway's published port (the kernel routes
    // it back into the bridge only with IP forwarding on: this namespace has it).
    // (busybox wget crashes on this host, so nc speaks HTTP/1.0)
    let request = format!(
        "printf 'GET /index.html HTTP/1.0\\r\\n\\r\\n' | busybox nc -w 5 {} {tcp}",
        net.gateway
    );
    let fetched = client.output(&["busybox", "sh", "-c", &request]);
    assert!(
        fetched.contains(&marker),
        "{}:{tcp} from {}: {fetched}",
        net.gateway,
        at_client.ip
    );

    // UDP: a datagram to 127.0.0.1 reaches the container, its answer comes back
    let host_udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    host_udp
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    udp_server
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = [0u8; 64];
    let answer = loop {
        host_udp
            .send_to(b"ping", (Ipv4Addr::LOCALHOST, udp))
            .unwrap();
        if let Ok((n, from)) = udp_server.recv_from(&mut buf) {
            assert_eq!(&buf[..n], b"ping");
            udp_server.send_to(b"pong", from).unwrap();
            if let Ok(n) = host_udp.recv(&mut buf) {
                break buf[..n].to_vec();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no UDP answer through 127.0.0.1:{udp}"
        );
    };
    assert_eq!(answer, b"pong");

    // a host port already published is refused, and that attach leaves nothing
    let third = Netns::new();
    let id_third = container_id();
    let again: PortMapping = format!("{tcp}:8080").parse().unwrap();
    let e = store
        .networks
        .attach(
            DEFAULT_NETWORK,
            &endpoint(&id_third),
            &third.path(),
            &[again],
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("already published") && e.contains(&tcp.to_string()),
        "{e}"
    );
    let net_now = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    assert!(
        !net_now.endpoints.iter().any(|e| e.id == id_third),
        "half-made endpoint left"
    );
    assert!(!third.output(&["ip", "-o", "link"]).contains("eth0"));

    // detaching removes exactly the server's rules
    store.networks.detach(DEFAULT_NETWORK, &id_server).unwrap();
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    assert!(
        !saved.contains(&id_server),
        "rules of {id_server} left:\n{saved}"
    );
    assert!(
        saved.contains(&format!("six:{DEFAULT_NETWORK}")),
        "the network's own rules went too:\n{saved}"
    );
    store.networks.detach(DEFAULT_NETWORK, &id_client).unwrap();
    store.finish();
}

#[test]
fn internal_network_refuses_ports() {
    let store = TestStore::new();
    let name = six_testkit::unique_name("ti");
    let mut spec = six_network::NetworkSpec::bridge(&name);
    spec.internal = true;
    store.networks.create(spec).unwrap();
    let ns = Netns::new();
    let e = store
        .networks
        .attach(
            &name,
            &endpoint(&container_id()),
            &ns.path(),
            &["80".parse().unwrap()],
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("internal"), "{e}");
    assert!(store.networks.inspect(&name).unwrap().endpoints.is_empty());
    // attached without ports: its rules only drop traffic in and out, no NAT
    let id = container_id();
    store
        .networks
        .attach(&name, &endpoint(&id), &ns.path(), &[])
        .unwrap();
    let bridge = store.networks.inspect(&name).unwrap().bridge;
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    let ours: Vec<&str> = saved.lines().filter(|l| l.contains(&bridge)).collect();
    assert!(ours.iter().any(|l| l.contains("-j DROP")), "{ours:?}");
    assert!(
        !ours
            .iter()
            .any(|l| l.contains("MASQUERADE") || l.contains("ACCEPT")),
        "{ours:?}"
    );
    store.networks.detach(&name, &id).unwrap();
    store.finish();
}

#[test]
fn network_rules_come_back_with_the_next_published_port_after_a_flush() {
    let store = TestStore::new();
    let (a, b) = (Netns::new(), Netns::new());
    let (ida, idb) = (container_id(), container_id());
    let port: PortMapping = "127.0.0.1::80".parse().unwrap();
    store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&ida), &a.path(), &[port])
        .unwrap();
    // a firewall reload empties our masquerade chain (only this store's own chain)
    let post = store.networks.firewall_names()[1].clone();
    let flushed =
        common::run(std::process::Command::new("iptables").args(["-t", "nat", "-F", &post]));
    assert!(flushed.status.success());
    store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&idb), &b.path(), &[port])
        .unwrap();
    let saved = String::from_utf8_lossy(
        &common::run(&mut std::process::Command::new("iptables-save")).stdout,
    )
    .into_owned();
    let masquerades = saved
        .lines()
        .filter(|l| l.starts_with(&format!("-A {post} ")) && l.contains("MASQUERADE"))
        .count();
    assert_eq!(masquerades, 3, "network rules not restored:\n{saved}");
    assert!(
        saved.contains(&format!("six:{DEFAULT_NETWORK}:{ida}")),
        "the first container's rules went:\n{saved}"
    );
    store.networks.detach(DEFAULT_NETWORK, &ida).unwrap();
    store.networks.detach(DEFAULT_NETWORK, &idb).unwrap();
    store.finish();
}
