//! `-p` port ranges and `-P`, as Docker (issue 11, "Run flags"; checked against dockerd
//! 20.10): `-p 8000-8001:80-81` publishes each port, `-p 80-81` each on a free host port,
//! `-p 8000-8010:80` on the first free port of the range; `-P` publishes every port the
//! image exposes (a committed container's published ports, as Docker commits them) on free
//! host ports, except those `-p` names. `--expose` and the image's `EXPOSE` are the
//! container's `Config.ExposedPorts` (with the `-p` ports), `-P` publishes them, and a
//! running container's unpublished ones are `ps`'s `81/udp, 90-91/tcp` and null in
//! `NetworkSettings.Ports`, as Docker shows them. Traffic only to loopback.

mod common;

use std::time::Duration;

use common::{http_get, unique_name, Sandbox};

/// A free host port whose next `len - 1` ports are free too (bound and released).
fn free_range(len: u16) -> u16 {
    loop {
        let base = common::free_port();
        if base.checked_add(len).is_none() {
            continue;
        }
        let all_free =
            (base..base + len).all(|p| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok());
        if all_free {
            return base;
        }
    }
}

/// The `port` lines of a container, sorted.
fn ports(sb: &Sandbox, name: &str) -> Vec<String> {
    let mut lines: Vec<String> = sb
        .run(["port", name])
        .ok()
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// The host port `port` lists for `container_port` ("80/tcp").
fn host_port(sb: &Sandbox, name: &str, container_port: &str) -> u16 {
    let line = ports(sb, name)
        .into_iter()
        .find(|l| l.starts_with(&format!("{container_port} -> ")))
        .unwrap_or_else(|| panic!("{container_port} is not published: {:?}", ports(sb, name)));
    line.rsplit(':').next().unwrap().parse().unwrap()
}

/// The page at 127.0.0.1:`port`, once it answers.
fn page(sb: &Sandbox, port: u16) -> String {
    sb.wait_for(
        &format!("127.0.0.1:{port} to answer"),
        Duration::from_secs(60),
        || http_get("127.0.0.1", port, "/index.html"),
    )
}

#[test]
fn ranges_and_publish_all() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.60.0/24", &net])
        .ok();
    // two servers, one a port
    let serve =
        "mkdir -p /w80 /w81 && echo eighty > /w80/index.html && echo eighty-one > /w81/index.html \
                 && httpd -p 80 -h /w80 && exec httpd -f -p 81 -h /w81";
    let base = free_range(8);
    let web = unique_name("web");
    let range = format!("{base}-{}:80-81", base + 1);
    sb.run([
        "run",
        "-d",
        "--name",
        &web,
        "--network",
        &net,
        "-p",
        &range,
        "busybox",
        "sh",
        "-c",
        serve,
    ])
    .ok();
    assert_eq!(
        ports(&sb, &web),
        [
            format!("80/tcp -> 0.0.0.0:{base}"),
            format!("81/tcp -> 0.0.0.0:{}", base + 1)
        ]
    );
    assert!(page(&sb, base).ends_with("eighty\n"));
    assert!(page(&sb, base + 1).ends_with("eighty-one\n"));

    // a host range for one port: the first free one of it (the first two are taken)
    let first_free = unique_name("ff");
    let wide = format!("{base}-{}:80", base + 7);
    sb.run([
        "run",
        "-d",
        "--name",
        &first_free,
        "--network",
        &net,
        "-p",
        &wide,
        "busybox",
        "sh",
        "-c",
        serve,
    ])
    .ok();
    assert_eq!(host_port(&sb, &first_free, "80/tcp"), base + 2);
    assert!(page(&sb, base + 2).ends_with("eighty\n"));

    // container ports only: each on a free host port
    let udp = unique_name("udp");
    sb.run([
        "run",
        "-d",
        "--name",
        &udp,
        "--network",
        &net,
        "-p",
        "80-81/udp",
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    let listed = ports(&sb, &udp);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed[0].starts_with("80/udp -> 0.0.0.0:") && listed[1].starts_with("81/udp -> "));

    // -P: the committed image exposes 80 and 81; -p decides for the ports it names
    let image = unique_name("exposed");
    sb.run(["commit", &web, &image]).ok();
    let all = unique_name("all");
    sb.run([
        "run",
        "-d",
        "--name",
        &all,
        "--network",
        &net,
        "-P",
        &image,
        "sh",
        "-c",
        serve,
    ])
    .ok();
    assert!(page(&sb, host_port(&sb, &all, "80/tcp")).ends_with("eighty\n"));
    assert!(page(&sb, host_port(&sb, &all, "81/tcp")).ends_with("eighty-one\n"));
    let mixed = unique_name("mixed");
    let fixed = base + 5;
    sb.run([
        "run",
        "-d",
        "--name",
        &mixed,
        "--network",
        &net,
        "-P",
        "-p",
        &format!("{fixed}:80"),
        &image,
        "sh",
        "-c",
        serve,
    ])
    .ok();
    assert_eq!(host_port(&sb, &mixed, "80/tcp"), fixed);
    assert_ne!(host_port(&sb, &mixed, "81/tcp"), fixed);
    assert_eq!(sb.inspect(&mixed)["HostConfig"]["PublishAllPorts"], true);

    for (value, needle) in [
        (
            "18030-18032:80-81",
            "invalid ranges specified for container and host ports: 80-81 and 18030-18032",
        ),
        ("18031-18030:80", "invalid host port \"18031-18030\""),
    ] {
        sb.run(["run", "--rm", "-p", value, "busybox", "true"])
            .fails(125, needle);
    }
}

#[test]
fn expose_and_the_images_exposed_ports_as_docker_lists_them() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.61.0/24", &net])
        .ok();
    let image = unique_name("exposing");
    common::image_config::image_with_config(&sb, "busybox", &image, |c| {
        c["config"]["ExposedPorts"] = serde_json::json!({"80/tcp": {}, "81/udp": {}});
    });
    let base = free_range(2);
    let web = unique_name("web");
    let range = format!("{base}-{}:80-81", base + 1);
    let serve = "mkdir -p /w && echo ninety > /w/index.html && exec httpd -f -p 90 -h /w";
    sb.run([
        "run",
        "-d",
        "--name",
        &web,
        "--network",
        &net,
        "--expose",
        "90-91",
        "-p",
        &range,
        &image,
        "sh",
        "-c",
        serve,
    ])
    .ok();
    let doc = sb.inspect(&web);
    let keys = |v: &serde_json::Value| -> Vec<String> {
        v.as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&doc["Config"]["ExposedPorts"]),
        ["80/tcp", "81/tcp", "81/udp", "90/tcp", "91/tcp"]
    );
    let ports = &doc["NetworkSettings"]["Ports"];
    assert_eq!(ports["80/tcp"][0]["HostPort"], base.to_string());
    for unpublished in ["81/udp", "90/tcp", "91/tcp"] {
        assert!(
            ports[unpublished].is_null() && ports.get(unpublished).is_some(),
            "{ports}"
        );
    }
    let column = |name: &str| {
        sb.run([
            "ps",
            "-a",
            "--filter",
            &format!("name={name}"),
            "--format",
            "{{.Ports}}",
        ])
        .ok()
        .trim()
        .to_owned()
    };
    assert_eq!(
        column(&web),
        format!(
            "81/udp, 90-91/tcp, 0.0.0.0:{base}->80/tcp, 0.0.0.0:{}->81/tcp",
            base + 1
        )
    );

    // -P publishes --expose's ports too, on free host ports
    let all = unique_name("all");
    sb.run([
        "run",
        "-d",
        "--name",
        &all,
        "--network",
        &net,
        "--expose",
        "90",
        "-P",
        &image,
        "sh",
        "-c",
        serve,
    ])
    .ok();
    assert!(page(&sb, host_port(&sb, &all, "90/tcp")).ends_with("ninety\n"));
    host_port(&sb, &all, "80/tcp");
    host_port(&sb, &all, "81/udp");

    // stopped: nothing listed, as Docker
    sb.run(["stop", "-t", "0", &web]).ok();
    assert_eq!(column(&web), "");
    assert_eq!(
        sb.inspect(&web)["NetworkSettings"]["Ports"],
        serde_json::json!({})
    );

    for bad in ["abc", "90-80", "0", "70000", "80/sctp", "1.2.3.4:80:80"] {
        sb.run(["create", "--expose", bad, "busybox", "true"])
            .fails(
                125,
                &format!("--expose: invalid exposed port \"{bad}\": expected PORT or FIRST-LAST"),
            );
    }
    assert_eq!(sb.run(["ps", "-a", "-q"]).ok().lines().count(), 2);
}
