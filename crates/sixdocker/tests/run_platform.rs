//! `run --platform` (issue 11, run flags): the host's platform is accepted for a local image,
//! and a local image of another platform is not taken for the one asked for (Docker's rule:
//! with `--pull never` that is a one-line refusal; no test here pulls, nothing leaves the host).

mod common;

use common::Sandbox;

#[test]
fn the_hosts_platform_runs_and_another_is_not_taken_for_it() {
    let sb = Sandbox::new();
    let host = match std::env::consts::ARCH {
        "x86_64" => "linux/amd64",
        "aarch64" => "linux/arm64",
        other => panic!("no platform name for {other} in this test"),
    };
    let other = if host == "linux/amd64" {
        "linux/arm64"
    } else {
        "linux/amd64"
    };
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "--platform",
        host,
        "busybox",
        "echo",
        "ok",
    ]);
    assert_eq!(out.ok(), "ok\n");
    sb.run([
        "run", "--rm", "--pull", "never", "--network", "none", "--platform", other, "busybox",
        "true",
    ])
    .fails(
        125,
        &format!("image with reference busybox was found but does not match the specified platform: wanted {other}, actual: {host}"),
    );
    // (every refusal here says --pull never: a pull would leave the host)
    let out = sb.run([
        "run",
        "--rm",
        "--pull",
        "never",
        "--platform",
        "bogus",
        "busybox",
        "true",
    ]);
    assert_eq!(out.code, 125, "{out:?}");
    assert!(out.stderr.contains("bogus"), "{out:?}");
    assert!(sb.container_ids().is_empty(), "nothing made");
}
