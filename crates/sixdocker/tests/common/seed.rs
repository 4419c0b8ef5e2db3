//! Putting an image into a test registry without sixdocker's own push: the sandbox's
//! busybox image, saved as a docker-archive and copied with skopeo.
#![allow(dead_code)]

use std::path::Path;

use super::Sandbox;

/// Copies the sandbox's busybox image to `domain/repo_tag` with skopeo (TLS checked against
/// `cert_dir` when given, else not checked); returns its image ID (12 hex).
pub fn seed(sb: &Sandbox, domain: &str, repo_tag: &str, cert_dir: Option<&Path>) -> String {
    sb.sh("tag busybox seeded:1").ok();
    let archive = sb.dir.path().join("seed.tar");
    sb.run(["save", "-o", archive.to_str().unwrap(), "seeded:1"])
        .ok();
    let mut skopeo = std::process::Command::new("skopeo");
    skopeo.args(["copy", "-q"]);
    match cert_dir {
        Some(d) => skopeo.arg("--dest-cert-dir").arg(d),
        None => skopeo.arg("--dest-tls-verify=false"),
    };
    let out = skopeo
        .arg(format!("docker-archive:{}", archive.display()))
        .arg(format!("docker://{domain}/{repo_tag}"))
        .output()
        .expect("running skopeo");
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    sb.sh("images -q").ok().lines().next().unwrap().to_owned()
}

/// A registry with htpasswd basic auth (user `tester`, password `s3cret`), a sandbox, and
/// a Docker config directory inside the sandbox (not created) for DOCKER_CONFIG.
pub fn private_registry() -> (
    six_testkit::registry::TestRegistry,
    Sandbox,
    std::path::PathBuf,
) {
    let reg = six_testkit::registry::TestRegistry::builder()
        .htpasswd("tester", "s3cret")
        .start()
        .unwrap();
    let sb = Sandbox::new();
    let config = sb.dir.path().join("docker-config");
    (reg, sb, config)
}
