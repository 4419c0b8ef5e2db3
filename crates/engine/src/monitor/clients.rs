//! Sending to attached clients: the primary one (the CLI that launched the monitor) gets a
//! backlog and holds output back when it is slow; any other that cannot keep up for 5 s,
//! or is gone, is dropped.

use std::os::fd::{AsRawFd, RawFd};
use std::time::Duration;

use super::Monitor;
use crate::attach::{self, Message};

impl Monitor<'_> {
    /// Sends to every client. Others than the primary that cannot keep up for 5 s, or are
    /// gone, are dropped; the primary gets what it cannot take now in its backlog (or, with
    /// `last`, waits for it: the container is over and this is its exit code).
    pub(super) fn broadcast(&mut self, m: &Message) {
        self.send_all(m, false);
    }

    pub(super) fn send_all(&mut self, m: &Message, last: bool) {
        let bytes = m.encode();
        let primary = self.primary;
        self.clients.retain(|c| {
            let fd = c.as_raw_fd();
            if Some(fd) == primary {
                return true;
            }
            set_send_timeout(fd, Duration::from_secs(5));
            attach::send_bytes(fd, &bytes, 0).is_ok()
        });
        if self.primary.is_some() {
            self.primary_backlog.push_back(bytes);
            self.flush_primary_with(if last { 0 } else { libc::MSG_DONTWAIT });
        }
    }

    /// Hands the primary client what waits for it, as far as it takes it now; true when
    /// nothing waits any more.
    pub(super) fn flush_primary(&mut self) -> bool {
        self.flush_primary_with(libc::MSG_DONTWAIT)
    }

    fn flush_primary_with(&mut self, flags: libc::c_int) -> bool {
        let Some(fd) = self.primary else {
            self.primary_backlog.clear();
            return true;
        };
        while let Some(front) = self.primary_backlog.front() {
            match attach::send_bytes(fd, front, flags) {
                Ok(()) => {
                    self.primary_backlog.pop_front();
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(_) => {
                    self.primary = None;
                    self.primary_backlog.clear();
                    self.clients.retain(|c| c.as_raw_fd() != fd);
                    return true;
                }
            }
        }
        true
    }
}

pub(super) fn set_send_timeout(fd: RawFd, d: Duration) {
    let tv = libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: 0,
    };
    // SAFETY: setsockopt with a timeval of the right size.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_SNDTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        )
    };
}
