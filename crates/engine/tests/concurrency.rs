//! Many CLIs at once and CLIs that die: 50 parallel `run -d` from separate processes, a
//! `run`/`rm` loop killed with SIGKILL at various moments, and a monitor killed with
//! SIGKILL; the next `Engine::open` repairs each (or the next `ps`, `inspect` or `logs` that
//! shows it), and nothing leaks.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{wait_gone, TestEngine};
use six_engine::{Engine, RunRequest};

const CHILD_ROOT: &str = "SIX_ENGINE_TEST_ROOT";
const CHILD_RUNROOT: &str = "SIX_ENGINE_TEST_RUNROOT";

fn child_engine() -> Engine {
    let root = std::env::var(CHILD_ROOT).expect("run by the parallel tests");
    let runroot = std::env::var(CHILD_RUNROOT).expect("run by the parallel tests");
    Engine::open(TestEngine::options(root.as_ref(), runroot.as_ref())).unwrap()
}

/// Helper run as a separate process by `fifty_parallel_detached_runs`.
#[test]
#[ignore = "run as a child process by other tests"]
fn child_run_detached() {
    let e = child_engine();
    let out = e
        .run(RunRequest {
            detach: true,
            ..TestEngine::req(&["sleep", "1000"])
        })
        .unwrap();
    println!("ID={}", out.id);
}

/// Helper run as a separate process by `killing_the_cli_mid_run_is_repaired`.
#[test]
#[ignore = "run as a child process by other tests"]
fn child_run_loop() {
    let e = child_engine();
    loop {
        let out = e.run(TestEngine::req(&["true"])).unwrap();
        e.remove(&out.id, false).unwrap();
    }
}

fn child(t: &TestEngine, name: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(CHILD_ROOT, t.root.path())
    .env(CHILD_RUNROOT, t.runroot.path())
    .stdin(Stdio::null());
    c
}

#[test]
fn fifty_parallel_detached_runs() {
    let mut t = TestEngine::new();
    let children: Vec<_> = (0..50)
        .map(|_| {
            child(&t, "child_run_detached")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids = HashSet::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let id = text
            .lines()
            .find_map(|l| l.strip_prefix("ID="))
            .expect("the child printed its id")
            .to_owned();
        ids.insert(id);
    }
    assert_eq!(ids.len(), 50);
    t.reopen();
    let ps = t.engine().list(false).unwrap();
    assert_eq!(ps.len(), 50, "all running");
    let names: HashSet<_> = ps.iter().map(|r| r.names.clone()).collect();
    assert_eq!(names.len(), 50, "distinct names");
    assert!(ps.iter().all(|r| r.status.starts_with("Up")));
    for id in &ids {
        t.track(id);
    }
    t.finish();
}

#[test]
fn killing_the_cli_mid_run_is_repaired() {
    let mut t = TestEngine::new();
    for delay_ms in [5u64, 20, 40, 70, 110, 160] {
        let mut c = child(&t, "child_run_loop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        c.kill().unwrap();
        c.wait().unwrap();
        t.reopen();
        for row in t.engine().list(true).unwrap() {
            // A container whose monitor took over before the kill finishes on its own.
            let _ = t.engine().wait(&row.id);
            let Ok(v) = t.engine().inspect(&row.id) else {
                continue;
            };
            let status = v["State"]["Status"].as_str().unwrap().to_owned();
            assert!(
                status == "exited" || status == "created",
                "after a kill at {delay_ms} ms: {status}"
            );
            let mounts = six_testkit::mounts_containing(&row.id);
            assert!(
                mounts.is_empty(),
                "after a kill at {delay_ms} ms: {mounts:?}"
            );
            t.ids.push(row.id.clone());
        }
        let runtime_left: Vec<_> = std::fs::read_dir(t.runroot.path().join("runtime"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            // The runtime's cache of compiled seccomp filters is no container's state.
            .filter(|name| name != ".seccomp")
            .collect();
        assert!(
            runtime_left.is_empty(),
            "runtime state after a kill at {delay_ms} ms: {runtime_left:?}"
        );
    }
    t.finish();
}

/// The state file of container `id` as it is on disk.
fn recorded_state(t: &TestEngine, id: &str) -> serde_json::Value {
    let path = common::container_dir(t, id).join("state.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Kills the monitor of container `id` with SIGKILL and waits until it is gone.
fn kill_monitor(t: &TestEngine, id: &str) {
    let monitor = recorded_state(t, id)["monitor"]["pid"].as_i64().unwrap() as i32;
    // SAFETY: killing the monitor this test started.
    unsafe { libc::kill(monitor, libc::SIGKILL) };
    assert!(wait_gone(monitor, Duration::from_secs(20)));
}

/// `ps`, `inspect` and `logs` open the engine without reconciling every record (issue 17):
/// each checks what it shows, so a container whose monitor was killed shows as exited in
/// each, while inspecting another container does not even look at it.
#[test]
fn a_killed_monitor_is_repaired_by_what_shows_its_container() {
    let mut t = TestEngine::new();
    let [a, b, c, d] = [(); 4].map(|_| t.run_detached(&["sleep", "1000"]));
    kill_monitor(&t, &a);
    t.reopen_to_read();
    assert_eq!(
        t.engine().inspect(&b).unwrap()["State"]["Status"],
        "running"
    );
    assert_eq!(
        recorded_state(&t, &a)["status"],
        "Running",
        "inspect of one container reconciled another"
    );
    common::logs(t.engine(), &a);
    assert_eq!(recorded_state(&t, &a)["status"], "Exited", "logs");

    kill_monitor(&t, &c);
    t.reopen_to_read();
    let v = t.engine().inspect(&c).unwrap();
    assert_eq!(v["State"]["Status"], "exited", "inspect");
    assert_eq!(v["State"]["ExitCode"], 137);

    kill_monitor(&t, &d);
    t.reopen_to_read();
    assert!(
        t.engine().list(false).unwrap().iter().all(|r| r.id != d),
        "ps lists a container whose monitor is gone"
    );
    let all = t.engine().list(true).unwrap();
    let row = all.iter().find(|r| r.id == d).unwrap();
    assert_eq!(row.state, "exited", "ps -a");
    assert_eq!(t.engine().list(false).unwrap().len(), 1, "only b runs");
    for id in [a, c, d] {
        assert!(six_testkit::mounts_containing(&id).is_empty());
    }
    t.finish();
}

#[test]
fn a_killed_monitor_is_repaired() {
    let mut t = TestEngine::new();
    let out = t
        .engine()
        .run(RunRequest {
            detach: true,
            ..TestEngine::req(&["sleep", "1000"])
        })
        .unwrap();
    t.track(&out.id);
    kill_monitor(&t, &out.id);
    t.reopen();
    let v = t.engine().inspect(&out.id).unwrap();
    assert_eq!(v["State"]["Status"], "exited");
    assert_eq!(v["State"]["ExitCode"], 137);
    assert!(six_testkit::mounts_containing(&out.id).is_empty());
    t.finish();
}
