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
//! It never relays output or signals: the CLI does, through a pidfd of the process that the
//! keeper opens before it can reap the process (so the pid cannot have been reused yet) and
//! hands over with its report (SCM_RIGHTS): a signal the CLI forwards after the process has
//! ended reaches nobody, never a process that was given the same pid.

use std::fmt::Write as _;
use std::io::IoSlice;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags};
use nix::unistd::ForkResult;
use six_sys::pidfd::Pidfd;

use crate::error::{Error, Result};

/// A running exec'd process and its keeper.
pub(crate) struct Keeper {
    /// The keeper: the caller's child unless detached (then already reaped here).
    pub pid: i32,
    /// The exec'd process (the keeper's child).
    pub process: Pidfd,
    /// Hangs up when the keeper has ended, after its last event (`Ended`): a way to wait
    /// for a detached keeper, which is nobody's child here.
    pub ended: OwnedFd,
}

/// What the keeper reports through `on_event`, in the keeper's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeeperEvent {
    /// The process runs, with this pid (Docker's exec_start).
    Started(i32),
    /// The process ended with this code, 128+N for a signal (Docker's exec_die).
    Ended(i32),
}

/// Forks the keeper, which runs `container.exec(opts)`; returns once the process runs (or
/// with the runtime's error). The keeper calls `on_event(Started)` once the process runs and
/// `on_event(Ended)` when it has ended (in that order: Docker's exec_start, exec_die).
/// `not_kept`: descriptors of the caller the keeper closes at once (the caller's ends of the
/// process's pipes: a keeper holding the write end of the process's stdin would keep it
/// from ever seeing its end).
pub(crate) fn start(
    container: &six_runtime::Container,
    opts: six_runtime::ExecOptions,
    detached: bool,
    not_kept: &[RawFd],
    on_event: &dyn Fn(KeeperEvent),
) -> Result<Keeper> {
    let (cli_end, keeper_end) = crate::attach::pair()?;
    six_trace::children_begin();
    let forked = six_trace::begin();
    // SAFETY: the child only runs `keep`, which leaves with _exit.
    match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            six_trace::enter_child(six_trace::Role::Keeper);
            drop(cli_end);
            for &fd in not_kept {
                // SAFETY: closing our copy of a descriptor the caller named; nothing here
                // owns it.
                unsafe { libc::close(fd) };
            }
            keep(container, opts, detached, keeper_end, on_event)
        }
        ForkResult::Parent { child } => {
            if let Some(t) = forked {
                t.done(six_trace::Kind::Clone, 0, |d| {
                    let how = if detached { " (detached)" } else { "" };
                    write!(d, "fork: the exec keeper{how}, pid {child}")
                });
            }
            drop(keeper_end);
            let report = recv_with_fd(cli_end.as_raw_fd());
            // The keeper detaches from the trace once the process has exec'd.
            six_trace::children_end(std::time::Duration::from_secs(2));
            let reap = || {
                let _ = nix::sys::wait::waitpid(child, None);
            };
            if detached {
                reap(); // the intermediate, which left the keeper to the system at once
            }
            let (text, fd) = match report {
                Ok((text, fd)) => (String::from_utf8_lossy(&text).into_owned(), fd),
                Err(_) => (String::new(), None),
            };
            match (text.split_at_checked(1), fd) {
                (Some(("P", _)), Some(pidfd)) => Ok(Keeper {
                    pid: child.as_raw(),
                    process: Pidfd::from(pidfd),
                    ended: cli_end,
                }),
                (Some(("E", msg)), _) => {
                    if !detached {
                        reap();
                    }
                    Err(Error::Internal(msg.to_owned()))
                }
                _ => {
                    if !detached {
                        reap();
                    }
                    Err(Error::Internal(
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
    on_event: &dyn Fn(KeeperEvent),
) -> ! {
    if detached {
        let _ = nix::unistd::setsid();
        // SAFETY: the grandchild goes on with our code; the intermediate leaves at once.
        match unsafe { nix::unistd::fork() } {
            // The trace names the keeper by its own pid, not the intermediate's.
            Ok(ForkResult::Child) => six_trace::enter_child(six_trace::Role::Keeper),
            // SAFETY: leaving the forked child without running the caller's destructors.
            _ => unsafe { libc::_exit(0) },
        }
        // A detached keeper holds none of the caller's output open.
        crate::monitor::detach_stdio();
    }
    // Nor any other descriptor the CLI's caller left open to it (the process's preserved
    // ones aside): it may outlive the CLI.
    six_sys::fd::close_inherited(3 + i32::try_from(opts.preserve_fds).unwrap_or(i32::MAX));
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
    // The process is our child, not reaped before the report is sent: its pidfd is its own.
    let result = container
        .exec(opts)
        .map_err(|e| crate::Chain(&e).to_string())
        .and_then(|pid| match Pidfd::open(pid) {
            Ok(pidfd) => Ok((pid, pidfd)),
            Err(e) => {
                // SAFETY: ending our own unreaped child: its pid is still its own.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                wait_for(pid);
                Err(format!("watching the exec'd process: {e}"))
            }
        });
    six_trace::detach();
    // A CLI gone before the report changes nothing: the process is still reaped here.
    let _ = match &result {
        Ok((pid, pidfd)) => send_with_fd(
            report.as_fd(),
            format!("P{pid}").as_bytes(),
            Some(pidfd.as_fd()),
        ),
        Err(e) => send_with_fd(report.as_fd(), format!("E{e}").as_bytes(), None),
    };
    let Ok((pid, _)) = result else {
        // SAFETY: leaving the forked child without running the caller's destructors.
        unsafe { libc::_exit(1) }
    };
    on_event(KeeperEvent::Started(pid));
    let code = wait_for(pid);
    on_event(KeeperEvent::Ended(code));
    // `report` closes with our exit: the caller's `Keeper::ended` hangs up after the event.
    // SAFETY: leaving the forked child without running the caller's destructors.
    unsafe { libc::_exit(code) }
}

/// Reaps our child `pid`; its exit code (128+N for a signal).
fn wait_for(pid: i32) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: waiting for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            break;
        }
    }
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

/// Sends one message on a unix socket, with `fd` attached (SCM_RIGHTS) if given.
fn send_with_fd(socket: BorrowedFd, data: &[u8], fd: Option<BorrowedFd>) -> Result<()> {
    let iov = [IoSlice::new(data)];
    let fds = fd.map(|f| [f.as_raw_fd()]);
    let cmsgs: Vec<ControlMessage> = fds.iter().map(|f| ControlMessage::ScmRights(f)).collect();
    socket::sendmsg::<()>(
        socket.as_raw_fd(),
        &iov,
        &cmsgs,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// Receives one message from a unix socket, and the first fd sent with it (SCM_RIGHTS),
/// close-on-exec. Used for the keeper's report and the runtime's pty master.
pub(crate) fn recv_with_fd(socket: RawFd) -> Result<(Vec<u8>, Option<OwnedFd>)> {
    let mut data = vec![0u8; 64 * 1024];
    let mut iov = [std::io::IoSliceMut::new(&mut data)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = socket::recvmsg::<()>(
        socket,
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let mut fd = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for raw in fds {
                // SAFETY: the kernel gave us this fd with the message; we own it now.
                let owned = unsafe { OwnedFd::from_raw_fd(raw) };
                fd.get_or_insert(owned);
            }
        }
    }
    let len = msg.bytes;
    data.truncate(len);
    Ok((data, fd))
}
