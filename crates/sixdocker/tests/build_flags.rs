//! `build`'s flags beyond the Dockerfile: several `-t`, `--label`, `--iidfile`, and `--pull`
//! (a FROM image is taken from the store, or with `--pull` fetched again from its registry: a
//! docker-registry of the test's own on 127.0.0.1).

mod common;

use common::build::{build, Context};
use common::Sandbox;
use six_testkit::registry::TestRegistry;

#[test]
fn several_tags_labels_and_an_iidfile() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[("Dockerfile", "FROM busybox\nLABEL from=dockerfile\n")]);
    let iid = sb.dir.path().join("iid");
    let out = build(
        &sb,
        &ctx,
        &[
            "-t",
            "first",
            "-t",
            "second:v2",
            "--label",
            "team=web",
            "--label",
            "empty",
            "--iidfile",
            &iid.to_string_lossy(),
        ],
    );
    assert!(
        out.ok()
            .contains("naming to docker.io/library/second:v2 done"),
        "{}",
        out.stdout
    );
    let id = std::fs::read_to_string(&iid).unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    for name in ["first", "second:v2"] {
        let got = sb.run(["image", "inspect", "--format", "{{.Id}}", name]);
        assert_eq!(got.ok().trim(), id, "{name}");
    }
    let labels = sb.run([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Labels}}",
        "first",
    ]);
    assert_eq!(
        labels.ok().trim(),
        r#"{"empty":"","from":"dockerfile","team":"web"}"#
    );
}

/// Builds `FROM busybox` + a /version file holding `version`, named `reference`, and pushes it.
fn push_version(sb: &Sandbox, reference: &str, version: &str) {
    let ctx = Context::new(&[(
        "Dockerfile",
        &format!("FROM busybox\nRUN echo {version} > /version\n"),
    )]);
    build(sb, &ctx, &["-t", reference]).ok();
    sb.run(["push", "-q", reference]).ok();
}

#[test]
fn pull_fetches_the_base_again() {
    let reg = TestRegistry::start().unwrap();
    let base = format!("{}/t/base:1", reg.domain());
    let pusher = Sandbox::new();
    push_version(&pusher, &base, "one");

    let sb = Sandbox::new();
    let child = Context::new(&[(
        "Dockerfile",
        &format!("FROM {base}\nRUN cat /version > /seen\nCMD [\"cat\", \"/seen\"]\n"),
    )]);
    build(&sb, &child, &["-t", "child"]).ok();
    let seen = || {
        let out = sb.run(["run", "--rm", "--network", "none", "child"]);
        out.ok().to_owned()
    };
    assert_eq!(seen(), "one\n", "a missing base is pulled");

    push_version(&pusher, &base, "two");
    build(&sb, &child, &["-t", "child"]).ok();
    assert_eq!(seen(), "one\n", "without --pull the store's base is used");
    build(&sb, &child, &["--pull", "-t", "child"]).ok();
    assert_eq!(seen(), "two\n", "--pull fetched the base again");
}
