//! Each firewall backend through the CLI (`SIXDOCKER_FIREWALL_BACKEND=nftables|iptables`),
//! every command run in a network namespace of the test's own that plays the host: a
//! published port answers on 127.0.0.1 and, through the gateway, to another container
//! (hairpin); containers reach each other by name; the rules are in the chosen backend
//! only, and go (the store's nftables table or iptables chains) with its last network.
//! Traffic goes only to loopback and to the test's own containers.

mod common;

use std::process::Command;
use std::time::Duration;

use common::{free_port, http_get, unique_name, Sandbox};
use six_testkit::OwnNetns;

const LONG: Duration = Duration::from_secs(60);

/// The rules of `netns` in one backend's listing (`nft list ruleset`, `iptables-save`).
fn listing(netns: &OwnNetns, backend: &str) -> String {
    let out = netns.run(|| match backend {
        "nftables" => Command::new("nft").args(["list", "ruleset"]).output(),
        _ => Command::new("iptables-save").output(),
    });
    let out = out.expect("listing the firewall");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// What marks a store's rules in each backend's listing: its nftables table, its iptables
/// chains.
fn mark(backend: &str) -> &'static str {
    if backend == "nftables" {
        "table ip sixdocker-"
    } else {
        ":SIXDOCKER-"
    }
}

fn publish_and_reach(backend: &str, subnet: &str) {
    let netns = OwnNetns::new();
    let sb = Sandbox::new()
        .in_netns(&netns)
        .with_env("SIXDOCKER_FIREWALL_BACKEND", backend);
    let net = unique_name("fw");
    sb.run([
        "network",
        "create",
        "--subnet",
        &format!("{subnet}.0/24"),
        &net,
    ])
    .ok();
    let www = sb.dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), format!("served over {backend}\n")).unwrap();
    let port = netns.run(free_port);
    let web = unique_name("web");
    sb.sh(&format!(
        "run -d --name {web} --network {net} -p {port}:80 -v {}:/www:ro busybox httpd -f -p 80 -h /www",
        www.display()
    ))
    .ok();
    let want = format!("served over {backend}");
    let page = sb.wait_for("the published port", LONG, || {
        netns
            .run(|| http_get("127.0.0.1", port, "/"))
            .filter(|p| p.contains(&want))
    });
    assert!(page.contains(&want), "{page}");

    // from another container: by name, and through the gateway's published port (hairpin)
    // (busybox wget crashes on this host: nc speaks HTTP/1.0)
    for (host, to) in [(web.clone(), 80), (format!("{subnet}.1"), port)] {
        let fetch = format!("printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 {host} {to}");
        let got = sb.wait_for(&format!("{host}:{to} from a container"), LONG, || {
            let r = sb.run([
                "run",
                "--rm",
                "--network",
                &net,
                "busybox",
                "sh",
                "-c",
                &fetch,
            ]);
            r.stdout.contains(&want).then_some(r.stdout)
        });
        assert!(got.contains(&want), "{backend}: {host}:{to}: {got}");
    }

    // the rules are in the chosen backend, not in the other
    let other = if backend == "nftables" {
        "iptables"
    } else {
        "nftables"
    };
    assert!(
        listing(&netns, backend).contains(mark(backend)),
        "{backend}: no rules:\n{}",
        listing(&netns, backend)
    );
    assert!(
        !listing(&netns, other).contains(mark(other)),
        "{backend}: rules in {other}:\n{}",
        listing(&netns, other)
    );

    // the container's rules go with it, the store's table or chains with its last network
    sb.run(["rm", "-f", &web]).ok();
    assert!(
        netns.run(|| http_get("127.0.0.1", port, "/")).is_none(),
        "{backend}: the port still answers"
    );
    sb.run(["network", "rm", &net]).ok();
    let left = listing(&netns, backend);
    assert!(
        !left.contains(mark(backend)),
        "{backend}: left after the last network went:\n{left}"
    );
    drop(sb);
}

#[test]
fn nftables_publishes_and_connects() {
    publish_and_reach("nftables", "10.211.41");
}

#[test]
fn iptables_publishes_and_connects() {
    publish_and_reach("iptables", "10.211.42");
}

/// A setting that names neither backend is refused by name.
#[test]
fn an_unknown_backend_is_refused() {
    let netns = OwnNetns::new();
    let sb = Sandbox::new().in_netns(&netns);
    let bad = std::ffi::OsStr::new("ipfw");
    sb.run_with(
        &[("SIXDOCKER_FIREWALL_BACKEND", bad)],
        ["network", "create", &unique_name("fw")],
    )
    .fails(
        1,
        "SIXDOCKER_FIREWALL_BACKEND=\"ipfw\": expected nftables, iptables or auto",
    );
}
