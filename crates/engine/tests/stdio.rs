//! A foreground `run` relays the caller's own stdin/stdout/stderr (tested from a separate
//! process whose fds the test controls), forwards SIGTERM to the container, and returns the
//! container's exit code.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TestEngine;
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
    Command::new(std::env::current_exe().unwrap())
        .args([
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
