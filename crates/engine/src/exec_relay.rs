//! Relaying a started exec's streams ([`ExecStreams`], `exec_instance.rs`) to a client that
//! is not the caller's terminal: the Engine API's hijacked `/exec/{id}/start`. The client's
//! input goes to the process's stdin pipe (closed at the input's end) or its terminal (less
//! the detach keys); its stdout and stderr (or the terminal) go to the client's
//! [`StreamSink`]. Writes to the process never block: input waits in a buffer while the
//! client's socket is not read, so a process that does not read cannot stall its output.
//!
//! The relay ends once the keeper has recorded the exit code and the output is drained (a
//! second without output after that ends it too: a daemon the process left behind may hold
//! its stdout). A client that leaves or detaches is let go at once (its socket is shut
//! down), and the process's output is then drained to nowhere until it ends, as Docker's.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::attach_stream::{ClientStream, OutputStream, StreamEnd};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec_instance::ExecStreams;
use crate::types::DetachScanner;

/// Sets the window size of a terminal (an exec's pty master).
pub fn resize_terminal(master: std::os::fd::BorrowedFd, rows: u16, cols: u16) {
    crate::tty::set_window_size(master.as_raw_fd(), rows, cols);
}

/// How the client side of the relay stands.
#[derive(PartialEq, Eq)]
enum Client {
    /// Taking output; its input open (or never asked for).
    Here,
    /// Its input ended: watched only for its hangup.
    InputDone,
    /// Gone or detached: output goes nowhere.
    Gone,
}

impl Engine {
    /// Relays `streams` of the started exec `exec_id` to `client` until the process has
    /// ended and its output is drained: Exited(its code), or how the client left.
    pub fn relay_exec(
        &self,
        exec_id: &str,
        streams: ExecStreams,
        client: ClientStream,
    ) -> Result<StreamEnd> {
        let ExecStreams {
            stdin,
            stdout,
            stderr,
            pty,
            ended,
        } = streams;
        let input_fd = client.input.map(|i| i.as_raw_fd());
        let sink = client.sink;
        // Where input goes: the stdin pipe or the terminal (kept open for reading too).
        let mut target: Option<OwnedFd> = stdin;
        let pty_fd = pty.as_ref().map(|p| p.as_raw_fd());
        let mut outputs: [Option<(OwnedFd, OutputStream)>; 2] = match pty {
            Some(p) => [Some((p, OutputStream::Stdout)), None],
            None => [
                stdout.map(|f| (f, OutputStream::Stdout)),
                stderr.map(|f| (f, OutputStream::Stderr)),
            ],
        };
        let wanted = |s: OutputStream| match s {
            OutputStream::Stdout => client.stdout,
            OutputStream::Stderr => client.stderr,
        };
        for fd in target.iter().map(AsRawFd::as_raw_fd).chain(pty_fd) {
            set_nonblocking(fd);
        }
        let mut detach = client.detach_keys.map(DetachScanner::new);
        let mut pending: Vec<u8> = Vec::new();
        let mut state = match input_fd {
            Some(_) if target.is_some() || pty_fd.is_some() => Client::Here,
            Some(_) => Client::InputDone,
            None => Client::Here,
        };
        let mut detached = false;
        let mut keeper_done = false;
        let shut = |fd: Option<RawFd>| {
            if let Some(fd) = fd {
                // SAFETY: shutting down the client's socket, which the caller lends us.
                unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
            }
        };
        if !client.first_input.is_empty()
            && state == Client::Here
            && take_input(&client.first_input, detach.as_mut(), &mut pending)
        {
            detached = true;
            state = Client::Gone;
            shut(input_fd);
        }
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let write_to = target.as_ref().map(|t| t.as_raw_fd()).or(pty_fd);
            if state == Client::Gone && pty_fd.is_none() {
                // Nobody types any more: the process's stdin ends.
                target = None;
                pending.clear();
            }
            if keeper_done && outputs.iter().all(Option::is_none) {
                break;
            }
            let in_events = match state {
                Client::Here if pending.is_empty() && input_fd.is_some() => libc::POLLIN,
                _ => 0,
            };
            let watch_client = matches!(state, Client::Here | Client::InputDone);
            let mut fds = [
                pollfd(input_fd.filter(|_| watch_client), in_events),
                pollfd(outputs[0].as_ref().map(|o| o.0.as_raw_fd()), libc::POLLIN),
                pollfd(outputs[1].as_ref().map(|o| o.0.as_raw_fd()), libc::POLLIN),
                pollfd((!keeper_done).then(|| ended.as_raw_fd()), libc::POLLIN),
                pollfd(write_to.filter(|_| !pending.is_empty()), libc::POLLOUT),
            ];
            let timeout = if keeper_done { 1000 } else { -1 };
            // SAFETY: a valid pollfd array.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::io("relaying an exec", e));
            }
            if n == 0 {
                break; // a second without output after the end
            }
            if fds[0].revents != 0 {
                let fd = input_fd.unwrap_or(-1);
                if state == Client::InputDone {
                    state = Client::Gone; // a hangup
                } else {
                    // SAFETY: reading the client's socket into our buffer.
                    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
                    if r > 0 {
                        if take_input(&buf[..r as usize], detach.as_mut(), &mut pending) {
                            detached = true;
                            state = Client::Gone;
                            shut(input_fd);
                        }
                    } else if r == 0 {
                        state = Client::InputDone;
                        if pty_fd.is_none() && pending.is_empty() {
                            target = None;
                        }
                    } else if !interrupted() {
                        state = Client::Gone;
                    }
                }
            }
            for (i, pfd) in fds[1..3].iter().enumerate() {
                if pfd.revents == 0 {
                    continue;
                }
                let Some((fd, stream)) = &outputs[i] else {
                    continue;
                };
                // SAFETY: reading the process's output into our buffer.
                let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
                if r > 0 {
                    let data = &buf[..r as usize];
                    if state != Client::Gone
                        && wanted(*stream)
                        && sink.output(*stream, data).is_err()
                    {
                        state = Client::Gone;
                        shut(input_fd);
                    }
                } else if r == 0 || !(interrupted() || would_block()) {
                    // The end (a pty's slaves all closed read as EIO).
                    outputs[i] = None;
                }
            }
            if fds[3].revents != 0 {
                keeper_done = true;
            }
            if fds[4].revents != 0 {
                let fd = write_to.unwrap_or(-1);
                // SAFETY: writing our buffer to the process's stdin or terminal.
                let r = unsafe { libc::write(fd, pending.as_ptr().cast(), pending.len()) };
                if r > 0 {
                    pending.drain(..r as usize);
                } else if !(interrupted() || would_block()) {
                    pending.clear();
                    target = None;
                }
            }
            if state == Client::InputDone && pending.is_empty() && pty_fd.is_none() {
                target = None;
            }
        }
        if detached {
            return Ok(StreamEnd::Detached);
        }
        if state == Client::Gone {
            return Ok(StreamEnd::ClientGone);
        }
        let code = self.exec_exit_code(exec_id)?;
        Ok(StreamEnd::Exited(code.unwrap_or(-1)))
    }
}

/// Adds typed bytes to what waits for the process, less the detach keys; true when they
/// were typed.
fn take_input(typed: &[u8], detach: Option<&mut DetachScanner>, pending: &mut Vec<u8>) -> bool {
    match detach {
        Some(scanner) => {
            let (data, detached) = scanner.scan(typed);
            pending.extend_from_slice(&data);
            detached
        }
        None => {
            pending.extend_from_slice(typed);
            false
        }
    }
}

fn pollfd(fd: Option<RawFd>, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.unwrap_or(-1),
        events,
        revents: 0,
    }
}

fn interrupted() -> bool {
    std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
}

fn would_block() -> bool {
    std::io::Error::last_os_error().kind() == std::io::ErrorKind::WouldBlock
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: reading and setting the status flags of a descriptor we hold.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
}
