//! `pull` against a scripted registry (tests/common/fake_registry.rs): platform choice in
//! an index, the bearer-token flow, and every failure the issue lists — unknown image,
//! wrong tag, 401, 404, 500, a truncated blob, a digest mismatch, an index for another
//! platform only — each one line with exit 1 and nothing half-made in the store; and a
//! pull killed mid-transfer that the next pull completes without fetching again what it
//! had verified.

mod common;

use std::path::Path;
use std::time::Duration;

use common::fake_registry::{image, index, noise, oci_zstd_image, Answer, FakeRegistry, OCI_INDEX};
use common::Sandbox;

/// The store holds no image, and no parked layer.
fn nothing_made(sb: &Sandbox) {
    let images = sb.sh("images -q");
    assert_eq!(images.ok().trim(), "", "an image was left: {images:?}");
    let pending = sb.root().join("image/pending");
    let left: Vec<_> = std::fs::read_dir(&pending)
        .map(|rd| rd.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "parked layers left: {left:?}");
}

/// Whether `images -q` lists the image with this ID ("sha256:<hex>").
fn has_image(sb: &Sandbox, id: &str) -> bool {
    let short = &id["sha256:".len().."sha256:".len() + 12];
    sb.sh("images -q").ok().lines().any(|l| l == short)
}

#[test]
fn an_index_is_narrowed_to_this_platform_or_the_one_asked_for() {
    let reg = FakeRegistry::start();
    let amd = image("amd64", &[&[("arch", b"amd64")]]);
    let arm = image("arm64", &[&[("arch", b"arm64")]]);
    reg.serve_image("t/multi", "amd64", &amd);
    reg.serve_image("t/multi", "arm64", &arm);
    let list = index(&[(&arm, "arm64"), (&amd, "amd64")]);
    let list_digest = reg.serve_manifest("t/multi", "1", &list, OCI_INDEX);
    let sb = Sandbox::new();
    let r = format!("{}/t/multi:1", reg.domain());
    let out = sb.run(["pull", &r]);
    let stdout = out.ok();
    assert!(stdout.contains("1: Pulling from t/multi"), "{stdout}");
    assert!(
        stdout.contains(&format!("Digest: {list_digest}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("Status: Downloaded newer image for {r}")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().last(), Some(r.as_str()));
    assert!(has_image(&sb, &amd.id()));

    let sb2 = Sandbox::new();
    sb2.run(["pull", "--platform", "linux/arm64", &r]).ok();
    assert!(has_image(&sb2, &arm.id()));
    assert!(!reg.log().iter().any(|l| l.contains("/manifests/amd64")));
}

#[test]
fn oci_manifests_with_zstd_layers_and_every_tag_with_a() {
    let reg = FakeRegistry::start();
    let zst = oci_zstd_image(&[("hello", b"from zstd")]);
    reg.serve_image("t/z", "1", &zst);
    let gz = image("amd64", &[&[("hello", b"from gzip")]]);
    reg.serve_image("t/z", "2", &gz);
    reg.route(
        "GET",
        "/v2/t/z/tags/list",
        Answer::ok(
            br#"{"name":"t/z","tags":["2","1"]}"#.to_vec(),
            "application/json",
        ),
    );
    let sb = Sandbox::new();
    let repo = format!("{}/t/z", reg.domain());
    let out = sb.run(["pull", "-a", &repo]);
    let stdout = out.ok();
    assert!(
        stdout.contains("1: Pulling from t/z") && stdout.contains("2: Pulling from t/z"),
        "{stdout}"
    );
    assert!(has_image(&sb, &zst.id()) && has_image(&sb, &gz.id()));
    let images = sb.sh("images").ok().to_owned();
    assert!(
        images.contains(&format!("{repo} ")) && images.lines().count() == 3,
        "{images}"
    );
    sb.run(["pull", "-a", &format!("{repo}:1")])
        .fails(1, "tag can't be used with --all-tags/-a");
}

#[test]
fn an_index_without_this_platform_is_one_line_and_nothing_made() {
    let reg = FakeRegistry::start();
    let arm = image("arm64", &[&[("a", b"x")]]);
    reg.serve_image("t/arm", "x", &arm);
    reg.serve_manifest("t/arm", "latest", &index(&[(&arm, "arm64")]), OCI_INDEX);
    let sb = Sandbox::new();
    sb.run(["pull", "-q", &format!("{}/t/arm", reg.domain())])
        .fails(
        1,
        "no matching manifest for linux/amd64 in the manifest list entries (it has: linux/arm64)",
    );
    nothing_made(&sb);
}

#[test]
fn unknown_image_and_wrong_tag_say_manifest_unknown() {
    let reg = FakeRegistry::start();
    reg.serve_image("t/a", "1", &image("amd64", &[&[("a", b"x")]]));
    let sb = Sandbox::new();
    let r = format!("{}/t/a:2", reg.domain());
    sb.run(["pull", "-q", &r])
        .fails(1, &format!("manifest for {r} not found: manifest unknown"));
    sb.run(["pull", "-q", &format!("{}/t/nothing", reg.domain())])
        .fails(1, "not found: manifest unknown");
    nothing_made(&sb);
}

#[test]
fn a_401_is_access_denied_and_a_500_names_the_status() {
    let reg = FakeRegistry::start();
    let img = image("amd64", &[&[("a", b"x")]]);
    reg.serve_image("t/a", "1", &img);
    let mut locked = Answer::status(200, "{}");
    locked.requires = Some(("Basic realm=\"x\"".into(), "Basic nope".into()));
    reg.route("GET", "/v2/t/locked/manifests/1", locked);
    let sb = Sandbox::new();
    sb.run(["pull", "-q", &format!("{}/t/locked:1", reg.domain())])
        .fails(1, "access denied for");
    reg.route(
        "GET",
        &format!("/v2/t/a/blobs/{}", img.layer_digests[0]),
        Answer::status(
            500,
            r#"{"errors":[{"code":"UNKNOWN","message":"disk on fire"}]}"#,
        ),
    );
    let out = sb.run(["pull", "-q", &format!("{}/t/a:1", reg.domain())]);
    out.fails(1, "500");
    assert!(out.stderr.contains("disk on fire"), "{out:?}");
    nothing_made(&sb);
}

#[test]
fn a_truncated_blob_and_a_digest_mismatch_are_refused() {
    let reg = FakeRegistry::start();
    let img = image("amd64", &[&[("a", &[7u8; 20000][..])]]);
    reg.serve_image("t/a", "1", &img);
    let blob_path = format!("/v2/t/a/blobs/{}", img.layer_digests[0]);
    let gz = img.blobs[0].1.clone();
    let mut cut = Answer::ok(gz.clone(), "application/octet-stream");
    cut.cut_at = Some(gz.len() / 2);
    reg.route("GET", &blob_path, cut);
    let sb = Sandbox::new();
    let r = format!("{}/t/a:1", reg.domain());
    sb.run(["pull", "-q", &r]).fails(1, "truncated");
    nothing_made(&sb);

    // Same length, other bytes: a gzip stream of other content under the layer's digest.
    let other = image("amd64", &[&[("a", &[8u8; 20000][..])]]);
    let mut wrong = other.blobs[0].1.clone();
    wrong.resize(gz.len(), 0);
    reg.route(
        "GET",
        &blob_path,
        Answer::ok(wrong, "application/octet-stream"),
    );
    sb.run(["pull", "-q", &r]).fails(1, "digest mismatch");
    nothing_made(&sb);

    // A config whose content is not its digest.
    reg.route(
        "GET",
        &blob_path,
        Answer::ok(gz, "application/octet-stream"),
    );
    let config_digest = img.blobs.last().unwrap().0.clone();
    reg.route(
        "GET",
        &format!("/v2/t/a/blobs/{config_digest}"),
        Answer::ok(b"{\"rootfs\":{}}".to_vec(), "application/octet-stream"),
    );
    sb.run(["pull", "-q", &r])
        .fails(1, "digest mismatch for image config");
    nothing_made(&sb);
}

#[test]
fn a_hostile_layer_is_refused_while_it_streams() {
    let reg = FakeRegistry::start();
    let img = image("amd64", &[&[("ok", b"fine"), ("../escaped", b"out")]]);
    reg.serve_image("t/evil", "1", &img);
    let sb = Sandbox::new();
    sb.run(["pull", "-q", &format!("{}/t/evil:1", reg.domain())])
        .fails(1, "refusing archive entry \"../escaped\"");
    nothing_made(&sb);
    assert!(!sb.root().join("image/escaped").exists() && !sb.root().join("escaped").exists());
}

#[test]
fn the_bearer_token_flow_is_followed() {
    let reg = FakeRegistry::start();
    let img = image("amd64", &[&[("a", b"x")]]);
    let realm = format!("http://{}/token", reg.domain());
    let challenge = format!("Bearer realm=\"{realm}\",service=\"fake\"");
    let mut ping = Answer::status(200, "{}");
    ping.requires = Some((challenge.clone(), "Bearer tok3n".into()));
    reg.route("GET", "/v2/", ping);
    reg.route(
        "GET",
        "/token",
        Answer::ok(br#"{"token":"tok3n"}"#.to_vec(), "application/json"),
    );
    reg.serve_image("t/a", "1", &img);
    for (digest, bytes) in &img.blobs {
        let mut a = Answer::ok(bytes.clone(), "application/octet-stream");
        a.requires = Some((challenge.clone(), "Bearer tok3n".into()));
        reg.route("GET", &format!("/v2/t/a/blobs/{digest}"), a);
    }
    let sb = Sandbox::new();
    sb.run(["pull", "-q", &format!("{}/t/a:1", reg.domain())])
        .ok();
    assert!(has_image(&sb, &img.id()));
    let log = reg.log();
    assert_eq!(
        log.iter().filter(|l| *l == "GET /token").count(),
        1,
        "{log:?}"
    );
}

#[test]
fn an_identity_token_in_config_json_is_traded_for_an_access_token() {
    let reg = FakeRegistry::start();
    let img = image("amd64", &[&[("a", b"x")]]);
    let realm = format!("http://{}/oauth", reg.domain());
    let challenge = format!("Bearer realm=\"{realm}\",service=\"fake\"");
    let mut ping = Answer::status(200, "{}");
    ping.requires = Some((challenge.clone(), "Bearer acc3ss".into()));
    reg.route("GET", "/v2/", ping);
    let mut oauth = Answer::ok(br#"{"access_token":"acc3ss"}"#.to_vec(), "application/json");
    oauth.body_contains = Some("grant_type=refresh_token&refresh_token=r3fresh".into());
    reg.route("POST", "/oauth", oauth);
    reg.serve_image("t/a", "1", &img);
    let mut manifest = Answer::ok(img.manifest.clone(), common::fake_registry::MANIFEST);
    manifest.requires = Some((challenge, "Bearer acc3ss".into()));
    reg.route("GET", "/v2/t/a/manifests/1", manifest);
    let sb = Sandbox::new();
    let config = sb.dir.path().join("docker");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.json"),
        format!(
            r#"{{"auths":{{"{}":{{"identitytoken":"r3fresh"}}}}}}"#,
            reg.domain()
        ),
    )
    .unwrap();
    let r = format!("{}/t/a:1", reg.domain());
    sb.run_with(&[("DOCKER_CONFIG", config.as_os_str())], ["pull", "-q", &r])
        .ok();
    assert!(has_image(&sb, &img.id()));
    assert!(
        reg.log().iter().any(|l| l == "POST /oauth"),
        "{:?}",
        reg.log()
    );
}

#[test]
fn a_pull_killed_mid_transfer_leaves_no_image_and_the_next_one_reuses_what_it_verified() {
    let reg = FakeRegistry::start();
    let big = noise(400_000);
    let img = image("amd64", &[&[("small", b"small")], &[("big", &big[..])]]);
    reg.serve_image("t/k", "1", &img);
    let slow_path = format!("/v2/t/k/blobs/{}", img.layer_digests[1]);
    let mut slow = Answer::ok(img.blobs[1].1.clone(), "application/octet-stream");
    slow.slow = Some((4096, Duration::from_millis(20)));
    reg.route("GET", &slow_path, slow);
    let sb = Sandbox::new();
    let r = format!("{}/t/k:1", reg.domain());
    let mut child = sb
        .command(["pull", &r])
        .env("SIXDOCKER_MAX_CONCURRENT_TRANSFERS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pending = sb.root().join("image/pending");
    sb.wait_for(
        "the first layer to be parked",
        Duration::from_secs(60),
        || {
            (count(&pending) == 1 && reg.log().iter().any(|l| l.ends_with(&slow_path)))
                .then_some(())
        },
    );
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        sb.sh("images -q").ok().trim(),
        "",
        "a killed pull left an image"
    );

    reg.route(
        "GET",
        &slow_path,
        Answer::ok(img.blobs[1].1.clone(), "application/octet-stream"),
    );
    sb.run(["pull", "-q", &r]).ok();
    assert!(has_image(&sb, &img.id()));
    let small_path = format!("/v2/t/k/blobs/{}", img.layer_digests[0]);
    let fetched_small = reg
        .log()
        .iter()
        .filter(|l| l.ends_with(&small_path))
        .count();
    assert_eq!(fetched_small, 1, "the verified layer was fetched again");
    assert_eq!(
        count(&pending),
        0,
        "parked layers stay after the image was added"
    );
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|rd| rd.count()).unwrap_or(0)
}
