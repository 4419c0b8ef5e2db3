//! The docker CLI's everyday commands through `sixdocker system service` that the other api_*
//! tests do not drive (issue 13's workflow): top, pause and unpause, rename, restart, commit,
//! kill with wait, save and load back. Own store, socket and DOCKER_CONFIG; the service is
//! stopped by PID before the sandbox removes the containers and checks for leftovers.

mod common;

use std::time::Duration;

use common::api::Service;
use common::Sandbox;

#[test]
fn top_pause_rename_restart_commit_kill_and_save() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let first = common::unique_name("apiwf");
    let renamed = common::unique_name("apiwfnew");
    let image = format!("{first}:committed");
    let state = |name: &str| svc.docker_ok(&["inspect", "-f", "{{.State.Status}}", name]);

    svc.docker_ok(&[
        "run",
        "-d",
        "--name",
        &first,
        "busybox",
        "sh",
        "-c",
        "echo made > /made; exec sleep 1000",
    ]);
    sb.wait_for("the container's file", Duration::from_secs(60), || {
        (svc.docker(&["exec", &first, "cat", "/made"]).1 == "made\n").then_some(())
    });
    let top = svc.docker_ok(&["top", &first]);
    assert!(top.contains("sleep 1000"), "{top}");

    svc.docker_ok(&["pause", &first]);
    assert_eq!(state(&first).trim(), "paused");
    svc.docker_ok(&["unpause", &first]);
    assert_eq!(state(&first).trim(), "running");

    svc.docker_ok(&["rename", &first, &renamed]);
    let (code, _, err) = svc.docker(&["inspect", &first]);
    assert_eq!(code, 1, "the old name still answers");
    assert!(err.contains(&format!("No such object: {first}")), "{err}");
    let started = |name: &str| svc.docker_ok(&["inspect", "-f", "{{.State.StartedAt}}", name]);
    let before = started(&renamed);
    svc.docker_ok(&["restart", "-t", "0", &renamed]);
    assert_eq!(state(&renamed).trim(), "running");
    assert_ne!(started(&renamed), before, "restart did not start it again");

    // commit: the container's file is in the image; what it cannot honour is refused.
    let id = svc.docker_ok(&["commit", &renamed, &image]);
    assert!(id.trim().starts_with("sha256:"), "{id}");
    let made = svc.docker_ok(&["run", "--rm", "--network", "none", &image, "cat", "/made"]);
    assert_eq!(made, "made\n");
    let (code, _, err) = svc.docker(&["commit", "-m", "why", &renamed]);
    assert_eq!(code, 1);
    assert!(
        err.contains("commit --message (comment=) is not supported"),
        "{err}"
    );

    svc.docker_ok(&["kill", &renamed]);
    assert_eq!(svc.docker_ok(&["wait", &renamed]).trim(), "137");

    // save, then load it back once it is gone.
    let archive = sb.dir.path().join("committed.tar");
    svc.docker_ok(&["save", "-o", archive.to_str().unwrap(), &image]);
    svc.docker_ok(&["rm", &renamed]);
    svc.docker_ok(&["rmi", &image]);
    assert_eq!(svc.docker(&["image", "inspect", &image]).0, 1);
    let loaded = svc.docker_ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(loaded.trim(), format!("Loaded image: {image}"));
    let made = svc.docker_ok(&["run", "--rm", "--network", "none", &image, "cat", "/made"]);
    assert_eq!(made, "made\n");
    svc.docker_ok(&["rmi", &image]);
}
