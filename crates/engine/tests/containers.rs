//! Containers side by side: copy-on-write isolation, exec, restart policies, a terminal's
//! output in the log, create/start/wait, commit.

mod common;

use std::time::Duration;

use common::{eventually, logs, TestEngine};
use six_engine::types::RestartPolicy;
use six_engine::{ExecRequest, RunRequest};

#[test]
fn writes_are_copy_on_write() {
    let mut t = TestEngine::new();
    let e = t.engine();
    let a = e
        .run(TestEngine::req(&[
            "sh",
            "-c",
            "echo a > /etc/motd; echo changed >> /bin/busybox.txt; cat /etc/motd",
        ]))
        .unwrap();
    let b = e
        .run(TestEngine::req(&[
            "sh",
            "-c",
            "cat /etc/motd 2>&1; echo b > /etc/motd; cat /etc/motd",
        ]))
        .unwrap();
    let c = e
        .run(TestEngine::req(&[
            "sh",
            "-c",
            "test -e /etc/motd || echo absent",
        ]))
        .unwrap();
    let (la, lb, lc) = (logs(e, &a.id), logs(e, &b.id), logs(e, &c.id));
    assert_eq!(la, "a\n");
    assert!(lb.ends_with("b\n") && !lb.contains("a\n"), "{lb}");
    assert_eq!(lc, "absent\n");
    for id in [&a.id, &b.id, &c.id] {
        t.track(id);
    }
    t.finish();
}

#[test]
fn exec_runs_in_the_container() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        detach: true,
        name: Some("ex".parse().unwrap()),
        ..TestEngine::req(&["sleep", "1000"])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let e = t.engine();
    let exec = |cmd: &[&str]| ExecRequest {
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    assert_eq!(e.exec("ex", exec(&["true"])).unwrap(), 0);
    assert_eq!(e.exec("ex", exec(&["sh", "-c", "exit 5"])).unwrap(), 5);
    assert_eq!(e.exec("ex", exec(&["nope"])).unwrap_err().exit_code(), 127);
    let mut d = exec(&["sh", "-c", "echo detached > /tmp/d"]);
    d.detach = true;
    assert_eq!(e.exec("ex", d).unwrap(), 0);
    eventually(Duration::from_secs(20), || {
        (e.exec("ex", exec(&["test", "-e", "/tmp/d"])).ok() == Some(0)).then_some(())
    });
    let top = e.top("ex").unwrap();
    assert_eq!(top.titles[1], "PID");
    assert!(
        top.processes.iter().any(|p| p[7].contains("sleep")),
        "{:?}",
        top.processes
    );
    let stats = e.stats("ex").unwrap();
    assert!(stats.pids >= 1 && stats.memory_usage > 0, "{stats:?}");
    e.kill("ex", "KILL".parse().unwrap()).unwrap();
    assert_eq!(e.wait("ex").unwrap(), 137);
    t.finish();
}

#[test]
fn on_failure_restarts_up_to_the_limit() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        detach: true,
        restart: RestartPolicy::OnFailure {
            max_retries: Some(2),
        },
        ..TestEngine::req(&["sh", "-c", "echo run; exit 3"])
    };
    let out = t.engine().run(req).unwrap();
    t.ids.push(out.id.clone());
    assert_eq!(t.engine().wait(&out.id).unwrap(), 3);
    let v = t.engine().inspect(&out.id).unwrap();
    assert_eq!(v["RestartCount"], 2);
    assert_eq!(logs(t.engine(), &out.id), "run\nrun\nrun\n");
    t.finish();
}

#[test]
fn a_terminal_container_logs_its_output() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        tty: true,
        ..TestEngine::req(&["sh", "-c", "tty; echo hi"])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    assert_eq!(out.exit_code, Some(0));
    let text = logs(t.engine(), &out.id);
    assert!(
        text.contains("/dev/pts/0\r\nhi\r\n") || text.contains("/dev/console\r\nhi\r\n"),
        "{text:?}"
    );
    t.finish();
}

#[test]
fn create_start_wait_and_commit() {
    let mut t = TestEngine::new();
    let e = t.engine();
    let id = e
        .create(RunRequest {
            name: Some("c1".parse().unwrap()),
            ..TestEngine::req(&["sh", "-c", "echo made > /made"])
        })
        .unwrap();
    assert_eq!(e.list(true).unwrap()[0].status, "Created");
    assert_eq!(e.start("c1", true, false, None).unwrap(), Some(0));
    assert_eq!(e.wait("c1").unwrap(), 0);
    let image = e.commit("c1", Some("committed:v1")).unwrap();
    assert!(
        image.repo_tags.contains(&"committed:v1".to_string()),
        "{:?}",
        image.repo_tags
    );
    let req = RunRequest {
        image: Some("committed:v1".into()),
        ..TestEngine::req(&["cat", "/made"])
    };
    let out = e.run(req).unwrap();
    assert_eq!(logs(e, &out.id), "made\n");
    t.ids.push(id);
    t.track(&out.id);
    t.finish();
}

#[test]
fn commit_of_a_running_container_resumes_it_and_a_killed_commit_is_thawed() {
    let mut t = TestEngine::new();
    let req = RunRequest {
        detach: true,
        ..TestEngine::req(&["sh", "-c", "echo live > /live; exec sleep 1000"])
    };
    let out = t.engine().run(req).unwrap();
    t.track(&out.id);
    let e = t.engine();
    let true_cmd = || ExecRequest {
        cmd: vec!["true".into()],
        ..Default::default()
    };
    eventually(Duration::from_secs(20), || {
        (e.exec(
            &out.id,
            ExecRequest {
                cmd: vec!["test".into(), "-e".into(), "/live".into()],
                ..Default::default()
            },
        )
        .ok()
            == Some(0))
        .then_some(())
    });
    e.commit(&out.id, Some("live:1")).unwrap();
    assert_eq!(
        e.exec(&out.id, true_cmd()).unwrap(),
        0,
        "resumed after commit"
    );
    // A commit killed while the container was frozen: the next open thaws it.
    let runtime = six_runtime::Runtime::new(&t.runroot.path().join("runtime"));
    runtime.load(&out.id).unwrap().pause().unwrap();
    let state_path = common::container_dir(&t, &out.id).join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    state["paused_by"] = serde_json::json!({"pid": i32::MAX, "start_time": 1});
    std::fs::write(&state_path, serde_json::to_vec(&state).unwrap()).unwrap();
    t.reopen();
    assert_eq!(
        t.engine().exec(&out.id, true_cmd()).unwrap(),
        0,
        "thawed by reconcile"
    );
    t.finish();
}
