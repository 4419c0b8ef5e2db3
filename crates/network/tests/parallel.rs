//! 50 attaches at once from 50 separate processes: distinct addresses, all in the subnet.
//! The children are this test binary re-run with `--ignored --exact attach_child`.

mod common;

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use common::{endpoint, Netns, TestStore};
use six_network::{FirewallBackend, Networks, DEFAULT_NETWORK};

const CHILDREN: usize = 50;

/// Runs `count` children at once, each attaching its own namespace (publishing `publish`
/// when given); returns the namespaces, ids and each child's stdout.
fn attach_in_parallel(
    store: &TestStore,
    count: usize,
    publish: Option<&str>,
) -> (Vec<Netns>, Vec<String>, Vec<String>) {
    let namespaces: Vec<Netns> = (0..count).map(|_| Netns::new()).collect();
    let ids: Vec<String> = (0..count).map(|_| common::container_id()).collect();
    let children: Vec<_> = namespaces
        .iter()
        .zip(&ids)
        .map(|(ns, id)| {
            let mut cmd = Command::new(std::env::current_exe().unwrap());
            cmd.args([
                "--ignored",
                "--exact",
                "attach_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("SIX_NET_CHILD_ROOT", store.root.path())
            .env("SIX_NET_CHILD_NETNS", ns.path())
            .env("SIX_NET_CHILD_ID", id)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
            if let Some(spec) = publish {
                cmd.env("SIX_NET_CHILD_PUBLISH", spec);
            }
            cmd.spawn().unwrap()
        })
        .collect();
    let outputs = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "child failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
        })
        .collect();
    (namespaces, ids, outputs)
}

fn values<'a>(stdout: &'a str, key: &str) -> Vec<&'a str> {
    stdout.lines().filter_map(|l| l.split(key).nth(1)).collect()
}

#[test]
fn fifty_parallel_attaches_from_separate_processes_get_distinct_addresses() {
    let store = TestStore::new();
    let (namespaces, ids, outputs) = attach_in_parallel(&store, CHILDREN, None);
    let mut addresses = HashSet::new();
    for stdout in &outputs {
        let ip: Ipv4Addr = values(stdout, "ATTACHED ")[0].parse().unwrap();
        assert!(addresses.insert(ip), "{ip} handed out twice");
    }
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    assert_eq!(net.endpoints.len(), CHILDREN);
    assert!(addresses
        .iter()
        .all(|ip| net.subnet.contains(*ip) && *ip != net.gateway));
    let recorded: HashSet<Ipv4Addr> = net.endpoints.iter().map(|e| e.ip).collect();
    assert_eq!(recorded, addresses);
    for id in &ids {
        store.networks.detach(DEFAULT_NETWORK, id).unwrap();
    }
    assert!(store
        .networks
        .inspect(DEFAULT_NETWORK)
        .unwrap()
        .endpoints
        .is_empty());
    drop(namespaces);
    store.finish();
}

#[test]
fn parallel_attaches_publishing_a_port_get_distinct_host_ports() {
    let store = TestStore::new();
    let (namespaces, ids, outputs) = attach_in_parallel(&store, 10, Some("127.0.0.1::80"));
    let mut ports = HashSet::new();
    for stdout in &outputs {
        let port: u16 = values(stdout, "PUBLISHED ")[0].parse().unwrap();
        assert!(ports.insert(port), "host port {port} handed out twice");
    }
    for id in &ids {
        store.networks.detach(DEFAULT_NETWORK, id).unwrap();
    }
    let saved = String::from_utf8_lossy(&common::run(&mut Command::new("iptables-save")).stdout)
        .into_owned();
    assert!(
        ids.iter().all(|id| !saved.contains(id.as_str())),
        "rules left:\n{saved}"
    );
    drop(namespaces);
    store.finish();
}

#[test]
fn two_detaches_of_one_container_side_by_side_release_it_once() {
    let store = TestStore::new();
    let ns = Netns::new();
    let id = common::container_id();
    store
        .networks
        .attach(DEFAULT_NETWORK, &store.endpoint(&id), &ns.path(), &[])
        .unwrap();
    let host_veth = store.networks.inspect(DEFAULT_NETWORK).unwrap().endpoints[0]
        .host_veth
        .clone();
    let results: Vec<_> = std::thread::scope(|scope| {
        let detaches: Vec<_> = (0..2)
            .map(|_| scope.spawn(|| store.networks.detach(DEFAULT_NETWORK, &id)))
            .collect();
        detaches.into_iter().map(|d| d.join().unwrap()).collect()
    });
    // each one either did the work or found it done; neither fails for another reason
    assert!(results.iter().any(|r| r.is_ok()), "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(six_network::Error::NotAttached { .. }))),
        "{results:?}"
    );
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();
    assert!(net.endpoints.is_empty(), "{:?}", net.endpoints);
    let hosts = store.hosts_of(&id);
    assert!(!hosts.contains(id.as_str()), "{hosts}");
    // the namespace is alive (held by our child): the pair is deleted, not left to the kernel
    let shown = common::run(Command::new("ip").args(["link", "show"]));
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(!shown.contains(&host_veth), "{host_veth} left:\n{shown}");
    drop(ns);
    store.finish();
}

/// Not a test: the child process of the test above (runs only with its environment).
#[test]
#[ignore = "child process of the parallel tests above"]
fn attach_child() {
    let (Some(root), Some(netns), Some(id)) = (
        std::env::var_os("SIX_NET_CHILD_ROOT"),
        std::env::var_os("SIX_NET_CHILD_NETNS"),
        std::env::var("SIX_NET_CHILD_ID").ok(),
    ) else {
        panic!("attach_child runs only as the child of the parallel test");
    };
    let ports: Vec<six_network::PortMapping> = match std::env::var("SIX_NET_CHILD_PUBLISH") {
        Ok(spec) => vec![spec.parse().unwrap()],
        Err(_) => Vec::new(),
    };
    let networks =
        Networks::open_with(root.as_ref(), common::options(FirewallBackend::Iptables)).unwrap();
    let attachment = networks
        .attach(DEFAULT_NETWORK, &endpoint(&id), netns.as_ref(), &ports)
        .unwrap();
    println!("\nATTACHED {}", attachment.ip);
    for port in attachment.ports {
        println!("\nPUBLISHED {}", port.host_port.unwrap());
    }
}
