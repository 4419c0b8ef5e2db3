//! Ports published on an IPv6 host address (`-p [::1]:8080:80`, `-p [::]:53:53/udp`): the
//! monitor listens there itself and relays to the container's IPv4 address, as Docker's
//! userland proxy does (netfilter cannot translate IPv6 to IPv4, and IPv6 has no
//! route_localnet for `[::1]`). TCP: each accepted connection gets one to the container, and
//! bytes are copied both ways through two small buffers, a half-close passed on. UDP: each
//! client address gets a socket connected to the container, dropped after 90 s idle.
//!
//! It lives in the monitor's poll loop (no thread, nothing blocks: every socket is
//! non-blocking and a side is read only while the buffer to the other has room), for as long
//! as one run of the container. At most `MAX_FLOWS` connections or flows at once: the
//! listener waits while that many are open.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::record::NetworkState;
use crate::types::Proto;

const BUFFER: usize = 16 * 1024;
const MAX_FLOWS: usize = 256;
const UDP_IDLE: Duration = Duration::from_secs(90);

/// The relays of one run of the container.
#[derive(Default)]
pub(super) struct Proxy {
    listeners: Vec<Listener>,
    conns: Vec<Conn>,
    flows: Vec<Flow>,
}

enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

struct Listener {
    socket: Socket,
    target: SocketAddrV4,
}

/// One TCP connection: the client's and ours to the container.
struct Conn {
    client: Side,
    upstream: Side,
    /// Our connect to the container has not completed yet.
    connecting: bool,
}

struct Side {
    stream: TcpStream,
    /// What was read from the other side, waiting to be written to this one.
    pending: Vec<u8>,
    /// The other side has closed its end: once `pending` is written, this one's is shut.
    other_done: bool,
    /// This side's write end was shut down.
    shut: bool,
    /// This side reached end of file.
    done: bool,
}

/// One UDP client: datagrams from it go out through `upstream`, replies come back to it.
struct Flow {
    listener: usize,
    client: SocketAddr,
    upstream: UdpSocket,
    last: Instant,
}

impl Proxy {
    /// Listens on every proxied host address of `networks`' published ports (the host ports
    /// six-network chose), relaying to the container's address there.
    pub(super) fn open(networks: &[NetworkState]) -> Result<Proxy> {
        let mut proxy = Proxy::default();
        for n in networks {
            let Ok(ip) = n.ip.parse() else { continue };
            for p in &n.ports {
                let (Some(IpAddr::V6(host)), Some(port)) = (p.host_ip, p.host_port) else {
                    continue;
                };
                let at = SocketAddr::new(IpAddr::V6(host), port);
                let fd = listen_v6(at, p.proto).map_err(|e| {
                    Error::io(
                        format!("publishing [{host}]:{port}/{} (its proxy)", p.proto),
                        e,
                    )
                })?;
                let socket = match p.proto {
                    Proto::Tcp => Socket::Tcp(TcpListener::from(fd)),
                    Proto::Udp => Socket::Udp(UdpSocket::from(fd)),
                };
                let target = SocketAddrV4::new(ip, p.container_port);
                proxy.listeners.push(Listener { socket, target });
            }
        }
        Ok(proxy)
    }

    /// The fds to poll, with the events each waits for.
    pub(super) fn pollfds(&self, fds: &mut Vec<libc::pollfd>) {
        let room = self.conns.len() + self.flows.len() < MAX_FLOWS;
        for l in &self.listeners {
            fds.push(pollfd(socket_fd(&l.socket), room.then_some(libc::POLLIN)));
        }
        for c in &self.conns {
            for (side, other) in [(&c.client, &c.upstream), (&c.upstream, &c.client)] {
                let mut events = 0;
                if !side.done && other.pending.len() < BUFFER && !c.connecting {
                    events |= libc::POLLIN;
                }
                if !side.pending.is_empty() || (c.connecting && std::ptr::eq(side, &c.upstream)) {
                    events |= libc::POLLOUT;
                }
                fds.push(pollfd(side.stream.as_raw_fd(), Some(events)));
            }
        }
        for f in &self.flows {
            fds.push(pollfd(f.upstream.as_raw_fd(), Some(libc::POLLIN)));
        }
    }

    /// When an idle UDP flow is due to be dropped (None: no flow).
    pub(super) fn wake_in(&self) -> Option<Duration> {
        self.flows
            .iter()
            .map(|f| (f.last + UDP_IDLE).saturating_duration_since(Instant::now()))
            .min()
    }

    /// Serves what `fds` (as [`Proxy::pollfds`] laid them out, after the poll) says is ready.
    pub(super) fn ready(&mut self, fds: &[libc::pollfd]) {
        let ready = |fd: RawFd| fds.iter().any(|p| p.fd == fd && p.revents != 0);
        let mut buf = vec![0u8; BUFFER];
        for i in 0..self.listeners.len() {
            if ready(socket_fd(&self.listeners[i].socket)) {
                self.accept(i, &mut buf);
            }
        }
        for c in &mut self.conns {
            if ready(c.client.stream.as_raw_fd()) || ready(c.upstream.stream.as_raw_fd()) {
                c.relay(&mut buf);
            }
        }
        self.conns.retain(|c| !c.finished());
        for f in &mut self.flows {
            if ready(f.upstream.as_raw_fd()) {
                if let Socket::Udp(listener) = &self.listeners[f.listener].socket {
                    while let Ok(n) = f.upstream.recv(&mut buf) {
                        let _ = listener.send_to(&buf[..n], f.client);
                        f.last = Instant::now();
                    }
                }
            }
        }
        let now = Instant::now();
        self.flows.retain(|f| now < f.last + UDP_IDLE);
    }

    fn accept(&mut self, i: usize, buf: &mut [u8]) {
        let target = SocketAddr::V4(self.listeners[i].target);
        match &self.listeners[i].socket {
            Socket::Tcp(listener) => {
                while self.conns.len() + self.flows.len() < MAX_FLOWS {
                    let Ok((client, _)) = listener.accept() else {
                        return;
                    };
                    if let Some(upstream) = connect_nonblocking(target) {
                        let _ = client.set_nonblocking(true);
                        self.conns.push(Conn {
                            client: Side::new(client),
                            upstream: Side::new(upstream),
                            connecting: true,
                        });
                    }
                }
            }
            Socket::Udp(listener) => {
                while let Ok((n, client)) = listener.recv_from(buf) {
                    let flow = match self
                        .flows
                        .iter_mut()
                        .find(|f| f.listener == i && f.client == client)
                    {
                        Some(f) => f,
                        None => {
                            if self.conns.len() + self.flows.len() >= MAX_FLOWS {
                                continue;
                            }
                            let Some(upstream) = udp_to(target) else {
                                continue;
                            };
                            self.flows.push(Flow {
                                listener: i,
                                client,
                                upstream,
                                last: Instant::now(),
                            });
                            let last = self.flows.len() - 1;
                            &mut self.flows[last]
                        }
                    };
                    let _ = flow.upstream.send(&buf[..n]);
                    flow.last = Instant::now();
                }
            }
        }
    }
}

impl Side {
    fn new(stream: TcpStream) -> Side {
        Side {
            stream,
            pending: Vec::new(),
            other_done: false,
            shut: false,
            done: false,
        }
    }

    /// Writes what waits for this side; false on an error (the connection is over).
    fn flush(&mut self) -> bool {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return false,
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
        if self.other_done && !self.shut {
            let _ = self.stream.shutdown(Shutdown::Write);
            self.shut = true;
        }
        true
    }
}

impl Conn {
    /// Moves what each side has to the other, as far as the buffers allow.
    fn relay(&mut self, buf: &mut [u8]) {
        if self.connecting {
            match self.upstream.stream.take_error() {
                Ok(None) if self.upstream.stream.peer_addr().is_ok() => self.connecting = false,
                Ok(None) => return, // still connecting
                _ => {
                    self.close();
                    return;
                }
            }
        }
        let ok = copy(&mut self.client, &mut self.upstream, buf)
            && copy(&mut self.upstream, &mut self.client, buf)
            && self.client.flush()
            && self.upstream.flush();
        if !ok {
            self.close();
        }
    }

    fn close(&mut self) {
        for side in [&mut self.client, &mut self.upstream] {
            let _ = side.stream.shutdown(Shutdown::Both);
            side.done = true;
            side.shut = true;
            side.pending.clear();
        }
    }

    /// Both ends closed and everything written.
    fn finished(&self) -> bool {
        [&self.client, &self.upstream]
            .iter()
            .all(|s| s.done && s.shut && s.pending.is_empty())
    }
}

/// Reads from `from` into `to`'s buffer while it has room; false on an error.
fn copy(from: &mut Side, to: &mut Side, buf: &mut [u8]) -> bool {
    while !from.done && to.pending.len() < BUFFER {
        let room = BUFFER - to.pending.len();
        match from.stream.read(&mut buf[..room]) {
            Ok(0) => {
                from.done = true;
                to.other_done = true;
            }
            Ok(n) => to.pending.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    true
}

fn pollfd(fd: RawFd, events: Option<i16>) -> libc::pollfd {
    libc::pollfd {
        fd: if events.is_some() { fd } else { -1 },
        events: events.unwrap_or(0),
        revents: 0,
    }
}

fn socket_fd(s: &Socket) -> RawFd {
    match s {
        Socket::Tcp(l) => l.as_raw_fd(),
        Socket::Udp(u) => u.as_raw_fd(),
    }
}

/// A non-blocking TCP connect to the container (in progress when it returns).
fn connect_nonblocking(target: SocketAddr) -> Option<TcpStream> {
    let SocketAddr::V4(v4) = target else {
        return None;
    };
    // SAFETY: a new socket of our own; its fd is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return None;
    }
    // SAFETY: fd was just made and is ours alone.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: v4.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from(*v4.ip()).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: connecting our socket to a sockaddr_in of the right size.
    let r = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    let in_progress = std::io::Error::last_os_error().raw_os_error() == Some(libc::EINPROGRESS);
    (r == 0 || in_progress).then(|| TcpStream::from(fd))
}

/// A non-blocking UDP socket connected to the container.
fn udp_to(target: SocketAddr) -> Option<UdpSocket> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect(target).ok()?;
    socket.set_nonblocking(true).ok()?;
    Some(socket)
}

/// A non-blocking socket bound to the IPv6 address `at` (IPv6 only: `[::]` is not also
/// every IPv4 address), listening for TCP.
fn listen_v6(at: SocketAddr, proto: Proto) -> std::io::Result<OwnedFd> {
    let SocketAddr::V6(v6) = at else {
        return Err(std::io::Error::from(ErrorKind::InvalidInput));
    };
    let kind = match proto {
        Proto::Tcp => libc::SOCK_STREAM,
        Proto::Udp => libc::SOCK_DGRAM,
    };
    // SAFETY: a new socket of our own; its fd is owned right away.
    let fd = unsafe {
        libc::socket(
            libc::AF_INET6,
            kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd was just made and is ours alone.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    for (level, option) in [
        (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY),
        (libc::SOL_SOCKET, libc::SO_REUSEADDR),
    ] {
        // SAFETY: setting an int option on our socket.
        let r = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                level,
                option,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let addr = libc::sockaddr_in6 {
        sin6_family: libc::AF_INET6 as libc::sa_family_t,
        sin6_port: v6.port().to_be(),
        sin6_flowinfo: 0,
        sin6_addr: libc::in6_addr {
            s6_addr: v6.ip().octets(),
        },
        sin6_scope_id: 0,
    };
    // SAFETY: binding our socket to a sockaddr_in6 of the right size.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&addr as *const libc::sockaddr_in6).cast(),
            std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
        )
    };
    if r != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: listen on our bound TCP socket.
    if proto == Proto::Tcp && unsafe { libc::listen(fd.as_raw_fd(), 128) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
mod tests;
