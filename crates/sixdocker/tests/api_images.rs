//! Images through the Engine API with Docker's CLI: `docker login`, `push` and `pull` against
//! Debian's docker-registry on 127.0.0.1 (started by the test, htpasswd auth: the CLI sends
//! its credentials as `X-Registry-Auth`), `import`, `history`, `image prune`.

mod common;

use common::api::{busybox_archive, Service};
use common::Sandbox;

#[test]
fn login_push_pull_through_the_docker_cli() {
    let (reg, sb, _) = common::seed::private_registry();
    let svc = Service::start(&sb);
    let domain = reg.domain();
    let archive = busybox_archive(sb.dir.path(), "apitest/busybox:1");
    svc.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    let r = format!("{domain}/t/api:1");
    svc.docker_ok(&["tag", "apitest/busybox:1", &r]);

    // Without credentials the registry refuses the push, and the CLI says so.
    let (code, out, err) = svc.docker(&["push", &r]);
    assert_eq!(code, 1, "{out} {err}");
    assert!(
        (out.clone() + &err).contains("denied") || (out.clone() + &err).contains("authentication"),
        "{out} {err}"
    );

    let (code, _, err) = svc.docker_in(
        &["login", "-u", "tester", "--password-stdin", &domain],
        Some(b"wrong\n"),
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("incorrect username or password"), "{err}");
    let (code, out, err) = svc.docker_in(
        &["login", "-u", "tester", "--password-stdin", &domain],
        Some(b"s3cret\n"),
    );
    assert_eq!(code, 0, "{out} {err}");
    assert!(out.contains("Login Succeeded"), "{out}");
    // The CLI keeps them, not the service.
    assert!(svc.docker_config.join("config.json").exists());

    let out = svc.docker_ok(&["push", &r]);
    assert!(
        out.contains(&format!("The push refers to repository [{domain}/t/api]")),
        "{out}"
    );
    let digest = out
        .lines()
        .find_map(|l| l.strip_prefix("1: digest: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no digest line in {out}"))
        .to_owned();

    let id = svc.docker_ok(&["inspect", "-f", "{{.Id}}", &r]);
    svc.docker_ok(&["rmi", &r]);
    let out = svc.docker_ok(&["pull", &r]);
    assert!(out.contains("1: Pulling from t/api"), "{out}");
    assert!(out.contains(&format!("Digest: {digest}")), "{out}");
    assert!(
        out.contains(&format!("Status: Downloaded newer image for {r}")),
        "{out}"
    );
    assert_eq!(svc.docker_ok(&["inspect", "-f", "{{.Id}}", &r]), id);
    let digests = svc.docker_ok(&["images", "--digests", "--format", "{{.Digest}}", &r]);
    assert_eq!(digests.trim(), digest);

    // What is not there: an error document before any progress, exit 1.
    let (code, out, err) = svc.docker(&["pull", &format!("{domain}/t/nothing:1")]);
    assert_eq!(code, 1, "{out} {err}");
    assert!(err.contains("t/nothing"), "{err}");
    svc.docker_ok(&["logout", &domain]);
}

#[test]
fn import_history_and_prune() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    // A root file system tar on stdin becomes an image.
    let mut tar = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(3);
    tar.append_data(&mut h, "hello.txt", &b"hi\n"[..]).unwrap();
    let tar = tar.into_inner().unwrap();
    let (code, out, err) = svc.docker_in(&["import", "-", "apitest/imported:1"], Some(&tar));
    assert_eq!(code, 0, "{err}");
    assert!(out.trim().starts_with("sha256:"), "{out}");
    let listed = svc.docker_ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(listed.contains("apitest/imported:1"), "{listed}");
    let history = svc.docker_ok(&[
        "history",
        "--format",
        "{{.ID}} {{.Size}}",
        "apitest/imported:1",
    ]);
    assert_eq!(history.lines().count(), 1, "{history}");
    svc.docker_fails(
        &["import", "--change", "CMD [\"sh\"]", "-", "x:1"],
        "changes",
    );

    // An untagged image is dangling: prune takes it, and a tagged one only with -a.
    svc.docker_ok(&["tag", "apitest/imported:1", "apitest/second:1"]);
    svc.docker_ok(&["rmi", "apitest/imported:1"]);
    let out = svc.docker_ok(&["image", "prune", "-f"]);
    assert!(out.contains("Total reclaimed space"), "{out}");
    assert!(svc.docker_ok(&["images", "-q"]).trim().len() >= 12);
    let out = svc.docker_ok(&["image", "prune", "-a", "-f"]);
    assert!(out.contains("untagged: apitest/second:1"), "{out}");
    assert_eq!(svc.docker_ok(&["images", "-q"]).trim(), "");
}
