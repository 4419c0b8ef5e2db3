//! The monitor's listening socket (`attach.sock`) and what it does when it cannot accept.
//!
//! An `accept` that fails for want of resources (EMFILE: the monitor's own fd limit; ENFILE,
//! ENOBUFS, ENOMEM) leaves the connection queued, so the socket stays readable and a `poll`
//! that waits on it returns at once, for ever: a busy loop. Servers either back off or
//! accept-and-close the connection with a spare fd. The monitor backs off: the socket is
//! left out of the poll for [`BACKOFF`], then tried again. Dropping would be wrong here: a
//! `kill` client sends its signal and closes without waiting for an answer, and a `wait`
//! client would read a closed connection as the end; a queued connection keeps its
//! message, and is served as soon as an fd is free. Never decides what a client is for.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::attach;

/// How long the socket is left alone after an accept that could not be served.
pub(super) const BACKOFF: Duration = Duration::from_millis(100);

pub(super) struct Listener {
    fd: OwnedFd,
    /// Not polled until then: the last accept failed.
    paused_until: Option<Instant>,
}

impl Listener {
    pub(super) fn new(fd: OwnedFd) -> Listener {
        Listener {
            fd,
            paused_until: None,
        }
    }

    /// The fd to poll for new connections: -1 (ignored by poll) while backing off.
    pub(super) fn poll_fd(&mut self) -> RawFd {
        match self.paused_until {
            Some(until) if Instant::now() < until => -1,
            _ => {
                self.paused_until = None;
                self.fd.as_raw_fd()
            }
        }
    }

    /// How long a poll may sleep before the socket must be tried again (None: no limit).
    pub(super) fn wake_in(&self) -> Option<Duration> {
        self.paused_until
            .map(|until| until.saturating_duration_since(Instant::now()))
    }

    /// Accepts every waiting connection. One that cannot be accepted now stays queued and
    /// the socket is left out of the poll for [`BACKOFF`].
    pub(super) fn accept_all(&mut self, mut add: impl FnMut(OwnedFd)) {
        loop {
            match attach::accept(self.fd.as_raw_fd()) {
                Ok(Some(client)) => add(client),
                Ok(None) => return,
                Err(_) => {
                    self.paused_until = Some(Instant::now() + BACKOFF);
                    return;
                }
            }
        }
    }
}

/// The shorter of two poll timeouts in ms (-1: none).
pub(super) fn earliest(timeout_ms: i32, wake_in: Option<Duration>) -> i32 {
    let Some(wake) = wake_in else {
        return timeout_ms;
    };
    // Rounded up: a poll that wakes early would find the socket still paused.
    let wake_ms = wake.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
    if timeout_ms < 0 {
        wake_ms
    } else {
        timeout_ms.min(wake_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_combine() {
        assert_eq!(earliest(-1, None), -1);
        assert_eq!(earliest(500, None), 500);
        assert_eq!(earliest(-1, Some(Duration::from_millis(100))), 100);
        assert_eq!(earliest(50, Some(Duration::from_millis(100))), 50);
        assert_eq!(earliest(500, Some(Duration::from_micros(99_001))), 100);
        assert_eq!(earliest(-1, Some(Duration::ZERO)), 0);
    }

    /// With no fd to spare, a waiting connection is left queued and the socket out of the
    /// poll; once an fd is free, it is accepted.
    #[test]
    fn a_connection_that_cannot_be_accepted_waits_and_pauses_the_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("attach.sock");
        let mut listener = Listener::new(attach::listen(&path).unwrap());
        let client = attach::connect(&path).unwrap();
        attach::send(client.as_raw_fd(), &attach::Message::Signal(10)).unwrap();
        let mut got = Vec::new();
        // An accept that fails, as at the fd limit (EMFILE): on a file that is not a socket
        // (ENOTSOCK). The connection stays queued on the real socket meanwhile.
        let real = std::mem::replace(
            &mut listener.fd,
            std::fs::File::open("/dev/null").unwrap().into(),
        );
        listener.accept_all(|c| got.push(c));
        assert!(got.is_empty());
        assert_eq!(listener.poll_fd(), -1);
        let wake = listener.wake_in().unwrap();
        assert!(wake > Duration::ZERO && wake <= BACKOFF, "{wake:?}");
        listener.fd = real;
        std::thread::sleep(BACKOFF);
        assert_eq!(listener.poll_fd(), listener.fd.as_raw_fd());
        assert_eq!(listener.wake_in(), None);
        listener.accept_all(|c| got.push(c));
        assert_eq!(got.len(), 1);
        let mut buf = [0u8; 64];
        assert_eq!(
            attach::recv(got[0].as_raw_fd(), &mut buf).unwrap(),
            Some(attach::Message::Signal(10))
        );
    }
}
