//! Unit tests of the IPv6 port relay, over loopback only.

use super::*;

/// Polls and serves `proxy` until `done` says so (at most 30 s).
fn pump(proxy: &mut Proxy, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done() {
        assert!(Instant::now() < deadline, "the relay stalled");
        let mut fds = Vec::new();
        proxy.pollfds(&mut fds);
        // SAFETY: a valid pollfd array.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 100) };
        proxy.ready(&fds);
    }
}

#[test]
fn relays_tcp_both_ways_with_half_close() {
    // an "upstream" on IPv4 loopback, the proxy on [::1]
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = match upstream.local_addr().unwrap() {
        SocketAddr::V4(a) => a,
        _ => unreachable!(),
    };
    let fd = match listen_v6("[::1]:0".parse().unwrap(), Proto::Tcp) {
        Ok(fd) => fd,
        Err(_) => return, // no IPv6 here: nothing to test
    };
    let listener = TcpListener::from(fd);
    let at = listener.local_addr().unwrap();
    let mut proxy = Proxy {
        listeners: vec![Listener {
            socket: Socket::Tcp(listener),
            target,
        }],
        ..Default::default()
    };
    let echo = std::thread::spawn(move || {
        let (mut s, _) = upstream.accept().unwrap();
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        s.write_all(&got).unwrap();
        s.write_all(b"!").unwrap();
    });
    let client = std::thread::spawn(move || {
        let mut c = TcpStream::connect(at).unwrap();
        c.write_all(&vec![b'x'; 100_000]).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = Vec::new();
        c.read_to_end(&mut back).unwrap();
        back
    });
    pump(&mut proxy, || client.is_finished());
    let back = client.join().unwrap();
    echo.join().unwrap();
    assert_eq!(back.len(), 100_001);
    assert_eq!(back.last(), Some(&b'!'));
}

#[test]
fn relays_udp_per_client_and_back() {
    let upstream = UdpSocket::bind("127.0.0.1:0").unwrap();
    let target = match upstream.local_addr().unwrap() {
        SocketAddr::V4(a) => a,
        _ => unreachable!(),
    };
    let Ok(fd) = listen_v6("[::1]:0".parse().unwrap(), Proto::Udp) else {
        return; // no IPv6 here
    };
    let listener = UdpSocket::from(fd);
    let at = listener.local_addr().unwrap();
    let mut proxy = Proxy {
        listeners: vec![Listener {
            socket: Socket::Udp(listener),
            target,
        }],
        ..Default::default()
    };
    let echo = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        for _ in 0..2 {
            let (n, from) = upstream.recv_from(&mut buf).unwrap();
            let mut reply = buf[..n].to_vec();
            reply.extend_from_slice(b" back");
            upstream.send_to(&reply, from).unwrap();
        }
    });
    let clients: Vec<UdpSocket> = (0..2)
        .map(|_| UdpSocket::bind("[::1]:0").unwrap())
        .collect();
    for (i, c) in clients.iter().enumerate() {
        c.send_to(format!("hi {i}").as_bytes(), at).unwrap();
        c.set_nonblocking(true).unwrap();
    }
    let mut got = vec![None, None];
    pump(&mut proxy, || {
        for (i, c) in clients.iter().enumerate() {
            let mut buf = [0u8; 64];
            if let Ok(n) = c.recv(&mut buf) {
                got[i] = Some(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
        got.iter().all(Option::is_some)
    });
    echo.join().unwrap();
    assert_eq!(
        got,
        [Some("hi 0 back".to_owned()), Some("hi 1 back".to_owned())]
    );
    assert_eq!(proxy.flows.len(), 2, "one flow per client");
    assert!(proxy.wake_in().is_some_and(|d| d <= UDP_IDLE));
}
