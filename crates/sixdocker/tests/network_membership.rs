//! Which networks a container is on, as under Docker (issue 11, "Fix"): `--network none` is
//! a namespace of its own with `lo` up; `network connect` makes a container resolvable by
//! name on the network it joins, from then on (restarts, a created container's first start),
//! and `disconnect` lasts too; `--network container:NAME` shares NAME's namespace, name and
//! /etc files. Behaviour and messages checked against dockerd 20.10.

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

#[test]
fn network_container_shares_another_containers_namespace() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.33.0/24", &net])
        .ok();
    let (web, other) = (unique_name("web"), unique_name("other"));
    sb.sleeper_on(&net, &web);
    sb.sleeper_on(&net, &other);
    let mode = format!("container:{web}");
    let inside = sb.run([
        "run", "--rm", "--network", &mode, "busybox", "sh", "-c",
        "hostname; ip -4 addr show eth0 | grep -o 'inet [0-9.]*'; ping -c 1 -W 5 OTHER >/dev/null && echo resolved"
            .replace("OTHER", &other)
            .as_str(),
    ]);
    let web_name = sb.run(["exec", &web, "hostname"]).ok().to_owned();
    let web_ip = sb.inspect(&web)["NetworkSettings"]["Networks"][&net]["IPAddress"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        inside.ok(),
        format!("{web_name}inet {web_ip}\nresolved\n"),
        "its name, its address, its hosts file"
    );
    // what only a namespace of one's own can have is refused
    for (flags, needle) in [
        (
            vec!["-p", "80:80"],
            "port publishing and the container type network mode",
        ),
        (vec!["-h", "x"], "hostname and the network mode"),
        (
            vec!["--add-host", "a:1.1.1.1"],
            "custom host-to-IP mapping and the network mode",
        ),
        (vec!["--dns", "1.1.1.1"], "dns and the network mode"),
    ] {
        let mut args = vec!["run", "--rm", "--network", &mode];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        sb.run(&args).fails(125, needle);
    }
    sb.run([
        "run",
        "--rm",
        "--network",
        "container:nosuch",
        "busybox",
        "true",
    ])
    .fails(125, "no such container: nosuch");
    // it needs the other to run, at every start
    let dep = unique_name("dep");
    sb.run([
        "create",
        "--name",
        &dep,
        "--network",
        &mode,
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let web_id = sb.id_of(&web);
    assert_eq!(
        sb.inspect(&dep)["HostConfig"]["NetworkMode"],
        format!("container:{web_id}").as_str()
    );
    sb.run(["stop", "-t", "0", &web]).ok();
    sb.run(["start", &dep]).fails(
        1,
        &format!("cannot join network of a non running container: {web_id}"),
    );
    sb.run(["start", &web]).ok();
    sb.run(["start", &dep]).ok();
    sb.run(["network", "connect", &net, &dep]).fails(
        1,
        "container sharing network namespace with another container or host cannot be connected to any other network",
    );
}
