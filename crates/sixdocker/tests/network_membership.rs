//! Which networks a container is on, as under Docker (issue 11, "Fix"): `--network none` is
//! a namespace of its own with `lo` up; `network connect` makes a container resolvable by
//! name on the network it joins, from then on (restarts, a created container's first start),
//! and `disconnect` lasts too. Behaviour and messages checked against dockerd 20.10.

mod common;

use common::{unique_name, Sandbox};

#[test]
fn network_none_has_loopback_up() {
    let sb = Sandbox::new();
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "ip -4 addr; ping -c 1 -W 5 127.0.0.1 >/dev/null && echo reached",
    ]);
    let text = out.ok();
    assert!(text.contains("inet 127.0.0.1/8"), "{text}");
    assert!(text.contains("reached"), "{text}");
    assert!(!text.contains("eth0"), "no other interface: {text}");
    // a detached one too, seen from exec
    let name = unique_name("lo");
    sb.run(common::detached_args(&name, &["sleep", "600"])).ok();
    let link = sb.run(["exec", &name, "ip", "link", "show", "lo"]);
    assert!(link.ok().contains(",UP"), "{link:?}");
}

/// `ping -c 1 NAME` from `from`: whether NAME resolved and answered.
fn pings(sb: &Sandbox, from: &str, name: &str) -> bool {
    sb.run(["exec", from, "ping", "-c", "1", "-W", "5", name])
        .code
        == 0
}

#[test]
fn connect_makes_a_container_resolvable_by_name_and_lasts() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.30.0/24", &net])
        .ok();
    let (a, b) = (unique_name("a"), unique_name("b"));
    sb.sleeper_on(&net, &a);
    // b starts on the default network: a cannot resolve it
    sb.run(["run", "-d", "--name", &b, "busybox", "sleep", "600"])
        .ok();
    assert!(!pings(&sb, &a, &b));
    sb.run(["network", "connect", &net, &b]).ok();
    assert!(pings(&sb, &a, &b), "a resolves b on {net}");
    assert!(pings(&sb, &b, &a), "b resolves a on {net}");
    // connected for good: after a restart too
    sb.run(["restart", "-t", "0", &b]).ok();
    assert!(pings(&sb, &a, &b), "after a restart");
    // and disconnected for good
    sb.run(["network", "disconnect", &net, &b]).ok();
    assert!(!pings(&sb, &a, &b));
    sb.run(["restart", "-t", "0", &b]).ok();
    assert!(!pings(&sb, &a, &b), "after a restart");
    let addrs = sb.run(["exec", &b, "ip", "-4", "addr"]);
    assert!(!addrs.ok().contains("10.211.30."), "{addrs:?}");
}

#[test]
fn a_created_container_joins_the_networks_connected_before_its_start() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.31.0/24", &net])
        .ok();
    let (a, c) = (unique_name("a"), unique_name("c"));
    sb.sleeper_on(&net, &a);
    sb.run(["create", "--name", &c, "busybox", "sleep", "600"])
        .ok();
    sb.run(["network", "connect", &net, &c]).ok();
    sb.run(["start", &c]).ok();
    assert!(pings(&sb, &a, &c));
    // a container on none leaves it first, then joins
    let d = unique_name("d");
    sb.sleeper_on("none", &d);
    sb.run(["network", "connect", &net, &d]).fails(
        1,
        "container cannot be connected to multiple networks with one of the networks in private (none) mode",
    );
    sb.run(["network", "disconnect", "none", &d]).ok();
    sb.run(["network", "connect", &net, &d]).ok();
    assert!(pings(&sb, &a, &d));
    assert!(pings(&sb, &d, &a), "its own hosts file names the others");
}

#[test]
fn connect_refusals_are_dockers() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.32.0/24", &net])
        .ok();
    let (a, h) = (unique_name("a"), unique_name("h"));
    sb.sleeper_on(&net, &a);
    sb.run(["network", "connect", &net, &a]).fails(
        1,
        &format!("endpoint with name {a} already exists in network {net}"),
    );
    sb.run(["network", "connect", "nosuch", &a])
        .fails(1, "network \"nosuch\" not found");
    sb.run(["network", "disconnect", "bridge", &a]).fails(
        1,
        &format!("container {a} is not connected to network bridge"),
    );
    sb.run(["network", "connect", &net, "nosuch"])
        .fails(1, "no such container: nosuch");
    sb.sleeper_on("host", &h);
    sb.run(["network", "connect", &net, &h]).fails(
        1,
        "container sharing network namespace with another container or host cannot be connected to any other network",
    );
    sb.run(["network", "disconnect", "host", &h]).fails(
        1,
        "container cannot be disconnected from host network or connected to host network",
    );
}
