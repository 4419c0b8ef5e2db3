//! The process's working directory as runc enters it: first while still root (before the
//! user change), so a directory only root may enter works as the cwd of any user, for `run`
//! and for `exec --user`. A missing cwd is made for the container's process (parents too,
//! mode 0755, even with a read-only root), while `exec` into a missing one fails naming it.
//!
//! `RUNC=runc cargo test -p sixrun --test cwd` runs the same against runc.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

/// A busybox bundle running `args` with `/secret` (root's, mode 0700) in its rootfs.
fn bundle_with_secret(args: &[&str], edit: impl FnOnce(&mut serde_json::Value)) -> Bundle {
    let b = bundle(args, edit);
    let secret = b.rootfs().join("secret");
    std::fs::create_dir(&secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o700)).unwrap();
    b
}

#[test]
fn a_cwd_only_root_may_enter_works_for_another_user() {
    let s = Sixrun::under_test();
    let b = bundle_with_secret(&["sh", "-c", "pwd; id -u"], |c| {
        c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
        c["process"]["cwd"] = "/secret".into();
    });
    let id = s.new_id("cwd");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), "/secret 1000");
}

#[test]
fn exec_user_into_a_cwd_only_root_may_enter_works_and_a_missing_one_fails() {
    let s = Sixrun::under_test();
    let b = bundle_with_secret(&["sleep", "100"], |_| {});
    let id = s.new_id("cwdexec");
    s.create(&id, &b);
    s.ok(&["start", &id]);
    let out = s.ok(&[
        "exec",
        "--user",
        "1000:1000",
        "--cwd",
        "/secret",
        &id,
        "sh",
        "-c",
        "pwd; id -u",
    ]);
    assert_eq!(words(&out), "/secret 1000");
    let line = s.fails(&[
        "exec",
        "--user",
        "1000:1000",
        "--cwd",
        "/nowhere",
        &id,
        "pwd",
    ]);
    assert!(line.contains("/nowhere"), "{line}");
    s.ok(&["kill", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
}

#[test]
fn a_missing_cwd_is_made_for_the_containers_process() {
    let s = Sixrun::under_test();
    let b = bundle(&["sh", "-c", "pwd; stat -c %a /nowhere"], |c| {
        c["process"]["cwd"] = "/nowhere/deep".into();
    });
    let id = s.new_id("cwdgone");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), "/nowhere/deep 755");
    assert!(b.rootfs().join("nowhere/deep").is_dir());
}
