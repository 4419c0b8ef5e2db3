//! `run`: create + start, then (unless `--detach`) stay the container init's parent: forward
//! signals to it, relay its terminal when it has one and no console socket was given, and exit
//! with its exit code (128+N when killed by signal N), deleting the container unless `--keep`.
//!
//! Waiting uses a signalfd (SIGCHLD included), never sleeps or polls on a timer.

use std::io::IsTerminal;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use six_runtime::Runtime;

use crate::cli::RunArgs;
use crate::lifecycle::create_options;
use crate::log::Logger;

/// Blocks every signal we can, so they wait in the signalfd (the children unblock theirs).
pub fn block_signals() -> anyhow::Result<SigSet> {
    let mut mask = SigSet::all();
    mask.remove(Signal::SIGKILL);
    mask.remove(Signal::SIGSTOP);
    mask.thread_block()?;
    Ok(mask)
}

/// Waits for our child `pid`, forwarding signals (and relaying its terminal when `master` is
/// given); returns its exit code (128+N for signal N).
pub fn wait_forwarding(pid: i32, mask: &SigSet, master: Option<OwnedFd>) -> anyhow::Result<i32> {
    let sfd = SignalFd::with_flags(mask, SfdFlags::SFD_CLOEXEC)?;
    match master {
        Some(m) => with_raw_terminal(|| wait(pid, &sfd, Some(m))),
        None => wait(pid, &sfd, None),
    }
}

pub fn run(rt: &Runtime, a: &RunArgs, logger: &Logger) -> anyhow::Result<i32> {
    let mask = if a.detach {
        SigSet::empty()
    } else {
        block_signals()?
    };
    let mut c = rt.create(&a.create.id, create_options(&a.create))?;
    for w in c.warnings() {
        logger.warn(w);
    }
    let console = c.take_console();
    if a.detach && console.is_some() {
        let _ = c.delete(true);
        anyhow::bail!("process.terminal is true: `run --detach` needs --console-socket");
    }
    if let Err(e) = c.start() {
        let _ = c.delete(true);
        return Err(e.into());
    }
    // The init's last steps, to its execve.
    six_trace::children_end(std::time::Duration::from_secs(2));
    if a.detach {
        return Ok(0);
    }
    let pid = c.recorded_pid();
    let sfd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)?;
    let code = match console {
        Some(master) => with_raw_terminal(|| wait(pid, &sfd, Some(master))),
        None => wait(pid, &sfd, None),
    }?;
    if !a.keep {
        if let Err(e) = c.delete(true) {
            let e = anyhow::Error::from(e);
            logger.warn(&format!("deleting container {}: {e:#}", c.id()));
        }
    }
    Ok(code)
}

/// Reaps children until the init exits; forwards every other signal to it.
fn wait(pid: i32, sfd: &SignalFd, master: Option<OwnedFd>) -> anyhow::Result<i32> {
    let mut relay = master.map(Relay::new);
    loop {
        if let Some(r) = &mut relay {
            r.pump(sfd.as_raw_fd())?;
        }
        let Some(info) = sfd.read_signal()? else {
            continue;
        };
        let sig = info.ssi_signo as i32;
        if sig == libc::SIGCHLD {
            loop {
                let mut status = 0;
                // SAFETY: waitpid on any child, non-blocking.
                let r = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
                if r <= 0 {
                    break;
                }
                if r == pid {
                    if let Some(r) = &mut relay {
                        r.drain();
                    }
                    return Ok(if libc::WIFSIGNALED(status) {
                        128 + libc::WTERMSIG(status)
                    } else {
                        libc::WEXITSTATUS(status)
                    });
                }
            }
        } else if sig == libc::SIGWINCH {
            if let Some(r) = &relay {
                r.resize();
            }
        } else {
            // SAFETY: forwarding a signal to our own child.
            unsafe { libc::kill(pid, sig) };
        }
    }
}

/// Copies stdin → pty master and master → stdout until the signalfd has something.
struct Relay {
    master: OwnedFd,
    stdin_open: bool,
}

impl Relay {
    fn new(master: OwnedFd) -> Relay {
        let r = Relay {
            master,
            stdin_open: true,
        };
        r.resize();
        r
    }

    fn resize(&self) {
        let mut ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: ioctls with a valid winsize.
        unsafe {
            if libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) == 0 {
                libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &ws);
            }
        }
    }

    /// Blocks until the signalfd is readable, copying bytes meanwhile.
    fn pump(&mut self, sfd: i32) -> anyhow::Result<()> {
        let m = self.master.as_raw_fd();
        let mut buf = [0u8; 8192];
        loop {
            let mut fds = [
                libc::pollfd {
                    fd: sfd,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: m,
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: if self.stdin_open { 0 } else { -1 },
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            // SAFETY: three valid pollfds.
            let r = unsafe { libc::poll(fds.as_mut_ptr(), 3, -1) };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(e.into());
            }
            if fds[1].revents & (libc::POLLIN | libc::POLLHUP) != 0 && !copy(m, 1, &mut buf) {
                // The slave side is closed: only the exit remains to be seen.
                return Ok(());
            }
            if fds[2].revents & (libc::POLLIN | libc::POLLHUP) != 0 && !copy(0, m, &mut buf) {
                self.stdin_open = false;
            }
            if fds[0].revents != 0 {
                return Ok(());
            }
        }
    }

    /// Copies what is left in the master after the process exited.
    fn drain(&mut self) {
        let m = self.master.as_raw_fd();
        // SAFETY: fcntl on our fd.
        unsafe {
            libc::fcntl(
                m,
                libc::F_SETFL,
                libc::fcntl(m, libc::F_GETFL) | libc::O_NONBLOCK,
            )
        };
        let mut buf = [0u8; 8192];
        while copy(m, 1, &mut buf) {}
    }
}

/// One read+write; false at EOF or error.
fn copy(from: i32, to: i32, buf: &mut [u8]) -> bool {
    // SAFETY: read/write with a valid buffer.
    let n = unsafe { libc::read(from, buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return false;
    }
    let mut off = 0usize;
    while off < n as usize {
        // SAFETY: as above.
        let w = unsafe { libc::write(to, buf[off..].as_ptr().cast(), n as usize - off) };
        if w <= 0 {
            return false;
        }
        off += w as usize;
    }
    true
}

/// Runs `f` with our terminal in raw mode (when stdin is one), restoring it after.
fn with_raw_terminal<T>(f: impl FnOnce() -> T) -> T {
    if !std::io::stdin().is_terminal() {
        return f();
    }
    let Ok(saved) = nix::sys::termios::tcgetattr(std::io::stdin()) else {
        return f();
    };
    let mut raw = saved.clone();
    nix::sys::termios::cfmakeraw(&mut raw);
    let _ =
        nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, &raw);
    let out = f();
    let _ =
        nix::sys::termios::tcsetattr(std::io::stdin(), nix::sys::termios::SetArg::TCSANOW, &saved);
    out
}
