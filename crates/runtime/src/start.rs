//! `start`: lets a created container's init exec its program by opening `exec.fifo` for
//! reading (the init blocks opening it for writing), then runs the poststart hooks.
//!
//! It waits on the fifo and the init's pidfd together, so an init that died before `start`
//! is an error, not a hang. It never signals the init.

use std::fmt::Write as _;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

use crate::container::{hook_state_json, Container};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::state::Status;
use six_sys::pidfd::Pidfd;

pub fn start(c: &Container) -> Result<()> {
    let _span = tracing::info_span!("start", id = c.id()).entered();
    let dir = c.lock()?;
    let rec = dir.read()?;
    let status = rec.status(&dir.path);
    if status != Status::Created {
        let what = match status {
            Status::Stopped => "cannot start a container that has stopped",
            _ => "cannot start an already running container",
        };
        return Err(c.wrong(status, what));
    }
    let pidfd = Pidfd::open_live(rec.pid)
        .map_err(|e| Error::setup(c.id(), format!("watching the init: {e}")))?
        .filter(|_| six_sys::proc::is_alive(rec.pid, rec.pid_start));
    let Some(pidfd) = pidfd else {
        return Err(c.wrong(Status::Stopped, "the init exited before start"));
    };
    take_over_trace(&pidfd, &rec);
    let fifo_path = dir.fifo();
    let opened = six_trace::begin();
    let cpath = std::ffi::CString::new(fifo_path.as_os_str().as_bytes())
        .map_err(|e| Error::setup(c.id(), e.to_string()))?;
    // The pidfd is taken first: once the fifo is open the init may exec and exit at once.
    // Non-blocking: the open succeeds at once; the init's blocked open for write then completes.
    // SAFETY: open with a valid C string.
    let fd = unsafe {
        libc::open(
            cpath.as_ptr(),
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(Error::io(
            "opening",
            &fifo_path,
            std::io::Error::last_os_error(),
        ));
    }
    // SAFETY: a fresh fd.
    let fifo = unsafe { OwnedFd::from_raw_fd(fd) };
    // Wait until the init wrote its byte (it is then about to exec) or exited.
    let mut fds = [
        libc::pollfd {
            fd: fifo.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: pidfd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    loop {
        // SAFETY: two valid pollfds.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        if r < 0 {
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return Err(Error::io("waiting on", &fifo_path, e));
        }
        break;
    }
    let mut byte = [0u8; 1];
    // SAFETY: read into a valid buffer.
    let n = unsafe { libc::read(fifo.as_raw_fd(), byte.as_mut_ptr().cast(), 1) };
    if n != 1 {
        return Err(c.wrong(Status::Stopped, "the init exited before start"));
    }
    if let Some(t) = opened {
        t.done(six_trace::Kind::Fifo, 0, |d| {
            std::fmt::Write::write_fmt(
                d,
                format_args!(
                    "opened {} for reading, read the init's byte: it execs now",
                    fifo_path.display()
                ),
            )
        });
    }
    std::fs::remove_file(&fifo_path).map_err(|e| Error::io("removing", &fifo_path, e))?;
    drop(dir);
    let state = hook_state_json(&rec, Status::Running, None);
    if let Err((path, msg)) = hooks::run(&rec.config, Kind::Poststart, &state) {
        // runc: a failing poststart hook fails start and stops the container.
        let _ = pidfd.send_signal(libc::SIGKILL);
        return Err(Error::Hook {
            id: c.id().to_owned(),
            hook: Kind::Poststart.name(),
            path,
            msg,
        });
    }
    Ok(())
}

/// A traced `start` of a container a traced `create` made: takes over the trace socket's read
/// end the init keeps (`pidfd_getfd`), so that the init's last steps — its wait for us, the
/// startContainer hooks, its `execve` — are printed here (the caller reads them to the
/// init's execve with six-trace's `children_end`).
fn take_over_trace(pidfd: &Pidfd, rec: &crate::state::Record) {
    if !six_trace::wants_hand_over() {
        return;
    }
    let Some(fd) = rec.trace_fd else {
        six_trace::step!(
            six_trace::Kind::Fds,
            "the init's steps are not shown: its create was not traced"
        );
        return;
    };
    let taken = six_trace::call(
        six_trace::Kind::Fds,
        || pidfd.take_fd(fd),
        |d| {
            write!(
                d,
                "pidfd_getfd: fd {fd} of the init (pid {}), its trace socket: its steps from \
                 here to its execve are printed here",
                rec.pid
            )
        },
    );
    if let Ok(taken) = taken {
        six_trace::adopt(taken);
    }
}
