//! The attach protocol between a CLI and a container's monitor: one message per
//! `SOCK_SEQPACKET` packet, a kind byte then a payload. The monitor sends output, "started",
//! errors and the exit code; the CLI sends stdin, end of stdin, window sizes, signals and
//! stop requests, and `commit` asks for a freeze held as long as its connection.
//!
//! The same protocol runs over the socket pair made when the monitor is forked and over the
//! monitor's listening socket `<runroot>/containers/<id>/attach.sock`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use nix::sys::socket::{self, SockFlag, SockType, UnixAddr};

use crate::error::{Error, Result};

/// The largest payload of one message (output and stdin are sent in pieces of at most this
/// size); a receive buffer needs one byte more for the kind.
pub const MAX_MESSAGE: usize = 32 * 1024;

/// The kind bytes of output messages, for senders that send the payload where it lies
/// ([`send_parts`]) rather than as a [`Message`].
pub(crate) const KIND_STDOUT: u8 = 1;
pub(crate) const KIND_STDERR: u8 = 2;

/// One message of the attach protocol, either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Monitor → client: output of the container on its stdout (or its pty).
    Stdout(Vec<u8>),
    /// Monitor → client: output on its stderr.
    Stderr(Vec<u8>),
    /// The container runs; its init has this pid.
    Started(i32),
    /// The container could not start: Docker's exit code class and the reason.
    Failed(i32, String),
    /// The container ended with this code (128+signal when killed).
    Exited(i32),
    /// Client → monitor: input for the container's stdin.
    Stdin(Vec<u8>),
    /// Client → monitor: the client's stdin ended (the container's is closed).
    StdinClosed,
    /// Client → monitor: the client's terminal has this size now.
    Resize {
        /// Rows.
        rows: u16,
        /// Columns.
        cols: u16,
    },
    /// Client → monitor: forward this signal to the container (Docker's sig-proxy).
    Signal(i32),
    /// `stop`, `kill` or `rm -f`: this signal, and the user has stopped the container (its
    /// restart policy does not apply). The monitor keeps that in memory and records it with
    /// the exit code, so stopping writes nothing before the signal (a full disk cannot stop it).
    Stop(i32),
    /// `commit`: freeze the container for as long as this connection stays open (or until
    /// `Thaw`). The monitor thaws it when the client closes, so a killed commit cannot leave
    /// it frozen. Answered with `Frozen`, or `Failed` when it cannot be frozen.
    Freeze,
    /// Ends this connection's `Freeze`; answered with `Thawed`.
    Thaw,
    /// Monitor → client: the container is frozen (answer to `Freeze` or `Pause`).
    Frozen,
    /// Monitor → client: the container is thawed (answer to `Thaw` or `Unpause`).
    Thawed,
    /// `pause`: freeze the container until `Unpause` (whoever sends it), as Docker's pause.
    /// Answered with `Frozen`, or `Failed` (already paused, restarting, refused).
    Pause,
    /// `unpause`: answered with `Thawed`, or `Failed` (not paused).
    Unpause,
    /// A CLI run with `--trace`: the write end of its trace socket comes with this message
    /// (SCM_RIGHTS); the monitor traces its steps there until this client is gone.
    Trace,
}

impl Message {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let (kind, payload): (u8, Vec<u8>) = match self {
            Message::Stdout(d) => (KIND_STDOUT, d.clone()),
            Message::Stderr(d) => (KIND_STDERR, d.clone()),
            Message::Started(pid) => (3, pid.to_le_bytes().to_vec()),
            Message::Failed(code, why) => {
                (4, [code.to_le_bytes().as_slice(), why.as_bytes()].concat())
            }
            Message::Exited(code) => (5, code.to_le_bytes().to_vec()),
            Message::Stdin(d) => (10, d.clone()),
            Message::StdinClosed => (11, Vec::new()),
            Message::Resize { rows, cols } => {
                (12, [rows.to_le_bytes(), cols.to_le_bytes()].concat())
            }
            Message::Signal(s) => (13, s.to_le_bytes().to_vec()),
            Message::Stop(s) => (14, s.to_le_bytes().to_vec()),
            Message::Freeze => (15, Vec::new()),
            Message::Thaw => (16, Vec::new()),
            Message::Frozen => (6, Vec::new()),
            Message::Thawed => (7, Vec::new()),
            Message::Pause => (17, Vec::new()),
            Message::Unpause => (18, Vec::new()),
            Message::Trace => (19, Vec::new()),
        };
        let mut out = Vec::with_capacity(1 + payload.len());
        out.push(kind);
        out.extend_from_slice(&payload);
        out
    }

    pub(crate) fn decode(packet: &[u8]) -> Option<Message> {
        let (&kind, p) = packet.split_first()?;
        let int =
            |p: &[u8]| -> Option<i32> { Some(i32::from_le_bytes(p.get(..4)?.try_into().ok()?)) };
        Some(match kind {
            KIND_STDOUT => Message::Stdout(p.to_vec()),
            KIND_STDERR => Message::Stderr(p.to_vec()),
            3 => Message::Started(int(p)?),
            4 => Message::Failed(int(p)?, String::from_utf8_lossy(p.get(4..)?).into_owned()),
            5 => Message::Exited(int(p)?),
            10 => Message::Stdin(p.to_vec()),
            11 => Message::StdinClosed,
            12 => Message::Resize {
                rows: u16::from_le_bytes(p.get(..2)?.try_into().ok()?),
                cols: u16::from_le_bytes(p.get(2..4)?.try_into().ok()?),
            },
            13 => Message::Signal(int(p)?),
            14 => Message::Stop(int(p)?),
            15 => Message::Freeze,
            16 => Message::Thaw,
            6 => Message::Frozen,
            7 => Message::Thawed,
            17 => Message::Pause,
            18 => Message::Unpause,
            19 => Message::Trace,
            _ => return None,
        })
    }
}

/// Sends one message; Err when the peer is gone.
pub fn send(fd: RawFd, m: &Message) -> std::io::Result<()> {
    send_bytes(fd, &m.encode(), 0)
}

/// Sends one encoded message with extra `flags` (MSG_DONTWAIT: `WouldBlock` when full).
pub(crate) fn send_bytes(fd: RawFd, bytes: &[u8], flags: libc::c_int) -> std::io::Result<()> {
    send_parts(fd, [bytes, &[]], flags)
}

/// Sends one encoded message given in parts (a kind byte and a payload, say), gathered by
/// the kernel: nothing is copied here. With MSG_DONTWAIT: `WouldBlock` when full.
pub(crate) fn send_parts(fd: RawFd, parts: [&[u8]; 2], flags: libc::c_int) -> std::io::Result<()> {
    let mut iov = parts.map(|p| libc::iovec {
        iov_base: p.as_ptr() as *mut libc::c_void,
        iov_len: p.len(),
    });
    // SAFETY: an all-zero msghdr is valid (no address, no control data).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr();
    msg.msg_iovlen = iov.len() as _;
    loop {
        // SAFETY: msg points at two iovecs over buffers that outlive the call.
        if unsafe { libc::sendmsg(fd, &msg, libc::MSG_NOSIGNAL | flags) } >= 0 {
            return Ok(());
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Receives one message into `buf`. Ok(None): the peer closed.
pub fn recv(fd: RawFd, buf: &mut [u8]) -> std::io::Result<Option<Message>> {
    recv_flags(fd, buf, 0)
}

/// Like [`recv`], but never blocks: `WouldBlock` when no message is waiting.
pub fn recv_nowait(fd: RawFd, buf: &mut [u8]) -> std::io::Result<Option<Message>> {
    recv_flags(fd, buf, libc::MSG_DONTWAIT)
}

/// ECONNRESET is no end: a peer that closes while a message of ours waits unread in its
/// socket (a stdin byte, a window size the monitor had no reason to read any more) makes
/// the kernel report ECONNRESET once, *before* the messages it sent us last — the exit code.
/// The error is cleared by reporting it, so the next receive returns them, then the end.
fn recv_flags(fd: RawFd, buf: &mut [u8], flags: libc::c_int) -> std::io::Result<Option<Message>> {
    loop {
        // SAFETY: the buffer is valid for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), flags) };
        if n > 0 {
            return Ok(Message::decode(&buf[..n as usize]));
        }
        if n == 0 {
            return Ok(None);
        }
        let e = std::io::Error::last_os_error();
        let retry = matches!(e.raw_os_error(), Some(libc::EINTR | libc::ECONNRESET));
        if !retry {
            return Err(e);
        }
    }
}

/// Reads the monitor's messages (skipping output) until one that `wanted` accepts: Ok; a
/// `Failed` is Err with its text; the end of the connection or no answer `within` is
/// Err(None).
pub(crate) fn answer(
    channel: &OwnedFd,
    wanted: impl Fn(&Message) -> bool,
    within: std::time::Duration,
) -> std::result::Result<(), Option<String>> {
    let deadline = std::time::Instant::now() + within;
    let mut buf = vec![0u8; MAX_MESSAGE + 64];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let mut fds = [libc::pollfd {
            fd: channel.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: a valid pollfd array of one.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 1, left.as_millis() as i32) };
        if n == 0 {
            return Err(None);
        }
        if n < 0 {
            continue; // EINTR
        }
        match recv(channel.as_raw_fd(), &mut buf) {
            Ok(Some(m)) if wanted(&m) => return Ok(()),
            Ok(Some(Message::Failed(_, why))) => return Err(Some(why)),
            Ok(Some(Message::Stdout(_) | Message::Stderr(_))) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            _ => return Err(None),
        }
    }
}

/// A connected pair (CLI end, monitor end), close-on-exec.
pub(crate) fn pair() -> Result<(OwnedFd, OwnedFd)> {
    let (a, b) = socket::socketpair(
        socket::AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )?;
    Ok((a, b))
}

/// A socket address for `path`, even when it is longer than `sun_path` allows: then it names
/// the socket through `/proc/self/fd/<dir fd>/<name>` (the returned guard holds that fd).
pub(crate) fn socket_addr(path: &Path) -> Result<(UnixAddr, Option<OwnedFd>)> {
    if path.as_os_str().len() < 100 {
        let addr =
            UnixAddr::new(path).map_err(|e| Error::at("naming the socket", path, e.into()))?;
        return Ok((addr, None));
    }
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(Error::Invalid(format!(
            "socket path {} has no directory",
            path.display()
        )));
    };
    let dir_fd: OwnedFd = std::fs::File::open(dir)
        .map_err(|e| Error::at("opening", dir, e))?
        .into();
    let short = Path::new("/proc/self/fd")
        .join(dir_fd.as_raw_fd().to_string())
        .join(name);
    let addr = UnixAddr::new(&short).map_err(|e| Error::at("naming the socket", path, e.into()))?;
    Ok((addr, Some(dir_fd)))
}

/// The monitor's listening socket.
pub(crate) fn listen(path: &Path) -> Result<OwnedFd> {
    let _ = std::fs::remove_file(path);
    let fd = socket::socket(
        socket::AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )?;
    let (addr, _dir) = socket_addr(path)?;
    socket::bind(fd.as_raw_fd(), &addr)
        .map_err(|e| Error::at("binding the attach socket", path, e.into()))?;
    socket::listen(
        &fd,
        socket::Backlog::new(16).unwrap_or(socket::Backlog::MAXCONN),
    )?;
    Ok(fd)
}

/// Connects to a monitor's attach socket.
pub fn connect(path: &Path) -> Result<OwnedFd> {
    let fd = socket::socket(
        socket::AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let (addr, _dir) = socket_addr(path)?;
    socket::connect(fd.as_raw_fd(), &addr)
        .map_err(|e| Error::at("connecting to the container's monitor at", path, e.into()))?;
    hand_trace(fd.as_raw_fd());
    Ok(fd)
}

/// With `--trace`: hands the monitor at the other end of `channel` our trace socket
/// ([`Message::Trace`]); it traces its steps there (a stop, the clean-up at the container's
/// end) while this connection lasts. Best effort: a monitor that cannot take it does not
/// trace.
pub(crate) fn hand_trace(channel: RawFd) {
    if let Some(trace) = six_trace::children_begin() {
        let _ = send_with_fd(channel, &Message::Trace.encode(), trace);
    }
}

/// Sends one encoded message with `fd` attached (SCM_RIGHTS).
fn send_with_fd(socket: RawFd, bytes: &[u8], fd: RawFd) -> std::io::Result<()> {
    let iov = [std::io::IoSlice::new(bytes)];
    let fds = [fd];
    let cmsg = [socket::ControlMessage::ScmRights(&fds)];
    socket::sendmsg::<()>(socket, &iov, &cmsg, socket::MsgFlags::MSG_NOSIGNAL, None)?;
    Ok(())
}

/// Like [`recv_nowait`], and the descriptor that came with the message, if any
/// (close-on-exec): the monitor reads its clients so.
pub(crate) fn recv_nowait_with_fd(
    fd: RawFd,
    buf: &mut [u8],
) -> std::io::Result<Option<(Message, Option<OwnedFd>)>> {
    loop {
        let mut iov = [std::io::IoSliceMut::new(buf)];
        let mut space = nix::cmsg_space!([RawFd; 1]);
        let flags = socket::MsgFlags::MSG_DONTWAIT | socket::MsgFlags::MSG_CMSG_CLOEXEC;
        let msg = match socket::recvmsg::<()>(fd, &mut iov, Some(&mut space), flags) {
            Ok(m) => m,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        };
        let mut passed = None;
        for c in msg.cmsgs().into_iter().flatten() {
            if let socket::ControlMessageOwned::ScmRights(fds) = c {
                for f in fds {
                    // SAFETY: a descriptor the kernel just gave us, owned by nobody else.
                    let owned = unsafe { OwnedFd::from_raw_fd(f) };
                    passed.get_or_insert(owned);
                }
            }
        }
        let n = msg.bytes;
        if n == 0 {
            return Ok(None);
        }
        return Ok(Message::decode(&buf[..n]).map(|m| (m, passed)));
    }
}

/// Accepts a waiting client: Ok(None) when none waits (a non-blocking listener). A client
/// that gave up while queued (ECONNABORTED) is skipped. An error (EMFILE, ENFILE, ENOBUFS,
/// ENOMEM) leaves the connection queued: the listener stays readable.
pub(crate) fn accept(listener: RawFd) -> std::io::Result<Option<OwnedFd>> {
    loop {
        match socket::accept4(listener, SockFlag::SOCK_CLOEXEC) {
            // SAFETY: accept4 returned a new fd that we now own.
            Ok(fd) => return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) })),
            Err(nix::errno::Errno::EAGAIN) => return Ok(None),
            Err(nix::errno::Errno::EINTR | nix::errno::Errno::ECONNABORTED) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The monitor's last message reaches the CLI even when the monitor closes with a
    /// message of the CLI's unread: the kernel's ECONNRESET comes first, then the message.
    #[test]
    fn the_last_message_survives_a_close_with_our_message_unread() {
        let (cli, monitor) = pair().unwrap();
        send(cli.as_raw_fd(), &Message::Stdin(b"x".to_vec())).unwrap();
        send(monitor.as_raw_fd(), &Message::Exited(3)).unwrap();
        drop(monitor);
        let mut buf = [0u8; 64];
        assert_eq!(
            recv(cli.as_raw_fd(), &mut buf).unwrap(),
            Some(Message::Exited(3))
        );
        assert_eq!(recv(cli.as_raw_fd(), &mut buf).unwrap(), None);
    }

    #[test]
    fn messages_round_trip() {
        let all = [
            Message::Stdout(b"hi\n".to_vec()),
            Message::Stderr(vec![]),
            Message::Started(42),
            Message::Failed(127, "nginx: not found in image busybox".into()),
            Message::Exited(137),
            Message::Stdin(b"x".to_vec()),
            Message::StdinClosed,
            Message::Resize { rows: 24, cols: 80 },
            Message::Signal(2),
            Message::Stop(15),
            Message::Freeze,
            Message::Thaw,
            Message::Frozen,
            Message::Thawed,
            Message::Pause,
            Message::Unpause,
        ];
        for m in all {
            assert_eq!(Message::decode(&m.encode()), Some(m));
        }
        assert_eq!(Message::decode(&[]), None);
        assert_eq!(Message::decode(&[99]), None);
        assert_eq!(Message::decode(&[3, 1]), None);
    }

    #[test]
    fn a_pair_keeps_message_boundaries() {
        let (a, b) = pair().unwrap();
        send(a.as_raw_fd(), &Message::Stdout(b"one".to_vec())).unwrap();
        send(a.as_raw_fd(), &Message::Exited(3)).unwrap();
        drop(a);
        let mut buf = vec![0; MAX_MESSAGE + 16];
        assert_eq!(
            recv(b.as_raw_fd(), &mut buf).unwrap(),
            Some(Message::Stdout(b"one".to_vec()))
        );
        assert_eq!(
            recv(b.as_raw_fd(), &mut buf).unwrap(),
            Some(Message::Exited(3))
        );
        assert_eq!(recv(b.as_raw_fd(), &mut buf).unwrap(), None);
    }

    #[test]
    fn long_socket_paths_work() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("d".repeat(60)).join("e".repeat(60));
        std::fs::create_dir_all(&deep).unwrap();
        let path = deep.join("attach.sock");
        let l = listen(&path).unwrap();
        let c = connect(&path).unwrap();
        let s = accept(l.as_raw_fd()).unwrap().unwrap();
        send(c.as_raw_fd(), &Message::StdinClosed).unwrap();
        let mut buf = vec![0; 64];
        assert_eq!(
            recv(s.as_raw_fd(), &mut buf).unwrap(),
            Some(Message::StdinClosed)
        );
    }

    #[test]
    fn listen_and_connect() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("attach.sock");
        let l = listen(&path).unwrap();
        assert!(accept(l.as_raw_fd()).unwrap().is_none());
        let c = connect(&path).unwrap();
        let s = accept(l.as_raw_fd()).unwrap().unwrap();
        send(s.as_raw_fd(), &Message::Started(7)).unwrap();
        let mut buf = vec![0; 64];
        assert_eq!(
            recv(c.as_raw_fd(), &mut buf).unwrap(),
            Some(Message::Started(7))
        );
    }
}
