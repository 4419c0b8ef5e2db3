//! `kill`: sends a signal to the container's init, or with `all` to every process in its
//! cgroup and sub-cgroups (signal 0 only checks that they exist); and the parsing of signal
//! names and numbers as runc accepts them (KILL, SIGKILL, 9, RTMIN+3, 0).
//!
//! The init is signalled through a pidfd opened only after its start time was checked, so a
//! reused pid is never hit. It never waits for the process to die; `delete` does.

use crate::container::Container;
use crate::error::{Error, Result};
use crate::state::Status;
use six_sys::pidfd::Pidfd;

const NAMES: &[(&str, i32)] = &[
    ("HUP", libc::SIGHUP),
    ("INT", libc::SIGINT),
    ("QUIT", libc::SIGQUIT),
    ("ILL", libc::SIGILL),
    ("TRAP", libc::SIGTRAP),
    ("ABRT", libc::SIGABRT),
    ("IOT", libc::SIGIOT),
    ("BUS", libc::SIGBUS),
    ("FPE", libc::SIGFPE),
    ("KILL", libc::SIGKILL),
    ("USR1", libc::SIGUSR1),
    ("SEGV", libc::SIGSEGV),
    ("USR2", libc::SIGUSR2),
    ("PIPE", libc::SIGPIPE),
    ("ALRM", libc::SIGALRM),
    ("TERM", libc::SIGTERM),
    ("STKFLT", libc::SIGSTKFLT),
    ("CHLD", libc::SIGCHLD),
    ("CONT", libc::SIGCONT),
    ("STOP", libc::SIGSTOP),
    ("TSTP", libc::SIGTSTP),
    ("TTIN", libc::SIGTTIN),
    ("TTOU", libc::SIGTTOU),
    ("URG", libc::SIGURG),
    ("XCPU", libc::SIGXCPU),
    ("XFSZ", libc::SIGXFSZ),
    ("VTALRM", libc::SIGVTALRM),
    ("PROF", libc::SIGPROF),
    ("WINCH", libc::SIGWINCH),
    ("IO", libc::SIGIO),
    ("POLL", libc::SIGPOLL),
    ("PWR", libc::SIGPWR),
    ("SYS", libc::SIGSYS),
];

/// Parses `KILL`, `SIGKILL`, `kill`, `9`, `RTMIN`, `SIGRTMIN+2`, `RTMAX-1`, and `0` (no
/// signal: kill(2) then only checks that the process exists, as `runc kill ID 0` does).
pub fn parse_signal(s: &str) -> std::result::Result<i32, String> {
    let bad = || {
        format!("unknown signal {s:?} (expected a name such as TERM or SIGKILL, or a number 0-64)")
    };
    if let Ok(n) = s.parse::<i32>() {
        return if (0..=libc::SIGRTMAX()).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        };
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    if let Some((_, n)) = NAMES.iter().find(|(k, _)| *k == name) {
        return Ok(*n);
    }
    let rt = |base: i32, rest: &str, sign: i32| -> std::result::Result<i32, String> {
        let off: i32 = if rest.is_empty() {
            0
        } else {
            rest.parse().map_err(|_| bad())?
        };
        let n = base + sign * off;
        if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    if let Some(rest) = name.strip_prefix("RTMIN") {
        return rt(libc::SIGRTMIN(), rest.strip_prefix('+').unwrap_or(rest), 1);
    }
    if let Some(rest) = name.strip_prefix("RTMAX") {
        return rt(libc::SIGRTMAX(), rest.strip_prefix('-').unwrap_or(rest), -1);
    }
    Err(bad())
}

pub fn kill(c: &Container, sig: i32, all: bool) -> Result<()> {
    let _span = tracing::info_span!("kill", id = c.id(), sig, all).entered();
    let status = c.status();
    if all {
        return signal_every_process(c, sig, status);
    }
    if status == Status::Stopped {
        return Err(c.wrong(status, "container not running"));
    }
    let rec = &c.rec;
    let pidfd = Pidfd::open_live(rec.pid)
        .map_err(|e| Error::setup(c.id(), format!("watching the init: {e}")))?
        .filter(|_| six_sys::proc::is_alive(rec.pid, rec.pid_start))
        .ok_or_else(|| c.wrong(Status::Stopped, "container not running"))?;
    pidfd
        .send_signal(sig)
        .map_err(|e| Error::setup(c.id(), format!("sending signal {sig}: {e}")))
}

/// `kill --all`: `sig` to every process in the container's cgroup and its sub-cgroups, in
/// any status (a stopped container without a pid namespace may have processes left, runc
/// signals them too). Frozen meanwhile so no process can fork away in between, as runc does;
/// a paused container stays paused, except that SIGKILL thaws it so its processes die.
fn signal_every_process(c: &Container, sig: i32, status: Status) -> Result<()> {
    let cg = c
        .rec
        .cgroup
        .as_ref()
        .ok_or_else(|| Error::setup(c.id(), "it has no cgroup to find its processes"))?;
    if status == Status::Stopped && !cg.exists() {
        return Ok(());
    }
    let paused = status == Status::Paused;
    let froze = !paused && cg.freeze().is_ok();
    let pids = cg.pids().map_err(|source| Error::Cgroup {
        id: c.id().to_owned(),
        source,
    });
    for pid in pids.iter().flatten() {
        // SAFETY: kill with a pid from the container's cgroup.
        let r = unsafe { libc::kill(*pid, sig) };
        let name = six_trace::signal_name(sig);
        six_trace::step!(six_trace::Kind::Signal, "kill({pid}, {name}) = {r}");
    }
    if froze || (paused && sig == libc::SIGKILL) {
        let _ = cg.thaw();
    }
    pids.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse() {
        assert_eq!(parse_signal("KILL"), Ok(9));
        assert_eq!(parse_signal("SIGKILL"), Ok(9));
        assert_eq!(parse_signal("term"), Ok(15));
        assert_eq!(parse_signal("9"), Ok(9));
        assert_eq!(parse_signal("0"), Ok(0));
        assert_eq!(parse_signal("RTMIN"), Ok(libc::SIGRTMIN()));
        assert_eq!(parse_signal("SIGRTMIN+2"), Ok(libc::SIGRTMIN() + 2));
        assert_eq!(parse_signal("RTMAX-1"), Ok(libc::SIGRTMAX() - 1));
    }

    #[test]
    fn unknown_signals_are_refused() {
        for bad in ["NOPE", "65", "-1", "SIG", "RTMIN+99"] {
            assert!(parse_signal(bad).is_err(), "{bad}");
        }
    }
}
