//! Networks through the engine: the default bridge, a user network where containers reach
//! each other by name, a published port answered from the host on 127.0.0.1, and cleanup
//! (no veth, lease or rule left). Traffic stays on loopback and the test's own containers.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::{eventually, logs, TestEngine};
use six_engine::types::NetworkMode;
use six_engine::RunRequest;

fn links() -> String {
    String::from_utf8_lossy(
        &std::process::Command::new("ip")
            .args(["-o", "link"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned()
}

#[test]
fn default_bridge_gives_an_address_and_hosts_entry() {
    let mut t = TestEngine::new();
    t.used_network = true;
    let req = RunRequest {
        network: NetworkMode::Bridge,
        ..TestEngine::req(&[
            "sh",
            "-c",
            "ip -4 addr show eth0; cat /etc/hosts; sleep 1000",
        ])
    };
    let out = t
        .engine()
        .run(RunRequest {
            detach: true,
            ..req
        })
        .unwrap();
    t.track(&out.id);
    let v = t.engine().inspect(&out.id).unwrap();
    let ip = v["NetworkSettings"]["IPAddress"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!ip.is_empty(), "{v}");
    let e = t.engine();
    eventually(Duration::from_secs(20), || {
        logs(e, &out.id).contains(&format!("{ip}\t")).then_some(())
    });
    assert!(logs(e, &out.id).contains(&format!("inet {ip}/")));
    e.remove(&out.id, true).unwrap();
    t.finish();
}

#[test]
fn user_network_names_and_published_port() {
    let mut t = TestEngine::new();
    t.used_network = true;
    let net = six_testkit::unique_name("sxn");
    t.engine()
        .networks()
        .unwrap()
        .create(six_network::NetworkSpec::bridge(&net))
        .unwrap();
    let on_net = |name: &str, args: &[&str]| RunRequest {
        detach: true,
        name: Some(name.parse().unwrap()),
        network: NetworkMode::Named(net.clone()),
        ..TestEngine::req(args)
    };
    let web = t
        .engine()
        .run(RunRequest { ports: vec!["127.0.0.1::8080".parse().unwrap()], ..on_net("web", &["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]) })
        .unwrap();
    t.track(&web.id);
    let ports = t.engine().port("web").unwrap();
    assert_eq!(ports.len(), 1);
    let host_port = ports[0].host_port.expect("a host port was chosen");
    let client = t
        .engine()
        .run(RunRequest {
            detach: false,
            ..on_net("client", &["wget", "-q", "-O", "-", "http://web:8080/"])
        })
        .unwrap();
    t.track(&client.id);
    assert_eq!(
        client.exit_code,
        Some(0),
        "{}",
        logs(t.engine(), &client.id)
    );
    assert_eq!(logs(t.engine(), &client.id), "hello-from-web\n");
    let body = eventually(Duration::from_secs(20), || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", host_port)).ok()?;
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
        let mut body = String::new();
        s.read_to_string(&mut body).ok()?;
        Some(body)
    });
    assert!(body.contains("hello-from-web"), "{body}");
    let ps = t.engine().list(false).unwrap();
    assert!(
        ps.iter()
            .any(|r| r.ports == format!("127.0.0.1:{host_port}->8080/tcp")),
        "{ps:?}"
    );
    t.engine().remove("web", true).unwrap();
    t.engine().remove("client", true).unwrap();
    let veths = t
        .engine()
        .networks()
        .unwrap()
        .inspect(&net)
        .unwrap()
        .endpoints;
    assert!(veths.is_empty(), "{veths:?}");
    t.engine().networks().unwrap().remove(&net).unwrap();
    assert!(!links().contains(&web.id[..8]));
    t.finish();
}
