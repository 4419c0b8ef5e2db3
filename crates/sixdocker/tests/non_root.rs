//! Run by a user other than root, sixdocker says in one line that it needs root (rootless
//! mode is not supported) and makes nothing, rather than failing at the first file it may
//! not create (issue 15). `--help` and `--version` still work.

mod common;

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use common::BIN;

/// Runs sixdocker as `nobody` with a store of its own (not made yet) below `dir`.
fn as_nobody(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("run"))
        .args(args)
        .uid(65534)
        .gid(65534)
        .stdin(Stdio::null())
        .output()
        .expect("running sixdocker as nobody")
}

#[test]
fn another_user_gets_one_line_and_nothing_is_made() {
    six_testkit::require_root();
    let dir = tempfile::tempdir().unwrap();
    let line = "sixdocker: sixdocker needs root (run it as root or with sudo); rootless mode is not supported yet\n";
    for (args, code) in [
        (&["ps"][..], 1),
        (&["images"][..], 1),
        (&["run", "--rm", "busybox", "true"][..], 125),
    ] {
        let out = as_nobody(dir.path(), args);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), line, "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
    assert!(!dir.path().join("root").exists(), "a store was made");
    assert!(!dir.path().join("run").exists(), "a runroot was made");
    let version = as_nobody(dir.path(), &["--version"]);
    assert!(version.status.success(), "{version:?}");
}
