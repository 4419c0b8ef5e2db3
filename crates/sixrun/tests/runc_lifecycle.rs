//! The container lifecycle where runc 1.1.5's behaviour is what clients rely on: hooks, the
//! default spec, kill, ps, list, checkpoint/restore.
//!
//! Each test also passes with `RUNC=runc` (the runtime under test is `common::runtime_binary`).

mod common;

use common::*;

#[test]
fn create_container_hooks_run_in_the_rootfs() {
    let s = Sixrun::under_test();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap().to_owned();
    let b = bundle(&["true"], |c| {
        c["hooks"] = serde_json::json!({
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", format!("pwd -P > {o}/cwd")]}],
        });
    });
    let id = s.new_id("hookcwd");
    s.create(&id, &b);
    let rootfs = std::fs::canonicalize(b.rootfs()).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.path().join("cwd")).unwrap(),
        format!("{}\n", rootfs.display())
    );
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

/// `spec --bundle DIR` with `bin`; the config.json it wrote.
fn spec_text(bin: &std::path::Path) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(bin)
        .args(["spec", "--bundle"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::read_to_string(dir.path().join("config.json")).unwrap()
}

#[test]
fn spec_writes_what_runc_writes() {
    // Debian's runc 1.1.5 (.ci/run installs it) is the reference.
    let runc = std::process::Command::new("runc").arg("--version").output();
    let runc_version = stdout(&runc.expect("runc is installed (.ci/run installs it)"));
    assert!(runc_version.contains("runc version 1.1."), "{runc_version}");
    let ours = spec_text(&runtime_binary());
    assert_eq!(ours, spec_text(std::path::Path::new("runc")));
    // No cgroup namespace except on a pure cgroup v2 host, as runc.
    let v: serde_json::Value = serde_json::from_str(&ours).unwrap();
    let cgroup_ns = v["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["type"] == "cgroup");
    let pure_v2 = std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists();
    assert_eq!(cgroup_ns, pure_v2, "{ours}");
}

#[test]
fn the_default_spec_with_a_cgroup_namespace_added_runs() {
    // Adding a cgroup namespace to `spec`'s output on cgroup v1 (the old sixrun spec had one,
    // so the result listed it twice and was refused).
    let s = Sixrun::under_test();
    let b = bundle(&["true"], |_| {});
    std::fs::remove_file(b.path().join("config.json")).unwrap();
    s.ok(&["spec", "--bundle", b.path().to_str().unwrap()]);
    let path = b.path().join("config.json");
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // runc refuses a namespace listed twice: on pure cgroup v2 its spec has this one already.
    if !std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        c["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"type": "cgroup"}));
    }
    c["process"]["terminal"] = false.into();
    c["process"]["args"] = serde_json::json!(["sh", "-c", "readlink /proc/self/ns/cgroup"]);
    std::fs::write(&path, c.to_string()).unwrap();
    let id = s.new_id("specns");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    let host = std::fs::read_link("/proc/self/ns/cgroup").unwrap();
    assert!(out.starts_with("cgroup:["), "{out}");
    assert_ne!(
        out.trim(),
        host.to_str().unwrap(),
        "no new cgroup namespace"
    );
    s.assert_gone(&id, None, b.path());
}

/// Waits (bounded) until `path` holds `word`.
fn wait_for_word(path: &std::path::Path, word: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(word)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{word:?} never appeared in {}",
            path.display()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Waits (bounded) until process `pid` is gone.
fn wait_gone(pid: i32) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while is_running(pid) {
        assert!(
            std::time::Instant::now() < deadline,
            "process {pid} is still there"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn kill_with_signal_zero_checks_that_the_container_lives() {
    let s = Sixrun::under_test();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("kill0");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    s.ok(&["kill", &id, "0"]);
    assert_eq!(s.status(&id), "running");
    s.ok(&["kill", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    let line = s.fails(&["kill", &id, "0"]);
    assert!(line.contains("not running"), "{line}");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn kill_all_signals_every_process_of_the_container() {
    let s = Sixrun::under_test();
    // The init (pid 1 of its namespace) ignores TERM; its two children do not. Once both
    // are gone, `wait` returns and the init says so.
    let b = bundle(
        &[
            "sh",
            "-c",
            "sleep 1001 & sleep 1002 & echo ready > /tmp/got; wait; echo gone >> /tmp/got; sleep 1000",
        ],
        |c| c["root"]["readonly"] = false.into(),
    );
    let id = s.new_id("killall");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let got = b.rootfs().join("tmp/got");
    wait_for_word(&got, "ready");
    let pids: Vec<i32> = serde_json::from_str(&s.ok(&["ps", "--format", "json", &id])).unwrap();
    assert_eq!(pids.len(), 3, "{pids:?}");
    s.ok(&["kill", "--all", &id, "TERM"]);
    wait_for_word(&got, "gone");
    assert_eq!(s.status(&id), "running");
    s.ok(&["kill", "-a", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn ps_and_kill_all_reach_what_a_stopped_container_left() {
    let s = Sixrun::under_test();
    // Without a pid namespace the init's child outlives it, in the container's cgroup.
    let b = bundle(&["sh", "-c", "sleep 1003 & echo $! > /tmp/left"], |c| {
        c["root"]["readonly"] = false.into();
        c["linux"]["namespaces"]
            .as_array_mut()
            .unwrap()
            .retain(|n| n["type"] != "pid");
    });
    let id = s.new_id("left");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    s.wait_status(&id, "stopped");
    let left = b.rootfs().join("tmp/left");
    wait_for_word(&left, "\n");
    let pid: i32 = std::fs::read_to_string(&left)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let pids: Vec<i32> = serde_json::from_str(&s.ok(&["ps", "-f", "json", &id])).unwrap();
    assert_eq!(pids, vec![pid]);
    s.ok(&["kill", "--all", &id, "KILL"]);
    wait_gone(pid);
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn ps_passes_what_follows_the_id_to_ps_and_json_lists_the_pids() {
    let s = Sixrun::under_test();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("ps");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let pid = s.state(&id)["pid"].as_i64().unwrap();
    let json = s.ok(&["ps", "--format", "json", &id]);
    assert_eq!(json.trim(), format!("[{pid}]"));
    // Without options: ps -ef, cut to the container's lines.
    let table = s.ok(&["ps", &id]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2, "{table}");
    assert!(
        lines[0].starts_with("UID") && lines[0].contains(" C "),
        "{table}"
    );
    assert!(lines[1].contains("sleep 1000"), "{table}");
    // Options after the ID are ps's, even those that look like ours.
    let bsd = s.ok(&["ps", &id, "-e", "-x"]);
    let lines: Vec<&str> = bsd.lines().collect();
    assert_eq!(lines.len(), 2, "{bsd}");
    assert!(
        lines[0].contains("STAT") && lines[0].contains("COMMAND"),
        "{bsd}"
    );
    assert!(
        lines[1].trim_start().starts_with(&format!("{pid} ")),
        "{bsd}"
    );
    let full = s.ok(&["ps", &id, "-f"]);
    assert!(
        full.starts_with("UID") && full.contains("sleep 1000"),
        "{full}"
    );
    let line = s.fails(&["ps", &id, "-o", "comm"]);
    assert!(line.contains("couldn't find PID field"), "{line}");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn list_prints_runcs_json_key_order_and_quiet_ids() {
    let s = Sixrun::under_test();
    let b = bundle(&["sleep", "1000"], |c| {
        c["annotations"] = serde_json::json!({"org.test.b": "2", "org.test.a": "1"});
    });
    let id = s.new_id("list");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(s.ok(&["list", "-q"]), format!("{id}\n"));
    assert_eq!(s.ok(&["list", "--quiet"]), format!("{id}\n"));
    let text = s.ok(&["list", "--format", "json"]);
    let keys = [
        "ociVersion",
        "id",
        "pid",
        "status",
        "bundle",
        "rootfs",
        "created",
        "annotations",
        "owner",
    ];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\"{k}\":"))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
        })
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(
        text.find("org.test.a").unwrap() < text.find("org.test.b").unwrap(),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v[0]["id"], id.as_str());
    assert_eq!(v[0]["status"], "running");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn checkpoint_and_restore_are_refused_naming_criu() {
    let s = Sixrun::under_test();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("criu");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let images = tempfile::tempdir().unwrap();
    let images = images.path().to_str().unwrap();
    // runc runs criu (it cannot work on this kernel; runc's error is two lines); sixrun has
    // no CRIU support.
    let refused = |out: std::process::Output| {
        assert!(!out.status.success(), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(err.to_lowercase().contains("criu"), "{err}");
    };
    refused(s.run(&["checkpoint", "--image-path", images, &id]));
    assert_eq!(s.status(&id), "running");
    let restored = s.new_id("restored");
    refused(s.run(&[
        "restore",
        "--image-path",
        images,
        "--bundle",
        b.path().to_str().unwrap(),
        &restored,
    ]));
    assert!(!s.state_dir(&restored).exists());
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}
