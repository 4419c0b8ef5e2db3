//! sixdocker starts from its own C `main`, not std's runtime start (main.rs: no stack-guard
//! lookup through /proc/self/maps at each start). What std's start did and sixdocker still
//! needs is done there; this checks that SIGPIPE is ignored (a write to a closed pipe fails
//! with EPIPE rather than kill the process, a monitor's write to a client gone included).

mod common;

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use common::BIN;

#[test]
fn a_write_to_a_closed_pipe_fails_rather_than_kill() {
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two fds pipe2 returns.
    let made = unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(made, 0);
    // SAFETY: both fds were just made and are owned here alone.
    let (reader, writer) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    drop(reader);
    // std's Command gives the child SIGPIPE's default action: only sixdocker's start
    // ignores it again.
    let out = Command::new(BIN)
        .arg("--version")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), None, "{out:?}");
}
