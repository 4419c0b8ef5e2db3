//! A `create` killed midway (kill -9 while its prestart hook runs: the init is cloned and
//! waiting, its cgroup made, no record written) must not make the container ID unusable:
//! `delete` removes what it left, and a new `create` of the same ID cleans up and succeeds.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

/// A bundle whose prestart hook writes its pid to `hook_pid` and sleeps.
fn slow_hook_bundle(hook_pid: &Path) -> Bundle {
    let script = format!(
        "echo $$ > {}.tmp && mv {0}.tmp {0} && exec sleep 60",
        hook_pid.display()
    );
    bundle(&["true"], |c| {
        c["hooks"] =
            serde_json::json!({"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", script]}]});
    })
}

/// Starts `create` of `id` on `b` and returns once its prestart hook runs (the init is cloned
/// and waiting, its cgroup made, no record written).
fn create_until_hook(s: &Sixrun, id: &str, b: &Bundle, hook_pid: &Path) -> std::process::Child {
    let child = s
        .cmd()
        .args(["create", "--bundle", b.path().to_str().unwrap(), id])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !hook_pid.exists() {
        assert!(Instant::now() < deadline, "the prestart hook never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// SIGKILLs the create and then its hook (started through our sixrun, so ours to end).
fn kill_create(mut child: std::process::Child, hook_pid: &Path) {
    child.kill().unwrap();
    child.wait().unwrap();
    let hook: i32 = std::fs::read_to_string(hook_pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: kill of the hook process our sixrun started.
    unsafe { libc::kill(hook, libc::SIGKILL) };
}

/// Runs `create` of `id` on `b` and kills it while its hook runs.
fn killed_create(s: &Sixrun, id: &str, b: &Bundle, hook_pid: &Path) {
    kill_create(create_until_hook(s, id, b, hook_pid), hook_pid);
    assert!(
        s.state_dir(id).exists(),
        "the killed create left no directory"
    );
}

#[test]
fn delete_removes_what_a_killed_create_left() {
    let s = Sixrun::new();
    let tmp = tempfile::tempdir().unwrap();
    let hook_pid = tmp.path().join("hook.pid");
    let b = slow_hook_bundle(&hook_pid);
    let id = s.new_id("killed");
    killed_create(&s, &id, &b, &hook_pid);
    assert!(
        !cgroups_named(&id).is_empty(),
        "the killed create made no cgroup: the test proves nothing"
    );
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
    // The ID is free again.
    let fresh = bundle(&["true"], |_| {});
    s.create(&id, &fresh);
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, fresh.path());
}

#[test]
fn create_reclaims_the_id_of_a_killed_create() {
    let s = Sixrun::new();
    let tmp = tempfile::tempdir().unwrap();
    let hook_pid = tmp.path().join("hook.pid");
    let b = slow_hook_bundle(&hook_pid);
    let id = s.new_id("killed");
    killed_create(&s, &id, &b, &hook_pid);
    let fresh = bundle(&["true"], |_| {});
    s.create(&id, &fresh);
    assert_eq!(s.status(&id), "created");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, fresh.path());
}

#[test]
fn a_create_in_progress_is_not_reclaimed() {
    let s = Sixrun::new();
    let tmp = tempfile::tempdir().unwrap();
    let hook_pid = tmp.path().join("hook.pid");
    let b = slow_hook_bundle(&hook_pid);
    let id = s.new_id("busy");
    let child = create_until_hook(&s, &id, &b, &hook_pid);
    let fresh = bundle(&["true"], |_| {});
    let line = s.fails(&["create", "--bundle", fresh.path().to_str().unwrap(), &id]);
    assert!(line.contains("already exists"), "{line}");
    assert!(s.state_dir(&id).exists());
    kill_create(child, &hook_pid);
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}
