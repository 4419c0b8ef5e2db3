//! The host's loopback stays out of containers' reach (the CVE-2020-8558 class): a bridge
//! that DNATs `-p 127.0.0.1:…` to containers needs route_localnet, and that must not let a
//! container with CAP_NET_RAW hand the host a frame addressed to 127.0.0.1 — while the
//! 127.0.0.1 publication keeps working. Traffic goes only to loopback and to this test's own
//! namespaces, on a bridge of this test's own store.

mod common;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{container_id, endpoint, in_own_netns, Netns, TestStore};
use six_network::{FirewallBackend, PortMapping, DEFAULT_NETWORK};

/// Runs `f` on a thread that entered the network namespace of `ns`.
fn in_netns<T: Send>(ns: &Netns, f: impl FnOnce() -> T + Send) -> T {
    let file = std::fs::File::open(ns.path()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::setns(file.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            f()
        })
        .join()
        .unwrap()
    })
}

/// The one's-complement sum of an IPv4 header.
fn ip_checksum(header: &[u8]) -> u16 {
    let mut sum: u32 = header
        .chunks(2)
        .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An Ethernet frame carrying one UDP datagram `source` → `destination`:`port` (no UDP
/// checksum, which IPv4 allows), as a container would forge it.
fn udp_frame(
    to_mac: [u8; 6],
    from_mac: [u8; 6],
    source: Ipv4Addr,
    destination: Ipv4Addr,
    port: u16,
    payload: &[u8],
) -> Vec<u8> {
    let udp_len = 8 + payload.len();
    let total = 20 + udp_len;
    let mut ip = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0];
    ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&source.octets());
    ip.extend_from_slice(&destination.octets());
    let sum = ip_checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    let mut frame = Vec::with_capacity(14 + total);
    frame.extend_from_slice(&to_mac);
    frame.extend_from_slice(&from_mac);
    frame.extend_from_slice(&0x0800u16.to_be_bytes());
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&40000u16.to_be_bytes());
    frame.extend_from_slice(&port.to_be_bytes());
    frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(payload);
    frame
}

/// Sends `frame` as is out of `interface` of the calling thread's network namespace
/// (an AF_PACKET socket: what CAP_NET_RAW gives a container).
fn send_frame(interface: &str, to_mac: [u8; 6], frame: &[u8]) {
    let name = std::ffi::CString::new(interface).unwrap();
    // SAFETY: a plain socket call; the fd is owned right away.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
    assert!(
        fd >= 0,
        "AF_PACKET socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: fd is a fresh, valid descriptor we own.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: name is a valid C string.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert!(index > 0, "no interface {interface}");
    // SAFETY: sockaddr_ll is plain data; zeroed is a valid value.
    let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    address.sll_family = libc::AF_PACKET as u16;
    address.sll_protocol = 0x0800u16.to_be();
    address.sll_ifindex = index as i32;
    address.sll_halen = 6;
    address.sll_addr[..6].copy_from_slice(&to_mac);
    // SAFETY: frame and address are valid for the lengths given.
    let sent = unsafe {
        libc::sendto(
            socket.as_raw_fd(),
            frame.as_ptr().cast(),
            frame.len(),
            0,
            (&address as *const libc::sockaddr_ll).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    assert_eq!(
        sent,
        frame.len() as isize,
        "sending a frame out of {interface}: {}",
        std::io::Error::last_os_error()
    );
}

/// The MAC address of `interface` in the calling thread's network namespace (read with
/// `ip`: /sys shows the namespace sysfs was mounted in).
fn mac_of(interface: &str) -> [u8; 6] {
    let out = common::run(
        std::process::Command::new("ip").args(["-o", "link", "show", "dev", interface]),
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let address = text
        .split_whitespace()
        .skip_while(|w| *w != "link/ether")
        .nth(1)
        .unwrap_or_else(|| panic!("no MAC address of {interface}: {text}"));
    let bytes: Vec<u8> = address
        .split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    bytes.try_into().unwrap()
}

/// A TCP server on `port` inside a namespace that answers every connection with `marker`;
/// stopped (its socket closed) on drop, so the namespace can die with its holder.
struct Server {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(ns: &Netns, port: u16, marker: &str) -> Server {
        let listener = in_netns(ns, || {
            TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)).unwrap()
        });
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let (marker, stopped) = (marker.to_string(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut conn, _)) => {
                        let _ = conn.set_nonblocking(false);
                        let _ = conn.write_all(marker.as_bytes());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Server {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn a_container_cannot_reach_host_loopback_but_127_0_0_1_publishing_works() {
    a_container_cannot_reach_host_loopback(FirewallBackend::Iptables);
}

/// The same on both backends, each in a network namespace of the test's own.
#[test]
fn each_backend_keeps_host_loopback_out_of_reach() {
    for backend in [FirewallBackend::Nftables, FirewallBackend::Iptables] {
        in_own_netns(|| a_container_cannot_reach_host_loopback(backend));
    }
}

fn a_container_cannot_reach_host_loopback(backend: FirewallBackend) {
    let store = TestStore::with_backend(backend);
    let ns = Netns::new();
    let id = container_id();

    // a TCP server inside the namespace, published on 127.0.0.1 only
    let marker = format!("served by {id}");
    let _server = Server::start(&ns, 80, &marker);
    let host_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ports: Vec<PortMapping> = vec![format!("127.0.0.1:{host_port}:80").parse().unwrap()];
    let attached = store
        .networks
        .attach(DEFAULT_NETWORK, &endpoint(&id), &ns.path(), &ports)
        .unwrap();
    let net = store.networks.inspect(DEFAULT_NETWORK).unwrap();

    // -p 127.0.0.1:HOSTPORT:80 reaches the container
    let deadline = Instant::now() + Duration::from_secs(10);
    let answer = loop {
        let got = (|| -> std::io::Result<String> {
            let mut s = TcpStream::connect_timeout(
                &(Ipv4Addr::LOCALHOST, host_port).into(),
                Duration::from_secs(2),
            )?;
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            let mut text = String::new();
            s.read_to_string(&mut text)?;
            Ok(text)
        })();
        match got {
            Ok(text) if text == marker => break text,
            other if Instant::now() > deadline => {
                panic!("{backend}: 127.0.0.1:{host_port} did not reach the container: {other:?}")
            }
            _ => std::thread::sleep(Duration::from_millis(50)),
        }
    };
    assert_eq!(answer, marker);

    // a host service bound to 127.0.0.1 on a random port
    let service = UdpSocket::bind("127.0.0.1:0").unwrap();
    service
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let service_port = service.local_addr().unwrap().port();
    // the container forges datagrams to 127.0.0.1 and hands them to the gateway (the bridge)
    let payload = format!("forged by {id}");
    let bridge_mac = mac_of(&net.bridge);
    let frame = udp_frame(
        bridge_mac,
        attached.mac,
        attached.ip,
        Ipv4Addr::LOCALHOST,
        service_port,
        payload.as_bytes(),
    );
    let mut buf = [0u8; 256];
    let mut leaked = None;
    for _ in 0..5 {
        in_netns(&ns, || send_frame(&attached.interface, bridge_mac, &frame));
        if let Ok((n, from)) = service.recv_from(&mut buf) {
            if buf[..n] == *payload.as_bytes() {
                leaked = Some(from);
                break;
            }
        }
    }
    assert_eq!(
        leaked, None,
        "{backend}: a container reached a host service on 127.0.0.1:{service_port} through bridge {}",
        net.bridge
    );

    store.networks.detach(DEFAULT_NETWORK, &id).unwrap();
    store.finish();
}
