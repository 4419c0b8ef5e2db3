//! `--ip` and `--network-alias` (and `network connect --ip --alias`) as a Docker user types
//! them (issue 11, run flags), checked against dockerd 20.10: the address is the container's
//! on a user-defined network whose subnet was given, the aliases resolve there (and only
//! there), and every refusal names the value: exit 125 for `run`, nothing left made.

mod common;

use common::{unique_name, Sandbox};

/// `run --rm --network NET FLAGS busybox sh -c SCRIPT`: its output.
fn run_on(sb: &Sandbox, net: &str, flags: &[&str], script: &str) -> String {
    let mut args = vec!["run", "--rm", "--network", net];
    args.extend_from_slice(flags);
    args.extend(["busybox", "sh", "-c", script]);
    sb.run(&args).ok().to_owned()
}

#[test]
fn a_fixed_address_and_aliases_on_a_user_network() {
    let sb = Sandbox::new().with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    let net = unique_name("ipnet");
    sb.run(["network", "create", "--subnet", "10.217.31.0/24", &net])
        .ok();
    let db = unique_name("db");
    sb.run([
        "run",
        "-d",
        "--name",
        &db,
        "--network",
        &net,
        "--ip",
        "10.217.31.50",
        "--network-alias",
        "database",
        "--network-alias",
        "db.internal",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    let own = sb.run(["exec", &db, "ip", "-4", "addr", "show", "eth0"]);
    assert!(own.ok().contains("inet 10.217.31.50/24"), "{own:?}");
    // the other containers of the network resolve its aliases to that address
    let seen = run_on(
        &sb,
        &net,
        &[],
        "ping -c 1 -W 5 database | head -1; ping -c 1 -W 5 db.internal >/dev/null && echo reached",
    );
    assert!(seen.contains("(10.217.31.50)"), "{seen}");
    assert!(seen.contains("reached"), "{seen}");
    let doc = sb.inspect(&db);
    let endpoint = &doc["NetworkSettings"]["Networks"][&net];
    assert_eq!(
        endpoint["IPAMConfig"],
        serde_json::json!({"IPv4Address": "10.217.31.50"})
    );
    let short_id = &sb.id_of(&db)[..12];
    assert_eq!(
        endpoint["Aliases"],
        serde_json::json!(["database", "db.internal", short_id])
    );
    assert_eq!(endpoint["IPAddress"], "10.217.31.50");
    // the address is taken: another container cannot have it, and is not left made
    let before = sb.container_ids().len();
    sb.run([
        "run", "--rm", "--network", &net, "--ip", "10.217.31.50", "busybox", "true",
    ])
    .fails(
        125,
        &format!("address 10.217.31.50 is already in use on network \"{net}\": container {short_id} has it"),
    );
    assert_eq!(sb.container_ids().len(), before, "nothing left made");
    // network connect --ip --alias: on a running container at once, and kept
    let other = unique_name("other");
    sb.run(["run", "-d", "--name", &other, "busybox", "sleep", "1000"])
        .ok();
    sb.run([
        "network",
        "connect",
        "--ip",
        "10.217.31.62",
        "--alias",
        "cache",
        &net,
        &other,
    ])
    .ok();
    let reached = sb.run(["exec", &db, "sh", "-c", "ping -c 1 -W 5 cache | head -1"]);
    assert!(reached.ok().contains("(10.217.31.62)"), "{reached:?}");
    sb.run(["restart", "-t", "0", &other]).ok();
    let doc = sb.inspect(&other);
    assert_eq!(
        doc["NetworkSettings"]["Networks"][&net]["IPAddress"],
        "10.217.31.62"
    );
    let hosts = sb.run(["exec", &db, "cat", "/etc/hosts"]);
    assert!(hosts.ok().contains("10.217.31.62\t"), "{hosts:?}");
    assert!(hosts.ok().contains(" cache\n"), "{hosts:?}");
    // the aliases are names on that network only: the default one shares none
    let on_bridge = run_on(&sb, "bridge", &[], "ping -c 1 -W 1 database 2>&1; true");
    assert!(on_bridge.contains("bad address"), "{on_bridge}");
    // disconnected, its settings there are gone with it
    sb.run(["network", "disconnect", &net, &other]).ok();
    let doc = sb.inspect(&other);
    assert!(doc["NetworkSettings"]["Networks"].get(&net).is_none());
}

#[test]
fn addresses_and_aliases_docker_refuses_are_refused_by_name() {
    let sb = Sandbox::new().with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    let net = unique_name("ipnet");
    sb.run(["network", "create", "--subnet", "10.217.32.0/24", &net])
        .ok();
    let chosen = unique_name("chosen");
    sb.run(["network", "create", &chosen]).ok();
    let no_subnet = format!("network \"{chosen}\" has none");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--ip", "bogus"], "invalid IPv4 address \"bogus\""),
        (vec!["--ip", "::1"], "invalid IPv4 address \"::1\""),
        (
            vec!["--ip", "10.217.32.5"],
            "user specified IP address is supported on user defined networks only",
        ),
        (
            vec!["--network", "none", "--ip", "10.217.32.5"],
            "user specified IP address is supported on user defined networks only",
        ),
        (
            vec!["--network", &net, "--ip", "10.217.99.5"],
            "invalid address 10.217.99.5: it does not belong to subnet 10.217.32.0/24",
        ),
        (
            vec!["--network", &net, "--ip", "10.217.32.1"],
            "address 10.217.32.1 is already in use",
        ),
        (
            vec!["--network", &chosen, "--ip", "172.31.250.5"],
            &no_subnet,
        ),
        (
            vec!["--network-alias", "web"],
            "network-scoped aliases are only supported for user-defined networks",
        ),
        (
            vec!["--network", &net, "--network-alias", "a b"],
            "invalid network alias \"a b\"",
        ),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["run", "--rm"];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        sb.run(&args).fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "nothing made");
    let c = unique_name("c");
    sb.run(["create", "--name", &c, "--network", &net, "busybox"])
        .ok();
    let out = sb.run(["network", "connect", "--alias", "x", "bridge", &c]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("network-scoped aliases are only supported"),
        "{out:?}"
    );
}

#[test]
fn network_connect_and_disconnect_are_in_the_events_journal() {
    let sb = Sandbox::new().with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    let net = unique_name("evnet");
    sb.run(["network", "create", "--subnet", "10.217.33.0/24", &net])
        .ok();
    let c = unique_name("ev");
    sb.run(["run", "-d", "--name", &c, "busybox", "sleep", "1000"])
        .ok();
    let id = sb.id_of(&c);
    sb.run(["network", "connect", "--alias", "x", &net, &c])
        .ok();
    sb.run(["network", "disconnect", &net, &c]).ok();
    // `--until 0s` is now to the second, as Docker's: wait for the second to pass
    let format = "{{.Action}} {{.Actor.Attributes.container}} {{.Actor.Attributes.name}}";
    let filter = format!("network={net}");
    let args = [
        "events",
        "--since",
        "10m",
        "--until",
        "0s",
        "--filter",
        "type=network",
        "--filter",
        &filter,
        "--format",
        format,
    ];
    let lines = sb.wait_for(
        "the disconnect event",
        std::time::Duration::from_secs(30),
        || {
            let out = sb.run(args).ok().to_owned();
            out.contains("disconnect").then_some(out)
        },
    );
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        [
            format!("create <no value> {net}"),
            format!("connect {id} {net}"),
            format!("disconnect {id} {net}"),
        ]
    );
}
