//! Clients attached to a running container's monitor that stop reading (a suspended `start
//! -a`, say) hold up nobody: output keeps reaching the log and the other clients, signals
//! get through, and the stalled clients are let go once too far behind.

mod common;

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{eventually, TestEngine};
use six_engine::attach::{self, Message};

/// Everything one client is sent, read on a thread of its own until the monitor lets it go.
struct Reader {
    output: Arc<Mutex<Vec<u8>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Reader {
    fn start(client: OwnedFd) -> Reader {
        let output = Arc::new(Mutex::new(Vec::new()));
        let into = Arc::clone(&output);
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
            loop {
                match attach::recv(client.as_raw_fd(), &mut buf) {
                    Ok(Some(Message::Stdout(d))) => into.lock().unwrap().extend_from_slice(&d),
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => return,
                }
            }
        });
        Reader { output, thread }
    }

    /// Waits until what it was sent ends with `tail`.
    fn wait_for(&self, tail: &str) {
        eventually(Duration::from_secs(60), || {
            self.output
                .lock()
                .unwrap()
                .ends_with(tail.as_bytes())
                .then_some(())
        });
    }
}

/// Whether the monitor still holds `client` (has not closed its end): poll's POLLRDHUP,
/// which reads nothing.
fn still_held(client: &OwnedFd) -> bool {
    let mut p = libc::pollfd {
        fd: client.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    assert!(n >= 0, "poll: {}", std::io::Error::last_os_error());
    p.revents & (libc::POLLRDHUP | libc::POLLHUP) == 0
}

/// Reads `client` from now on until it is closed or what it was sent ends with `tail`.
fn read_until(client: &OwnedFd, tail: &str) -> Vec<u8> {
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    let mut got = Vec::new();
    while !got.ends_with(tail.as_bytes()) {
        match attach::recv(client.as_raw_fd(), &mut buf) {
            Ok(Some(Message::Stdout(d))) => got.extend_from_slice(&d),
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    got
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

/// Asserts order, not time: the monitor used to block on a stalled client's full socket (up
/// to 5 s, then drop it), so nothing after a burst reached anyone before the stalled clients
/// were gone. Now the burst, and a signal's effect after it, reach the reading client while
/// the stalled ones are still held, their backlog waits for them whole, and only a client
/// too far behind is let go.
#[test]
fn stalled_attach_clients_hold_up_nothing() {
    let mut t = TestEngine::new();
    let id = t.run_detached(&[
        "sh",
        "-c",
        // A burst bigger than a socket's buffer (so a stalled client's socket fills) and
        // smaller than the backlog a client may have; then a flood past that backlog.
        "trap 'echo got-usr1' USR1; trap 'echo after-burst' ALRM; \
         trap 'head -c 300000 /dev/zero | tr \"\\0\" x; echo burst-done' USR2; \
         trap 'head -c 2000000 /dev/zero | tr \"\\0\" y; echo flood-done' HUP; \
         echo ready; while :; do sleep 0.05; done",
    ]);
    eventually(Duration::from_secs(20), || {
        common::logs(t.engine(), &id)
            .contains("ready")
            .then_some(())
    });
    let socket = t.attach_socket(&id);
    // Two clients that never read, as a suspended `start -a` does not.
    let stalled: Vec<OwnedFd> = (0..2).map(|_| attach::connect(&socket).unwrap()).collect();
    let reader = Reader::start(attach::connect(&socket).unwrap());
    // The clients are taken in (all waiting connections at once) before the monitor relays
    // the output of a signal sent after the reader's connection: sent until it shows.
    eventually(Duration::from_secs(20), || {
        (t.engine().kill(&id, "USR1".parse().unwrap()).is_ok()
            && reader.output.lock().unwrap().ends_with(b"got-usr1\n"))
        .then_some(())
    });

    t.engine().kill(&id, "USR2".parse().unwrap()).unwrap();
    reader.wait_for("burst-done\n");
    t.engine().kill(&id, "ALRM".parse().unwrap()).unwrap();
    reader.wait_for("after-burst\n");
    for s in &stalled {
        assert!(
            still_held(s),
            "a stalled client within its backlog was let go before the output after it"
        );
    }
    let xs = |bytes: &[u8]| bytes.iter().filter(|&&b| b == b'x').count();
    assert_eq!(xs(&reader.output.lock().unwrap()), 300_000);

    // A stalled client that reads again gets its whole backlog, in order.
    let got = read_until(&stalled[0], "after-burst\n");
    let text = String::from_utf8_lossy(&got);
    assert_eq!(xs(&got), 300_000, "the resumed client lost output");
    let burst_end = text.find("burst-done").expect("burst-done");
    assert!(text[..burst_end].ends_with('x') && text.ends_with("after-burst\n"));

    // One too far behind is let go, and the log gets everything. (The reading client may
    // fall that far behind in a flood too, on a loaded machine: not asserted here.)
    t.engine().kill(&id, "HUP".parse().unwrap()).unwrap();
    let log = eventually(Duration::from_secs(60), || {
        let log = common::logs(t.engine(), &id);
        log.contains("flood-done").then_some(log)
    });
    let flood = &log[log.rfind("after-burst").unwrap_or(0)..];
    assert_eq!(flood.bytes().filter(|&b| b == b'y').count(), 2_000_000);
    // The flood is relayed, and the client that took none of it was let go on the way: what
    // was queued for it, then the end.
    assert!(!still_held(&stalled[1]), "a client 2 MB behind was kept");
    assert!(closed_within(&stalled[1], Duration::from_secs(60)));

    t.engine().stop(&id, Some(Duration::from_secs(1))).unwrap();
    drop(stalled);
    reader.thread.join().unwrap();
    t.finish();
}
