//! `push` to Debian's docker-registry, and what others make of it: skopeo sees the digest
//! sixdocker printed and copies the image (checking every blob), another store pulls it
//! back with the same image ID; a second push transfers nothing, a push to another
//! repository of the same registry mounts the layers, and a push killed mid-upload leaves
//! no manifest while the next one completes.

mod common;

use std::time::Duration;

use common::Sandbox;
use six_testkit::registry::TestRegistry;

fn skopeo(args: &[&str]) -> std::process::Output {
    std::process::Command::new("skopeo")
        .args(args)
        .output()
        .expect("running skopeo")
}

/// `skopeo inspect`'s Digest of a reference, or None if the registry has no such manifest.
fn remote_digest(r: &str) -> Option<String> {
    let out = skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--raw",
        &format!("docker://{r}"),
    ]);
    if !out.status.success() {
        return None;
    }
    let out = skopeo(&["inspect", "--tls-verify=false", &format!("docker://{r}")]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    v["Digest"].as_str().map(str::to_owned)
}

/// The "TAG: digest: sha256:… size: N" line's digest.
fn printed_digest(stdout: &str) -> String {
    stdout
        .lines()
        .find_map(|l| l.split_once(": digest: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no digest line in {stdout}"))
        .to_owned()
}

#[test]
fn a_pushed_image_is_what_skopeo_and_another_store_see() {
    let reg = TestRegistry::start().unwrap();
    let sb = Sandbox::new();
    let r = format!("{}/t/bb:1", reg.domain());
    sb.run(["tag", "busybox", &r]).ok();
    let id = sb.sh("images -q").ok().lines().next().unwrap().to_owned();
    let out = sb.run(["push", &r]);
    let stdout = out.ok();
    assert!(
        stdout.starts_with(&format!(
            "The push refers to repository [{}/t/bb]",
            reg.domain()
        )),
        "{stdout}"
    );
    assert!(stdout.contains(": Pushed"), "{stdout}");
    let digest = printed_digest(stdout);
    assert_eq!(
        remote_digest(&r).as_deref(),
        Some(digest.as_str()),
        "skopeo sees another digest"
    );
    let dir = sb.dir.path().join("copied");
    let copied = skopeo(&[
        "copy",
        "-q",
        "--src-tls-verify=false",
        &format!("docker://{r}"),
        &format!("dir:{}", dir.display()),
    ]);
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );

    let other = Sandbox::new();
    let pulled = other.run(["pull", &r]);
    assert!(
        pulled.ok().contains(&format!("Digest: {digest}")),
        "{pulled:?}"
    );
    assert_eq!(
        other.sh("images -q").ok().trim(),
        id,
        "pulled back with another image ID"
    );
}

#[test]
fn a_second_push_transfers_nothing_and_another_repository_mounts() {
    let reg = TestRegistry::start().unwrap();
    let sb = Sandbox::new();
    let r = format!("{}/t/bb:1", reg.domain());
    sb.run(["tag", "busybox", &r]).ok();
    let first = printed_digest(sb.run(["push", &r]).ok());
    let again = sb.run(["push", &r]);
    assert!(again.ok().contains(": Layer already exists"), "{again:?}");
    assert!(!again.stdout.contains(": Pushed"), "{again:?}");
    assert_eq!(printed_digest(&again.stdout), first);

    let r2 = format!("{}/u/copy:2", reg.domain());
    sb.run(["tag", "busybox", &r2]).ok();
    let mounted = sb.run(["push", &r2]);
    assert!(mounted.ok().contains(": Mounted from t/bb"), "{mounted:?}");
    assert_eq!(
        printed_digest(&mounted.stdout),
        first,
        "same manifest, other repository"
    );
    assert_eq!(remote_digest(&r2).as_deref(), Some(first.as_str()));
    let quiet = sb.run(["push", "-q", &r2]);
    assert_eq!(quiet.ok(), format!("{r2}\n"));
}

#[test]
fn a_missing_image_is_one_line() {
    let reg = TestRegistry::start().unwrap();
    let sb = Sandbox::new();
    sb.run(["push", &format!("{}/t/none:1", reg.domain())])
        .fails(1, "An image does not exist locally with the tag");
}

#[test]
fn a_push_killed_mid_upload_leaves_no_manifest_and_the_next_one_completes() {
    let reg = TestRegistry::start().unwrap();
    let sb = Sandbox::new();
    let made = sb.run([
        "run",
        "--name",
        "big",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "head -c 40000000 /dev/urandom > /big",
    ]);
    made.ok();
    let r = format!("{}/t/big:1", reg.domain());
    sb.run(["commit", "big", &r]).ok();
    sb.sh("rm big").ok();
    let mut child = sb
        .command(["push", &r])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let uploads = reg.storage().join("repositories/t/big/_uploads");
    sb.wait_for("an upload to start", Duration::from_secs(60), || {
        let started = std::fs::read_dir(&uploads).map_or(0, |rd| rd.count()) > 0;
        started.then_some(())
    });
    std::thread::sleep(Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(remote_digest(&r), None, "a killed push left a manifest");

    let digest = printed_digest(sb.run(["push", &r]).ok());
    assert_eq!(remote_digest(&r).as_deref(), Some(digest.as_str()));
    let other = Sandbox::new();
    other.run(["pull", "-q", &r]).ok();
}

#[test]
fn podman_pulls_what_we_push_and_we_pull_what_podman_pushes() {
    let reg = TestRegistry::start().unwrap();
    let sb = Sandbox::new();
    let ours = format!("{}/t/ours:1", reg.domain());
    sb.run(["tag", "busybox", &ours]).ok();
    let digest = printed_digest(sb.run(["push", &ours]).ok());
    let podman = six_testkit::podman::Podman::new(sb.dir.path());
    podman.run(&["pull", "-q", "--tls-verify=false", &ours]);
    let seen = podman.run(&["images", "--digests", "--format", "{{.Digest}}", &ours]);
    assert_eq!(seen.trim(), digest, "Podman sees another digest");

    let theirs = format!("{}/t/theirs:1", reg.domain());
    let digest_file = sb.dir.path().join("podman-digest");
    podman.run(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--digestfile",
        digest_file.to_str().unwrap(),
        &ours,
        &theirs,
    ]);
    let their_digest = std::fs::read_to_string(&digest_file).unwrap();
    let other = Sandbox::new();
    let pulled = other.run(["pull", &theirs]);
    assert!(
        pulled
            .ok()
            .contains(&format!("Digest: {}", their_digest.trim())),
        "{pulled:?}"
    );
    let ran = other.run(["run", "--rm", "--network", "none", &theirs, "echo", "ok"]);
    assert_eq!(ran.ok(), "ok\n");
}
