//! pidfds: a file descriptor bound to one process. A signal sent through it reaches that
//! process or nobody (`ESRCH` once it has exited), never a later process that was given the
//! same pid; it polls readable when the process exits. Needs Linux 5.3 (`pidfd_open`).
//!
//! Opening one is race-free only while the pid cannot be reused yet: for the caller's own
//! child that it has not reaped, or a process the caller knows to be alive by other means.
//! A pidfd made elsewhere (received over a unix socket) is taken with `From<OwnedFd>`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// A handle on one process (see the module doc).
#[derive(Debug)]
pub struct Pidfd(OwnedFd);

impl Pidfd {
    /// A pidfd of `pid`. `ESRCH` when no such process exists; `ENOSYS` (Linux before 5.3) is
    /// reported as such, never as "the process is gone".
    pub fn open(pid: i32) -> io::Result<Pidfd> {
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd >= 0 {
            // SAFETY: a non-negative return is a fresh fd that we own.
            return Ok(Pidfd(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }));
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) {
            return Err(io::Error::new(
                err.kind(),
                "pidfd_open is not available: Linux 5.3 or later is needed",
            ));
        }
        Err(err)
    }

    /// A pidfd of `pid`, or None when there is no such process (`ESRCH`). `ENOSYS` is an
    /// error, never "the process is gone".
    pub fn open_live(pid: i32) -> io::Result<Option<Pidfd>> {
        match Pidfd::open(pid) {
            Ok(p) => Ok(Some(p)),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Blocks until the process exits, or `timeout_ms` passes (-1: forever). Whether it
    /// exited.
    pub fn wait_exit(&self, timeout_ms: i32) -> bool {
        let mut p = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        loop {
            // SAFETY: poll on one valid pollfd of ours.
            let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
            if r < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return r > 0;
        }
    }

    /// A copy of the process's fd number `fd` (`pidfd_getfd`, Linux 5.6; needs the right
    /// to ptrace it), close-on-exec.
    pub fn take_fd(&self, fd: RawFd) -> io::Result<OwnedFd> {
        // SAFETY: pidfd_getfd on our pidfd, a number and no flags returns a new fd or -1.
        let got = unsafe { libc::syscall(libc::SYS_pidfd_getfd, self.0.as_raw_fd(), fd, 0u32) };
        if got < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a non-negative return is a fresh fd that we own.
        Ok(unsafe { OwnedFd::from_raw_fd(got as RawFd) })
    }

    /// Sends `sig` to the process; `ESRCH` once it has exited (whether reaped or not).
    #[track_caller]
    pub fn send_signal(&self, sig: i32) -> io::Result<()> {
        send_signal(self.0.as_fd(), sig)
    }
}

/// Sends `sig` through the pidfd `pidfd` (a borrowed one: see [`Pidfd::send_signal`]).
#[track_caller]
pub fn send_signal(pidfd: BorrowedFd<'_>, sig: i32) -> io::Result<()> {
    six_trace::call(
        six_trace::Kind::Signal,
        || {
            // SAFETY: pidfd_send_signal on our fd, with no siginfo and no flags.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    pidfd.as_raw_fd(),
                    sig,
                    std::ptr::null::<libc::siginfo_t>(),
                    0u32,
                )
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        },
        |d| {
            let name = six_trace::signal_name(sig);
            let to = six_trace::pidfd_pid(pidfd.as_raw_fd());
            std::fmt::Write::write_fmt(d, format_args!("pidfd_send_signal {name} to {to}"))
        },
    )
}

impl From<OwnedFd> for Pidfd {
    fn from(fd: OwnedFd) -> Pidfd {
        Pidfd(fd)
    }
}

impl From<Pidfd> for OwnedFd {
    fn from(p: Pidfd) -> OwnedFd {
        p.0
    }
}

impl AsFd for Pidfd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for Pidfd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Forks; the child runs `f` and leaves with its return value as exit code. Returns the
    /// child's pid. The child only makes system calls (the test harness has threads: no
    /// allocation after the fork).
    fn fork_running(f: impl FnOnce() -> i32) -> i32 {
        // SAFETY: the child only makes system calls and leaves with _exit.
        match unsafe { libc::fork() } {
            0 => {
                let code = f();
                // SAFETY: leaving the child without running the parent's destructors.
                unsafe { libc::_exit(code) }
            }
            pid => {
                assert!(pid > 0, "fork: {}", io::Error::last_os_error());
                pid
            }
        }
    }

    fn reap(pid: i32) -> i32 {
        let mut status = 0;
        // SAFETY: waiting for our own child.
        while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
            assert_eq!(
                io::Error::last_os_error().kind(),
                io::ErrorKind::Interrupted
            );
        }
        if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            128 + libc::WTERMSIG(status)
        }
    }

    fn sleeper() -> i32 {
        // SAFETY: waiting for a signal.
        unsafe { libc::pause() };
        0
    }

    /// Inside a fresh pid namespace, as its pid 1: a first child is opened, killed and
    /// reaped; its pid is handed out again on purpose (`ns_last_pid`); the signal sent
    /// through the old pidfd must fail with ESRCH and leave the new process alone (a
    /// `kill(pid)` would have killed it). Exit codes name the step that went wrong.
    fn reuse_scenario() -> i32 {
        let first = fork_running(sleeper);
        let Ok(pidfd) = Pidfd::open(first) else {
            return 10;
        };
        // SAFETY: killing our own child.
        unsafe { libc::kill(first, libc::SIGKILL) };
        reap(first);
        // SAFETY: a NUL-terminated path; writing to the file of our own pid namespace.
        let fd = unsafe {
            libc::open(
                c"/proc/sys/kernel/ns_last_pid".as_ptr(),
                libc::O_WRONLY | libc::O_CLOEXEC,
            )
        };
        let last = format_pid(first - 1);
        // SAFETY: writing our stack buffer to the fd just opened.
        if fd < 0 || unsafe { libc::write(fd, last.0.as_ptr().cast(), last.1) } < 0 {
            return 11;
        }
        // SAFETY: closing the fd just opened.
        unsafe { libc::close(fd) };
        let second = fork_running(sleeper);
        if second != first {
            return 12;
        }
        let sent = pidfd.send_signal(libc::SIGKILL);
        let mut status = 0;
        // SAFETY: polling our own child's state without reaping it.
        let still_running = unsafe { libc::waitpid(second, &mut status, libc::WNOHANG) } == 0;
        // SAFETY: ending our own child.
        unsafe { libc::kill(second, libc::SIGKILL) };
        reap(second);
        match sent {
            Ok(()) => 13,
            Err(e) if e.raw_os_error() != Some(libc::ESRCH) => 14,
            Err(_) if !still_running => 15,
            Err(_) => 0,
        }
    }

    /// `pid` in decimal, without allocating.
    fn format_pid(pid: i32) -> ([u8; 16], usize) {
        let mut digits = [0u8; 16];
        let mut n = pid.max(0) as u32;
        let mut len = 0;
        loop {
            digits[len] = b'0' + (n % 10) as u8;
            len += 1;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        digits[..len].reverse();
        (digits, len)
    }

    #[test]
    fn a_signal_through_a_pidfd_never_reaches_a_reused_pid() {
        six_testkit::require_root();
        let outer = fork_running(|| {
            // SAFETY: unshare with a flag; our next child is pid 1 of a new pid namespace.
            if unsafe { libc::unshare(libc::CLONE_NEWPID) } != 0 {
                return 20;
            }
            reap(fork_running(reuse_scenario))
        });
        assert_eq!(reap(outer), 0, "see reuse_scenario for what the code means");
    }

    #[test]
    fn a_live_child_is_signalled_and_an_exited_one_is_esrch() {
        let child = fork_running(sleeper);
        let pidfd = Pidfd::open(child).unwrap();
        pidfd.send_signal(libc::SIGTERM).unwrap();
        assert_eq!(reap(child), 128 + libc::SIGTERM);
        let e = pidfd.send_signal(libc::SIGTERM).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ESRCH));
    }
}
