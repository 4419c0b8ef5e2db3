//! 50 attaches at once from 50 separate processes: distinct addresses, all in the subnet.
//! The children are this test binary re-run with `--ignored --exact attach_child`.

mod common;

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::process::{Command, Stdio};

use common::{endpoint, Netns, TestStore};
use six_network::{Networks, OpenOptions, DEFAULT_NETWORK};

const CHILDREN: usize = 50;

#[test]
fn fifty_parallel_attaches_from_separate_processes_get_distinct_addresses() {
    let store = TestStore::new();
    let namespaces: Vec<Netns> = (0..CHILDREN).map(|_| Netns::new()).collect();
    let ids: Vec<String> = (0..CHILDREN).map(|_| common::container_id()).collect();
    let children: Vec<_> = namespaces
        .iter()
        .zip(&ids)
        .map(|(ns, id)| {
            Command::new(std::env::current_exe().unwrap())
                .args([
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
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut addresses = HashSet::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ip: Ipv4Addr = stdout
            .lines()
            .find_map(|l| l.split("ATTACHED ").nth(1))
            .unwrap_or_else(|| panic!("no address in {stdout}"))
            .parse()
            .unwrap();
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

/// Not a test: the child process of the test above (runs only with its environment).
#[test]
#[ignore = "child process of fifty_parallel_attaches_from_separate_processes_get_distinct_addresses"]
fn attach_child() {
    let (Some(root), Some(netns), Some(id)) = (
        std::env::var_os("SIX_NET_CHILD_ROOT"),
        std::env::var_os("SIX_NET_CHILD_NETNS"),
        std::env::var("SIX_NET_CHILD_ID").ok(),
    ) else {
        panic!("attach_child runs only as the child of the parallel test");
    };
    let networks = Networks::open_with(root.as_ref(), OpenOptions { ip_forward: false }).unwrap();
    let attachment = networks
        .attach(DEFAULT_NETWORK, &endpoint(&id), netns.as_ref(), &[])
        .unwrap();
    println!("\nATTACHED {}", attachment.ip);
}
