//! `-p` with an IPv6 host address (issue 11, run flags), as a Docker user types it:
//! `-p [::1]:PORT:80` reaches the container (through its monitor's relay, as Docker's
//! userland proxy), `ps` and `port` show it as Docker's do, the port is free again when the
//! container stops; an address that is not the host's, or a host without IPv6, is refused
//! by name. Traffic only to loopback.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::{unique_name, Sandbox};

/// A free TCP port on [::1] (None: this host has no IPv6 loopback).
fn free_v6_port() -> Option<u16> {
    let l = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).ok()?;
    Some(l.local_addr().ok()?.port())
}

/// GET / on [::1]:port: the body, or None.
fn get_v6(port: u16) -> Option<String> {
    let at = SocketAddr::from((Ipv6Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&at, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

#[test]
fn a_port_on_an_ipv6_host_address_reaches_the_container() {
    let Some(port) = free_v6_port() else {
        eprintln!("this host has no IPv6 loopback: see the refusal test");
        return;
    };
    let sb = Sandbox::new().with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    let www = sb.dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "over ipv6\n").unwrap();
    let web = unique_name("web6");
    sb.run([
        "run",
        "-d",
        "--name",
        &web,
        "-p",
        &format!("[::1]:{port}:80"),
        "-v",
        &format!("{}:/www:ro", www.display()),
        "busybox",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])
    .ok();
    let body = sb.wait_for("the page over [::1]", Duration::from_secs(60), || {
        get_v6(port)
    });
    assert_eq!(body, "over ipv6\n");
    // a second request, and a large one both ways, through the same relay
    assert_eq!(get_v6(port).as_deref(), Some("over ipv6\n"));
    let ports = sb.run(["port", &web]);
    assert_eq!(ports.ok(), format!("80/tcp -> [::1]:{port}\n"));
    let ps = sb.run([
        "ps",
        "--filter",
        &format!("name={web}"),
        "--format",
        "{{.Ports}}",
    ]);
    assert_eq!(ps.ok().trim(), format!("[::1]:{port}->80/tcp")); // Docker 28's CLI
                                                                 // the port is taken while it runs, and free once it stops
    let other = sb.run([
        "run",
        "--rm",
        "-p",
        &format!("[::1]:{port}:80"),
        "busybox",
        "true",
    ]);
    assert_eq!(other.code, 125, "{other:?}");
    assert!(
        other.stderr.contains(&format!("host port {port}/tcp")),
        "{other:?}"
    );
    sb.run(["stop", "-t", "0", &web]).ok();
    assert!(get_v6(port).is_none(), "nothing listens after the stop");
    assert!(TcpListener::bind((Ipv6Addr::LOCALHOST, port)).is_ok());
    // no host port given: one is chosen
    let any = unique_name("any6");
    sb.run([
        "run",
        "-d",
        "--name",
        &any,
        "-p",
        "[::1]::80",
        "busybox",
        "sleep",
        "1000",
    ])
    .ok();
    let shown = sb.run(["port", &any, "80"]);
    assert!(shown.ok().starts_with("[::1]:"), "{shown:?}");
}

#[test]
fn ipv6_addresses_not_the_hosts_are_refused_by_name() {
    let sb = Sandbox::new().with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    sb.run([
        "run",
        "--rm",
        "-p",
        "[2001:db8::1]:18080:80",
        "busybox",
        "true",
    ])
    .fails(
        125,
        "-p [2001:db8::1]:18080:80: 2001:db8::1 is not an address of this host",
    );
    // a host without IPv6: a network namespace of the test's own with IPv6 off
    let netns = six_testkit::OwnNetns::new();
    netns.run(|| {
        for conf in ["all", "default", "lo"] {
            let path = format!("/proc/sys/net/ipv6/conf/{conf}/disable_ipv6");
            std::fs::write(path, "1").unwrap();
        }
    });
    let sb = Sandbox::new()
        .in_netns(&netns)
        .with_env("SIXDOCKER_NO_IP_FORWARD", "1");
    sb.run(["run", "--rm", "-p", "[::1]:18080:80", "busybox", "true"])
        .fails(
            125,
            "-p [::1]:18080:80: this host has no IPv6 (no IPv6 address, or IPv6 is disabled)",
        );
    assert!(sb.container_ids().is_empty(), "nothing left made");
}
