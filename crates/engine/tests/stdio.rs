//! A foreground `run` relays the caller's own stdin/stdout/stderr (tested from a separate
//! process whose fds the test controls), forwards SIGTERM to the container, and returns the
//! container's exit code. A slow or stopped CLI, input the container does not take, and a
//! panicking monitor hold up nobody else.

mod common;

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{eventually, TestEngine};
use six_engine::{Engine, RunRequest};

const ROOT: &str = "SIX_ENGINE_TEST_ROOT";
const RUNROOT: &str = "SIX_ENGINE_TEST_RUNROOT";
const SCRIPT: &str = "SIX_ENGINE_TEST_SCRIPT";

/// Helper run as a separate process: a foreground, interactive `run` of $SIX_ENGINE_TEST_SCRIPT.
#[test]
#[ignore = "run as a child process by other tests"]
fn child_run_foreground() {
    let root = std::env::var(ROOT).expect("run by the stdio tests");
    let runroot = std::env::var(RUNROOT).expect("run by the stdio tests");
    let e = Engine::open(TestEngine::options(root.as_ref(), runroot.as_ref())).unwrap();
    let script = std::env::var(SCRIPT).unwrap();
    let out = e
        .run(RunRequest {
            interactive: true,
            ..TestEngine::req(&["sh", "-c", &script])
        })
        .unwrap();
    std::process::exit(out.exit_code.unwrap());
}

fn child(t: &TestEngine, script: &str) -> std::process::Child {
    child_with(t, script, &[])
}

/// [`child`] with more environment (debug-build test hooks).
fn child_with(t: &TestEngine, script: &str, env: &[(&str, &str)]) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.envs(env.iter().copied());
    // No core file from a process that aborts on purpose.
    // SAFETY: setrlimit only, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
            Ok(())
        })
    };
    cmd.args([
        "--ignored",
        "--exact",
        "child_run_foreground",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(ROOT, t.root.path())
    .env(RUNROOT, t.runroot.path())
    .env(SCRIPT, script)
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap()
}

#[test]
fn stdin_stdout_stderr_and_exit_code_are_relayed() {
    let t = TestEngine::new();
    let mut c = child(&t, "tr a-z A-Z; echo to-stderr >&2; exit 42");
    c.stdin
        .take()
        .unwrap()
        .write_all(b"hello\nworld\n")
        .unwrap(); // dropped: EOF
    let out = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("HELLO\nWORLD\n"), "{stdout}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("to-stderr\n"));
    assert_eq!(out.status.code(), Some(42));
    t.finish();
}

#[test]
fn sigterm_to_the_cli_reaches_the_container() {
    let t = TestEngine::new();
    let mut c = child(
        &t,
        "trap 'echo caught; exit 3' TERM; echo ready; while true; do sleep 0.1; done",
    );
    let mut stdout = c.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("ready") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "the child ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    // SAFETY: signalling the child this test started.
    unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
    let status = c.wait().unwrap();
    stdout.read_to_end(&mut seen).unwrap();
    assert!(
        String::from_utf8_lossy(&seen).contains("caught"),
        "{}",
        String::from_utf8_lossy(&seen)
    );
    assert_eq!(status.code(), Some(3));
    let _ = Duration::from_secs(0);
    t.finish();
}

#[test]
fn a_slow_reader_gets_all_its_input() {
    let t = TestEngine::new();
    // The container reads nothing for a while: the input waits (the monitor keeps serving).
    let mut c = child(&t, "sleep 1; wc -c");
    let input = vec![b'x'; 1 << 20];
    c.stdin.take().unwrap().write_all(&input).unwrap();
    let out = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.lines().last(),
        Some("1048576"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    t.finish();
}

#[test]
fn a_slow_consumer_of_the_output_loses_nothing() {
    let t = TestEngine::new();
    let mut c = child(&t, "seq 1 200000");
    drop(c.stdin.take());
    // Read nothing for longer than a detached client's 5 s grace: the container waits.
    std::thread::sleep(Duration::from_secs(7));
    let out = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let numbers: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    assert_eq!(
        numbers.len(),
        200000,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(numbers.last(), Some(&"200000"));
    assert_eq!(out.status.code(), Some(0));
    t.finish();
}

/// The one container of this engine once it runs, with its monitor's pid.
fn running_container(t: &TestEngine) -> (String, i32) {
    eventually(Duration::from_secs(30), || {
        let id = t.engine().list(true).ok()?.pop()?.id;
        let state: serde_json::Value = serde_json::from_slice(
            &std::fs::read(common::container_dir(t, &id).join("state.json")).ok()?,
        )
        .ok()?;
        let monitor = state["monitor"]["pid"].as_i64()? as i32;
        (state["status"] == "Running").then_some((id, monitor))
    })
}

/// Resumes (and ends) a child stopped by a test, whatever happens to the test.
struct Resume(u32);

impl Drop for Resume {
    fn drop(&mut self) {
        // SAFETY: signalling the child this test started.
        unsafe {
            libc::kill(self.0 as i32, libc::SIGCONT);
            libc::kill(self.0 as i32, libc::SIGKILL);
        }
    }
}

#[test]
fn a_stopped_foreground_cli_does_not_pin_the_monitor() {
    let mut t = TestEngine::new();
    let mut c = child(&t, "exec seq 1 1000000000");
    drop(c.stdin.take());
    let (id, monitor) = running_container(&t);
    t.track(&id);
    // SAFETY: stopping the child this test started (Ctrl-Z).
    unsafe { libc::kill(c.id() as i32, libc::SIGSTOP) };
    let _resume = Resume(c.id());
    // Everything between the container and the stopped CLI fills up; then the container is
    // killed, with output still waiting for the CLI.
    std::thread::sleep(Duration::from_secs(1));
    let socket = t
        .runroot
        .path()
        .join("containers")
        .join(&id)
        .join("attach.sock");
    let stop = six_engine::attach::connect(&socket).unwrap();
    six_engine::attach::send(
        std::os::fd::AsRawFd::as_raw_fd(&stop),
        &six_engine::attach::Message::Stop(libc::SIGKILL),
    )
    .unwrap();
    drop(stop);
    // The end is recorded, and the monitor lets the stopped CLI go and leaves.
    eventually(Duration::from_secs(40), || {
        (!six_testkit::pid_alive(monitor)).then_some(())
    });
    let v = t.engine().inspect(&id).unwrap();
    assert_eq!(
        (
            v["State"]["Status"].as_str(),
            v["State"]["ExitCode"].as_i64()
        ),
        (Some("exited"), Some(137)),
        "{v}"
    );
    // Resumed, the CLI gets what was already queued for it, then the end of the connection.
    // SAFETY: resuming the child this test stopped.
    unsafe { libc::kill(c.id() as i32, libc::SIGCONT) };
    let out = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\n1\n2\n3\n"), "{stdout}");
    assert!(!out.status.success());
    t.finish();
}

#[test]
fn input_the_container_does_not_take_does_not_hold_up_stop() {
    let mut t = TestEngine::new();
    let mut c = child(&t, "exec sleep 1000");
    let (id, _) = running_container(&t);
    t.track(&id);
    // More input than the pipe, the monitor and the CLI's socket hold: the CLI waits, and
    // so does its Stdin in the monitor.
    let mut stdin = c.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&vec![b'x'; 4 << 20]);
    });
    std::thread::sleep(Duration::from_secs(1));
    let (root, runroot) = (t.root.path().to_owned(), t.runroot.path().to_owned());
    let (done, stopped) = std::sync::mpsc::channel();
    let stop_id = id.clone();
    std::thread::spawn(move || {
        let e = Engine::open(TestEngine::options(&root, &runroot)).unwrap();
        let _ = done.send(e.stop(&stop_id, Some(Duration::from_secs(1))).is_ok());
    });
    assert_eq!(
        stopped.recv_timeout(Duration::from_secs(30)),
        Ok(true),
        "stop did not get through to the monitor"
    );
    let status = c.wait().unwrap();
    assert_eq!(status.code(), Some(137));
    writer.join().unwrap();
    t.finish();
}

#[test]
fn a_panicking_monitor_records_why_and_ends_the_container() {
    let mut t = TestEngine::new();
    let c = child_with(
        &t,
        "echo started; exec sleep 1000",
        &[(six_engine::test_hook::PANIC_AT, "monitor-supervising")],
    );
    let _end = Resume(c.id());
    let out = c.wait_with_output().unwrap();
    assert!(!out.status.success(), "the CLI says the monitor went away");
    let id = t.engine().list(true).unwrap().pop().unwrap().id;
    t.track(&id);
    t.reopen(); // the next command's reconcile repairs what the dead monitor left
    let v = t.engine().inspect(&id).unwrap();
    assert_eq!(v["State"]["Status"], "exited", "{v}");
    let error = v["State"]["Error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("the container's monitor failed at ")
            && error.contains("six-test: panic at monitor-supervising; the container was killed"),
        "{error}"
    );
    t.finish();
}
