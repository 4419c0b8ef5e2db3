//! What a running container's monitor costs: it is a fresh process of the sixdocker binary
//! (not a fork of the `run` that started it, with that command's heap and stack), and the
//! binary is position-dependent, so its relocated data stays clean pages shared by every
//! process of it. A forked monitor of a PIE build held ~1.9 MB of private dirty memory in a
//! debug build (~1.1 MB in a release build); now ~0.5 MB (~0.2 MB).

mod common;

use std::time::{Duration, Instant};

use common::*;

/// A field of /proc/PID/smaps_rollup, in kB.
fn rollup_kb(pid: i32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/smaps_rollup:\n{text}"))
}

/// The parent of `pid`.
fn parent_of(pid: i32) -> i32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn a_running_containers_monitor_holds_little_private_memory() {
    let sb = Sandbox::new();
    let name = unique_name("mon");
    sb.run(detached_args(&name, &["sleep", "300"])).ok();
    let init = sb.inspect(&name)["State"]["Pid"].as_i64().unwrap() as i32;
    let monitor = parent_of(init);
    // Memory that is the monitor's alone: anonymous pages and copied-on-write file pages.
    // It gives back what it used to start the container just after reporting the start.
    const LIMIT_KB: u64 = 1024;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = rollup_kb(monitor, "Private_Dirty");
    while last >= LIMIT_KB && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        last = rollup_kb(monitor, "Private_Dirty");
    }
    assert!(
        last < LIMIT_KB,
        "the monitor {monitor} of {name} holds {last} kB of private dirty memory (limit \
         {LIMIT_KB} kB): /proc/{monitor}/smaps_rollup:\n{}",
        std::fs::read_to_string(format!("/proc/{monitor}/smaps_rollup")).unwrap()
    );
    // Still the container's monitor: output reaches the log, a stop is recorded.
    sb.run(["stop", "-t", "0", &name]).ok();
    assert_eq!(sb.inspect(&name)["State"]["Status"], "exited");
}
