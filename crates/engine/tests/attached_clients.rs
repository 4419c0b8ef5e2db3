//! Clients attached to a running container's monitor that stop reading (a suspended `start
//! -a`, say) hold up nobody: output keeps reaching the log and the other clients, signals
//! get through at once, and the stalled clients are let go once too far behind.

mod common;

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use common::{eventually, TestEngine};
use six_engine::attach::{self, Message};

/// Reads one client's messages for `span`; the longest gap between two of them, and the
/// output bytes read.
fn read_for(client: OwnedFd, span: Duration) -> (Duration, usize) {
    let timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: 200_000,
    };
    // SAFETY: setsockopt with a timeval of the right size on our socket.
    unsafe {
        libc::setsockopt(
            client.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&timeout as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        )
    };
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    let began = Instant::now();
    let (mut last, mut longest, mut bytes) = (began, Duration::ZERO, 0);
    while began.elapsed() < span {
        match attach::recv(client.as_raw_fd(), &mut buf) {
            Ok(Some(Message::Stdout(d))) => {
                longest = longest.max(last.elapsed());
                last = Instant::now();
                bytes += d.len();
            }
            Ok(Some(_)) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok(None) | Err(_) => panic!("the reading client was dropped"),
        }
    }
    (longest.max(last.elapsed()), bytes)
}

/// Whether the monitor closed `client` (after what was queued for it) within `limit`.
fn closed_within(client: &OwnedFd, limit: Duration) -> bool {
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        match attach::recv_nowait(client.as_raw_fd(), &mut buf) {
            Ok(Some(_)) => {}
            Ok(None) => return true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn stalled_attach_clients_hold_up_nothing() {
    let mut t = TestEngine::new();
    let id = t.run_detached(&[
        "sh",
        "-c",
        "trap 'echo got-usr1' USR1; while :; do seq 1 1000; sleep 0.05; done",
    ]);
    let socket = t.attach_socket(&id);
    // Two clients that never read, as a suspended `start -a` does not.
    let stalled: Vec<OwnedFd> = (0..2).map(|_| attach::connect(&socket).unwrap()).collect();
    let reader = attach::connect(&socket).unwrap();
    let reading = std::thread::spawn(move || read_for(reader, Duration::from_secs(8)));
    std::thread::sleep(Duration::from_secs(3));
    // A signal gets through at once (the shell runs its trap after the current sleep 0.05).
    let sent = Instant::now();
    t.engine().kill(&id, "USR1".parse().unwrap()).unwrap();
    eventually(Duration::from_secs(20), || {
        common::logs(t.engine(), &id)
            .contains("got-usr1")
            .then_some(())
    });
    assert!(
        // Below the 5 s one stalled client froze the monitor for, with room for a loaded CI
        // machine (2 s was missed by 76 ms at load 12).
        sent.elapsed() < Duration::from_millis(4500),
        "the signal took {:?}",
        sent.elapsed()
    );
    // The other client was served all along (blocking sends to the stalled ones used to
    // freeze the monitor for 5 s each).
    let (longest_gap, bytes) = reading.join().unwrap();
    assert!(
        longest_gap < Duration::from_millis(4500),
        "output stopped for {longest_gap:?}"
    );
    assert!(bytes > 100_000, "only {bytes} bytes of output");
    // The stalled clients were let go: what was queued for them, then the end.
    for s in &stalled {
        assert!(closed_within(s, Duration::from_secs(20)));
    }
    t.engine().stop(&id, Some(Duration::from_secs(1))).unwrap();
    t.finish();
}
