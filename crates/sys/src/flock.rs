//! Exclusive `flock`s with a bounded wait. A lock holder that hangs (a command stopped with
//! Ctrl-Z, a process stuck on a dead mount) must not hang everyone after it: a waiter gives
//! up after the time it was given, with an error that names the holder's pid and command
//! line (from `/proc/locks`) when the kernel shows it.
//!
//! `flock(2)` has no timeout of its own, so the wait is non-blocking attempts spaced a few
//! milliseconds apart (1 ms doubling up to 10 ms); an uncontended lock is taken at the first.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, Instant};

/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_millis(10);

/// Takes an exclusive lock on `file`, waiting at most `wait`. A wait that runs out is an
/// error of kind `TimedOut`: "held by pid 1234 (sixdocker rm -f web) for more than 30 s".
/// The lock is the open file's (released when every copy of the fd is closed, or by
/// [`unlock`]).
pub fn lock_exclusive(file: &File, wait: Duration) -> io::Result<()> {
    let deadline = Instant::now().checked_add(wait);
    let mut pause = Duration::from_millis(1);
    loop {
        // SAFETY: flock on an fd that `file` keeps open.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EWOULDBLOCK) => {}
            _ => return Err(e),
        }
        let left = deadline.map_or(MAX_PAUSE, |d| d.saturating_duration_since(Instant::now()));
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{} for more than {}", holder_text(file), seconds(wait)),
            ));
        }
        std::thread::sleep(pause.min(left));
        pause = (pause * 2).min(MAX_PAUSE);
    }
}

/// Releases a lock taken with [`lock_exclusive`].
pub fn unlock(file: &File) {
    // SAFETY: flock on an fd that `file` keeps open.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_UN) };
}

/// "30 s", or "300 ms" under a second.
fn seconds(d: Duration) -> String {
    if d >= Duration::from_secs(1) {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// "held by pid N (command line)", or "held by another process" when the kernel does not say.
fn holder_text(file: &File) -> String {
    match holder(file) {
        Some((pid, cmd)) if !cmd.is_empty() => format!("held by pid {pid} ({cmd})"),
        Some((pid, _)) => format!("held by pid {pid}"),
        None => "held by another process".to_owned(),
    }
}

/// The pid holding a flock on `file`, and its command line (cut to 80 characters).
fn holder(file: &File) -> Option<(i32, String)> {
    let meta = file.metadata().ok()?;
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    let pid = holder_in(&locks, meta.dev(), meta.ino())?;
    let mut cmd = crate::proc::cmdline(pid);
    if cmd.chars().count() > 80 {
        cmd = cmd.chars().take(77).collect::<String>() + "...";
    }
    Some((pid, cmd))
}

/// The pid of the granted flock on the file with this device and inode in `/proc/locks`
/// text ("1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; waiters are marked "->").
fn holder_in(locks: &str, dev: u64, ino: u64) -> Option<i32> {
    let id = format!("{:02x}:{:02x}:{ino}", libc::major(dev), libc::minor(dev));
    locks.lines().find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        (f.get(1) == Some(&"FLOCK") && f.get(5) == Some(&id.as_str()))
            .then(|| f.get(4)?.parse().ok())
            .flatten()
            .filter(|pid: &i32| *pid > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_times_out_naming_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let held = File::create(&path).unwrap();
        lock_exclusive(&held, Duration::ZERO).unwrap();
        // flock conflicts between two opens of the file, even in one process.
        let waiter = File::open(&path).unwrap();
        let began = Instant::now();
        let e = lock_exclusive(&waiter, Duration::from_millis(300)).unwrap_err();
        let waited = began.elapsed();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
        let me = std::process::id();
        assert!(
            e.to_string().starts_with(&format!("held by pid {me} (")),
            "{e}"
        );
        unlock(&held);
        lock_exclusive(&waiter, Duration::from_millis(300)).unwrap();
    }

    #[test]
    fn a_lock_released_while_waiting_is_taken() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let held = File::create(&path).unwrap();
        lock_exclusive(&held, Duration::ZERO).unwrap();
        let releaser = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            drop(held);
        });
        let waiter = File::open(&path).unwrap();
        lock_exclusive(&waiter, Duration::from_secs(10)).unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn reads_the_holder_from_proc_locks() {
        let text = "1: FLOCK  ADVISORY  WRITE 4321 fd:01:777 0 EOF\n\
                    1: -> FLOCK  ADVISORY  WRITE 99 fd:01:777 0 EOF\n\
                    2: POSIX  ADVISORY  WRITE 55 fd:01:888 0 EOF\n";
        let dev = libc::makedev(0xfd, 1);
        assert_eq!(holder_in(text, dev, 777), Some(4321));
        assert_eq!(holder_in(text, dev, 888), None);
        assert_eq!(holder_in(text, dev, 1), None);
    }
}
