//! A scripted registry for the failure tests: a tiny HTTP/1.1 server on 127.0.0.1 that
//! answers each (method, path) with what the test put there: any status, headers, body, a
//! body cut short, a slow body, a required `Authorization`. It logs what was asked.
//! Also builds small images (gzip layers, configs, manifests, indexes) to serve.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::Digest as _;

pub fn sha256(b: &[u8]) -> String {
    format!("sha256:{:x}", sha2::Sha256::digest(b))
}

/// One canned answer.
#[derive(Clone, Default)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Send only this many bytes of the body (with the full Content-Length), then close.
    pub cut_at: Option<usize>,
    /// Send the body in pieces of this size with this pause between them.
    pub slow: Option<(usize, Duration)>,
    /// Answer 401 with this challenge unless the request carries this Authorization.
    pub requires: Option<(String, String)>,
    /// Answer 401 unless the request's body contains this text.
    pub body_contains: Option<String>,
}

impl Answer {
    pub fn ok(body: Vec<u8>, content_type: &str) -> Answer {
        Answer {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
            ..Answer::default()
        }
    }

    pub fn status(status: u16, body: &str) -> Answer {
        Answer {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
            ..Answer::default()
        }
    }
}

#[derive(Default)]
struct Shared {
    routes: HashMap<(String, String), Answer>,
    log: Vec<String>,
}

pub struct FakeRegistry {
    port: u16,
    shared: Arc<Mutex<Shared>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeRegistry {
    pub fn start() -> FakeRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shared.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let s = s.clone();
                        std::thread::spawn(move || serve(conn, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        let reg = FakeRegistry {
            port,
            shared,
            stop,
            thread: Some(thread),
        };
        reg.route("GET", "/v2/", Answer::status(200, "{}"));
        reg
    }

    pub fn domain(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn route(&self, method: &str, path: &str, answer: Answer) {
        self.shared
            .lock()
            .unwrap()
            .routes
            .insert((method.to_owned(), path.to_owned()), answer);
    }

    /// "GET /v2/x/blobs/sha256:…" lines, in the order asked.
    pub fn log(&self) -> Vec<String> {
        self.shared.lock().unwrap().log.clone()
    }

    /// Serves an image manifest, its config and its layers under `repo`, by `tag` and
    /// by digest. Returns the manifest's digest.
    pub fn serve_image(&self, repo: &str, tag: &str, image: &TestImage) -> String {
        for (digest, bytes) in &image.blobs {
            self.route(
                "GET",
                &format!("/v2/{repo}/blobs/{digest}"),
                Answer::ok(bytes.clone(), "application/octet-stream"),
            );
        }
        let media_type = serde_json::from_slice::<serde_json::Value>(&image.manifest)
            .ok()
            .and_then(|m| m["mediaType"].as_str().map(str::to_owned))
            .unwrap_or_else(|| MANIFEST.to_owned());
        self.serve_manifest(repo, tag, &image.manifest, &media_type)
    }

    /// Serves a manifest document by tag and by digest; returns its digest.
    pub fn serve_manifest(&self, repo: &str, tag: &str, body: &[u8], media_type: &str) -> String {
        let digest = sha256(body);
        for r in [tag.to_owned(), digest.clone()] {
            self.route(
                "GET",
                &format!("/v2/{repo}/manifests/{r}"),
                Answer::ok(body.to_vec(), media_type),
            );
        }
        digest
    }
}

impl Drop for FakeRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, shared: &Mutex<Shared>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_lowercase(), v.trim().to_owned());
            }
        }
        let mut body = Vec::new();
        if let Some(n) = headers
            .get("content-length")
            .and_then(|n| n.parse::<usize>().ok())
        {
            body = vec![0; n];
            if reader.read_exact(&mut body).is_err() {
                return;
            }
        }
        let path = target.split('?').next().unwrap_or("").to_owned();
        let answer = {
            let mut s = shared.lock().unwrap();
            s.log.push(format!("{method} {path}"));
            s.routes
                .get(&(method.clone(), path.clone()))
                .cloned()
                .unwrap_or_else(|| {
                    Answer::status(
                        404,
                        r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                    )
                })
        };
        let body_ok = answer
            .body_contains
            .as_ref()
            .is_none_or(|want| String::from_utf8_lossy(&body).contains(want.as_str()));
        let answer = match &answer.requires {
            _ if !body_ok => Answer::status(
                401,
                r#"{"errors":[{"code":"DENIED","message":"bad refresh token"}]}"#,
            ),
            Some((challenge, wanted)) if headers.get("authorization") != Some(wanted) => Answer {
                status: 401,
                headers: vec![("WWW-Authenticate".into(), challenge.clone())],
                body:
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
                        .to_vec(),
                ..Answer::default()
            },
            _ => answer,
        };
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\nDocker-Distribution-Api-Version: registry/2.0\r\n",
            answer.status,
            answer.body.len()
        );
        for (k, v) in &answer.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if conn.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method == "HEAD" {
            continue;
        }
        let body = match answer.cut_at {
            Some(n) => &answer.body[..n.min(answer.body.len())],
            None => &answer.body[..],
        };
        match answer.slow {
            Some((piece, pause)) => {
                for chunk in body.chunks(piece.max(1)) {
                    if conn.write_all(chunk).and_then(|()| conn.flush()).is_err() {
                        return;
                    }
                    std::thread::sleep(pause);
                }
            }
            None => {
                if conn.write_all(body).is_err() {
                    return;
                }
            }
        }
        if answer.cut_at.is_some() {
            return;
        }
    }
}

pub const MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// A small image: gzip layers of the given files, a config for `arch`, a schema 2 manifest.
pub struct TestImage {
    pub manifest: Vec<u8>,
    pub config: Vec<u8>,
    /// (digest, bytes) of the config and every layer.
    pub blobs: Vec<(String, Vec<u8>)>,
    pub layer_digests: Vec<String>,
}

impl TestImage {
    /// The image ID (sha256 of its config), as `images --no-trunc` would show it.
    pub fn id(&self) -> String {
        sha256(&self.config)
    }
}

/// `n` bytes gzip cannot shrink, for layers that take a while to arrive.
pub fn noise(n: usize) -> Vec<u8> {
    six_testkit::noise(n, 0x9e37_79b9_7f4a_7c15)
}

pub fn layer(files: &[(&str, &[u8])]) -> (Vec<u8>, String) {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_600_000_000);
        // The name as given, even a hostile one (`append_data` would refuse `..`).
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let diff_id = sha256(&tar);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    (gz.finish().unwrap(), diff_id)
}

/// An image of `layers` (each a list of files) for `arch`.
pub fn image(arch: &str, layers: &[&[(&str, &[u8])]]) -> TestImage {
    let mut blobs = Vec::new();
    let mut diff_ids = Vec::new();
    let mut descriptors = Vec::new();
    let mut layer_digests = Vec::new();
    for files in layers {
        let (gz, diff_id) = layer(files);
        let d = sha256(&gz);
        descriptors.push(serde_json::json!({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "digest": d, "size": gz.len()
        }));
        layer_digests.push(d.clone());
        diff_ids.push(diff_id);
        blobs.push((d, gz));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": arch, "os": "linux",
        "config": {"Cmd": ["/bin/sh"], "Env": [format!("ARCH={arch}")]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "created": "2024-01-02T03:04:05Z"
    }))
    .unwrap();
    let config_digest = sha256(&config);
    blobs.push((config_digest.clone(), config.clone()));
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": MANIFEST,
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "digest": config_digest, "size": config.len()},
        "layers": descriptors
    }))
    .unwrap();
    TestImage {
        manifest,
        config,
        blobs,
        layer_digests,
    }
}

/// An OCI image (OCI manifest and config media types) of one zstd-compressed layer.
pub fn oci_zstd_image(files: &[(&str, &[u8])]) -> TestImage {
    let (gz, diff_id) = layer(files);
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar)
        .unwrap();
    let zst = zstd::encode_all(&tar[..], 3).unwrap();
    let d = sha256(&zst);
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [diff_id]}
    }))
    .unwrap();
    let config_digest = sha256(&config);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": d, "size": zst.len()}]
    }))
    .unwrap();
    TestImage {
        manifest,
        config: config.clone(),
        blobs: vec![(d.clone(), zst), (config_digest, config)],
        layer_digests: vec![d],
    }
}

/// An OCI index of (manifest, os/arch) entries.
pub fn index(entries: &[(&TestImage, &str)]) -> Vec<u8> {
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(img, arch)| {
            serde_json::json!({
                "mediaType": MANIFEST, "digest": sha256(&img.manifest), "size": img.manifest.len(),
                "platform": {"os": "linux", "architecture": arch}
            })
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests
    }))
    .unwrap()
}
