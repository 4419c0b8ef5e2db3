//! Docker's other clients against `sixdocker system service`: Debian's docker-compose 1.29
//! (a two-service project on its own network, names resolved between the services, a
//! published port, a named volume, `down -v`) and Debian's docker-py (python3-docker, run by
//! /usr/bin/python3) for attach, exec, stats, events and archives. Each in a network
//! namespace of the test's own: its bridges and port rules are there, and so is the client
//! that reaches the published port on 127.0.0.1.

mod common;

use std::time::Duration;

use common::api::{busybox_archive, text, Service};
use common::Sandbox;
use six_testkit::OwnNetns;

const COMPOSE_FILE: &str = r#"version: "3.7"
services:
  web:
    image: apitest/busybox:1
    command: ["sh", "-c", "echo served-by-web > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:PORT:80"]
    volumes: ["data:/www"]
    networks: [back]
  client:
    image: apitest/busybox:1
    command: ["sleep", "1000"]
    networks: [back]
volumes:
  data: {}
networks:
  back: {}
"#;

#[test]
fn docker_compose_up_resolves_publishes_and_comes_down() {
    let netns = OwnNetns::new();
    let sb = Sandbox::new().in_netns(&netns);
    let svc = Service::start(&sb);
    let archive = busybox_archive(sb.dir.path(), "apitest/busybox:1");
    svc.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    let project_dir = sb.dir.path().join("project");
    std::fs::create_dir_all(&project_dir).unwrap();
    let port = netns.run(common::free_port);
    std::fs::write(
        project_dir.join("docker-compose.yml"),
        COMPOSE_FILE.replace("PORT", &port.to_string()),
    )
    .unwrap();
    let project = common::unique_name("proj").replace('-', "");
    let compose = |args: &[&str]| {
        let out = svc
            .client("docker-compose")
            .current_dir(&project_dir)
            .arg("-p")
            .arg(&project)
            .args(args)
            .output()
            .expect("running docker-compose");
        text(&out)
    };

    let (code, out, err) = compose(&["up", "-d"]);
    assert_eq!(code, 0, "compose up: {out} {err}");
    let (code, ps, err) = compose(&["ps", "-q"]);
    assert_eq!((code, ps.lines().count()), (0, 2), "{ps} {err}");
    // Its own network, with the project's labels, and its volume.
    let net = format!("{project}_back");
    let labels = svc.docker_ok(&[
        "network",
        "inspect",
        "-f",
        "{{index .Labels \"com.docker.compose.project\"}}",
        &net,
    ]);
    assert_eq!(labels.trim(), project);
    svc.docker_ok(&["volume", "inspect", &format!("{project}_data")]);

    // The client finds web by its service name; the page is in the volume.
    let page = sb.wait_for("web by name from client", Duration::from_secs(60), || {
        let (code, out, _) = compose(&["exec", "-T", "client", "wget", "-qO-", "http://web/"]);
        (code == 0).then_some(out)
    });
    assert_eq!(page, "served-by-web\n");
    // The published port, on 127.0.0.1 of the test's namespace.
    let page = sb.wait_for("the published port", Duration::from_secs(60), || {
        netns.run(|| common::http_get("127.0.0.1", port, "/"))
    });
    assert!(page.contains("served-by-web"), "{page}");

    let (code, out, err) = compose(&["down", "-v"]);
    assert_eq!(code, 0, "compose down: {out} {err}");
    assert_eq!(svc.docker_ok(&["ps", "-aq"]).trim(), "");
    let (code, _, _) = svc.docker(&["network", "inspect", &net]);
    assert_eq!(code, 1, "the network is gone");
    assert_eq!(svc.docker_ok(&["volume", "ls", "-q"]).trim(), "");
    assert!(
        netns
            .run(|| common::http_get("127.0.0.1", port, "/"))
            .is_none(),
        "the port is closed"
    );
}

/// docker-py drives attach, exec, stats, events and archives; the script asserts and prints
/// "ok" last.
const DOCKER_PY_SCRIPT: &str = r#"
import io, os, sys, tarfile, time
import docker

c = docker.DockerClient(base_url=os.environ["DOCKER_HOST"])
assert c.version()["ApiVersion"] == "1.41"
since = int(time.time()) - 1
ctr = c.containers.run("apitest/busybox:1", ["sh", "-c", "echo hello; exec sleep 1000"],
                       detach=True, name=sys.argv[1])
deadline = time.time() + 60
while ctr.logs() != b"hello\n":
    assert time.time() < deadline, ctr.logs()
    time.sleep(0.05)

r = ctr.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True)
assert (r.exit_code, r.output) == (3, (b"out\n", b"err\n")), r

s = ctr.stats(stream=False)
for key in ("cpu_stats", "precpu_stats", "memory_stats", "pids_stats", "networks", "blkio_stats"):
    assert key in s, key
assert s["pids_stats"]["current"] >= 1, s["pids_stats"]
assert s["cpu_stats"]["system_cpu_usage"] > s["precpu_stats"]["system_cpu_usage"], s

buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    data = b"payload\n"
    info = tarfile.TarInfo("put.txt")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
assert ctr.put_archive("/tmp", buf.getvalue())
bits, stat = ctr.get_archive("/tmp/put.txt")
assert stat["name"] == "put.txt" and stat["size"] == 8, stat
got = tarfile.open(fileobj=io.BytesIO(b"".join(bits))).extractfile("put.txt").read()
assert got == b"payload\n", got

# attach: stdin in, the multiplexed answer out, then the exit code.
a = c.containers.run("apitest/busybox:1", ["sh", "-c", "read x; echo got $x"], detach=True,
                     stdin_open=True, name=sys.argv[1] + "-a")
sock = a.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
sock._sock.sendall(b"abc\n")
answer = b""
deadline = time.time() + 60
while b"got abc\n" not in answer:
    assert time.time() < deadline, answer
    chunk = sock._sock.recv(4096)
    if not chunk:
        break
    answer += chunk
assert answer.startswith(b"\x01\x00\x00\x00"), answer
assert a.wait(timeout=60)["StatusCode"] == 0

events = list(c.events(since=since, until=int(time.time()) + 1, decode=True,
                       filters={"container": sys.argv[1]}))
actions = [e["Action"] for e in events]
for wanted in ("create", "start", "exec_die"):
    assert wanted in actions, actions

for x in (ctr, a):
    x.remove(force=True)
print("ok")
"#;

#[test]
fn docker_py_attach_exec_stats_events_archives() {
    let netns = OwnNetns::new();
    let sb = Sandbox::new().in_netns(&netns);
    let svc = Service::start(&sb);
    let archive = busybox_archive(sb.dir.path(), "apitest/busybox:1");
    svc.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    let name = common::unique_name("py");
    // Debian's python3 with python3-docker (not a pyenv one).
    let out = svc
        .client("/usr/bin/python3")
        .args(["-c", DOCKER_PY_SCRIPT, &name])
        .output()
        .expect("running python3");
    let (code, stdout, stderr) = text(&out);
    assert_eq!((code, stdout.trim()), (0, "ok"), "{stdout} {stderr}");
}
