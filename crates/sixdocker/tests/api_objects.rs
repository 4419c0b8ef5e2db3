//! The Engine API's networks, volumes, events and `system df`, driven by Docker's own CLI
//! (`docker -H unix://SOCK`) against `sixdocker system service` with a private store, in a
//! network namespace of the test's own (the bridges it makes are there).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::api::Service;
use common::Sandbox;
use six_testkit::OwnNetns;

#[test]
fn networks_and_volumes_through_the_docker_cli() {
    let netns = OwnNetns::new();
    let sb = Sandbox::new().in_netns(&netns);
    let svc = Service::start(&sb);
    let net = common::unique_name("apinet");
    let vol = common::unique_name("apivol");

    svc.docker_ok(&[
        "network",
        "create",
        "--label",
        "team=a",
        "--subnet",
        "10.91.0.0/24",
        &net,
    ]);
    let listed = svc.docker_ok(&[
        "network",
        "ls",
        "--filter",
        "label=team=a",
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(listed.trim(), net);
    let shown = svc.docker_ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .IPAM.Config}}{{.Subnet}}{{end}} {{.Labels.team}} {{.Driver}}",
        &net,
    ]);
    assert_eq!(shown.trim(), "10.91.0.0/24 a bridge");
    // The predefined ones are there, and stay.
    let all = svc.docker_ok(&["network", "ls", "--format", "{{.Name}}"]);
    for n in ["bridge", "host", "none"] {
        assert!(all.lines().any(|l| l == n), "{n} in {all}");
    }
    svc.docker_fails(&["network", "rm", "host"], "pre-defined network");
    svc.docker_fails(&["network", "inspect", "nosuchnet"], "nosuchnet not found");
    svc.docker_fails(
        &[
            "network",
            "create",
            "--ipv6",
            "--subnet",
            "fd00::/64",
            "v6net",
        ],
        "EnableIPv6",
    );

    svc.docker_ok(&["volume", "create", "--label", "k=v", &vol]);
    let listed = svc.docker_ok(&["volume", "ls", "-q", "--filter", "label=k=v"]);
    assert_eq!(listed.trim(), vol);
    let mountpoint = svc.docker_ok(&["volume", "inspect", "-f", "{{.Mountpoint}}", &vol]);
    assert_eq!(
        mountpoint.trim(),
        sb.root()
            .join("volumes")
            .join(&vol)
            .join("_data")
            .display()
            .to_string()
    );
    svc.docker_fails(&["volume", "inspect", "nosuchvol"], "no such volume");

    let a = common::unique_name("a");
    let b = common::unique_name("b");
    svc.docker_ok(&[
        "run",
        "-d",
        "--name",
        &a,
        "--network",
        &net,
        "-v",
        &format!("{vol}:/data"),
        "busybox",
        "sh",
        "-c",
        "echo hi > /data/f; exec sleep 1000",
    ]);
    svc.docker_ok(&[
        "run",
        "-d",
        "--name",
        &b,
        "--network",
        &net,
        "busybox",
        "sleep",
        "1000",
    ]);
    // b resolves a by name on their network.
    let hosts = sb.wait_for("a in b's hosts", Duration::from_secs(30), || {
        let hosts = svc.docker_ok(&["cp", &format!("{b}:/etc/hosts"), "-"]);
        hosts.contains(&a).then_some(hosts)
    });
    assert!(hosts.contains("10.91.0."), "{hosts}");
    let data = sb.wait_for("the file in the volume", Duration::from_secs(30), || {
        std::fs::read_to_string(sb.root().join("volumes").join(&vol).join("_data/f")).ok()
    });
    assert_eq!(data, "hi\n");
    svc.docker_fails(&["volume", "rm", &vol], "volume is in use");

    let members = svc.docker_ok(&[
        "network",
        "inspect",
        "-f",
        "{{range .Containers}}{{.Name}} {{end}}",
        &net,
    ]);
    assert!(members.contains(&a) && members.contains(&b), "{members}");
    svc.docker_ok(&["network", "disconnect", &net, &b]);
    let joined = svc.docker_ok(&["inspect", "-f", "{{json .NetworkSettings.Networks}}", &b]);
    assert!(!joined.contains(&net), "{joined}");
    svc.docker_ok(&["network", "connect", &net, &b]);
    svc.docker_fails(&["network", "connect", &net, &b], "already");

    svc.docker_ok(&["rm", "-f", &a, &b]);
    svc.docker_ok(&["volume", "rm", &vol]);
    svc.docker_ok(&["network", "rm", &net]);
    svc.docker_fails(&["network", "rm", &net], "not found");
}

#[test]
fn prune_removes_only_what_nothing_uses() {
    let netns = OwnNetns::new();
    let sb = Sandbox::new().in_netns(&netns);
    let svc = Service::start(&sb);
    let unused = common::unique_name("unused");
    let kept = common::unique_name("kept");
    svc.docker_ok(&["network", "create", &unused]);
    svc.docker_ok(&["network", "create", &kept]);
    // A container that is not running, connected to `kept` after it was made: it still
    // joins `kept` at its next start, so `kept` is in use.
    let c = common::unique_name("c");
    svc.docker_ok(&["create", "--name", &c, "busybox", "true"]);
    svc.docker_ok(&["network", "connect", &kept, &c]);
    let out = svc.docker_ok(&["network", "prune", "-f"]);
    assert!(out.contains(&unused), "{out}");
    assert!(!out.contains(&kept), "{out}");
    svc.docker_ok(&["network", "inspect", &kept]);

    let named = common::unique_name("named");
    svc.docker_ok(&["volume", "create", &named]);
    let used = common::unique_name("used");
    svc.docker_ok(&[
        "run",
        "-d",
        "-v",
        &format!("{used}:/u"),
        "busybox",
        "sleep",
        "1000",
    ]);
    // API 1.41: prune takes named volumes too (not the one a container uses).
    let out = svc.docker_ok(&["volume", "prune", "-f"]);
    assert!(out.contains(&named), "{out}");
    assert!(!out.contains(&used), "{out}");

    let out = svc.docker_ok(&["container", "prune", "-f"]);
    assert!(out.contains("Total reclaimed space"), "{out}");
    svc.docker_fails(&["inspect", &c], "No such");
    svc.docker_ok(&["network", "rm", &kept]);
    // system prune asks for the build cache too (none: the classic builder's is images).
    let out = svc.docker_ok(&["system", "prune", "-f"]);
    assert!(out.contains("Total reclaimed space"), "{out}");
}

/// Reads the answer to `GET /events` line by line until `wanted` matches one (or the
/// deadline); the lines read.
fn read_events_until(
    reader: &mut impl BufRead,
    wanted: impl Fn(&serde_json::Value) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        // Chunk sizes and blank lines of the chunked encoding are not events.
        let Ok(v) = serde_json::from_str::<serde_json::Value>(line.trim()) else {
            continue;
        };
        let done = wanted(&v);
        seen.push(v);
        if done {
            return seen;
        }
    }
    panic!("the event never came; saw {seen:?}");
}

#[test]
fn events_stream_live_and_from_history() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let since = chrono::Utc::now().timestamp() - 1;

    let mut stream = UnixStream::connect(&svc.socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    stream
        .write_all(b"GET /v1.41/events?filters=%7B%22type%22%3A%5B%22volume%22%5D%7D HTTP/1.1\r\nHost: d\r\n\r\n")
        .unwrap();
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    let vol = common::unique_name("evvol");
    svc.docker_ok(&["volume", "create", &vol]);
    let seen = read_events_until(&mut reader, |e| e["Actor"]["ID"] == vol.as_str());
    let last = seen.last().unwrap();
    assert_eq!(last["Type"], "volume");
    assert_eq!(last["Action"], "create");
    assert!(
        seen.iter().all(|e| e["Type"] == "volume"),
        "the filter lets only volume events through: {seen:?}"
    );
    drop(reader);

    // History, bounded by --until: the CLI prints it and exits.
    let until = (chrono::Utc::now().timestamp() + 1).to_string();
    let out = svc.docker_ok(&[
        "events",
        "--since",
        &since.to_string(),
        "--until",
        &until,
        "--filter",
        "type=volume",
        "--format",
        "{{.Actor.ID}} {{.Action}}",
    ]);
    assert_eq!(out.trim(), format!("{vol} create"));
    svc.docker_fails(
        &["events", "--until", &until, "--filter", "bogus=1"],
        "invalid filter",
    );
}

#[test]
fn system_df_counts_what_the_store_holds() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let vol = common::unique_name("dfvol");
    svc.docker_ok(&[
        "run",
        "-d",
        "-v",
        &format!("{vol}:/v"),
        "busybox",
        "sh",
        "-c",
        "head -c 100000 /dev/zero > /v/z; exec sleep 1000",
    ]);
    let file = sb.root().join("volumes").join(&vol).join("_data/z");
    sb.wait_for("the volume's file", Duration::from_secs(30), || {
        std::fs::metadata(&file).ok().filter(|m| m.len() == 100000)
    });
    let out = svc.docker_ok(&[
        "system",
        "df",
        "--format",
        "{{.Type}}: {{.TotalCount}} {{.Active}} {{.Size}}",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Images: 1 1 "), "{out}");
    assert!(lines[1].starts_with("Containers: 1 1 "), "{out}");
    assert_eq!(lines[2], "Local Volumes: 1 1 100kB", "{out}");
    // ps -s: what the container wrote (its file in the volume is not its own) and, with
    // its image, its virtual size.
    let sizes = svc.docker_ok(&["ps", "-s", "--format", "{{.Size}}"]);
    assert!(
        sizes.trim().starts_with("0B (virtual ") && !sizes.contains("virtual 0B"),
        "{sizes}"
    );
    // docker info warns about each limit the host's cgroups cannot set: these they can.
    let limits = svc.docker_ok(&[
        "info",
        "--format",
        "{{.MemoryLimit}} {{.CPUCfsQuota}} {{.CPUShares}} {{.CPUSet}} {{.PidsLimit}}",
    ]);
    assert_eq!(limits.trim(), "true true true true true");
    let verbose = svc.docker_ok(&["system", "df", "-v"]);
    assert!(verbose.contains(&vol), "{verbose}");
    assert!(verbose.contains("busybox"), "{verbose}");
}
