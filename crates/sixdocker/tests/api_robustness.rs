//! The Engine API under bad and many requests: Docker's status codes and `{"message"}`
//! documents for what is not there (404), what conflicts (409), what is wrong (400) and what
//! is already so (304); unknown and malformed bodies; many clients at once; clients that
//! stall half-way through a request, or that hang up on a stream, never hold up the others.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::api::{post, Service};
use common::Sandbox;

/// (status, body) of a raw answer.
fn status_and_body(answer: &str) -> (u16, String) {
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, common::api::body_of(answer))
}

fn request(svc: &Service, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let answer = match method {
        "POST" => svc.raw(&post(path, body)),
        m => svc
            .raw(format!("{m} {path} HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n").as_bytes()),
    };
    status_and_body(&answer)
}

#[test]
fn errors_are_dockers_statuses_and_documents() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let running = common::unique_name("running");
    let stopped = common::unique_name("stopped");
    svc.docker_ok(&["run", "-d", "--name", &running, "busybox", "sleep", "1000"]);
    svc.docker_ok(&["create", "--name", &stopped, "busybox", "true"]);
    let vol = common::unique_name("vol");
    svc.docker_ok(&[
        "run",
        "-d",
        "-v",
        &format!("{vol}:/v"),
        "busybox",
        "sleep",
        "1000",
    ]);

    let create = r#"{"Image": "busybox", "Cmd": ["true"]}"#;
    for (method, path, body, status, words) in [
        (
            "GET",
            "/v1.41/containers/nope/json".to_owned(),
            "",
            404,
            "No such container: nope",
        ),
        (
            "GET",
            "/v1.41/images/nope:1/json".to_owned(),
            "",
            404,
            "No such image: nope:1",
        ),
        (
            "GET",
            "/v1.41/networks/nope".to_owned(),
            "",
            404,
            "network nope not found",
        ),
        (
            "GET",
            "/v1.41/volumes/nope".to_owned(),
            "",
            404,
            "get nope: no such volume",
        ),
        (
            "GET",
            "/v1.41/containers/nope/archive?path=/".to_owned(),
            "",
            404,
            "No such container",
        ),
        (
            "GET",
            format!("/v1.41/containers/{running}/archive?path=/nothing"),
            "",
            404,
            "Could not find the file /nothing",
        ),
        (
            "POST",
            format!("/v1.41/containers/create?name={stopped}"),
            create,
            409,
            "already in use",
        ),
        (
            "DELETE",
            format!("/v1.41/containers/{running}"),
            "",
            409,
            "running",
        ),
        (
            "DELETE",
            format!("/v1.41/volumes/{vol}"),
            "",
            409,
            "volume is in use",
        ),
        ("DELETE", "/v1.41/images/busybox".to_owned(), "", 409, ""),
        (
            "POST",
            format!("/v1.41/containers/{stopped}/pause"),
            "",
            409,
            "not running",
        ),
        (
            "POST",
            format!("/v1.41/containers/{running}/kill?signal=BOGUS"),
            "",
            400,
            "BOGUS",
        ),
        (
            "GET",
            "/v1.41/containers/json?filters=nope".to_owned(),
            "",
            400,
            "invalid filters",
        ),
        (
            "GET",
            "/v1.41/containers/json?filters=%7B%22bogus%22%3A%5B%22x%22%5D%7D".to_owned(),
            "",
            400,
            "bogus",
        ),
        (
            "POST",
            "/v1.41/containers/create".to_owned(),
            r#"{"Image": "busybox", "Bogus": 1}"#,
            400,
            "Bogus",
        ),
        (
            "POST",
            "/v1.41/containers/create".to_owned(),
            r#"{"Image": "busybox", "HostConfig": {"Memory": "lots"}}"#,
            400,
            "HostConfig.Memory",
        ),
        (
            "POST",
            "/v1.41/containers/create".to_owned(),
            "[1, 2]",
            400,
            "JSON object",
        ),
        (
            "POST",
            "/v1.41/networks/create".to_owned(),
            r#"{"Name": "#,
            400,
            "invalid JSON body",
        ),
        (
            "POST",
            "/v1.41/volumes/create".to_owned(),
            r#"{"Name": 5}"#,
            400,
            "Name",
        ),
        (
            "POST",
            "/v1.41/volumes/create".to_owned(),
            r#"{"Name": "v", "Surprise": true}"#,
            400,
            "Surprise",
        ),
        (
            "POST",
            format!("/v1.41/containers/{running}/update"),
            r#"{"BlkioWeight": 300}"#,
            400,
            "BlkioWeight",
        ),
        (
            "GET",
            format!("/v1.41/containers/{running}/stats?stream=1&one-shot=1"),
            "",
            400,
            "one-shot",
        ),
        (
            "POST",
            "/v1.41/images/create".to_owned(),
            "",
            400,
            "fromImage",
        ),
        (
            "POST",
            "/v1.41/build?remote=https%3A%2F%2Fexample.com%2Fctx.tar".to_owned(),
            "",
            400,
            "remote",
        ),
        (
            "GET",
            "/v1.41/no/such/route".to_owned(),
            "",
            404,
            "page not found",
        ),
    ] {
        let (got, text) = request(&svc, method, &path, body.as_bytes());
        assert_eq!(got, status, "{method} {path}: {text}");
        let doc: serde_json::Value = serde_json::from_str(text.trim())
            .unwrap_or_else(|e| panic!("{method} {path}: not JSON ({e}): {text}"));
        let message = doc["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "{method} {path}: {words:?} in {message:?}"
        );
    }
    // What is already so: 304, no body.
    for (path, status) in [
        (format!("/v1.41/containers/{running}/start"), 304),
        (format!("/v1.41/containers/{stopped}/stop"), 304),
    ] {
        let (got, text) = request(&svc, "POST", &path, b"");
        assert_eq!((got, text.as_str()), (status, ""), "{path}");
    }
    svc.docker_ok(&["version"]);
}

/// A failure of the engine itself (here a container record damaged on disk) is Docker's 500
/// with a `{"message": ...}` document naming what is wrong; the docker CLI prints it as
/// dockerd's, and the service goes on serving.
#[test]
fn an_engine_failure_is_a_500_document() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("damaged");
    let id = svc.docker_ok(&["create", "--name", &name, "busybox", "true"]);
    let record = sb
        .root()
        .join("containers")
        .join(id.trim())
        .join("container.json");
    std::fs::write(&record, "{ not a record").unwrap();

    let (status, text) = request(&svc, "GET", &format!("/v1.41/containers/{name}/json"), b"");
    assert_eq!(status, 500, "{text}");
    let doc: serde_json::Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    let message = doc["message"].as_str().unwrap_or_default();
    assert!(message.contains("container.json"), "{message:?}");
    let (code, _, err) = svc.docker(&["inspect", &name]);
    assert_ne!(code, 0);
    assert!(err.contains("Error response from daemon"), "{err}");
    svc.docker_ok(&["version"]);
}

#[test]
fn many_clients_at_once_all_get_answers() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    svc.docker_ok(&["create", "busybox", "true"]);
    let started = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..48)
            .map(|i| {
                let svc = &svc;
                s.spawn(move || {
                    for path in [
                        "/_ping",
                        "/v1.41/containers/json?all=1",
                        "/v1.41/images/json",
                        "/v1.41/networks",
                        "/v1.41/volumes",
                        "/v1.41/info",
                    ] {
                        let (status, body) = request(svc, "GET", path, b"");
                        assert_eq!(status, 200, "client {i}: {path}: {body}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    assert!(started.elapsed() < Duration::from_secs(120));
    svc.docker_ok(&["version"]);
}

#[test]
fn stalled_and_departed_clients_hold_up_nobody() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let c = common::unique_name("big");
    svc.docker_ok(&["create", "--name", &c, "busybox", "true"]);

    // Half a request line; headers with half a body; an export nobody reads.
    let mut half_headers = UnixStream::connect(&svc.socket).unwrap();
    half_headers
        .write_all(b"GET /v1.41/info HTTP/1.1\r\nHo")
        .unwrap();
    let mut half_body = UnixStream::connect(&svc.socket).unwrap();
    half_body
        .write_all(
            b"POST /v1.41/volumes/create HTTP/1.1\r\nHost: d\r\nContent-Length: 100\r\n\r\n{\"Na",
        )
        .unwrap();
    let mut unread = UnixStream::connect(&svc.socket).unwrap();
    write!(
        unread,
        "GET /v1.41/containers/{c}/export HTTP/1.1\r\nHost: d\r\n\r\n"
    )
    .unwrap();
    let mut first = [0u8; 12];
    unread.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");

    // More event streams that hang up than the service has threads for blocking work: each
    // gives its thread back, so the engine calls that follow still get one.
    for _ in 0..160 {
        let mut s = UnixStream::connect(&svc.socket).unwrap();
        s.write_all(b"GET /v1.41/events HTTP/1.1\r\nHost: d\r\n\r\n")
            .unwrap();
        let mut head = [0u8; 12];
        s.read_exact(&mut head).unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
    }
    let started = Instant::now();
    for _ in 0..5 {
        let (status, body) = request(&svc, "GET", "/v1.41/containers/json?all=1", b"");
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&c), "{body}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "answers waited {:?}",
        started.elapsed()
    );
    drop((half_headers, half_body, unread));
    svc.docker_ok(&["rm", &c]);
}
