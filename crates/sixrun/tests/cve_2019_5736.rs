//! CVE-2019-5736 as an attacker tries it: a hostile image whose files are `#!` scripts naming
//! `/proc/self/exe` in every spelling the kernel accepts (NUL after the name, spaces, a tab,
//! no newline, a long line) or a symlink to it, exec'd into a container while a process in the
//! container (its init, a small static C program) opens `/proc/PID/exe` of every new process
//! and, once that process is gone, writes through the held file. The runtime binary under
//! attack is a copy made for the test; its bytes must not change and no write may succeed.
//!
//! `RUNC=/path/to/runtime` attacks another runtime binary (a copy of it) the same way.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

fn hostile_bundle(bin: &Path) -> Bundle {
    let b = bundle(&["/attacker"], |c| c["root"]["readonly"] = false.into());
    six_testkit::cve_2019_5736::install(&b.rootfs(), bin);
    b
}

fn wait_for(path: &Path, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs the attack against a copy of the runtime at `bin` (state under `root`) and asserts the
/// copy is unchanged and nothing could be written, though the attacker did capture files.
fn attack(bin: &Path, root: tempfile::TempDir) {
    std::fs::copy(runtime_binary(), bin).unwrap();
    let before = std::fs::read(bin).unwrap();
    let s = Sixrun::using(bin, root);
    let b = hostile_bundle(bin);
    let id = s.new_id("cve5736");
    s.create(&id, &b);
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    // The waiting init itself: not the host binary, and not writable even by the host's root.
    let init_exe = format!("/proc/{pid}/exe");
    let write_init = std::fs::OpenOptions::new()
        .write(true)
        .open(&init_exe)
        .and_then(|mut f| std::io::Write::write(&mut f, b"PWNED"));
    assert!(write_init.is_err(), "the waiting init's exe is writable");
    s.ok(&["start", &id]);
    wait_for(&b.rootfs().join("ready"), 30);

    let names = six_testkit::cve_2019_5736::hostile_names();
    // Every spelling at least twice; more rounds while the attacker (a poller, on a loaded
    // machine) has caught nothing yet.
    for round in 0..40 {
        if round >= 2 && b.rootfs().join("captured").exists() {
            break;
        }
        for name in &names {
            // The exec'd process runs the runtime's binary inside the container and fails
            // there (it is given a script as its arguments); that is not the point.
            let _ = s.run(&["exec", &id, &format!("/{name}")]);
        }
    }
    std::fs::write(b.rootfs().join("stop"), "").unwrap();
    wait_for(&b.rootfs().join("result"), 120);
    let result = std::fs::read_to_string(b.rootfs().join("result")).unwrap();
    let overwritten = std::fs::read(bin).unwrap() != before;
    if overwritten {
        // Put it back, so that cleanup can still run it.
        std::fs::write(bin, &before).unwrap();
    }
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid), b.path());

    assert!(
        !overwritten,
        "the runtime binary was overwritten from inside the container ({result})"
    );
    let (captured, written) = six_testkit::cve_2019_5736::outcome(&result);
    assert_eq!(written, 0, "a write reached the runtime's binary: {result}");
    assert!(
        captured > 0,
        "the attacker never caught the runtime's exe, so the test proved nothing: {result}"
    );
}

#[test]
fn hostile_shebangs_cannot_overwrite_the_runtime_through_its_overlay_view() {
    require_root();
    // The binary in a directory of its own: the runtime seals itself with a private overlay.
    let dir = tempfile::Builder::new()
        .prefix("sixrun-bin-")
        .tempdir()
        .unwrap();
    let root = tempfile::Builder::new()
        .prefix("sixrun-t-")
        .tempdir()
        .unwrap();
    attack(&dir.path().join("sixrun"), root);
}

#[test]
fn hostile_shebangs_cannot_overwrite_the_runtime_through_its_memfd_copy() {
    require_root();
    // The state root inside the binary's directory: overlayfs refuses overlapping layers, so
    // the runtime seals itself with a memfd copy instead.
    let dir = tempfile::Builder::new()
        .prefix("sixrun-bin-")
        .tempdir()
        .unwrap();
    let root = tempfile::Builder::new()
        .prefix("state-")
        .tempdir_in(dir.path())
        .unwrap();
    attack(&dir.path().join("sixrun"), root);
}
