//! The CLI's side of a foreground or attached container: relays the caller's stdin (with
//! `-i`) to the monitor and the container's output to the caller's stdout/stderr until the
//! exit code comes back. With a terminal: raw mode (restored on every return path), the
//! window size at start and on SIGWINCH, and the detach keys (Ctrl-P Ctrl-Q) typed on stdin
//! end the relay and leave the container running (Docker's rule: only with a terminal).
//! Without one, SIGINT/SIGTERM/SIGHUP/SIGQUIT to the CLI are forwarded to the container
//! (Docker's sig-proxy, unless turned off). The CLI may die at any point: the monitor and
//! the container carry on.

use std::ops::ControlFlow;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::attach::{self, Message};
use crate::error::{Error, Result};
use crate::signals::SignalPipe;
use crate::tty::{window_size, RawMode};
use crate::types::{DetachKeys, DetachScanner};

/// How a relay goes.
pub(crate) struct RelayOptions {
    /// The container has a terminal.
    pub tty: bool,
    /// Relay fd 0.
    pub stdin: bool,
    /// Forward the CLI's signals (without a terminal).
    pub sig_proxy: bool,
    /// With a terminal and stdin: typed, they end the relay.
    pub detach_keys: DetachKeys,
}

impl RelayOptions {
    /// A foreground `run` or `start -a`: signals forwarded, the default detach keys.
    pub(crate) fn foreground(tty: bool, stdin: bool) -> RelayOptions {
        RelayOptions {
            tty,
            stdin,
            sig_proxy: true,
            detach_keys: DetachKeys::default(),
        }
    }
}

/// How a relay ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RelayEnd {
    /// The container exited with this code.
    Exited(i32),
    /// The detach keys were typed: the container runs on.
    Detached,
}

/// Relays until the container exits or the detach keys are typed.
pub(crate) fn relay(channel: OwnedFd, o: RelayOptions) -> Result<RelayEnd> {
    let (tty, stdin) = (o.tty, o.stdin);
    let mut detach = (tty && stdin).then(|| DetachScanner::new(o.detach_keys));
    let fd = channel.as_raw_fd();
    let _raw = if tty { RawMode::enable(0) } else { None };
    if tty {
        if let Some((rows, cols)) = window_size(0).or_else(|| window_size(1)) {
            let _ = attach::send(fd, &Message::Resize { rows, cols });
        }
    }
    let proxied: &[i32] = if o.sig_proxy {
        &[
            libc::SIGWINCH,
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
        ]
    } else {
        &[libc::SIGWINCH]
    };
    let signals = SignalPipe::catch(proxied)?;

    let mut stdin_open = stdin;
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    loop {
        let mut fds = [
            libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: signals.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if stdin_open { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: a valid pollfd array.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, -1) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(Error::io("waiting for the container", e));
        }
        if fds[0].revents != 0 {
            if let ControlFlow::Break(end) = take_message(fd, &mut buf) {
                return end.map(RelayEnd::Exited);
            }
        }
        if fds[1].revents != 0 {
            forward_signals(fd, &signals);
        }
        if fds[2].revents != 0 {
            match forward_stdin(fd, &mut buf, detach.as_mut()) {
                Stdin::Open => {}
                Stdin::Closed => stdin_open = false,
                Stdin::Detach => return Ok(RelayEnd::Detached),
            }
        }
    }
}

/// Takes one message from the monitor: output is written out; the container's exit code
/// or start failure (or a closed connection) ends the relay.
fn take_message(fd: RawFd, buf: &mut [u8]) -> ControlFlow<Result<i32>> {
    match attach::recv(fd, buf) {
        Ok(Some(Message::Stdout(d))) => write_all(1, &d),
        Ok(Some(Message::Stderr(d))) => write_all(2, &d),
        Ok(Some(Message::Exited(code))) => return ControlFlow::Break(Ok(code)),
        Ok(Some(Message::Failed(code, message))) => {
            return ControlFlow::Break(Err(Error::StartFailed { code, message }))
        }
        Ok(Some(_)) => {}
        Ok(None) | Err(_) => {
            return ControlFlow::Break(Err(Error::Internal(
                "the container's monitor closed this connection before the container's \
                 end reached it (a client that falls too far behind its output, or \
                 stays stopped, is let go): see ps -a and logs"
                    .into(),
            )))
        }
    }
    ControlFlow::Continue(())
}

/// Sends the caught signals to the monitor: SIGWINCH as the new window size, the others
/// to be forwarded to the container.
fn forward_signals(fd: RawFd, signals: &SignalPipe) {
    for sig in signals.take() {
        if sig == libc::SIGWINCH {
            if let Some((rows, cols)) = window_size(0).or_else(|| window_size(1)) {
                let _ = attach::send(fd, &Message::Resize { rows, cols });
            }
        } else {
            let _ = attach::send(fd, &Message::Signal(sig));
        }
    }
}

/// What became of the caller's stdin after one read.
enum Stdin {
    Open,
    Closed,
    /// The detach keys were typed.
    Detach,
}

/// Sends what one read of the caller's stdin gives (less the detach keys, watched by
/// `detach`); at its end (or on an error other than EINTR) tells the monitor stdin is
/// closed.
fn forward_stdin(fd: RawFd, buf: &mut [u8], detach: Option<&mut DetachScanner>) -> Stdin {
    // SAFETY: reading the caller's stdin into our buffer, at most MAX_MESSAGE bytes (the
    // buffer holds MAX_MESSAGE + 64).
    let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), attach::MAX_MESSAGE) };
    if n > 0 {
        let typed = &buf[..n as usize];
        let (data, detached) = match detach {
            Some(scanner) => scanner.scan(typed),
            None => (typed.to_vec(), false),
        };
        if !data.is_empty() {
            let _ = attach::send(fd, &Message::Stdin(data));
        }
        if detached {
            return Stdin::Detach;
        }
    } else if n == 0 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
        let _ = attach::send(fd, &Message::StdinClosed);
        return Stdin::Closed;
    }
    Stdin::Open
}

/// Writes `data` to the caller's (or the pty's) fd; a reader gone is not our error.
fn write_all(fd: RawFd, data: &[u8]) {
    // SAFETY: fds 0-2 and the pty master stay open for the whole relay.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = six_sys::fd::write_all(fd, data);
}
