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
