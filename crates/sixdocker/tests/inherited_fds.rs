//! What a command's callers see of the descriptors they pass it: a container's monitor lives
//! as long as the container and must hold none of the launching CLI's inherited fds, so a
//! script (or CI runner) that reads a pipe until every writer is gone sees it close when
//! `sixdocker run -d` exits, not when the container ends.

mod common;

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::Stdio;

use common::{detached_args, unique_name, Sandbox};

/// A pipe: (read end, write end), both close-on-exec.
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut ends = [-1; 2];
    // SAFETY: pipe2 into a 2-int array.
    let made = unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(made, 0);
    // SAFETY: fresh fds of ours.
    unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) }
}

/// Whether `fd` reaches end of file within `ms` (every write end closed).
fn eof_within(fd: &OwnedFd, ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll on one valid pollfd.
    if unsafe { libc::poll(&mut p, 1, ms) } != 1 {
        return false;
    }
    let mut byte = 0u8;
    // SAFETY: a read into a 1-byte buffer.
    unsafe { libc::read(fd.as_raw_fd(), (&mut byte as *mut u8).cast(), 1) == 0 }
}

/// Runs `sixdocker ARGS` with the write end of a fresh pipe open as its fd 9 (as a caller's
/// extra descriptor would be) and waits for it; the pipe's read end.
fn run_holding_fd_9(sb: &Sandbox, args: &[&str]) -> OwnedFd {
    let (read_end, write_end) = pipe();
    let writer = write_end.as_raw_fd();
    let mut cmd = sb.command(args);
    cmd.stdout(Stdio::null()).stderr(Stdio::null());
    // SAFETY: only dup2 between fork and exec (async-signal-safe); fd 9 is open, without
    // close-on-exec, in the CLI as a caller's extra descriptor would be.
    unsafe {
        cmd.pre_exec(move || {
            if libc::dup2(writer, 9) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let status = cmd.status().unwrap();
    drop(write_end);
    assert!(status.success(), "{args:?}");
    read_end
}

#[test]
fn a_detached_run_leaves_no_inherited_fd_open_behind_it() {
    let sb = Sandbox::new();
    let name = unique_name("fds");
    let read_end = run_holding_fd_9(&sb, &detached_args(&name, &["sleep", "60"]));
    let running = sb.inspect(&name)["State"]["Running"].clone();
    // Generous: only a holder that never lets go makes this fail.
    let closed = eof_within(&read_end, 10_000);
    sb.run(["rm", "-f", &name]).ok();
    assert_eq!(running, true, "the container runs");
    assert!(
        closed,
        "something started by run -d still holds the caller's fd 9"
    );
}

#[test]
fn a_detached_exec_leaves_no_inherited_fd_open_behind_it() {
    let sb = Sandbox::new();
    let name = unique_name("fdx");
    sb.run(detached_args(&name, &["sleep", "60"])).ok();
    let read_end = run_holding_fd_9(&sb, &["exec", "-d", &name, "sleep", "50"]);
    let closed = eof_within(&read_end, 10_000);
    sb.run(["rm", "-f", &name]).ok();
    assert!(
        closed,
        "something started by exec -d still holds the caller's fd 9"
    );
}
