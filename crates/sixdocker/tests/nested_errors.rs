//! Errors that cross crates, through the real CLI: a six-cgroups error inside a six-runtime
//! error inside the engine's, a six-network error with the kernel's errno below it. Each
//! is one line, `sixdocker: <what> : <cause> : <its cause>`, every cause said once (no
//! message repeats the error it wraps), with Docker's exit code, and nothing is left.

mod common;

use std::ffi::OsStr;
use std::net::TcpListener;

use common::Sandbox;

/// Asserts that `part` occurs exactly once in `line`.
#[track_caller]
fn once(line: &str, part: &str) {
    assert_eq!(line.matches(part).count(), 1, "{part:?} once in {line:?}");
}

#[test]
fn a_cgroup_error_under_the_runtime_under_the_engine_says_each_cause_once() {
    let sb = Sandbox::new();
    // cgroupfs refuses a name with a newline (EINVAL): the first mkdir fails, nothing is made.
    let parent = format!("{}\nparent", common::unique_name("bad"));
    let out = sb.run_with(
        &[("SIX_CGROUP_PARENT", OsStr::new(&parent))],
        ["run", "--rm", "--network", "none", "busybox", "true"],
    );
    // The engine's line: the runtime's error ("container ID: cgroup"), six-cgroups' below it
    // ("creating cgroup DIR"), the kernel's errno last; the newline shown as "; ".
    out.fails(125, ": cgroup: creating cgroup /sys/fs/cgroup/");
    let line = out.stderr.trim_end();
    once(line, ": cgroup: ");
    once(line, "creating cgroup ");
    once(line, "Invalid argument");
    assert!(
        line.ends_with("; parent: Invalid argument (os error 22)"),
        "the errno last: {line:?}"
    );
    assert!(sb.container_ids().is_empty(), "a container was left");
    let made = six_testkit::cgroups_named(parent.split('\n').next().unwrap_or_default());
    assert!(made.is_empty(), "cgroups were made: {made:?}");
}

#[test]
fn a_port_in_use_on_the_host_says_the_kernels_words_once() {
    let sb = Sandbox::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mapping = format!("127.0.0.1:{port}:80");
    let out = sb.run(["run", "--rm", "-p", &mapping, "busybox", "true"]);
    out.fails(
        125,
        &format!("sixdocker: host port {port}/tcp is in use on the host: Address already in use (os error 98)"),
    );
    once(&out.stderr, "Address already in use");
    assert!(sb.container_ids().is_empty(), "a container was left");
}
