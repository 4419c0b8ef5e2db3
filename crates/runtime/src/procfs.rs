//! Facts about processes read from /proc: whether a pid is the process we started (its start
//! time defeats pid reuse), whether it is a zombie, and the rows `ps` shows. Also waiting for a
//! process to end through a pidfd, without polling loops or sleeps.
//!
//! It only reads; it never signals or changes a process.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Fields of /proc/<pid>/stat we use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    /// Clock ticks after boot.
    pub start_time: u64,
    pub utime: u64,
    pub stime: u64,
    pub num_threads: u64,
}

/// Parses the text of /proc/<pid>/stat (comm may hold spaces and parentheses).
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_owned();
    let rest: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state); field N is rest[N - 3].
    Some(ProcStat {
        pid,
        comm,
        state: rest.first()?.chars().next()?,
        ppid: rest.get(1)?.parse().ok()?,
        utime: rest.get(11)?.parse().ok()?,
        stime: rest.get(12)?.parse().ok()?,
        num_threads: rest.get(17)?.parse().ok()?,
        start_time: rest.get(19)?.parse().ok()?,
    })
}

pub fn stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Whether `pid` is still the process that started at `start_time` and has not exited.
pub fn is_alive(pid: i32, start_time: u64) -> bool {
    match stat(pid) {
        Some(s) => s.start_time == start_time && s.state != 'Z' && s.state != 'X',
        None => false,
    }
}

/// A pidfd for `pid`, or None if it is gone.
pub fn pidfd_open(pid: i32) -> Option<OwnedFd> {
    pidfd_of_live(pid).ok().flatten()
}

/// A pidfd of `pid`: None when there is no such process (ESRCH); an error when the kernel
/// cannot give one (ENOSYS before Linux 5.3, the minimum this runtime supports: it never
/// reads that as "the process is gone").
pub fn pidfd_of_live(pid: i32) -> std::io::Result<Option<OwnedFd>> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd >= 0 {
        // SAFETY: a non-negative return is a fresh fd we own.
        return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as i32) }));
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::ESRCH) => Ok(None),
        Some(libc::ENOSYS) => Err(std::io::Error::new(
            err.kind(),
            "pidfd_open is not available: sixrun needs Linux 5.3 or later",
        )),
        _ => Err(err),
    }
}

/// Blocks until the process behind `pidfd` exits, or `timeout_ms` passes (-1: forever).
/// Returns whether it exited.
pub fn wait_pidfd(pidfd: &OwnedFd, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: pidfd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        }
        return r > 0;
    }
}

/// Sends `sig` through a pidfd (no pid-reuse race).
pub fn pidfd_kill(pidfd: &OwnedFd, sig: i32) -> std::io::Result<()> {
    // SAFETY: pidfd_send_signal with a null siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            sig,
            0usize,
            0u32,
        )
    };
    if r < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// The uid that owns /proc/<pid> (the process's effective uid).
pub fn uid_of(pid: i32) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

/// Its command line, NUL-separated args joined with spaces.
pub fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    parts.join(" ")
}

/// The kernel's clock ticks per second (`/proc` times are in these); 100 if unknown.
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// When the system booted, in seconds since the epoch (`btime` of /proc/stat; 0 if unknown).
/// Read once: it does not change while we run.
pub fn boot_time() -> i64 {
    static BOOT: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *BOOT.get_or_init(|| {
        let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        stat.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_start_lies_between_boot_and_now() {
        let me = stat(std::process::id() as i32).unwrap();
        let info = crate::ProcessInfo {
            pid: me.pid,
            ppid: me.ppid,
            uid: 0,
            state: me.state,
            start_time: me.start_time,
            cpu_ticks: me.utime + me.stime,
            comm: me.comm,
            cmdline: String::new(),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(boot_time() > 0);
        assert!((boot_time()..=now).contains(&info.started_at()), "{info:?}");
        assert!(info.cpu_seconds() as i64 <= now - boot_time());
        assert_eq!(info.command(), format!("[{}]", info.comm));
    }

    #[test]
    fn stat_parses_a_comm_with_spaces_and_parens() {
        let t = "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 12345 1000 100 18446744073709551615";
        let s = parse_stat(t).unwrap();
        assert_eq!(
            (s.pid, s.comm.as_str(), s.state, s.ppid),
            (42, "a b) c", 'S', 1)
        );
        assert_eq!((s.utime, s.stime, s.start_time), (7, 3, 12345));
    }

    #[test]
    fn our_own_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let s = stat(me).unwrap();
        assert!(is_alive(me, s.start_time));
        assert!(!is_alive(me, s.start_time + 1));
    }
}
