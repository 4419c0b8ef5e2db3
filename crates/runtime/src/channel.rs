//! The one channel between the runtime and a process it is setting up: a `SOCK_SEQPACKET`
//! socket pair carrying small typed messages, with a file descriptor attached by
//! `SCM_RIGHTS` when a message needs one (the pty master).
//!
//! It owns the wire format (one tag byte, then UTF-8 text or a little-endian i32) and nothing
//! else: what a message means is decided by `create` and `exec`. It never polls or sleeps;
//! every receive blocks until the peer writes or closes its end.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};

/// What the runtime and the container process tell each other.
#[derive(Debug, PartialEq, Eq)]
pub enum Msg {
    /// Parent → child: id maps and cgroup are in place; go on.
    Go,
    /// Child → parent: run the prestart and createRuntime hooks now (mounts are done).
    RunHooks,
    /// Parent → child: the hooks ran; go on.
    HooksDone,
    /// Child → parent: here is the pty master (the fd travels with it).
    Pty,
    /// Child → parent: the pid of the process that will exec (exec's pid-namespace child).
    Pid(i32),
    /// Child → parent: everything is set up; the process waits for `start` (or execs now).
    Ready,
    /// Parent → child: the state JSON for the hooks the child runs itself.
    State(String),
    /// Child → parent: this step failed; the child exits after sending it.
    Error(String),
    /// Child → parent: the seccomp notification fd is this number in the child (the parent
    /// takes it with pidfd_getfd: passing it costs the child only a write, as in runc).
    SeccompFd(i32),
    /// Parent → child: the seccomp agent has the notification fd; go on.
    SeccompDone,
}

const MAX_MSG: usize = 65536;

fn truncated(text: &str) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    b.truncate(MAX_MSG - 1);
    b
}

impl Msg {
    fn encode(&self) -> Vec<u8> {
        let (tag, body): (u8, Vec<u8>) = match self {
            Msg::Go => (1, vec![]),
            Msg::RunHooks => (2, vec![]),
            Msg::HooksDone => (3, vec![]),
            Msg::Pty => (4, vec![]),
            Msg::Pid(p) => (5, p.to_le_bytes().to_vec()),
            Msg::Ready => (6, vec![]),
            Msg::Error(text) => (7, truncated(text)),
            Msg::State(text) => (8, truncated(text)),
            Msg::SeccompFd(fd) => (9, fd.to_le_bytes().to_vec()),
            Msg::SeccompDone => (10, vec![]),
        };
        let mut out = Vec::with_capacity(1 + body.len());
        out.push(tag);
        out.extend_from_slice(&body);
        out
    }

    fn decode(b: &[u8]) -> Option<Msg> {
        let (&tag, body) = b.split_first()?;
        Some(match tag {
            1 => Msg::Go,
            2 => Msg::RunHooks,
            3 => Msg::HooksDone,
            4 => Msg::Pty,
            5 => Msg::Pid(i32::from_le_bytes(body.try_into().ok()?)),
            6 => Msg::Ready,
            7 => Msg::Error(String::from_utf8_lossy(body).into_owned()),
            8 => Msg::State(String::from_utf8_lossy(body).into_owned()),
            9 => Msg::SeccompFd(i32::from_le_bytes(body.try_into().ok()?)),
            10 => Msg::SeccompDone,
            _ => return None,
        })
    }
}

/// One end of the channel.
pub struct Channel {
    fd: OwnedFd,
}

/// A received message and the fd that came with it, if any.
pub struct Received {
    pub msg: Msg,
    pub fd: Option<OwnedFd>,
}

/// Why a receive produced no message.
#[derive(Debug)]
pub enum RecvError {
    /// The peer closed its end (it exited) without a word.
    Closed,
    /// The bytes were not a message we know.
    Garbled,
    Sys(nix::Error),
}

impl std::fmt::Display for RecvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecvError::Closed => write!(f, "the process exited without reporting"),
            RecvError::Garbled => write!(f, "the process sent an unknown message"),
            RecvError::Sys(e) => write!(f, "reading from the process: {e}"),
        }
    }
}

/// A connected pair: (parent's end, child's end). Both close on exec.
pub fn pair() -> nix::Result<(Channel, Channel)> {
    let (a, b) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((Channel { fd: a }, Channel { fd: b }))
}

impl Channel {
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Moves the socket to a descriptor number >= `min` (close-on-exec), so it cannot sit
    /// among the fds that are handed to the container.
    pub fn move_above(self, min: RawFd) -> std::io::Result<Channel> {
        six_sys::fd::move_above(self.fd, min).map(|fd| Channel { fd })
    }

    pub fn send(&self, msg: &Msg) -> nix::Result<()> {
        self.send_with_fd(msg, None)
    }

    /// The child's sends: a plain write(2). Once the seccomp filter is in place a profile
    /// may refuse (or notify) sendmsg, never write (runc needs only write there too). With
    /// the parent gone, the child gets EPIPE (SIGPIPE ignored) or dies of SIGPIPE: it stops
    /// either way.
    pub fn report(&self, msg: &Msg) -> nix::Result<()> {
        let bytes = msg.encode();
        loop {
            match nix::unistd::write(&self.fd, &bytes) {
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(e),
                Ok(n) if n == bytes.len() => return Ok(()),
                Ok(_) => return Err(nix::Error::EMSGSIZE),
            }
        }
    }

    pub fn send_with_fd(&self, msg: &Msg, fd: Option<RawFd>) -> nix::Result<()> {
        let bytes = msg.encode();
        let iov = [IoSlice::new(&bytes)];
        let fds;
        let cmsgs: &[ControlMessage] = match fd {
            Some(f) => {
                fds = [f];
                &[ControlMessage::ScmRights(&fds)]
            }
            None => &[],
        };
        loop {
            match sendmsg::<()>(
                self.fd.as_raw_fd(),
                &iov,
                cmsgs,
                MsgFlags::MSG_NOSIGNAL,
                None,
            ) {
                Err(nix::Error::EINTR) => continue,
                r => return r.map(|_| ()),
            }
        }
    }

    /// Blocks until a message arrives or the peer closes its end.
    pub fn recv(&self) -> Result<Received, RecvError> {
        let mut buf = vec![0u8; MAX_MSG];
        let mut cmsg = nix::cmsg_space!([RawFd; 1]);
        loop {
            let mut iov = [IoSliceMut::new(&mut buf)];
            let r = recvmsg::<()>(
                self.fd.as_raw_fd(),
                &mut iov,
                Some(&mut cmsg),
                MsgFlags::MSG_CMSG_CLOEXEC,
            );
            let msg = match r {
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(RecvError::Sys(e)),
                Ok(m) => m,
            };
            let mut fd = None;
            for c in msg.cmsgs().map_err(RecvError::Sys)? {
                if let ControlMessageOwned::ScmRights(fds) = c {
                    for f in fds {
                        // SAFETY: the kernel just installed this fd in our table for us.
                        let owned = unsafe { OwnedFd::from_raw_fd(f) };
                        if fd.is_none() {
                            fd = Some(owned);
                        }
                    }
                }
            }
            let n = msg.bytes;
            if n == 0 {
                return Err(RecvError::Closed);
            }
            let decoded = Msg::decode(&buf[..n]).ok_or(RecvError::Garbled)?;
            return Ok(Received { msg: decoded, fd });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_survives_the_wire() {
        let (a, b) = pair().unwrap();
        for m in [
            Msg::Go,
            Msg::RunHooks,
            Msg::HooksDone,
            Msg::Pid(-7),
            Msg::Ready,
            Msg::Error("bad x".into()),
            Msg::State("{}".into()),
            Msg::SeccompFd(12),
            Msg::SeccompDone,
        ] {
            a.send(&m).unwrap();
            assert_eq!(b.recv().unwrap().msg, m);
        }
    }

    #[test]
    fn an_fd_travels_with_its_message() {
        let (a, b) = pair().unwrap();
        let f = std::fs::File::open("/proc/self/stat").unwrap();
        a.send_with_fd(&Msg::Pty, Some(f.as_raw_fd())).unwrap();
        let got = b.recv().unwrap();
        assert_eq!(got.msg, Msg::Pty);
        assert!(got.fd.is_some());
    }

    #[test]
    fn a_closed_peer_is_reported() {
        let (a, b) = pair().unwrap();
        drop(a);
        assert!(matches!(b.recv(), Err(RecvError::Closed)));
    }

    #[test]
    fn moving_above_keeps_the_socket_working() {
        let (a, b) = pair().unwrap();
        let a = a.move_above(200).unwrap();
        assert!(a.raw_fd() >= 200);
        a.send(&Msg::Go).unwrap();
        assert_eq!(b.recv().unwrap().msg, Msg::Go);
    }
}
