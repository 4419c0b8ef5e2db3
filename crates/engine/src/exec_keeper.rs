//! The keeper of one exec'd process: a small fork of the CLI that runs the runtime's exec (so
//! the new process is *its* child), reports the process's pid, waits for it, reaps it, and
//! exits with its exit code (128+N for a signal).
//!
//! Why: an exec'd process is born in the container's pid namespace but is the child of
//! whoever cloned it. Were that the CLI, killing the CLI would hand the process to the host's
//! init, and on a host whose init does not reap, it would stay a zombie in the container
//! forever. The keeper ignores the terminal's signals and outlives a killed CLI, so the
//! process is always reaped. With `exec -d` the keeper is a grandchild in its own session
//! (the caller holds no zombie); otherwise it is the caller's child and its exit is the
//! process's exit.
//!
//! It never relays output or signals: the CLI does (to the process's pid).

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::unistd::ForkResult;

use crate::error::{Error, Result};

/// A running exec'd process and its keeper.
pub(crate) struct Keeper {
    /// The keeper: the caller's child unless detached (then already reaped here).
    pub pid: i32,
    /// The exec'd process (the keeper's child).
    pub process: i32,
}

/// Forks the keeper, which runs `container.exec(opts)`; returns once the process runs (or
/// with the runtime's error).
pub(crate) fn start(
    container: &six_runtime::Container,
    opts: six_runtime::ExecOptions,
    detached: bool,
) -> Result<Keeper> {
    let (read_end, write_end) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    // SAFETY: the child only runs `keep`, which leaves with _exit.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            drop(read_end);
            keep(container, opts, detached, write_end)
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut report = String::new();
            let read = std::fs::File::from(read_end).read_to_string(&mut report);
            let reap = || {
                let _ = nix::sys::wait::waitpid(child, None);
            };
            if detached {
                reap(); // the intermediate, which left the keeper to the system at once
            }
            match (read, report.split_at_checked(1)) {
                (Ok(_), Some(("P", pid))) => match pid.parse() {
                    Ok(process) => Ok(Keeper {
                        pid: child.as_raw(),
                        process,
                    }),
                    Err(_) => Err(Error::Runtime(format!(
                        "the exec keeper reported {report:?}"
                    ))),
                },
                (Ok(_), Some(("E", msg))) => {
                    if !detached {
                        reap();
                    }
                    Err(Error::Runtime(msg.to_owned()))
                }
                _ => {
                    if !detached {
                        reap();
                    }
                    Err(Error::Runtime(
                        "the exec keeper ended before the process started".into(),
                    ))
                }
            }
        }
    }
}

/// The keeper's side; never returns.
fn keep(
    container: &six_runtime::Container,
    opts: six_runtime::ExecOptions,
    detached: bool,
    report: OwnedFd,
) -> ! {
    if detached {
        let _ = nix::unistd::setsid();
        // SAFETY: the grandchild goes on with our code; the intermediate leaves at once.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => {}
            // SAFETY: leaving the forked child without running the caller's destructors.
            _ => unsafe { libc::_exit(0) },
        }
        null_stdio();
    }
    // A Ctrl-C or hangup meant for the CLI must not end the keeper (the process gets them
    // from the CLI or its own terminal). The runtime resets signals in the process it makes.
    for sig in [
        libc::SIGINT,
        libc::SIGTERM,
        libc::SIGHUP,
        libc::SIGQUIT,
        libc::SIGPIPE,
    ] {
        // SAFETY: setting a signal's disposition to ignore.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
    let result = container.exec(opts);
    let text = match &result {
        Ok(pid) => format!("P{pid}"),
        Err(e) => format!("E{e}"),
    };
    let _ = std::fs::File::from(report).write_all(text.as_bytes());
    let Ok(pid) = result else {
        // SAFETY: leaving the forked child without running the caller's destructors.
        unsafe { libc::_exit(1) }
    };
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    let code = if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    };
    // SAFETY: leaving the forked child without running the caller's destructors.
    unsafe { libc::_exit(code) }
}

/// Points fds 0-2 at /dev/null (a detached keeper holds none of the caller's output open).
fn null_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            // SAFETY: dup2 of a valid fd onto a standard one.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
}
