//! Where a container's cgroup is and what the runtime does with one that is already there, as
//! runc 1.1.5 does it: the default cgroup named after the container, a pre-existing frozen
//! cgroup refused, a busy one warned about, cgroup v2 resources refused on a v1 host.
//!
//! Each test also passes with `RUNC=runc` (the runtime under test is `common::runtime_binary`).

mod common;

use common::*;
use six_testkit::RelativeCgroupPath;

#[test]
fn the_default_cgroup_is_named_after_the_container() {
    let s = Sixrun::under_test();
    let b = bundle(&["cat", "/proc/self/cgroup"], |_| {});
    let id = s.new_id("cgname");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.lines().count() > 1, "{out}");
    for line in out.lines() {
        assert!(line.ends_with(&format!("/{id}")), "{line}\n{out}");
    }
    s.assert_gone(&id, None, b.path());
}

/// A pure cgroup v2 machine (no v1 hierarchies).
fn pure_v2() -> bool {
    std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

/// A busybox `sleep` bundle whose linux.cgroupsPath is `cgroup`.
fn sleeping_in(cgroup: &RelativeCgroupPath) -> Bundle {
    bundle(&["sleep", "1000"], |c| {
        c["linux"]["cgroupsPath"] = cgroup.path.as_str().into();
    })
}

/// Runs the runtime with `args` and fails the test if it has not ended within 30 s (ending
/// it then: a create that waits for a frozen init never would).
fn run_bounded(s: &Sixrun, args: &[&str]) -> std::process::Output {
    let out = tempfile::tempfile().unwrap();
    let err = tempfile::tempfile().unwrap();
    let mut child = s
        .cmd()
        .args(args)
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{args:?} still ran after 30 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |mut f: std::fs::File| {
        use std::io::{Read, Seek};
        let mut v = Vec::new();
        f.seek(std::io::SeekFrom::Start(0)).unwrap();
        f.read_to_end(&mut v).unwrap();
        v
    };
    std::process::Output {
        status,
        stdout: read(out),
        stderr: read(err),
    }
}

/// Freezes (or thaws) the directory `dir` of a cgroup the test made.
fn set_frozen(dir: &std::path::Path, frozen: bool) {
    let (file, value) = match (pure_v2(), frozen) {
        (true, true) => ("cgroup.freeze", "1"),
        (true, false) => ("cgroup.freeze", "0"),
        (false, true) => ("freezer.state", "FROZEN"),
        (false, false) => ("freezer.state", "THAWED"),
    };
    std::fs::write(dir.join(file), value).unwrap();
}

/// Thaws the test's frozen cgroup on drop, so that even a failed test can remove it.
struct Thaw(std::path::PathBuf);

impl Drop for Thaw {
    fn drop(&mut self) {
        if self.0.exists() {
            set_frozen(&self.0, false);
        }
    }
}

#[test]
fn run_and_create_into_a_frozen_cgroup_fail_instead_of_waiting() {
    let cgroup = RelativeCgroupPath::new(&unique_name("frozen"));
    let s = Sixrun::under_test();
    let dir = if pure_v2() {
        cgroup.dirs()[0].clone()
    } else {
        cgroup.v1_dir("freezer").expect("a freezer hierarchy")
    };
    std::fs::create_dir(&dir).unwrap();
    let _thaw = Thaw(dir.clone());
    set_frozen(&dir, true);
    let b = sleeping_in(&cgroup);
    for command in ["run", "create"] {
        let id = s.new_id("frozen");
        let mut args = vec![command, "--bundle", b.path().to_str().unwrap(), id.as_str()];
        if command == "run" {
            args.insert(1, "-d");
        }
        let out = run_bounded(&s, &args);
        assert!(
            !out.status.success(),
            "{command} into a frozen cgroup succeeded"
        );
        let err = stderr(&out);
        assert!(
            err.contains("container's cgroup unexpectedly frozen"),
            "{err}"
        );
        assert!(!s.state_dir(&id).exists(), "{command} left its state");
    }
    // The cgroup the test made is left as it was.
    assert!(dir.exists());
}

/// A `sleep` child of the test, ended and reaped on drop.
struct Sleeper(std::process::Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_cgroup_that_already_holds_a_process_gets_runcs_warning() {
    let cgroup = RelativeCgroupPath::new(&unique_name("busy"));
    let s = Sixrun::under_test();
    let sleeper = Sleeper(
        std::process::Command::new("sleep")
            .arg("1000")
            .spawn()
            .unwrap(),
    );
    // In every hierarchy but cpuset (a new cpuset cgroup takes no process before its cpus
    // and mems are set; the runtime sets them).
    let cpuset = six_testkit::v1_mount_point("cpuset");
    for dir in cgroup.dirs() {
        if cpuset.as_ref().is_some_and(|c| dir.starts_with(c)) {
            continue;
        }
        std::fs::create_dir(dir).unwrap();
        std::fs::write(dir.join("cgroup.procs"), sleeper.0.id().to_string()).unwrap();
    }
    let b = sleeping_in(&cgroup);
    let id = s.new_id("busy");
    let out = s.run(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("container's cgroup is not empty: 1 process(es) found"),
        "{err}"
    );
    assert_eq!(s.status(&id), "running");
    drop(sleeper);
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn unified_resources_on_a_cgroup_v1_machine_fail_with_runcs_message() {
    if pure_v2() {
        eprintln!("skipped: this machine's cgroups are v2, where unified resources apply");
        return;
    }
    let s = Sixrun::under_test();
    let b = bundle(&["true"], |c| {
        c["linux"]["resources"]["unified"] = serde_json::json!({"memory.min": "131072"});
    });
    let id = s.new_id("unified");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("cannot use unified on cgroup v1"), "{err}");
    s.assert_gone(&id, None, b.path());
}
