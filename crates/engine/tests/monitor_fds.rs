//! A monitor out of file descriptors: a client that connects then cannot be accepted
//! (EMFILE) must not turn the monitor's poll loop into a busy loop (the connection stays
//! queued, the listening socket readable), must not kill it, and is served once fds are
//! free again. The test lowers the monitor's RLIMIT_NOFILE (prlimit), fills it with
//! attached clients, and measures the monitor's CPU time while one more waits.

mod common;

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use common::{eventually, TestEngine};
use six_engine::attach::{self, Message};

/// The monitor's fd limit during the test.
const LIMIT: u64 = 64;

/// Clock ticks per second (the unit of /proc/<pid>/stat's times).
fn clock_ticks_per_second() -> u64 {
    // SAFETY: sysconf reads a constant.
    unsafe { libc::sysconf(libc::_SC_CLK_TCK) as u64 }
}

/// The monitor's pid, from the container's state record.
fn monitor_pid(t: &TestEngine, id: &str) -> i32 {
    let path = common::container_dir(t, id).join("state.json");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    state["monitor"]["pid"].as_i64().expect("a monitor pid") as i32
}

/// user + system CPU time of `pid`, in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command (in parentheses, which may hold spaces): utime is the
    // 14th field of the line, the 12th after ") ".
    let rest = &stat[stat.rfind(") ").unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// The lowest fd number `pid` does not use.
fn lowest_free_fd(pid: i32) -> u64 {
    let used: Vec<u64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    (0..).find(|n| !used.contains(n)).unwrap()
}

/// How many sockets `pid` holds.
fn sockets(pid: i32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

/// Sets the soft RLIMIT_NOFILE of `pid`; returns the limits it had.
fn set_nofile(pid: i32, soft: u64) -> libc::rlimit64 {
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: prlimit64 reads `new` and writes `old`, both valid.
    let got = unsafe { libc::prlimit64(pid, libc::RLIMIT_NOFILE, std::ptr::null(), &mut old) };
    assert_eq!(got, 0, "{}", std::io::Error::last_os_error());
    let new = libc::rlimit64 {
        rlim_cur: soft,
        rlim_max: old.rlim_max,
    };
    // SAFETY: as above.
    let set = unsafe { libc::prlimit64(pid, libc::RLIMIT_NOFILE, &new, std::ptr::null_mut()) };
    assert_eq!(set, 0, "{}", std::io::Error::last_os_error());
    old
}

/// Puts the limits back on drop, so a failing test leaves a monitor that can be stopped.
struct Restore(i32, libc::rlimit64);

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: prlimit64 reads the saved limits.
        unsafe { libc::prlimit64(self.0, libc::RLIMIT_NOFILE, &self.1, std::ptr::null_mut()) };
    }
}

#[test]
fn a_monitor_out_of_fds_neither_spins_nor_dies_and_serves_clients_once_fds_are_free() {
    let mut t = TestEngine::new();
    let id = t.run_detached(&[
        "sh",
        "-c",
        "trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.05; done",
    ]);
    eventually(Duration::from_secs(20), || {
        common::logs(t.engine(), &id)
            .contains("ready")
            .then_some(())
    });
    let monitor = monitor_pid(&t, &id);
    let socket = t.attach_socket(&id);

    // Clients fill every fd number the monitor may have (a small limit: 64): the next one
    // cannot be accepted (EMFILE). (The limit stays above the number of fds its poll
    // watches, which poll needs.)
    // First the channel of the `run` that started it goes (closed by the run, dropped by
    // the monitor when it notices): only the listener is left.
    eventually(Duration::from_secs(20), || {
        (sockets(monitor) == 1).then_some(())
    });
    let restore = Restore(monitor, set_nofile(monitor, LIMIT));
    let mut attached = Vec::new();
    while lowest_free_fd(monitor) < LIMIT {
        attached.push(attach::connect(&socket).unwrap());
        eventually(Duration::from_secs(20), || {
            (sockets(monitor) == attached.len() + 1).then_some(())
        });
    }
    let waiting = attach::connect(&socket).unwrap();
    attach::send(waiting.as_raw_fd(), &Message::Signal(libc::SIGUSR1)).unwrap();
    let (ticks, began) = (cpu_ticks(monitor), Instant::now());
    std::thread::sleep(Duration::from_secs(3));
    let used_ms = (cpu_ticks(monitor) - ticks) * 1000 / clock_ticks_per_second();
    // A busy loop takes what it can get of a core (0.7-3 s of CPU here, on a loaded
    // machine); backing off (30 tries), a few ms.
    assert!(
        used_ms < 150,
        "the monitor used {used_ms} ms of CPU in {:?} while a client could not be accepted",
        began.elapsed()
    );
    assert!(six_testkit::pid_alive(monitor), "the monitor died");
    assert!(
        !common::logs(t.engine(), &id).contains("got-usr1"),
        "the signal got through though the monitor had no fd for its client"
    );

    // Clients leave, their fds are free again: the waiting client is served (its signal
    // arrives), and new ones are too, while the limit is still as low.
    attached.truncate(attached.len() - 4);
    eventually(Duration::from_secs(20), || {
        common::logs(t.engine(), &id)
            .contains("got-usr1")
            .then_some(())
    });
    t.engine().kill(&id, "USR1".parse().unwrap()).unwrap();
    eventually(Duration::from_secs(20), || {
        (common::logs(t.engine(), &id).matches("got-usr1").count() == 2).then_some(())
    });
    drop(restore);
    drop((attached, waiting));
    t.engine().stop(&id, Some(Duration::from_secs(1))).unwrap();
    t.finish();
}
