//! One attached client's side of a container: relays the client's input to the monitor and
//! the container's output to the client until the exit code comes back, the detach keys are
//! typed, or the client goes away. The client is either the caller's own stdio ([`relay`]:
//! a foreground `run`, `start -a`, `attach`) or any other pair of ends ([`relay_ends`]: the
//! Engine API's hijacked connections, see `attach_stream.rs`).
//!
//! With the caller's terminal: raw mode (restored on every return path), the window size at
//! start and on SIGWINCH, and the detach keys (Ctrl-P Ctrl-Q) typed on stdin end the relay
//! and leave the container running (Docker's rule: only with a terminal). Without one,
//! SIGINT/SIGTERM/SIGHUP/SIGQUIT to the CLI are forwarded to the container (Docker's
//! sig-proxy, unless turned off). The client may die at any point: the monitor and the
//! container carry on.

use std::ops::ControlFlow;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::attach::{self, Message, KIND_STDERR, KIND_STDOUT};
use crate::error::{Error, Result};
use crate::signals::SignalPipe;
use crate::tty::{window_size, RawMode};
use crate::types::{DetachKeys, DetachScanner};

/// How a relay of the caller's stdio goes.
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
    /// The client hung up or stopped taking output (never for the caller's own stdio).
    ClientGone,
}

/// Where one client's input comes from and its output goes.
pub(crate) struct Ends<'a> {
    /// The client's input (None: no stdin).
    pub input: Option<RawFd>,
    /// Input already read from the client, sent before anything else.
    pub first_input: Vec<u8>,
    /// The input is the client's socket: a hangup on it means the client is gone.
    pub input_is_socket: bool,
    /// At the end of the input the container's stdin is closed (else it stays open for
    /// another client).
    pub close_stdin_at_end: bool,
    /// Watches the input for the detach keys.
    pub detach: Option<DetachScanner>,
    /// Signals to forward (the caller's sig-proxy and SIGWINCH).
    pub signals: Option<&'a SignalPipe>,
    /// The container's output: its kind (`KIND_STDOUT`, `KIND_STDERR`) and bytes; Err when
    /// the client is gone.
    pub output: &'a mut dyn FnMut(u8, &[u8]) -> std::io::Result<()>,
}

/// Relays the caller's stdio until the container exits or the detach keys are typed.
pub(crate) fn relay(channel: OwnedFd, o: RelayOptions) -> Result<RelayEnd> {
    let tty = o.tty;
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
    let mut write_out = |kind: u8, data: &[u8]| {
        write_all(if kind == KIND_STDERR { 2 } else { 1 }, data);
        Ok(())
    };
    let ends = Ends {
        input: o.stdin.then_some(0),
        first_input: Vec::new(),
        input_is_socket: false,
        close_stdin_at_end: true,
        detach: (tty && o.stdin).then(|| DetachScanner::new(o.detach_keys)),
        signals: Some(&signals),
        output: &mut write_out,
    };
    relay_ends(&channel, ends)
}

/// Relays between the monitor at `channel` and `ends` until the container exits, the detach
/// keys are typed or the client is gone.
pub(crate) fn relay_ends(channel: &OwnedFd, mut ends: Ends) -> Result<RelayEnd> {
    let fd = channel.as_raw_fd();
    let mut input_open = ends.input.is_some();
    // After the end of a socket's input: still watched for a hangup (the client gone).
    let mut watch_hangup = false;
    if !ends.first_input.is_empty() {
        let first = std::mem::take(&mut ends.first_input);
        if pass_input(fd, &first, ends.detach.as_mut()) {
            return Ok(RelayEnd::Detached);
        }
    }
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    loop {
        let input_fd = match ends.input {
            Some(i) if input_open || watch_hangup => i,
            _ => -1,
        };
        let mut fds = [
            pollin(fd),
            pollin(ends.signals.map_or(-1, |s| s.fd())),
            libc::pollfd {
                fd: input_fd,
                events: if input_open { libc::POLLIN } else { 0 },
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
            match take_message(fd, &mut buf, ends.output) {
                ControlFlow::Break(Ok(Taken::Exited(code))) => return Ok(RelayEnd::Exited(code)),
                ControlFlow::Break(Ok(Taken::ClientGone)) => return Ok(RelayEnd::ClientGone),
                ControlFlow::Break(Err(e)) => return Err(e),
                ControlFlow::Continue(()) => {}
            }
        }
        if fds[1].revents != 0 {
            if let Some(signals) = ends.signals {
                forward_signals(fd, signals);
            }
        }
        if fds[2].revents != 0 {
            if !input_open {
                // Only a hangup wakes us here: the client closed its socket altogether.
                return Ok(RelayEnd::ClientGone);
            }
            match forward_input(fd, input_fd, &mut buf, &mut ends) {
                Input::Open => {}
                Input::Closed => {
                    input_open = false;
                    watch_hangup = ends.input_is_socket;
                }
                Input::Detach => return Ok(RelayEnd::Detached),
                Input::Gone => return Ok(RelayEnd::ClientGone),
            }
        }
    }
}

fn pollin(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// What one message from the monitor ended.
enum Taken {
    Exited(i32),
    ClientGone,
}

/// Takes one message from the monitor: output goes to the client; the container's exit
/// code or start failure (or a closed connection) ends the relay, as does a client that
/// takes no more output.
fn take_message(
    fd: RawFd,
    buf: &mut [u8],
    output: &mut dyn FnMut(u8, &[u8]) -> std::io::Result<()>,
) -> ControlFlow<Result<Taken>> {
    let written = match attach::recv(fd, buf) {
        Ok(Some(Message::Stdout(d))) => output(KIND_STDOUT, &d),
        Ok(Some(Message::Stderr(d))) => output(KIND_STDERR, &d),
        Ok(Some(Message::Exited(code))) => return ControlFlow::Break(Ok(Taken::Exited(code))),
        Ok(Some(Message::Failed(code, message))) => {
            return ControlFlow::Break(Err(Error::StartFailed { code, message }))
        }
        Ok(Some(_)) => Ok(()),
        Ok(None) | Err(_) => {
            return ControlFlow::Break(Err(Error::Internal(
                "the container's monitor closed this connection before the container's \
                 end reached it (a client that falls too far behind its output, or \
                 stays stopped, is let go): see ps -a and logs"
                    .into(),
            )))
        }
    };
    match written {
        Ok(()) => ControlFlow::Continue(()),
        Err(_) => ControlFlow::Break(Ok(Taken::ClientGone)),
    }
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

/// What became of the client's input after one read.
enum Input {
    Open,
    Closed,
    /// The detach keys were typed.
    Detach,
    /// A socket that failed: the client is gone.
    Gone,
}

/// Sends what one read of the client's input gives (less the detach keys); at its end (or
/// on an error other than EINTR) tells the monitor stdin is closed, if it should be.
fn forward_input(fd: RawFd, input: RawFd, buf: &mut [u8], ends: &mut Ends) -> Input {
    // SAFETY: reading the client's input into our buffer, at most MAX_MESSAGE bytes (the
    // buffer holds MAX_MESSAGE + 64).
    let n = unsafe { libc::read(input, buf.as_mut_ptr().cast(), attach::MAX_MESSAGE) };
    if n > 0 {
        if pass_input(fd, &buf[..n as usize], ends.detach.as_mut()) {
            return Input::Detach;
        }
        return Input::Open;
    }
    let error = (n < 0).then(std::io::Error::last_os_error);
    if error
        .as_ref()
        .is_some_and(|e| e.kind() == std::io::ErrorKind::Interrupted)
    {
        return Input::Open;
    }
    if error.is_some() && ends.input_is_socket {
        return Input::Gone;
    }
    if ends.close_stdin_at_end {
        let _ = attach::send(fd, &Message::StdinClosed);
    }
    Input::Closed
}

/// Passes typed bytes on to the container, less the detach keys; true when they were typed.
fn pass_input(fd: RawFd, typed: &[u8], detach: Option<&mut DetachScanner>) -> bool {
    let (data, detached) = match detach {
        Some(scanner) => scanner.scan(typed),
        None => (typed.to_vec(), false),
    };
    for piece in data.chunks(attach::MAX_MESSAGE) {
        let _ = attach::send(fd, &Message::Stdin(piece.to_vec()));
    }
    detached
}

/// Writes `data` to the caller's (or the pty's) fd; a reader gone is not our error.
fn write_all(fd: RawFd, data: &[u8]) {
    // SAFETY: fds 0-2 and the pty master stay open for the whole relay.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = six_sys::fd::write_all(fd, data);
}
