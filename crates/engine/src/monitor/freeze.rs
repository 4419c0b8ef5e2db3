//! Freezes held by clients: `commit` freezes the container while it reads the upper dir.
//!
//! A client that sends `Freeze` leaves the attached clients (it wants no output) and holds
//! the freeze for as long as its connection is open: `Thaw`, or the connection closing for
//! any reason (the commit finished, failed, or was killed with SIGKILL: the kernel closes
//! its socket), releases it, and the last holder gone thaws the container. So no command
//! killed half-way can leave a container frozen, and nothing needs the next command to
//! notice (Docker's daemon pauses for a commit and unpauses itself; the monitor is our
//! daemon for this container).
//!
//! It never freezes a container between two runs (a restart policy's backoff): there is
//! nothing to freeze then.

use std::os::fd::RawFd;

use super::clients::Outgoing;
use super::{Monitor, Running};
use crate::attach::{self, Message};

impl Monitor<'_> {
    /// Client `i` asked for a freeze: freeze (if it is the first holder) and answer. A
    /// refused freeze leaves it an attached client, which its answer reaches in turn.
    pub(super) fn take_freezer(&mut self, i: usize, r: &Running) {
        let mut client = self.clients.remove(i);
        client.primary = false;
        // Paused by the user: frozen already.
        if self.freezers.is_empty() && !self.paused {
            if let Err(e) = r.with_container(self.engine, self.id, |c| c.pause()) {
                let e = crate::Error::from(e)
                    .context(format!("freezing container {}", self.config.name));
                let why = crate::Chain(&e).to_string();
                if client.send(&mut Outgoing::new(&Message::Failed(1, why).encode(), &[])) {
                    self.clients.push(client);
                }
                return;
            }
        }
        let answered = client.send(&mut Outgoing::new(&Message::Frozen.encode(), &[]));
        let fd = client.fd();
        self.freezers.push(client);
        if !answered {
            self.release_freezer(fd, r, false);
        }
    }

    /// Something happened on the connection of a freeze holder: room for its answer,
    /// `Thaw`, or its end.
    pub(super) fn freezer_event(&mut self, pfd: &libc::pollfd, r: &Running, buf: &mut [u8]) {
        let fd = pfd.fd;
        let Some(i) = self.freezers.iter().position(|f| f.fd() == fd) else {
            return;
        };
        if pfd.revents & libc::POLLOUT != 0 && !self.freezers[i].flush() {
            self.release_freezer(fd, r, false);
            return;
        }
        if pfd.revents & !libc::POLLOUT == 0 {
            return;
        }
        match attach::recv_nowait(fd, buf) {
            Ok(Some(Message::Thaw)) => self.release_freezer(fd, r, true),
            Ok(Some(_)) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok(None) | Err(_) => self.release_freezer(fd, r, false),
        }
    }

    /// Drops one holder; the last one gone thaws the container. `reply`: say `Thawed` (the
    /// holder then stays an attached client until that reached it).
    fn release_freezer(&mut self, fd: RawFd, r: &Running, reply: bool) {
        let Some(i) = self.freezers.iter().position(|f| f.fd() == fd) else {
            return;
        };
        let mut holder = self.freezers.remove(i);
        if self.freezers.is_empty() && !self.paused {
            if let Err(e) = r.with_container(self.engine, self.id, |c| c.resume()) {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "thawing container {}", self.id);
            }
        }
        if reply
            && holder.send(&mut Outgoing::new(&Message::Thawed.encode(), &[]))
            && holder.waiting()
        {
            self.clients.push(holder);
        }
    }

    /// Whether `fd` is a freeze holder's connection.
    pub(super) fn is_freezer(&self, fd: RawFd) -> bool {
        self.freezers.iter().any(|f| f.fd() == fd)
    }
}
