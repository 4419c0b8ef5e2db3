//! TLS to a registry: docker-registry serving HTTPS with a CA made for the test. With
//! Docker's `certs.d/<host:port>/ca.crt` (SIXDOCKER_CERTS_D) the certificate is checked,
//! and a wrong CA is refused; a registry that wants client certificates gets the
//! `client.cert`/`client.key` of that directory. A loopback registry without a certs.d
//! directory is not checked, as Docker treats 127.0.0.0/8 as insecure.

mod common;

use std::path::Path;
use std::process::Output;

use common::Sandbox;
use six_testkit::registry::{make_ca, TestRegistry};

fn seed(reg: &TestRegistry, sb: &Sandbox, repo_tag: &str) {
    let ca = reg.ca();
    let certs = sb.dir.path().join("skopeo-certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&ca.ca_cert, certs.join("ca.crt")).unwrap();
    std::fs::copy(&ca.client_cert, certs.join("client.cert")).unwrap();
    std::fs::copy(&ca.client_key, certs.join("client.key")).unwrap();
    common::seed::seed(sb, &reg.domain(), repo_tag, Some(&certs));
}

/// `pull -q REF` with `certs_d` as the certificate directory.
fn pull(sb: &Sandbox, certs_d: &Path, r: &str) -> Output {
    sb.command(["pull", "-q", r])
        .env("SIXDOCKER_CERTS_D", certs_d)
        .output()
        .unwrap()
}

fn certs_dir(sb: &Sandbox, reg: &TestRegistry, files: &[(&Path, &str)]) -> std::path::PathBuf {
    let d = sb
        .dir
        .path()
        .join(format!("certs.d-{}", common::unique_name("c")));
    let host = d.join(reg.domain());
    std::fs::create_dir_all(&host).unwrap();
    for (from, name) in files {
        std::fs::copy(from, host.join(name)).unwrap();
    }
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn the_certs_d_ca_is_checked_and_a_wrong_one_refused() {
    let reg = TestRegistry::builder().tls().start().unwrap();
    let seeder = Sandbox::new();
    seed(&reg, &seeder, "t/tls:1");
    let r = format!("{}/t/tls:1", reg.domain());
    let ca = reg.ca();

    let sb = Sandbox::new();
    let good = certs_dir(&sb, &reg, &[(&ca.ca_cert, "ca.crt")]);
    let out = pull(&sb, &good, &r);
    assert!(out.status.success(), "{}", stderr(&out));

    let other_ca = make_ca(&sb.dir.path().join("other")).unwrap();
    let wrong = certs_dir(&sb, &reg, &[(&other_ca.ca_cert, "ca.crt")]);
    let sb2 = Sandbox::new();
    let out = pull(&sb2, &wrong, &r);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("certificate") || err.contains("Certificate"),
        "{err}"
    );
    assert_eq!(sb2.sh("images -q").ok().trim(), "");

    // No certs.d directory for it: a loopback registry is not checked (Docker's default).
    let sb3 = Sandbox::new();
    let out = pull(&sb3, &sb3.dir.path().join("no-certs.d"), &r);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn client_certificates_come_from_certs_d() {
    let reg = TestRegistry::builder().client_certs().start().unwrap();
    let seeder = Sandbox::new();
    seed(&reg, &seeder, "t/mtls:1");
    let r = format!("{}/t/mtls:1", reg.domain());
    let ca = reg.ca();
    let sb = Sandbox::new();
    let ca_only = certs_dir(&sb, &reg, &[(&ca.ca_cert, "ca.crt")]);
    let out = pull(&sb, &ca_only, &r);
    assert_eq!(
        out.status.code(),
        Some(1),
        "without a client certificate: {}",
        stderr(&out)
    );
    let with_client = certs_dir(
        &sb,
        &reg,
        &[
            (&ca.ca_cert, "ca.crt"),
            (&ca.client_cert, "client.cert"),
            (&ca.client_key, "client.key"),
        ],
    );
    let out = pull(&sb, &with_client, &r);
    assert!(out.status.success(), "{}", stderr(&out));
}
