//! Facts about processes read from `/proc`: the fields of `/proc/<pid>/stat` (state, parent,
//! start time, CPU times, threads), whether a pid is still the process that started at a
//! known time (the start time defeats pid reuse), its owner and command line, and the two
//! clocks `/proc` times are counted in (clock ticks, boot time).
//!
//! It only reads; it never signals or changes a process.

/// Fields of `/proc/<pid>/stat` the crates use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcStat {
    /// Field 1: the process id.
    pub pid: i32,
    /// Field 2: the command name, without its parentheses.
    pub comm: String,
    /// Field 3: `R`, `S`, `D`, `T`, `t`, `Z`, `X`...
    pub state: char,
    /// Field 4: the parent's pid.
    pub ppid: i32,
    /// Field 22: clock ticks after boot (see [`clock_ticks`], [`boot_time`]).
    pub start_time: u64,
    /// Field 14: user-mode CPU time, in clock ticks.
    pub utime: u64,
    /// Field 15: kernel-mode CPU time, in clock ticks.
    pub stime: u64,
    /// Field 20: the number of threads.
    pub num_threads: u64,
}

impl ProcStat {
    /// Whether the process has exited (a zombie not reaped yet, or dead).
    pub fn exited(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }

    /// Whether it is stopped (by a signal, or by a tracer).
    pub fn stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }
}

/// Parses the text of `/proc/<pid>/stat`; the command name may hold spaces and
/// parentheses (the last `)` ends it).
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    parse_stat_line(text.as_bytes())
}

/// [`parse_stat`] of the line as read: a command name is any bytes the program chose.
fn parse_stat_line(line: &[u8]) -> Option<ProcStat> {
    let (pid, comm, rest) = split_stat(line)?;
    let mut fields = words(rest);
    // The first word is field 3 (state), word i is field i + 3.
    let state = *fields.next()?.first()? as char;
    let ppid = number(fields.next()?)?; // field 4
    let utime = number(fields.nth(9)?)?; // field 14
    let stime = number(fields.next()?)?; // field 15
    let num_threads = number(fields.nth(4)?)?; // field 20
    let start_time = number(fields.nth(1)?)?; // field 22
    Some(ProcStat {
        pid: number(pid.trim_ascii())?,
        comm: String::from_utf8_lossy(comm).into_owned(),
        state,
        ppid,
        start_time,
        utime,
        stime,
        num_threads,
    })
}

/// A stat line's pid, command name (without its parentheses) and the fields after it.
fn split_stat(line: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let open = line.iter().position(|&b| b == b'(')?;
    let close = line.iter().rposition(|&b| b == b')')?;
    (open < close).then(|| (&line[..open], &line[open + 1..close], &line[close + 1..]))
}

fn words(fields: &[u8]) -> impl Iterator<Item = &[u8]> {
    fields
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
}

fn number<T: std::str::FromStr>(word: &[u8]) -> Option<T> {
    std::str::from_utf8(word).ok()?.parse().ok()
}

/// Reads `/proc/<pid>/stat` into `buf`: its line, None when there is no such process.
fn read_stat(pid: i32, buf: &mut [u8; STAT_BUF]) -> Option<&[u8]> {
    use std::io::{Read, Write};
    use std::os::unix::ffi::OsStrExt;
    // The path is built on the stack: a listing checks a hundred monitors this way.
    let mut path = [0u8; 32];
    let unused = {
        let mut at = &mut path[..];
        write!(at, "/proc/{pid}/stat").ok()?;
        at.len()
    };
    let len = path.len() - unused;
    let path = std::path::Path::new(std::ffi::OsStr::from_bytes(&path[..len]));
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    while len < buf.len() && !buf[..len].ends_with(b"\n") {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    Some(&buf[..len])
}

/// The line is ~300 bytes; 52 fields of at most 20 digits and a 64-byte name fit in 1,200.
const STAT_BUF: usize = 1536;

/// `/proc/<pid>/stat`, parsed; None when there is no such process (or it cannot be read).
///
/// One `read` into a buffer on the stack (listings check every running container's
/// monitor this way): the kernel hands the whole line to a read that has room for it, so
/// an open, a read and a close, where `read_to_string` grows its buffer over four reads.
pub fn stat(pid: i32) -> Option<ProcStat> {
    parse_stat_line(read_stat(pid, &mut [0u8; STAT_BUF])?)
}

/// Whether `pid` is still the process that started at `start_time` and has not exited.
/// Reads only the two fields that tell (a listing asks this of every running container's
/// monitor): no allocation.
pub fn is_alive(pid: i32, start_time: u64) -> bool {
    let mut buf = [0u8; STAT_BUF];
    let Some((_, _, rest)) = read_stat(pid, &mut buf).and_then(split_stat) else {
        return false;
    };
    let mut fields = words(rest);
    let state = fields.next().and_then(|w| w.first().copied());
    let started = fields.nth(18).and_then(number::<u64>); // field 22
    !matches!(state, None | Some(b'Z' | b'X')) && started == Some(start_time)
}

/// The uid that owns `/proc/<pid>` (the process's effective uid).
pub fn uid_of(pid: i32) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

/// `pid` as its own innermost pid namespace numbers it (the last `NSpid:` of its status):
/// 1 for the init of a new pid namespace.
pub fn innermost_pid(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("NSpid:"))?
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// Its command line, the NUL-separated arguments joined with spaces ("" when unknown).
pub fn cmdline(pid: i32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let parts: Vec<String> = raw
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    parts.join(" ")
}

/// The kernel's clock ticks per second (USER_HZ: `/proc` and cpuacct times are in these);
/// 100 if unknown.
pub fn clock_ticks() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as u64
    } else {
        100
    }
}

/// When the system booted, in seconds since the epoch (`btime` of `/proc/stat`; 0 if
/// unknown). Read once: it does not change while we run.
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
    fn stat_parses_a_comm_with_spaces_and_parens() {
        let text = "42 (a (b) c) S 1 42 42 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 5 0 987 0 0";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.pid, 42);
        assert_eq!(s.comm, "a (b) c");
        assert_eq!((s.state, s.ppid), ('S', 1));
        assert_eq!(
            (s.utime, s.stime, s.num_threads, s.start_time),
            (7, 3, 5, 987)
        );
        assert!(!s.exited() && !s.stopped());
        assert_eq!(parse_stat("42 (x) S 1"), None);
    }

    #[test]
    fn stat_parses_a_comm_that_is_not_utf8() {
        let mut line =
            b"7 (\xff) ) Z 1 7 7 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1 0 55 0 0\n".to_vec();
        let s = parse_stat_line(&line).unwrap();
        assert_eq!((s.pid, s.comm.as_str(), s.state), (7, "\u{fffd}) ", 'Z'));
        assert!(s.exited());
        line.truncate(20);
        assert_eq!(parse_stat_line(&line), None);
    }

    #[test]
    fn an_exited_child_not_yet_reaped_is_not_alive() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id() as i32;
        let start = stat(pid).map(|s| s.start_time);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !stat(pid).is_some_and(|s| s.exited()) {
            assert!(
                std::time::Instant::now() < deadline,
                "{pid} never became a zombie"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // A zombie keeps its pid and start time: only its state says it is gone.
        assert_eq!(stat(pid).map(|s| s.start_time), start);
        assert!(!is_alive(pid, start.unwrap()));
        child.wait().unwrap();
        assert!(!is_alive(pid, start.unwrap()));
    }

    #[test]
    fn our_own_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = std::process::id() as i32;
        let s = stat(me).unwrap();
        assert_eq!(s.pid, me);
        assert!(is_alive(me, s.start_time));
        assert!(!is_alive(me, s.start_time + 1));
        // SAFETY: geteuid has no preconditions and cannot fail.
        assert_eq!(uid_of(me), Some(unsafe { libc::geteuid() }));
        assert!(!cmdline(me).is_empty());
        // Our own pid namespace is the innermost we are in: its number is getpid's.
        assert_eq!(innermost_pid(me), Some(me));
        assert_eq!(innermost_pid(-1), None);
    }

    #[test]
    fn our_own_start_lies_between_boot_and_now() {
        let s = stat(std::process::id() as i32).unwrap();
        let started = boot_time() + (s.start_time / clock_ticks()) as i64;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(
            boot_time() > 0 && started <= now && started >= boot_time(),
            "{started} {now}"
        );
    }
}
