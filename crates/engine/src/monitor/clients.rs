//! The monitor's connections: attached clients and freeze holders. Every socket is
//! non-blocking and has its own bounded queue of the messages it has not taken yet, so
//! nothing the monitor sends can stall its poll loop.
//!
//! - The primary client (the foreground `run` or `start -a` that launched the monitor) is
//!   never dropped for being slow: while anything waits in its queue the monitor reads no
//!   more output, and the container waits on its pipe (Docker's behaviour when `docker run
//!   ... | less` is not read). Once the container's init has ended its output is drained
//!   regardless (into the log and the queues; the pipes bound it), so that the end is
//!   recorded and cleaned up without waiting for anyone.
//! - Any other client that falls more than [`QUEUE_LIMIT`] behind is let go (its connection
//!   closes after what it already has): a stopped `start -a` never holds up output, stdin or
//!   signals for the others.
//! - The last messages (the exit code) are handed out by [`Monitor::deliver_final`] after the
//!   end is recorded: it waits as long as clients take them, lets a client that takes nothing
//!   for [`FINAL_GRACE`] go, and the primary only once its process has been stopped (Ctrl-Z,
//!   SIGSTOP) that long: a slow reader gets everything, a stopped one does not pin the monitor.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::Monitor;
use crate::attach::{self, Message};

/// How far (bytes queued, plus 64 a message) a client other than the primary may fall behind
/// before it is let go; its socket's buffer in the kernel (about 200 KiB) comes on top.
pub(super) const QUEUE_LIMIT: usize = 256 * 1024;
/// How long the final delivery waits for a client that takes nothing (see the module doc).
const FINAL_GRACE: Duration = Duration::from_secs(5);

/// One connection and what waits for it.
pub(super) struct Client {
    fd: OwnedFd,
    /// The client that launched the monitor (see the module doc).
    pub primary: bool,
    queue: VecDeque<Rc<[u8]>>,
    queued: usize,
    /// When the queue last moved (or last began to fill).
    moved: Instant,
    /// Its input waits for the container (`Running::stdin_pending`): it is not read until the
    /// container has taken that, while the other clients are.
    pub holds_input: bool,
    /// Since when its process has been seen stopped (primary, final delivery only).
    stopped_since: Option<Instant>,
    /// It gave us its trace socket (`Message::Trace`): we trace while it is connected.
    pub traces: bool,
}

/// One message for every client, as the parts it is sent from (kind byte, payload); its
/// encoded copy is made only when a client must queue it, and then shared.
pub(super) struct Outgoing<'a> {
    parts: [&'a [u8]; 2],
    copy: Option<Rc<[u8]>>,
}

impl<'a> Outgoing<'a> {
    pub(super) fn new(head: &'a [u8], payload: &'a [u8]) -> Outgoing<'a> {
        Outgoing {
            parts: [head, payload],
            copy: None,
        }
    }

    fn shared(&mut self) -> Rc<[u8]> {
        let parts = self.parts;
        self.copy
            .get_or_insert_with(|| parts.concat().into())
            .clone()
    }
}

impl Client {
    pub(super) fn new(fd: OwnedFd, primary: bool) -> Client {
        Client {
            fd,
            primary,
            queue: VecDeque::new(),
            queued: 0,
            moved: Instant::now(),
            holds_input: false,
            traces: false,
            stopped_since: None,
        }
    }

    pub(super) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Whether messages wait for it.
    pub(super) fn waiting(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Sends `m` now if nothing waits before it and the socket takes it, else queues it.
    /// False when the peer is gone.
    pub(super) fn send(&mut self, m: &mut Outgoing) -> bool {
        if self.queue.is_empty() {
            match attach::send_parts(self.fd(), m.parts, libc::MSG_DONTWAIT) {
                Ok(()) => return true,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    self.moved = Instant::now();
                }
                Err(_) => return false,
            }
        }
        let copy = m.shared();
        self.queued += copy.len() + 64;
        self.queue.push_back(copy);
        true
    }

    /// Sends what waits, as far as the socket takes it now. False when the peer is gone.
    pub(super) fn flush(&mut self) -> bool {
        while let Some(front) = self.queue.front() {
            match attach::send_parts(self.fd(), [front, &[]], libc::MSG_DONTWAIT) {
                Ok(()) => {
                    self.queued -= front.len() + 64;
                    self.queue.pop_front();
                    self.moved = Instant::now();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
                Err(_) => return false,
            }
        }
        true
    }

    /// A pollfd asking for input (`read`) and, while messages wait, for room to send.
    pub(super) fn pollfd(&self, read: bool) -> libc::pollfd {
        let events =
            if read { libc::POLLIN } else { 0 } | if self.waiting() { libc::POLLOUT } else { 0 };
        libc::pollfd {
            fd: if events == 0 { -1 } else { self.fd() },
            events,
            revents: 0,
        }
    }

    /// In the final delivery: whether to let it go now (see the module doc).
    fn given_up(&mut self, now: Instant) -> bool {
        let stalled = now.duration_since(self.moved);
        if !self.primary {
            return stalled >= FINAL_GRACE;
        }
        // The primary only once its process has been seen stopped for FINAL_GRACE (looked at
        // after a second without progress: a reader that keeps taking is never asked).
        if stalled < Duration::from_secs(1) || !peer_stopped(&self.fd) {
            self.stopped_since = None;
            return false;
        }
        let since = *self.stopped_since.get_or_insert(now);
        now.duration_since(since) >= FINAL_GRACE
    }
}

impl Monitor<'_> {
    /// Sends `m` to every attached client; drops those gone, and others than the primary
    /// that fall too far behind.
    pub(super) fn broadcast(&mut self, m: &Message) {
        let bytes = m.encode();
        self.send_to_clients(Outgoing::new(&bytes, &[]));
    }

    /// Output of the container (`kind`: stdout or stderr) to every attached client.
    pub(super) fn broadcast_output(&mut self, kind: u8, data: &[u8]) {
        self.send_to_clients(Outgoing::new(&[kind], data));
    }

    fn send_to_clients(&mut self, mut m: Outgoing) {
        self.clients
            .retain_mut(|c| c.send(&mut m) && (c.primary || c.queued <= QUEUE_LIMIT));
    }

    /// Whether output waits for the primary client (then no more is read while the
    /// container runs).
    pub(super) fn primary_backed_up(&self) -> bool {
        self.clients.iter().any(|c| c.primary && c.waiting())
    }

    /// After the end is recorded: hands every client what still waits for it, the exit code
    /// last, and lets go of those that take nothing (see the module doc).
    pub(super) fn deliver_final(&mut self) {
        loop {
            let now = Instant::now();
            self.clients.retain_mut(|c| c.waiting() && !c.given_up(now));
            if self.clients.is_empty() {
                return;
            }
            let mut fds: Vec<libc::pollfd> = self.clients.iter().map(|c| c.pollfd(false)).collect();
            // A second at most: stalls are looked at again.
            if super::supervise::poll(&mut fds, 1000) <= 0 {
                continue;
            }
            for pfd in fds.iter().filter(|p| p.revents != 0) {
                if let Some(i) = self.clients.iter().position(|c| c.fd() == pfd.fd) {
                    if !self.clients[i].flush() {
                        self.clients.remove(i);
                    }
                }
            }
        }
    }
}

/// Whether the process at the other end of a socket pair (the CLI that made it) is stopped.
fn peer_stopped(fd: &OwnedFd) -> bool {
    let Ok(cred) = nix::sys::socket::getsockopt(fd, nix::sys::socket::sockopt::PeerCredentials)
    else {
        return false;
    };
    six_sys::proc::stat(cred.pid()).is_some_and(|s| s.stopped())
}
