//! The monitor's poll loop over one run of the container: output to the log and clients,
//! client messages (stdin, window size, signals, freezes, pause), SIGCHLD for the exit code; and the
//! idle wait between two runs under a restart policy. Nothing in it blocks: sockets and pipes
//! are non-blocking, and what a client or the container cannot take yet waits in a queue
//! (`clients.rs`) or in `stdin_pending`.

use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use super::clients::Outgoing;
use super::{listener, Monitor, Running};
use crate::attach::{self, Message};
use crate::logs::Stream;

/// The fixed entries of the poll array, before the clients'.
const SIGNALS: usize = 0;
const STDOUT: usize = 1;
const STDERR: usize = 2;
const LISTENER: usize = 3;
const STDIN: usize = 4;
const PROBE: usize = 5;
const CLIENTS: usize = 6;

impl Monitor<'_> {
    /// The poll loop of one incarnation; returns the exit code (128+signal when killed).
    pub(super) fn supervise(&mut self, r: &mut Running) -> i32 {
        crate::test_hook::panic_point("monitor-supervising");
        // Room for a whole message from a client (kind byte + MAX_MESSAGE of data).
        let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
        let mut exit_code: Option<i32> = None;
        let mut drain_deadline: Option<Instant> = None;
        loop {
            if exit_code.is_some() && r.out.is_none() && r.err.is_none() {
                break;
            }
            let mut fds: Vec<libc::pollfd> =
                Vec::with_capacity(CLIENTS + self.clients.len() + self.freezers.len());
            fds.push(pollin(self.sigfd.as_raw_fd()));
            // While the container runs, a slow primary client holds output back (the container
            // waits on its pipe); once it has ended, what is left is drained regardless.
            let hold_output = exit_code.is_none() && self.primary_backed_up();
            let output = |f: &Option<OwnedFd>| match f {
                Some(f) if !hold_output => f.as_raw_fd(),
                _ => -1,
            };
            fds.push(pollin(output(&r.out)));
            fds.push(pollin(output(&r.err)));
            fds.push(pollin(self.listener.as_mut().map_or(-1, |l| l.poll_fd())));
            // Input the container has not taken yet: wait until it can. Meanwhile the clients
            // it came from are not read (their CLIs wait: backpressure); the others are.
            let input_backed_up = !r.stdin_pending.is_empty();
            fds.push(libc::pollfd {
                fd: r.stdin.filter(|_| input_backed_up).unwrap_or(-1),
                events: libc::POLLOUT,
                revents: 0,
            });
            fds.push(pollin(self.health.as_ref().map_or(-1, |h| h.output_fd())));
            for c in &self.clients {
                fds.push(c.pollfd(!(input_backed_up && c.holds_input)));
            }
            // Freeze holders: their end (or `Thaw`) matters, whatever else waits.
            fds.extend(self.freezers.iter().map(|f| f.pollfd(true)));
            // Ports published on IPv6 host addresses, relayed while it runs.
            let proxied = fds.len();
            if exit_code.is_none() {
                r.proxy.pollfds(&mut fds);
            }
            let timeout = match drain_deadline {
                Some(d) => d.saturating_duration_since(Instant::now()).as_millis() as i32,
                None => -1,
            };
            let wake = [self.health_wake_in(), r.proxy.wake_in()]
                .into_iter()
                .flatten()
                .min()
                .filter(|_| exit_code.is_none());
            let timeout = match wake {
                // rounded up: a wake-up just before a check is due would spin
                Some(d) => earliest_ms(timeout, d.as_micros().div_ceil(1000)),
                None => timeout,
            };
            poll(&mut fds, self.listener_timeout(timeout));
            if drain_deadline.is_some_and(|d| Instant::now() >= d) {
                break; // output still open long after the init ended: give up on it
            }
            if fds[SIGNALS].revents != 0 {
                if let Some(code) = self.handle_signals(r) {
                    exit_code = Some(code);
                    drain_deadline = Some(Instant::now() + Duration::from_secs(2));
                }
            }
            if fds[STDOUT].revents != 0 && !self.copy_output(&mut r.out, Stream::Stdout, &mut buf) {
                r.out = None;
                if r.tty {
                    r.stdin = None;
                }
            }
            if fds[STDERR].revents != 0 && !self.copy_output(&mut r.err, Stream::Stderr, &mut buf) {
                r.err = None;
            }
            if fds[LISTENER].revents != 0 {
                self.accept_clients();
            }
            if fds[STDIN].revents != 0 {
                self.flush_stdin(r);
            }
            if fds[PROBE].revents != 0 {
                if let Some(h) = &mut self.health {
                    h.read_output();
                }
            }
            // By fd, not by index: a broadcast above may already have dropped a client.
            for pfd in fds[CLIENTS..proxied].iter().filter(|p| p.revents != 0) {
                self.client_ready(pfd, r, &mut buf);
            }
            if exit_code.is_none() {
                r.proxy.ready(&fds[proxied..]);
            }
            self.end_trace_when_its_client_is_gone();
            if exit_code.is_none() {
                self.health_tick(r);
            }
        }
        exit_code.unwrap_or(137)
    }

    /// A container that ended at once (`run --rm busybox true`) may be gone before we read
    /// the trace socket its traced foreground CLI hands us after the start: the clean-up would
    /// go untraced. Waits for it (1 s at most) while that CLI is connected.
    pub(super) fn await_trace_handover(&mut self, r: &mut Running) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
        while !six_trace::on() {
            let Some(primary) = self.clients.iter().find(|c| c.primary) else {
                return;
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let mut pfd = [primary.pollfd(true)];
            if poll(&mut pfd, left.as_millis().max(1) as i32) > 0 {
                self.client_ready(&pfd[0], r, &mut buf);
            }
        }
    }

    /// The client that gave us its trace socket has gone: stop tracing (its CLI waits for
    /// our end of file).
    pub(super) fn end_trace_when_its_client_is_gone(&mut self) {
        let traced = self.clients.iter().chain(&self.freezers).any(|c| c.traces);
        if six_trace::on() && !traced {
            six_trace::detach();
        }
    }

    fn accept_clients(&mut self) {
        if let Some(l) = &mut self.listener {
            l.accept_all(|c| self.clients.push(super::clients::Client::new(c, false)));
        }
    }

    /// `timeout_ms`, shortened to when a paused listener is to be tried again.
    fn listener_timeout(&self, timeout_ms: i32) -> i32 {
        listener::earliest(timeout_ms, self.listener.as_ref().and_then(|l| l.wake_in()))
    }

    /// A client or freeze holder is ready: room to send what waits for it, a message, or
    /// its end.
    fn client_ready(&mut self, pfd: &libc::pollfd, r: &mut Running, buf: &mut [u8]) {
        if self.is_freezer(pfd.fd) {
            self.freezer_event(pfd, r, buf);
            return;
        }
        let Some(i) = self.clients.iter().position(|c| c.fd() == pfd.fd) else {
            return;
        };
        if pfd.revents & libc::POLLOUT != 0 && !self.clients[i].flush() {
            self.clients.remove(i);
            return;
        }
        let readable =
            pfd.events & libc::POLLIN != 0 || pfd.revents & (libc::POLLHUP | libc::POLLERR) != 0;
        if pfd.revents & !libc::POLLOUT != 0 && readable && !self.handle_client(i, r, buf) {
            self.clients.remove(i);
        }
    }

    /// Reaps children; Some(code) when the init has ended. Forwards SIGTERM/SIGINT/SIGHUP sent
    /// to the monitor itself to the container (through the init's pidfd: see `Running::init`).
    fn handle_signals(&mut self, r: &Running) -> Option<i32> {
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
            let code = if libc::WIFSIGNALED(status) {
                128 + libc::WTERMSIG(status)
            } else {
                libc::WEXITSTATUS(status)
            };
            if pid == r.pid {
                init_code = Some(code);
            } else {
                self.health_reaped(pid, code);
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
        let kind = match stream {
            Stream::Stdout => attach::KIND_STDOUT,
            Stream::Stderr => attach::KIND_STDERR,
        };
        self.broadcast_output(kind, data);
        true
    }

    /// One message from client `i`; false when the client is gone.
    fn handle_client(&mut self, i: usize, r: &mut Running, buf: &mut [u8]) -> bool {
        let fd = self.clients[i].fd();
        let received = attach::recv_nowait_with_fd(fd, buf);
        let received = match received {
            Ok(Some((Message::Trace, Some(trace)))) => {
                // Its steps from here on (a stop, a kill, the clean-up) go to its trace.
                six_trace::forward_to(trace.into_raw_fd(), six_trace::Role::Monitor);
                self.clients[i].traces = true;
                return true;
            }
            Ok(Some((m, _))) => Ok(Some(m)),
            Ok(None) => Ok(None),
            Err(e) => Err(e),
        };
        match received {
            Ok(Some(Message::Stdin(data))) => {
                if r.stdin.is_some() {
                    r.stdin_pending.extend_from_slice(&data);
                    self.flush_stdin(r);
                    // Not taken yet: this client waits (unread) until it is.
                    self.clients[i].holds_input = !r.stdin_pending.is_empty();
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
                self.unpause_for_signal(r, sig);
                true
            }
            Ok(Some(Message::Freeze)) => {
                self.take_freezer(i, r);
                true
            }
            Ok(Some(m @ (Message::Pause | Message::Unpause))) => {
                self.pause_request(i, r, m == Message::Pause);
                true
            }
            Ok(Some(Message::Signal(sig))) => {
                // The init may have been reaped already (output is drained for up to 2 s
                // after): through its pidfd this then reaches nobody.
                let _ = r.init.send_signal(sig);
                self.unpause_for_signal(r, sig);
                true
            }
            Ok(Some(_)) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => true,
            Ok(None) | Err(_) => false,
        }
    }

    /// Writes as much pending input as the container takes now; drops it (and closes a stdin
    /// pipe) when the container can no longer read. Once nothing is pending, every client is
    /// read again.
    fn flush_stdin(&mut self, r: &mut Running) {
        write_stdin(r);
        if r.stdin_pending.is_empty() {
            for c in &mut self.clients {
                c.holds_input = false;
            }
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
            let mut fds = vec![pollin(self.listener.as_mut().map_or(-1, |l| l.poll_fd()))];
            fds.extend(self.clients.iter().map(|c| c.pollfd(true)));
            poll(&mut fds, self.listener_timeout(left.as_millis() as i32));
            if fds[0].revents != 0 {
                self.accept_clients();
            }
            for pfd in fds[1..].iter().filter(|p| p.revents != 0) {
                let Some(i) = self.clients.iter().position(|c| c.fd() == pfd.fd) else {
                    continue;
                };
                if pfd.revents & libc::POLLOUT != 0 && !self.clients[i].flush() {
                    self.clients.remove(i);
                    continue;
                }
                if pfd.revents & !libc::POLLOUT == 0 {
                    continue;
                }
                match attach::recv_nowait(pfd.fd, &mut buf) {
                    Ok(Some(Message::Signal(_) | Message::Stop(_))) => self.stop_requested = true,
                    Ok(Some(m @ (Message::Freeze | Message::Pause | Message::Unpause))) => {
                        let why = if m == Message::Freeze {
                            "the container is restarting: nothing to freeze".to_owned()
                        } else {
                            format!(
                                "container {} is restarting, wait until the container is running",
                                self.config.name
                            )
                        };
                        let why = Message::Failed(1, why).encode();
                        if !self.clients[i].send(&mut Outgoing::new(&why, &[])) {
                            self.clients.remove(i);
                        }
                    }
                    Ok(Some(_)) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    _ => {
                        self.clients.remove(i);
                    }
                }
            }
        }
    }
}

/// The earlier of a poll timeout (-1: none) and `ms` milliseconds.
fn earliest_ms(timeout_ms: i32, ms: u128) -> i32 {
    let ms = ms.min(i32::MAX as u128) as i32;
    match timeout_ms {
        t if t < 0 => ms,
        t => t.min(ms),
    }
}

fn pollin(fd: RawFd) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// poll(2) for the monitor's loops: how many fds are ready; 0 on a timeout, an interruption
/// or an error. An error (ENOMEM, say) is retried after 10 ms, never in a busy loop: the
/// monitor cannot give up its container.
pub(super) fn poll(fds: &mut [libc::pollfd], timeout_ms: i32) -> i32 {
    // SAFETY: fds is a valid array of pollfd for its length.
    let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
    if n < 0 {
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            std::thread::sleep(Duration::from_millis(10));
        }
        return 0;
    }
    n
}

/// Writes as much pending input as the container takes now; drops it (and closes a stdin
/// pipe) when the container can no longer read.
fn write_stdin(r: &mut Running) {
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
