//! `sixdocker system service`: the Docker Engine API on a private socket, driven by Debian's
//! docker CLI (`docker -H unix://SOCK`) and by raw HTTP. Each test has its own store (the
//! sandbox's --root/--runroot), its own socket and DOCKER_CONFIG; the service is stopped by
//! PID in a drop guard before the sandbox removes the containers and checks for leftovers.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::api::{busybox_archive, post, Service};
use common::Sandbox;

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

    let unsupported =
        br#"{"Image": "busybox", "HostConfig": {"Sysctls": {"net.ipv4.ip_forward": "1"}}}"#;
    let refused = svc.raw(&post("/v1.41/containers/create", unsupported));
    assert!(
        refused.starts_with("HTTP/1.1 400") && refused.contains("HostConfig.Sysctls"),
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

/// The socket: mode 0660, root's, in `--group`'s group; an unknown group is refused before
/// anything is made. `--time`: the service lives on while a connection is open, then exits
/// after that many idle seconds and takes its socket along.
#[test]
fn the_socket_is_0660_in_its_group_and_an_idle_service_exits() {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let sb = Sandbox::new();
    let socket = sb.dir.path().join("grouped.sock");
    let uri = format!("unix://{}", socket.display());

    sb.run(["system", "service", "--group", "no-such-group-6d", &uri])
        .fails(125, "invalid --group \"no-such-group-6d\": no such group");
    assert!(!socket.exists(), "a socket was made for a refused group");

    let daemon = nix::unistd::Group::from_name("daemon").unwrap().unwrap();
    let mut service = sb
        .command([
            "system", "service", "--time", "3", "--group", "daemon", &uri,
        ])
        .env("SIXDOCKER_NO_IP_FORWARD", "1")
        .spawn()
        .unwrap();
    struct Reap<'a>(&'a mut std::process::Child);
    impl Drop for Reap<'_> {
        fn drop(&mut self) {
            // Our own child, by PID.
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let service = Reap(&mut service);
    // The first connection is held open: the idle time does not run meanwhile.
    let held = sb.wait_for("the service to listen", Duration::from_secs(30), || {
        UnixStream::connect(&socket).ok()
    });
    let meta = std::fs::metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.mode() & 0o7777, 0o660, "mode {:o}", meta.mode());
    assert_eq!((meta.uid(), meta.gid()), (0, daemon.gid.as_raw()));

    std::thread::sleep(Duration::from_secs(4)); // past --time with a connection open
    assert!(
        service.0.try_wait().unwrap().is_none(),
        "the service exited with a connection open"
    );
    let mut second = UnixStream::connect(&socket).unwrap();
    second
        .write_all(b"GET /_ping HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut ping = String::new();
    second.read_to_string(&mut ping).unwrap();
    assert!(ping.starts_with("HTTP/1.1 200"), "{ping}");
    drop(held);
    let status = sb.wait_for("the idle service to exit", Duration::from_secs(60), || {
        service.0.try_wait().unwrap()
    });
    assert!(status.success(), "{status}");
    assert!(!socket.exists(), "the idle service left its socket");
}

/// Version negotiation: a client pinned to an older API (`DOCKER_API_VERSION`, the `/vX.Y/`
/// prefix) runs containers as a current one does, down to 1.24; older is refused with
/// Docker's message; `docker version` shows the range, and a newer client negotiates down.
#[test]
fn older_api_versions_are_served_and_newer_clients_negotiate_down() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let pinned = |version: &str, args: &[&str]| {
        let mut cmd = svc.command("docker", args);
        cmd.env("DOCKER_API_VERSION", version)
            .stdin(std::process::Stdio::null());
        common::run_bounded(cmd, None)
    };
    for version in ["1.24", "1.30", "1.41"] {
        let name = common::unique_name("apiold");
        let ran = pinned(
            version,
            &[
                "run",
                "--name",
                &name,
                "--network",
                "none",
                "busybox",
                "echo",
                version,
            ],
        );
        assert_eq!((ran.code, ran.stdout.trim()), (0, version), "{ran:?}");
        let ran = pinned(version, &["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
        assert_eq!(ran.stdout.trim(), format!("{name} exited"), "{ran:?}");
        svc.docker_ok(&["rm", &name]);
    }
    let ran = pinned("1.23", &["ps"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("client version 1.23 is too old. Minimum supported API version is 1.24"),
        "{ran:?}"
    );
    let range = svc.docker_ok(&[
        "version",
        "--format",
        "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}",
    ]);
    assert_eq!(range.trim(), "1.41 1.24");
    // Every installed client negotiates (a newer one, e.g. 1.50, down to 1.41).
    for cli in common::api::clients() {
        let (code, out, err) = svc.docker_with(
            cli,
            &["version", "--format", "{{.Client.APIVersion}}"],
            None,
        );
        assert_eq!((code, out.trim()), (0, "1.41"), "{cli}: {err}");
    }
}
