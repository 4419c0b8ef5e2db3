//! The monitor's poll loop over one run of the container: output to the log and clients,
//! client messages (stdin, window size, signals, freezes), SIGCHLD for the exit code; and the
//! idle wait between two runs under a restart policy.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::{Monitor, Running};
use crate::attach::{self, Message};
use crate::logs::Stream;

impl Monitor<'_> {
    /// The poll loop of one incarnation; returns the exit code (128+signal when killed).
    pub(super) fn supervise(&mut self, r: &mut Running) -> i32 {
        // Room for a whole message from a client (kind byte + MAX_MESSAGE of data).
        let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
        let mut exit_code: Option<i32> = None;
        let mut drain_deadline: Option<Instant> = None;
        loop {
            if exit_code.is_some() && r.out.is_none() && r.err.is_none() {
                break;
            }
            let mut fds: Vec<libc::pollfd> = Vec::with_capacity(4 + self.clients.len());
            let poll = |fd: RawFd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            fds.push(poll(self.sigfd.as_raw_fd()));
            // The primary client has not taken the last output: read no more (the container
            // waits on its pipe) until it has.
            let output_backed_up = !self.primary_backlog.is_empty();
            let output = |f: &Option<OwnedFd>| {
                f.as_ref()
                    .filter(|_| !output_backed_up)
                    .map_or(-1, |f| f.as_raw_fd())
            };
            fds.push(poll(output(&r.out)));
            fds.push(poll(output(&r.err)));
            fds.push(poll(self.listener.as_ref().map_or(-1, |f| f.as_raw_fd())));
            // Input the container has not taken yet: wait until it can, and read no client
            // until then.
            let backed_up = !r.stdin_pending.is_empty();
            let stdin_fd = r.stdin.filter(|_| backed_up).unwrap_or(-1);
            fds.push(libc::pollfd {
                fd: stdin_fd,
                events: libc::POLLOUT,
                revents: 0,
            });
            for c in &self.clients {
                let want_out = output_backed_up && Some(c.as_raw_fd()) == self.primary;
                let events = if backed_up { 0 } else { libc::POLLIN }
                    | if want_out { libc::POLLOUT } else { 0 };
                let fd = if events == 0 { -1 } else { c.as_raw_fd() };
                fds.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
            }
            // Freeze holders: only their end (or `Thaw`) matters, whatever else waits.
            fds.extend(self.freezers.iter().map(|f| poll(f.as_raw_fd())));
            let timeout = match drain_deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).as_millis() as i32,
                None => -1,
            };
            // SAFETY: fds is a valid array of pollfd for its length.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
            if n == 0 && drain_deadline.is_some() && self.primary_backlog.is_empty() {
                break; // output still open long after the init ended: give up on it
            }
            if fds[0].revents != 0 {
                if let Some(code) = self.handle_signals(r) {
                    exit_code = Some(code);
                    drain_deadline = Some(Instant::now() + Duration::from_secs(2));
                }
            }
            if fds[1].revents != 0 && !self.copy_output(&mut r.out, Stream::Stdout, &mut buf) {
                r.out = None;
                if r.tty {
                    r.stdin = None;
                }
            }
            if fds[2].revents != 0 && !self.copy_output(&mut r.err, Stream::Stderr, &mut buf) {
                r.err = None;
            }
            if fds[3].revents != 0 {
                if let Some(l) = &self.listener {
                    while let Some(c) = attach::accept(l.as_raw_fd()) {
                        self.clients.push(c);
                    }
                }
            }
            if fds[4].revents != 0 {
                flush_stdin(r);
            }
            // By fd, not by index: a broadcast above may already have dropped a client.
            for pfd in fds[5..].iter().filter(|p| p.revents != 0) {
                if pfd.revents & libc::POLLOUT != 0 && Some(pfd.fd) == self.primary {
                    self.flush_primary();
                }
                if pfd.revents & !libc::POLLOUT == 0
                    || pfd.events & libc::POLLIN == 0
                        && pfd.revents & (libc::POLLHUP | libc::POLLERR) == 0
                {
                    continue;
                }
                if self.is_freezer(pfd.fd) {
                    self.freezer_event(pfd.fd, r, &mut buf);
                    continue;
                }
                if let Some(i) = self.clients.iter().position(|c| c.as_raw_fd() == pfd.fd) {
                    if !self.handle_client(i, r, &mut buf) {
                        if Some(pfd.fd) == self.primary {
                            self.primary = None;
                            self.primary_backlog.clear();
                        }
                        self.clients.remove(i);
                    }
                }
            }
        }
        exit_code.unwrap_or(137)
    }

    /// Reaps children; Some(code) when the init has ended. Forwards SIGTERM/SIGINT/SIGHUP sent
    /// to the monitor itself to the container (through the init's pidfd: see `Running::init`).
    fn handle_signals(&mut self, r: &Running) -> Option<i32> {
        let init = r.pid;
        let mut init_code = None;
        while let Ok(Some(info)) = self.sigfd.read_signal() {
            let sig = info.ssi_signo as i32;
            if sig != libc::SIGCHLD {
                let _ = r.init.send_signal(sig);
            }
        }
        loop {
            let mut status = 0;
            // SAFETY: reaping our children without blocking.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid <= 0 {
                break;
            }
            if pid == init {
                init_code = Some(if libc::WIFSIGNALED(status) {
                    128 + libc::WTERMSIG(status)
                } else {
                    libc::WEXITSTATUS(status)
                });
            }
        }
        init_code
    }

    /// Copies one read of output to the log and the clients; false at EOF.
    fn copy_output(&mut self, fd: &mut Option<OwnedFd>, stream: Stream, buf: &mut [u8]) -> bool {
        let Some(f) = fd else { return false };
        // SAFETY: reading into our buffer.
        let n = unsafe {
            libc::read(
                f.as_raw_fd(),
                buf.as_mut_ptr().cast(),
                buf.len().min(attach::MAX_MESSAGE),
            )
        };
        if n < 0
            && matches!(
                std::io::Error::last_os_error().kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            )
        {
            return true;
        }
        if n <= 0 {
            return false; // EOF, or EIO from a pty whose other side closed
        }
        let data = &buf[..n as usize];
        if let Some(e) = self.log.as_mut().and_then(|l| l.write(stream, data).err()) {
            self.report_log_failure(e);
        }
        let m = match stream {
            Stream::Stdout => Message::Stdout(data.to_vec()),
            Stream::Stderr => Message::Stderr(data.to_vec()),
        };
        self.broadcast(&m);
        true
    }

    /// One message from client `i`; false when the client is gone.
    fn handle_client(&mut self, i: usize, r: &mut Running, buf: &mut [u8]) -> bool {
        let fd = self.clients[i].as_raw_fd();
        match attach::recv_nowait(fd, buf) {
            Ok(Some(Message::Stdin(data))) => {
                if r.stdin.is_some() {
                    r.stdin_pending.extend_from_slice(&data);
                    flush_stdin(r);
                }
                true
            }
            Ok(Some(Message::StdinClosed)) => {
                if !r.tty {
                    r.stdin_pipe = None;
                    r.stdin = None;
                }
                true
            }
            Ok(Some(Message::Resize { rows, cols })) => {
                if let (true, Some(master)) = (r.tty, &r.out) {
                    crate::tty::set_window_size(master.as_raw_fd(), rows, cols);
                }
                true
            }
            Ok(Some(Message::Stop(sig))) => {
                self.stop_requested = true;
                let _ = r.init.send_signal(sig);
                true
            }
            Ok(Some(Message::Freeze)) => {
                self.take_freezer(i, r);
                true
            }
            Ok(Some(Message::Signal(sig))) => {
                // The init may have been reaped already (output is drained for up to 2 s
                // after): through its pidfd this then reaches nobody.
                let _ = r.init.send_signal(sig);
                true
            }
            Ok(Some(_)) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => true,
            Ok(None) | Err(_) => false,
        }
    }

    /// Between two incarnations: serve clients, wait `delay`, stop early on a signal request.
    pub(super) fn idle(&mut self, delay: Duration) {
        let deadline = Instant::now() + delay;
        let mut buf = [0u8; 256];
        while !self.stop_requested {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut fds: Vec<libc::pollfd> = vec![libc::pollfd {
                fd: self.listener.as_ref().map_or(-1, |l| l.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            }];
            fds.extend(self.clients.iter().map(|c| libc::pollfd {
                fd: c.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            }));
            // SAFETY: valid pollfd array.
            unsafe {
                libc::poll(
                    fds.as_mut_ptr(),
                    fds.len() as libc::nfds_t,
                    left.as_millis() as i32,
                )
            };
            if fds[0].revents != 0 {
                if let Some(l) = &self.listener {
                    while let Some(c) = attach::accept(l.as_raw_fd()) {
                        self.clients.push(c);
                    }
                }
            }
            for pfd in fds[1..].iter().filter(|p| p.revents != 0) {
                let Some(i) = self.clients.iter().position(|c| c.as_raw_fd() == pfd.fd) else {
                    continue;
                };
                match attach::recv_nowait(pfd.fd, &mut buf) {
                    Ok(Some(Message::Signal(_) | Message::Stop(_))) => self.stop_requested = true,
                    Ok(Some(Message::Freeze)) => {
                        let why = "the container is restarting: nothing to freeze".to_owned();
                        let _ = attach::send(pfd.fd, &Message::Failed(1, why));
                    }
                    Ok(Some(_)) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    _ => {
                        if Some(pfd.fd) == self.primary {
                            self.primary = None;
                            self.primary_backlog.clear();
                        }
                        self.clients.remove(i);
                    }
                }
            }
        }
    }
}

/// Writes as much pending input as the container takes now; drops it (and closes a stdin
/// pipe) when the container can no longer read.
fn flush_stdin(r: &mut Running) {
    let Some(fd) = r.stdin else {
        r.stdin_pending.clear();
        return;
    };
    while !r.stdin_pending.is_empty() {
        // SAFETY: writing from our buffer to our non-blocking fd.
        let n = unsafe { libc::write(fd, r.stdin_pending.as_ptr().cast(), r.stdin_pending.len()) };
        if n > 0 {
            r.stdin_pending.drain(..n as usize);
            continue;
        }
        match std::io::Error::last_os_error().kind() {
            std::io::ErrorKind::Interrupted => continue,
            std::io::ErrorKind::WouldBlock => return,
            _ => {
                r.stdin_pending.clear();
                if !r.tty {
                    r.stdin_pipe = None;
                    r.stdin = None;
                }
                return;
            }
        }
    }
}
