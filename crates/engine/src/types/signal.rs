//! `Signal`: `kill -s KILL`, `SIGKILL`, `9`, `sigterm`.

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// A signal number known to Linux (1-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signal(i32);

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

impl Signal {
    pub const KILL: Signal = Signal(libc::SIGKILL);
    pub const TERM: Signal = Signal(libc::SIGTERM);
    pub const INT: Signal = Signal(libc::SIGINT);

    pub fn number(self) -> i32 {
        self.0
    }

    pub fn from_number(n: i32) -> Option<Signal> {
        (1..=64).contains(&n).then_some(Signal(n))
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.iter().find(|(_, n)| *n == self.0) {
            Some((name, _)) => write!(f, "SIG{name}"),
            None => write!(f, "{}", self.0),
        }
    }
}

impl FromStr for Signal {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Signal, TypeError> {
        let bad = || {
            TypeError::new(
                "signal",
                s,
                "expected a name like KILL or SIGTERM, or a number 1-64",
            )
        };
        if let Ok(n) = s.parse::<i32>() {
            return Signal::from_number(n).ok_or_else(bad);
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(rt) = name.strip_prefix("RTMIN") {
            let off: i32 = if rt.is_empty() {
                0
            } else {
                rt.strip_prefix('+')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(bad)?
            };
            return Signal::from_number(libc::SIGRTMIN() + off).ok_or_else(bad);
        }
        NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| Signal(*v))
            .ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!("KILL".parse::<Signal>().unwrap(), Signal::KILL);
        assert_eq!("SIGKILL".parse::<Signal>().unwrap(), Signal::KILL);
        assert_eq!("sigterm".parse::<Signal>().unwrap(), Signal::TERM);
        assert_eq!("9".parse::<Signal>().unwrap(), Signal::KILL);
        assert_eq!("HUP".parse::<Signal>().unwrap().number(), 1);
        assert_eq!(Signal::KILL.to_string(), "SIGKILL");
        assert!("RTMIN+1".parse::<Signal>().is_ok());
    }

    #[test]
    fn bad_signals() {
        for bad in ["0", "65", "FOO", "SIG", "-9", ""] {
            assert!(bad
                .parse::<Signal>()
                .unwrap_err()
                .to_string()
                .contains(&format!("\"{bad}\"")));
        }
    }
}
