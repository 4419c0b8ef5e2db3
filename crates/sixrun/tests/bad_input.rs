//! Bad input to the real `sixrun`: each mistake gets one clear line on stderr, a non-zero
//! exit, and leaves no state, cgroup, mount or process behind.

mod common;

use common::*;

/// `create` with this bundle must fail with one line containing every `want`.
fn create_fails(b: &Bundle, want: &[&str]) {
    let s = Sixrun::new();
    let id = s.new_id("bad");
    let line = s.fails(&["create", "--bundle", b.path().to_str().unwrap(), &id]);
    for w in want {
        assert!(line.contains(w), "{line:?} should mention {w:?}");
    }
    s.assert_gone(&id, None, b.path());
}

#[test]
fn config_that_is_not_json() {
    let b = Bundle::busybox(&["true"]).unwrap();
    std::fs::write(b.path().join("config.json"), "{ this is not json").unwrap();
    create_fails(&b, &["config.json", "not valid JSON"]);
}

#[test]
fn config_missing_a_required_field() {
    let b = bundle(&["true"], |c| {
        c.as_object_mut().unwrap().remove("process");
    });
    create_fails(&b, &["config.json", "\"process\"", "missing"]);
}

#[test]
fn config_with_a_wrong_type() {
    let b = bundle(&["true"], |c| c["process"]["args"] = "true".into());
    create_fails(&b, &["config.json", "invalid type"]);
}

#[test]
fn config_with_no_program() {
    let b = bundle(&["true"], |c| c["process"]["args"] = serde_json::json!([]));
    create_fails(&b, &["process.args"]);
}

#[test]
fn a_program_that_does_not_exist() {
    let b = bundle(&["/no/such/program"], |_| {});
    create_fails(&b, &["/no/such/program"]);
}

#[test]
fn a_bundle_that_does_not_exist() {
    let s = Sixrun::new();
    let id = s.new_id("bad");
    let line = s.fails(&["create", "--bundle", "/nonexistent/bundle", &id]);
    assert!(
        line.contains("/nonexistent/bundle") && line.contains("does not exist"),
        "{line}"
    );
    assert!(!s.state_dir(&id).exists());
}

#[test]
fn a_duplicate_id_is_refused_and_the_first_container_survives() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("dup");
    s.create(&id, &b);
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    let line = s.fails(&["create", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(
        line.contains(&id) && line.contains("already exists"),
        "{line}"
    );
    assert_eq!(s.status(&id), "created");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn an_unknown_id_is_refused_by_every_command() {
    let s = Sixrun::new();
    for cmd in [
        &["state", "nope"][..],
        &["start", "nope"],
        &["kill", "nope"],
        &["delete", "nope"],
        &["pause", "nope"],
        &["exec", "nope", "true"],
    ] {
        let line = s.fails(cmd);
        assert!(
            line.contains("nope") && line.contains("does not exist"),
            "{cmd:?}: {line}"
        );
    }
    let line = s.fails(&["state", "../etc"]);
    assert!(line.contains("invalid"), "{line}");
}

#[test]
fn an_unknown_signal_is_refused() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("sig");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let line = s.fails(&["kill", &id, "SIGNOPE"]);
    assert!(line.contains("SIGNOPE"), "{line}");
    assert_eq!(s.status(&id), "running");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn unknown_flags_and_unsupported_modes_are_errors() {
    let s = Sixrun::new();
    let line = s.fails(&["create", "--no-such-flag", "x"]);
    assert!(line.contains("--no-such-flag"), "{line}");
    let line = s.fails(&["--systemd-cgroup", "list"]);
    assert!(line.contains("systemd"), "{line}");
    let line = s.fails(&["--rootless", "true", "list"]);
    assert!(line.contains("rootless"), "{line}");
}

#[test]
fn a_sysctl_that_would_change_the_host_is_refused() {
    let b = bundle(&["true"], |c| {
        c["linux"]["sysctl"] = serde_json::json!({"vm.swappiness": "1"})
    });
    create_fails(&b, &["vm.swappiness", "host"]);
}

#[test]
fn errors_go_to_the_log_file_as_json() {
    let s = Sixrun::new();
    let log = s.root.path().join("log.json");
    let out = s.run(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format=json",
        "state",
        "missing",
    ]);
    assert!(!out.status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    let v: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(v["level"], "error");
    assert!(v["msg"].as_str().unwrap().contains("missing"));
    assert!(v["time"].as_str().is_some());
}

/// A limit the kernel refuses: one line naming the container, the file and the value, and
/// the kernel's words once (the runtime's error wraps six-cgroups', which wraps the errno;
/// each is printed once, never quoted again by the error above it).
#[test]
fn a_limit_the_kernel_refuses_names_each_cause_once() {
    let b = bundle(&["true"], |c| {
        c["linux"]["resources"]["cpu"] = serde_json::json!({"cpus": "9999"})
    });
    let s = Sixrun::new();
    let id = s.new_id("cpus");
    let line = s.fails(&["create", "--bundle", b.path().to_str().unwrap(), &id]);
    let want = format!("container {id}: cgroup: cpuset.cpus: cannot set 9999 for /sys/fs/cgroup/");
    let Some((_, dir_and_causes)) = line.split_once(&want) else {
        panic!("{line:?} lacks {want:?}")
    };
    // "<dir>: <the kernel's words> (os error N)": the errno once, after the directory.
    let causes: Vec<&str> = dir_and_causes.split(": ").collect();
    assert_eq!(causes.len(), 2, "each cause once: {line:?}");
    assert!(causes[1].contains("(os error "), "{line:?}");
    s.assert_gone(&id, None, b.path());
}
