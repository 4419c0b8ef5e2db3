//! `sixrun --trace` (issue 15): the init's steps from clone to execve reach sixrun's stderr
//! through six-trace's socket, with times and source lines; and without a `--log` file,
//! `--debug` lines come from sixrun alone, never from the container's init, whose stderr is
//! the container's.

mod common;

use common::*;

#[test]
fn run_traces_the_inits_steps_to_its_execve() {
    let s = Sixrun::new();
    let b = bundle(&["sh", "-c", "echo out"], |_| {});
    let id = s.new_id("trace");
    let out = s.run(&[
        "--trace",
        "run",
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    let text = stderr(&out);
    for needle in [
        "clone3 CLONE_NEWNS",
        "pivot_root(new_root .",
        "MNT_DETACH",
        "sethostname",
        "execve       /bin/sh argv [\"sh\", \"-c\", \"echo out\"]",
        "summary: ",
    ] {
        assert!(text.contains(needle), "no {needle:?} in:\n{text}");
    }
    let init: Vec<&str> = text.lines().filter(|l| l.contains(" init[")).collect();
    assert!(init.len() > 20, "{text}");
    assert!(
        init.iter()
            .all(|l| l.contains("  crates/") && l.contains(".rs:")),
        "{text}"
    );
    s.assert_gone(&id, None, b.path());
}

/// `sixrun --trace create` then `sixrun --trace start` in another process: the init's last
/// steps (its wait on exec.fifo, the execve) reach the `start`, which took over the trace
/// socket the init kept; the `create` shows the steps before. None of it reaches the
/// container's stdout or stderr (here: the files `create` was given, which the init
/// inherits).
#[test]
fn start_in_another_process_shows_the_inits_last_steps() {
    use std::io::{Read, Seek};
    let s = Sixrun::new();
    let b = bundle(&["sh", "-c", "echo out; echo err >&2"], |_| {});
    let id = s.new_id("trace");
    let (out, err) = (tempfile::tempfile().unwrap(), tempfile::tempfile().unwrap());
    let read = |f: &std::fs::File| {
        let mut f = f.try_clone().unwrap();
        let mut text = String::new();
        f.rewind().unwrap();
        f.read_to_string(&mut text).unwrap();
        text
    };
    let created = s
        .cmd()
        .args([
            "--trace",
            "create",
            "--bundle",
            b.path().to_str().unwrap(),
            &id,
        ])
        .stdout(out.try_clone().unwrap())
        .stderr(err.try_clone().unwrap())
        .status()
        .unwrap();
    let create_text = read(&err);
    assert!(created.success(), "{create_text}");
    assert!(
        create_text.contains("pivot_root(new_root .") && create_text.contains(" init["),
        "{create_text}"
    );
    let init_exec = |l: &&str| l.contains(" init[") && l.contains(" execve ");
    assert!(!create_text.lines().any(|l| init_exec(&l)), "{create_text}");
    let pid: i32 = s.state(&id)["pid"].as_i64().unwrap() as i32;

    let started = s.run(&["--trace", "start", &id]);
    assert!(started.status.success(), "{}", stderr(&started));
    let text = stderr(&started);
    let init = format!(" init[{pid}] ");
    let line_of = |needle: &str| {
        text.lines()
            .find(|l| l.contains(&init) && l.contains(needle))
            .unwrap_or_else(|| panic!("no init step with {needle:?} in:\n{text}"))
    };
    line_of("opened exec.fifo for writing");
    let argv = r#"execve       /bin/sh argv ["sh", "-c", "echo out; echo err >&2"]"#;
    let exec = line_of(argv);
    assert!(exec.contains("  crates/runtime/src/"), "{exec}");
    assert!(text.contains("pidfd_getfd"), "{text}");
    let summary = text.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("summary: ") && summary.contains("exec "),
        "{text}"
    );
    assert!(stdout(&started).is_empty(), "{}", stdout(&started));
    // The container's output is its own: nothing of the trace was written on its stdio.
    s.wait_status(&id, "stopped");
    assert_eq!(read(&out), "out\n");
    assert_eq!(read(&err), format!("{create_text}err\n"));
    s.ok(&["delete", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn debug_on_stderr_comes_from_sixrun_not_from_the_containers_init() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("dbg");
    let out = s.run(&[
        "--debug",
        "run",
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(text.contains("level=debug"), "{text}");
    // rootfs.* spans are the init's: its stderr is the container's own here.
    assert!(
        !text.contains("rootfs.prepare") && !text.contains("rootfs.pivot"),
        "the init logged on the container's stderr:\n{text}"
    );
    s.assert_gone(&id, None, b.path());
}
