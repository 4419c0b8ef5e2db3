//! sixrun's CLI surface: `--version`, `spec`, `features`, `--debug` timings, flag spellings,
//! and `run` forwarding signals and reporting 128+N.

mod common;

use common::*;

#[test]
fn version_names_the_spec() {
    let s = Sixrun::new();
    let out = s.ok(&["--version"]);
    assert!(out.starts_with("sixrun version "), "{out}");
    assert!(out.contains("spec: 1."), "{out}");
}

#[test]
fn spec_writes_a_config_that_runs() {
    let s = Sixrun::new();
    let b = Bundle::busybox(&["true"]).unwrap();
    std::fs::remove_file(b.path().join("config.json")).unwrap();
    s.ok(&["spec", "--bundle", b.path().to_str().unwrap()]);
    let line = s.fails(&["spec", "-b", b.path().to_str().unwrap()]);
    assert!(line.contains("exists"), "{line}");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.path().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(c["ociVersion"].as_str().unwrap().chars().next(), Some('1'));
    c["process"]["terminal"] = false.into();
    c["process"]["args"] = serde_json::json!(["sh", "-c", "echo spec-ok"]);
    std::fs::write(b.path().join("config.json"), c.to_string()).unwrap();
    let id = s.new_id("spec");
    assert_eq!(
        s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]),
        "spec-ok\n"
    );
    s.assert_gone(&id, None, b.path());
}

#[test]
fn features_is_runtime_spec_json() {
    let s = Sixrun::new();
    let v: serde_json::Value = serde_json::from_str(&s.ok(&["features"])).unwrap();
    assert!(v["ociVersionMax"].as_str().unwrap().starts_with("1."));
    assert!(v["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h == "createRuntime"));
    assert_eq!(v["linux"]["seccomp"]["enabled"], true);
    assert!(v["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "user"));
}

#[test]
fn debug_shows_the_start_steps_with_timings() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("dbg");
    let log = b.path().join("debug.log");
    let out = s.run(&[
        "--debug",
        "--log",
        log.to_str().unwrap(),
        "run",
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    for step in [
        "create",
        "clone",
        "rootfs.prepare",
        "rootfs.pivot",
        "start",
        "delete",
    ] {
        assert!(text.contains(step), "no {step} span in: {text}");
    }
    assert!(text.contains("time.busy"), "{text}");
    s.assert_gone(&id, None, b.path());
}

#[test]
fn flags_take_both_spellings_globals_before_or_after_the_command() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("flag");
    let bundle_eq = format!("--bundle={}", b.path().display());
    s.ok(&["--log-format=json", "create", &bundle_eq, &id]);
    s.ok(&["--log-format", "json", "start", &id]);
    let root_eq = format!("--root={}", s.root.path().display());
    let out = std::process::Command::new(SIXRUN)
        .args(["state", &root_eq, &id])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn run_forwards_signals_and_reports_128_plus_n() {
    let s = Sixrun::new();
    // The container's shell traps nothing: TERM is forwarded to the init, which as pid 1
    // would ignore it, so the program is a child that the init waits for.
    let b = bundle(&["sh", "-c", "sleep 1000 & wait"], |_| {});
    let id = s.new_id("sig");
    let mut child = s
        .cmd()
        .args(["run", "--bundle", b.path().to_str().unwrap(), &id])
        .spawn()
        .unwrap();
    s.wait_status(&id, "running");
    // SAFETY: signalling the sixrun we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGKILL)
    );
    // Our sixrun died; the container outlives it until deleted.
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());

    let b = bundle(
        &[
            "sh",
            "-c",
            "trap 'exit 42' HUP; echo ready > /tmp/ready; while :; do sleep 0.05; done",
        ],
        |c| c["root"]["readonly"] = false.into(),
    );
    let id = s.new_id("sig");
    let mut child = s
        .cmd()
        .args(["run", "--bundle", b.path().to_str().unwrap(), &id])
        .spawn()
        .unwrap();
    // The trap must be set first: pid 1 ignores a HUP it has no handler for.
    let ready = b.rootfs().join("tmp/ready");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !ready.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the trap was never set"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // SAFETY: signalling the sixrun we spawned; it forwards HUP to the container.
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    assert_eq!(child.wait().unwrap().code(), Some(42));
    s.assert_gone(&id, None, b.path());

    // Killed by SIGKILL (from the host: pid 1 ignores it from inside) -> 137.
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("sig");
    let mut child = s
        .cmd()
        .args(["run", "--bundle", b.path().to_str().unwrap(), &id])
        .spawn()
        .unwrap();
    s.wait_status(&id, "running");
    s.ok(&["kill", &id, "KILL"]);
    assert_eq!(child.wait().unwrap().code(), Some(137));
    s.assert_gone(&id, None, b.path());
}
