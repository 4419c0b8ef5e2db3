//! `sixdocker system service`: the Docker Engine API on a private socket, driven by Debian's
//! docker CLI (`docker -H unix://SOCK`) and by raw HTTP. Each test has its own store (the
//! sandbox's --root/--runroot), its own socket and DOCKER_CONFIG; the service is stopped by
//! PID in a drop guard before the sandbox removes the containers and checks for leftovers.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::{Sandbox, BIN};

/// A running `system service` on a socket of the sandbox; stopped (by PID) on drop.
struct Service {
    child: Child,
    socket: PathBuf,
    docker_config: PathBuf,
}

impl Service {
    fn start(sb: &Sandbox) -> Service {
        let socket = sb.dir.path().join("docker.sock");
        let docker_config = sb.dir.path().join("docker-config");
        std::fs::create_dir_all(&docker_config).unwrap();
        let child = Command::new(BIN)
            .arg("--root")
            .arg(sb.root())
            .arg("--runroot")
            .arg(sb.runroot())
            .args(["system", "service", "--time", "0"])
            .arg(format!("unix://{}", socket.display()))
            .env("SIXDOCKER_NO_IP_FORWARD", "1")
            .env("SIXDOCKER_IMAGE_DIR", sb.image_dir())
            .env("SIXDOCKER_ORIGINAL_IMAGE_DIR", sb.original_image_dir())
            .spawn()
            .expect("starting the service");
        let service = Service {
            child,
            socket,
            docker_config,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while UnixStream::connect(&service.socket).is_err() {
            assert!(Instant::now() < deadline, "the service never listened");
            std::thread::sleep(Duration::from_millis(20));
        }
        service
    }

    /// `docker -H unix://SOCK ARGS` → (exit code, stdout, stderr).
    fn docker(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::new("docker")
            .env("DOCKER_CONFIG", &self.docker_config)
            .arg("-H")
            .arg(format!("unix://{}", self.socket.display()))
            .args(args)
            .output()
            .expect("running docker");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    #[track_caller]
    fn docker_ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.docker(args);
        assert_eq!(code, 0, "docker {args:?}: {out} {err}");
        out
    }

    /// One raw HTTP/1.1 request; the whole answer (the service closes after it).
    fn raw(&self, request: &[u8]) -> String {
        let mut s = UnixStream::connect(&self.socket).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        // A body refused early may close the connection before all of it is written.
        let _ = s.write_all(request);
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }
}

/// A POST of `body` to `path`, the connection closed after the answer.
fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

impl Drop for Service {
    fn drop(&mut self) {
        // Our own child, by PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A docker-archive of the test busybox rootfs, tagged `tag` (what tests/compat/docker.sh
/// makes with tar and sha256sum).
fn busybox_archive(dir: &Path, tag: &str) -> PathBuf {
    use sha2::Digest;
    let rootfs = dir.join("rootfs");
    six_testkit::busybox_rootfs(&rootfs).unwrap();
    let mut layer = tar::Builder::new(Vec::new());
    layer.follow_symlinks(false);
    layer.append_dir_all(".", &rootfs).unwrap();
    let layer = layer.into_inner().unwrap();
    let diff_id = format!("{:x}", sha2::Sha256::digest(&layer));
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux", "created": "2026-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    }))
    .unwrap();
    let config_name = format!("{:x}.json", sha2::Sha256::digest(&config));
    let manifest = serde_json::to_vec(&serde_json::json!([
        {"Config": config_name, "RepoTags": [tag], "Layers": [format!("{diff_id}/layer.tar")]}
    ]))
    .unwrap();
    let mut archive = tar::Builder::new(Vec::new());
    for (name, data) in [
        (format!("{diff_id}/layer.tar"), &layer),
        (config_name, &config),
        ("manifest.json".to_owned(), &manifest),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        archive.append_data(&mut h, name, data.as_slice()).unwrap();
    }
    let path = dir.join("busybox.tar");
    std::fs::write(&path, archive.into_inner().unwrap()).unwrap();
    path
}

#[test]
fn the_docker_cli_drives_a_container_through_the_service() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);

    let version = svc.docker_ok(&[
        "version",
        "--format",
        "{{.Server.APIVersion}} {{.Server.Os}}",
    ]);
    assert_eq!(version.trim(), "1.41 linux");
    let info = svc.docker_ok(&["info", "--format", "{{.OSType}} {{.DockerRootDir}}"]);
    assert_eq!(info.trim(), format!("linux {}", sb.root().display()));

    let archive = busybox_archive(sb.dir.path(), "apitest/busybox:1");
    let loaded = svc.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(
        loaded.contains("Loaded image: apitest/busybox:1"),
        "{loaded}"
    );

    let name = common::unique_name("api");
    let id = svc.docker_ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "apitest/busybox:1",
        "sh",
        "-c",
        "echo to-out; echo to-err >&2; exec sleep 1000",
    ]);
    let id = id.trim();
    assert_eq!(id.len(), 64, "{id}");
    // The CLI sees what the API made, at once.
    assert_eq!(sb.id_of(&name), id);

    let ps = svc.docker_ok(&["ps", "--format", "{{.Names}} {{.State}}"]);
    assert!(ps.contains(&format!("{name} running")), "{ps}");
    // stdout and stderr come back apart (Docker's multiplexed frames).
    let logs = sb.wait_for("both lines in docker logs", Duration::from_secs(60), || {
        let (code, out, err) = svc.docker(&["logs", &name]);
        (code == 0 && !out.is_empty() && !err.is_empty()).then_some((out, err))
    });
    assert_eq!(logs, ("to-out\n".to_owned(), "to-err\n".to_owned()));
    let status = svc.docker_ok(&[
        "inspect",
        "-f",
        "{{.State.Status}} {{.Config.Image}}",
        &name,
    ]);
    assert_eq!(status.trim(), "running apitest/busybox:1");

    svc.docker_ok(&["stop", "-t", "1", &name]);
    assert_eq!(svc.docker_ok(&["wait", &name]).trim(), "137");
    let ps = svc.docker_ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert!(ps.contains(&format!("{name} exited")), "{ps}");
    svc.docker_ok(&["rm", &name]);
    assert!(sb.try_inspect(&name).is_none());

    // Docker's words for what is not there, and exit 1.
    let (code, _, err) = svc.docker(&["rm", "no-such-thing"]);
    assert_eq!(code, 1);
    assert!(err.contains("No such container: no-such-thing"), "{err}");
    let (code, _, err) = svc.docker(&["stop", "no-such-thing"]);
    assert_eq!(code, 1);
    assert!(err.contains("No such container: no-such-thing"), "{err}");
}

#[test]
fn bad_requests_get_docker_error_documents() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);

    let ping = svc.raw(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert!(ping.starts_with("HTTP/1.1 200"), "{ping}");
    for header in [
        "api-version: 1.41",
        "docker-experimental: false",
        "ostype: linux",
    ] {
        assert!(ping.to_lowercase().contains(header), "{header} in {ping}");
    }
    assert!(ping.ends_with("OK"), "{ping}");

    let unknown =
        svc.raw(b"GET /v1.41/nothing/here HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    assert!(
        unknown.contains(r#"{"message":"page not found"}"#),
        "{unknown}"
    );

    let too_new = svc.raw(b"GET /v1.99/info HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert!(
        too_new.starts_with("HTTP/1.1 400") && too_new.contains("too new"),
        "{too_new}"
    );

    let malformed = svc.raw(&post("/v1.41/containers/create", b"{\"Image\": "));
    assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
    assert!(malformed.contains("invalid JSON body"), "{malformed}");

    // 8 MiB announced and sent: refused at the cap, and the service goes on.
    let huge = vec![b' '; 8 << 20];
    let refused = svc.raw(&post("/v1.41/containers/create", &huge));
    assert!(refused.starts_with("HTTP/1.1 413"), "{refused}");

    let unsupported = br#"{"Image": "busybox", "HostConfig": {"Dns": ["192.0.2.1"]}}"#;
    let refused = svc.raw(&post("/v1.41/containers/create", unsupported));
    assert!(
        refused.starts_with("HTTP/1.1 400") && refused.contains("HostConfig.Dns"),
        "{refused}"
    );

    let missing = svc
        .raw(b"GET /v1.41/containers/nope/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(
        missing.contains(r#"{"message":"No such container: nope"}"#),
        "{missing}"
    );
    svc.docker_ok(&["version"]);
}

#[test]
fn a_waiting_request_does_not_block_others() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apiwait");
    sb.run(["create", "--name", &name, "busybox", "true"]).ok();
    // Waits for an exit that has not happened: the answer's headers come, the body waits.
    let mut waiting = UnixStream::connect(&svc.socket).unwrap();
    let req = format!(
        "POST /v1.41/containers/{name}/wait?condition=next-exit HTTP/1.1\r\nHost: d\r\nContent-Length: 0\r\n\r\n"
    );
    waiting.write_all(req.as_bytes()).unwrap();
    let mut head = [0u8; 12];
    waiting.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200");
    let started = Instant::now();
    for _ in 0..8 {
        svc.docker_ok(&["ps", "-a"]);
    }
    assert!(started.elapsed() < Duration::from_secs(60));
    drop(waiting);
}
