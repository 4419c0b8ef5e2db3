//! Networks (issue 5) through the CLI: the original's lines, Docker's forms, published ports
//! answering on loopback, and containers reaching each other by name. Every network uses a
//! subnet 10.211.X.0/24 of its own; traffic goes only to loopback and to these containers.

mod common;

use std::time::Duration;

use common::{free_port, http_get, unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);

/// `network create -driver bridge -subnet S NAME`, `network list`, `network remove NAME`
/// (the original's spellings), plus `network ls`, `inspect` and `rm`.
#[test]
fn create_list_remove() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    let id = sb
        .sh(&format!(
            "network create -driver bridge -subnet 10.211.1.0/24 {net}"
        ))
        .ok()
        .trim()
        .to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let list = sb.sh("network list");
    assert!(
        list.ok().starts_with("NETWORK ID     NAME"),
        "{}",
        list.stdout
    );
    let row = list
        .stdout
        .lines()
        .find(|l| l.contains(&net))
        .expect("listed");
    assert!(
        row.starts_with(&id[..12]) && row.contains("bridge") && row.contains("local"),
        "{row}"
    );
    assert!(
        sb.sh("network ls").ok().contains("bridge"),
        "the default network exists"
    );
    let inspect: serde_json::Value =
        serde_json::from_str(sb.sh(&format!("network inspect {net}")).ok()).unwrap();
    assert_eq!(inspect[0]["Name"], net.as_str());
    assert_eq!(sb.sh(&format!("network remove {net}")).ok().trim(), net);
    assert!(!sb.sh("network ls").ok().contains(&net));

    let other = unique_name("n");
    sb.sh(&format!(
        "network create --subnet 10.211.2.0/24 --gateway 10.211.2.254 --internal {other}"
    ))
    .ok();
    assert_eq!(sb.sh(&format!("network rm {other}")).ok().trim(), other);
}

/// `run -network NET -p HOST:80` with busybox httpd: the page answers on 127.0.0.1:HOST; `port`
/// and `ps` show the mapping; after `rm -f`, the port no longer answers.
#[test]
fn published_port_answers_on_loopback() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!(
        "network create -driver bridge -subnet 10.211.3.0/24 {net}"
    ))
    .ok();
    let www = sb.dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "hello from httpd\n").unwrap();
    let port = free_port();
    let name = unique_name("h");
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "-network",
        &net,
        "-p",
        &format!("{port}:80"),
        "-v",
        &format!("{}:/www:ro", www.display()),
        "--",
        "httpd",
        "-f",
        "-p",
        "80",
        "-h",
        "/www",
    ])
    .ok();
    let page = sb.wait_for("httpd on the published port", LONG, || {
        http_get("127.0.0.1", port, "/")
    });
    assert!(page.contains("hello from httpd"), "{page}");
    assert_eq!(
        sb.sh(&format!("port {name}")).ok().trim(),
        format!("80/tcp -> 0.0.0.0:{port}")
    );
    assert_eq!(
        sb.sh(&format!("port {name} 80/tcp")).ok().trim(),
        format!("0.0.0.0:{port}")
    );
    assert!(sb
        .ps_row(&name)
        .unwrap()
        .contains(&format!("0.0.0.0:{port}->80/tcp")));
    let ip = sb.inspect(&name)["NetworkSettings"]["Networks"][&net]["IPAddress"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        ip.starts_with("10.211.3."),
        "address from the network's subnet: {ip:?}"
    );
    sb.sh(&format!("rm -f {name}")).ok();
    assert!(
        http_get("127.0.0.1", port, "/").is_none(),
        "the rule went with the container"
    );
    sb.sh(&format!("network rm {net}")).ok();
}

/// `-p CPORT` (a free host port, shown by `port`), `-p IP:HOSTPORT:CPORT/tcp`, both at once.
#[test]
fn publish_forms() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.9.0/24 {net}"))
        .ok();
    let name = unique_name("p");
    let fixed = free_port();
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        &net,
        "-p",
        "80",
        "-p",
        &format!("127.0.0.1:{fixed}:8080/tcp"),
        "busybox",
        "sh",
        "-c",
        "httpd -p 80 -h /etc && exec httpd -f -p 8080 -h /etc",
    ])
    .ok();
    let ports = sb.run(["port", &name]).ok().to_owned();
    assert!(
        ports.contains(&format!("8080/tcp -> 127.0.0.1:{fixed}")),
        "{ports}"
    );
    let chosen: u16 = ports
        .lines()
        .find_map(|l| l.strip_prefix("80/tcp -> 0.0.0.0:"))
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("a host port was chosen for 80: {ports}"));
    assert!(chosen > 0);
    for port in [chosen, fixed] {
        let page = sb.wait_for("httpd", LONG, || http_get("127.0.0.1", port, "/hostname"));
        assert!(page.contains("200"), "{page}");
    }
}

/// Two containers on one network reach each other by name.
#[test]
fn containers_reach_each_other_by_name() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.4.0/24 {net}"))
        .ok();
    let server = unique_name("srv");
    sb.run([
        "run",
        "-d",
        "--name",
        &server,
        "--network",
        &net,
        "busybox",
        "httpd",
        "-f",
        "-p",
        "8080",
        "-h",
        "/etc",
    ])
    .ok();
    let client = unique_name("cli");
    let out = sb.wait_for("the server to answer by name", LONG, || {
        let r = sb.run([
            "run",
            "--rm",
            "--name",
            &client,
            "--network",
            &net,
            "busybox",
            "wget",
            "-q",
            "-O",
            "-",
            &format!("http://{server}:8080/hostname"),
        ]);
        (r.code == 0).then_some(r.stdout)
    });
    assert!(!out.trim().is_empty());
    let ping = sb.run([
        "run",
        "--rm",
        "--network",
        &net,
        "busybox",
        "ping",
        "-c",
        "1",
        "-W",
        "5",
        &server,
    ]);
    assert!(ping.ok().contains("1 packets received"), "{ping:?}");
}

/// Every container has its own /etc/hosts: what one writes there no other sees; names of
/// containers started later appear in it, names of removed ones go.
#[test]
fn each_container_has_its_own_hosts_file() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.11.0/24 {net}"))
        .ok();
    let run_on_net = |name: &str| sb.sleeper_on(&net, name);
    let hosts_of = |name: &str| sb.run(["exec", name, "cat", "/etc/hosts"]).ok().to_owned();
    let (a, b, c) = (unique_name("a"), unique_name("b"), unique_name("c"));
    run_on_net(&a);
    run_on_net(&b);
    // b, started after a, is in a's file, and a reaches it by name
    let hosts = hosts_of(&a);
    assert!(hosts.contains(&a) && hosts.contains(&b), "{hosts}");
    let ping = sb.run(["exec", &a, "ping", "-c", "1", "-W", "5", &b]);
    assert!(ping.ok().contains("1 packets received"), "{ping:?}");

    // b rewrites its own /etc/hosts: a's is untouched
    let forged = format!("10.211.11.250\t{a}\n");
    sb.run([
        "exec",
        &b,
        "sh",
        "-c",
        &format!("printf '{forged}' > /etc/hosts"),
    ])
    .ok();
    assert_eq!(hosts_of(&b), forged);
    let hosts = hosts_of(&a);
    assert!(
        !hosts.contains("10.211.11.250") && hosts.contains(&b),
        "b's write reached a's /etc/hosts:\n{hosts}"
    );

    // c comes and goes: a's file follows
    run_on_net(&c);
    let hosts = hosts_of(&a);
    assert!(hosts.contains(&c), "{hosts}");
    sb.run(["rm", "-f", &c]).ok();
    let hosts = hosts_of(&a);
    assert!(!hosts.contains(&c) && hosts.contains(&b), "{hosts}");
}

/// The original's `run -d --name web -network docker0 -p 80:80 -- nginx -g 'daemon off;'` on
/// the default busybox image: "nginx: not found in image busybox", exit 127, nothing left —
/// no container, no address lease, no port rule. Uses host port 80 as written when it is free.
#[test]
fn original_nginx_line_without_image_fails_cleanly() {
    let sb = Sandbox::new();
    let net = unique_name("docker0");
    sb.sh(&format!(
        "network create -driver bridge -subnet 10.211.5.0/24 {net}"
    ))
    .ok();
    let port = if std::net::TcpListener::bind("0.0.0.0:80").is_ok() {
        80
    } else {
        eprintln!("host port 80 is busy: using a free high port for the verbatim line");
        free_port()
    };
    let r = sb.run([
        "run",
        "-d",
        "--name",
        "web",
        "-network",
        &net,
        "-p",
        &format!("{port}:80"),
        "--",
        "nginx",
        "-g",
        "daemon off;",
    ]);
    r.fails(127, "nginx: not found in image busybox");
    assert!(sb.ps_row("web").is_none(), "no container is left");
    let inspect: serde_json::Value =
        serde_json::from_str(sb.sh(&format!("network inspect {net}")).ok()).unwrap();
    assert_eq!(
        inspect[0]["Containers"].as_object().map(|c| c.len()),
        Some(0),
        "no lease is left: {inspect}"
    );
    if port == 80 {
        assert!(
            std::net::TcpListener::bind("0.0.0.0:80").is_ok(),
            "port 80 is not held"
        );
    }
    // The name is free again.
    sb.run([
        "run",
        "--rm",
        "--name",
        "web",
        "--network",
        &net,
        "busybox",
        "true",
    ])
    .ok();
    assert_eq!(sb.sh(&format!("network remove {net}")).ok().trim(), net);
}

/// With `-image nginx` the same line serves nginx on the published port (a free high port:
/// 80 is often taken on a shared host).
#[test]
fn original_nginx_line_with_image_serves() {
    let sb = Sandbox::new();
    common::make_nginx_image(&sb);
    let net = unique_name("docker0");
    sb.sh(&format!(
        "network create -driver bridge -subnet 10.211.6.0/24 {net}"
    ))
    .ok();
    let port = free_port();
    let name = unique_name("web");
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "-image",
        "nginx",
        "-network",
        &net,
        "-p",
        &format!("{port}:80"),
        "--",
        "nginx",
        "-g",
        "daemon off;",
    ])
    .ok();
    let page = sb.wait_for("nginx on the published port", LONG, || {
        http_get("127.0.0.1", port, "/")
    });
    assert!(
        page.starts_with("HTTP/1.1 200") || page.starts_with("HTTP/1.0 200"),
        "{page}"
    );
}

/// `network connect` / `disconnect`, and `network rm` refused while a container is attached.
#[test]
fn connect_disconnect_and_rm_refused_while_attached() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.7.0/24 {net}"))
        .ok();
    let name = unique_name("c");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    sb.sh(&format!("network connect {net} {name}")).ok();
    let ifaces = sb.run(["exec", &name, "ip", "-4", "addr"]);
    assert!(ifaces.ok().contains("10.211.7."), "{ifaces:?}");
    sb.sh(&format!("network rm {net}")).fails(1, &name);
    sb.sh(&format!("network disconnect {net} {name}")).ok();
    assert!(!sb
        .run(["exec", &name, "ip", "-4", "addr"])
        .ok()
        .contains("10.211.7."));
    sb.sh(&format!("network rm {net}")).ok();
}

/// Bad network input: one line each, nothing made.
#[test]
fn bad_network_input() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.8.0/33 {net}"))
        .fails(125, "10.211.8.0/33");
    sb.sh(&format!("network create --subnet nonsense {net}"))
        .fails(125, "nonsense");
    sb.sh(&format!(
        "network create --subnet 10.211.8.0/24 --gateway 10.211.9.1 {net}"
    ))
    .fails(1, "10.211.9.1");
    sb.sh(&format!(
        "network create --subnet 10.211.8.0/24 --gateway x {net}"
    ))
    .fails(125, "invalid gateway \"x\"");
    sb.sh(&format!("network create --driver overlay {net}"))
        .fails(1, "overlay");
    assert!(
        !sb.sh("network ls").ok().contains(&net),
        "nothing half-made"
    );
    sb.sh(&format!("network create --subnet 10.211.8.0/24 {net}"))
        .ok();
    sb.sh(&format!("network create --subnet 10.211.10.0/24 {net}"))
        .fails(1, &net);
    let other = unique_name("n");
    sb.sh(&format!("network create --subnet 10.211.8.128/25 {other}"))
        .fails(1, "10.211.8");
    sb.sh(&format!("network rm {other}")).fails(1, &other);
    sb.sh("run --rm -p 0:80 busybox true").fails(125, "0:80");
    sb.sh("run --rm -p 70000 busybox true").fails(125, "70000");
    sb.sh(&format!("run --rm --network {other} busybox true"))
        .fails(125, &other);
}
