//! The container lifecycle through the real `sixrun` binary, as root: run, create/start/
//! state/kill/delete, pause/resume, update, list, ps, hooks, pid files, detached runs.
//! Every test ends by proving that the container left nothing behind.

mod common;

use common::*;

#[test]
fn run_prints_output_and_returns_the_exit_code() {
    let s = Sixrun::new();
    let b = bundle(&["sh", "-c", "echo hello from sixrun; exit 3"], |_| {});
    let id = s.new_id("life");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello from sixrun\n");
    s.assert_gone(&id, None, b.path());
}

#[test]
fn create_start_state_kill_delete() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("life");
    s.create(&id, &b);
    let st = s.state(&id);
    assert_eq!(st["status"], "created");
    assert_eq!(st["id"], id.as_str());
    assert_eq!(
        st["bundle"],
        std::fs::canonicalize(b.path()).unwrap().to_str().unwrap()
    );
    assert!(st["created"].as_str().unwrap().ends_with('Z'));
    let pid = st["pid"].as_i64().unwrap() as i32;
    assert!(is_running(pid));
    s.ok(&["start", &id]);
    assert_eq!(s.status(&id), "running");
    // The init is now sleep, not sixrun.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
    assert_eq!(comm.trim(), "sleep");
    s.ok(&["kill", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    assert_eq!(s.state(&id)["pid"], 0);
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn deleting_a_running_container_needs_force() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("life");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    let line = s.fails(&["delete", &id]);
    assert!(
        line.contains(&id) && line.contains("running") && line.contains("--force"),
        "{line}"
    );
    assert_eq!(s.status(&id), "running");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn a_created_container_is_deleted_without_force() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("life");
    s.create(&id, &b);
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn kill_takes_names_and_numbers() {
    let s = Sixrun::new();
    // The shell traps TERM and USR1 and reports them in a file in the rootfs. It says
    // "ready" once the traps are set: a USR1 sent before that would end the shell.
    let b = bundle(&["sh", "-c", "trap 'echo usr1 >> /tmp/got' USR1; trap 'echo term >> /tmp/got; exit 0' TERM; echo ready > /tmp/got; while :; do sleep 0.05; done"], |c| {
        c["root"]["readonly"] = false.into();
    });
    let id = s.new_id("kill");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let got = b.rootfs().join("tmp/got");
    let wait_for = |word: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !std::fs::read_to_string(&got)
            .unwrap_or_default()
            .contains(word)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "{word:?} never appeared in {}",
                got.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    wait_for("ready");
    s.ok(&["kill", &id, "SIGUSR1"]);
    wait_for("usr1");
    s.ok(&["kill", &id, "15"]);
    s.wait_status(&id, "stopped");
    assert!(std::fs::read_to_string(&got).unwrap().contains("term"));
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn pause_and_resume_use_the_freezer() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("pause");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    s.ok(&["pause", &id]);
    assert_eq!(s.status(&id), "paused");
    let pid = s.state(&id)["pid"].as_i64().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    assert!(
        stat.rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('D')
            || stat.contains(") S"),
        "{stat}"
    );
    s.ok(&["resume", &id]);
    assert_eq!(s.status(&id), "running");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, Some(pid as i32), b.path());
}

#[test]
fn list_and_ps_show_the_container() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("list");
    s.ok(&[
        "run",
        "--detach",
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    assert_eq!(s.ok(&["list", "-q"]).trim(), id);
    let table = s.ok(&["list"]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(table.contains(&id) && table.contains("running"), "{table}");
    let json: serde_json::Value =
        serde_json::from_str(&s.ok(&["list", "--format", "json"])).unwrap();
    assert_eq!(json[0]["id"], id.as_str());
    let pid = s.state(&id)["pid"].as_i64().unwrap();
    let pids: Vec<i64> = serde_json::from_str(&s.ok(&["ps", "--format=json", &id])).unwrap();
    assert_eq!(pids, vec![pid]);
    let ps = s.ok(&["ps", &id]);
    assert!(ps.contains("sleep 1000") && ps.starts_with("UID"), "{ps}");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, Some(pid as i32), b.path());
}

#[test]
fn update_changes_the_pids_limit() {
    let s = Sixrun::new();
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("upd");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let file = b.path().join("res.json");
    std::fs::write(&file, r#"{"pids": {"limit": 42}}"#).unwrap();
    s.ok(&["update", "--resources", file.to_str().unwrap(), &id]);
    let dirs = cgroups_named(&id);
    let pids_dir = dirs
        .iter()
        .find(|d| d.starts_with("/sys/fs/cgroup/pids"))
        .expect("a pids cgroup");
    assert_eq!(
        std::fs::read_to_string(pids_dir.join("pids.max"))
            .unwrap()
            .trim(),
        "42"
    );
    s.ok(&["update", "--pids-limit=7", &id]);
    assert_eq!(
        std::fs::read_to_string(pids_dir.join("pids.max"))
            .unwrap()
            .trim(),
        "7"
    );
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn pid_file_holds_the_init_pid() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("pidf");
    let pf = b.path().join("init.pid");
    s.ok(&[
        "create",
        "--pid-file",
        pf.to_str().unwrap(),
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    let pid: i64 = std::fs::read_to_string(&pf).unwrap().parse().unwrap();
    assert_eq!(s.state(&id)["pid"].as_i64().unwrap(), pid);
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid as i32), b.path());
}

#[test]
fn hooks_run_with_the_state_on_stdin() {
    let s = Sixrun::new();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap().to_owned();
    let hook = |name: &str| serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", format!("cat > {o}/{name}")]});
    let b = bundle(&["true"], |c| {
        c["hooks"] = serde_json::json!({
            "prestart": [hook("prestart")],
            "createRuntime": [hook("createRuntime")],
            "poststart": [hook("poststart")],
            "poststop": [hook("poststop")],
        });
    });
    let id = s.new_id("hook");
    s.create(&id, &b);
    let pre: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("prestart")).unwrap())
            .unwrap();
    assert_eq!(pre["id"], id.as_str());
    assert_eq!(pre["status"], "creating");
    assert!(pre["pid"].as_i64().unwrap() > 0);
    assert!(out.path().join("createRuntime").exists());
    assert!(!out.path().join("poststart").exists());
    s.ok(&["start", &id]);
    assert!(out.path().join("poststart").exists());
    s.ok(&["delete", "--force", &id]);
    let post: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("poststop")).unwrap())
            .unwrap();
    assert_eq!(post["status"], "stopped");
    s.assert_gone(&id, None, b.path());
}

#[test]
fn a_failing_prestart_hook_fails_create_and_leaves_nothing() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |c| {
        c["hooks"] =
            serde_json::json!({"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 4"]}]});
    });
    let id = s.new_id("hookf");
    let line = s.fails(&["create", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(
        line.contains("prestart") && line.contains("exit status 4"),
        "{line}"
    );
    s.assert_gone(&id, None, b.path());
}

#[test]
fn container_side_hooks_run_inside_its_namespaces() {
    let s = Sixrun::new();
    let out = tempfile::tempdir().unwrap();
    let o = out.path().to_str().unwrap().to_owned();
    let b = bundle(&["true"], |c| {
        c["root"]["readonly"] = false.into();
        c["hooks"] = serde_json::json!({
            // Before pivot_root: host paths still resolve; the hostname is the container's.
            "createContainer": [{"path": "/bin/sh", "args": ["sh", "-c", format!("hostname > {o}/cc; cat > {o}/cc.state")]}],
            // After pivot_root: paths resolve inside the container.
            "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "hostname > /tmp/sc"]}],
        });
    });
    let id = s.new_id("hookc");
    s.create(&id, &b);
    assert_eq!(
        std::fs::read_to_string(out.path().join("cc")).unwrap(),
        "sixrun\n"
    );
    let st: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("cc.state")).unwrap())
            .unwrap();
    assert_eq!(st["id"], id.as_str());
    s.ok(&["start", &id]);
    s.wait_status(&id, "stopped");
    assert_eq!(
        std::fs::read_to_string(b.rootfs().join("tmp/sc")).unwrap(),
        "sixrun\n"
    );
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}
