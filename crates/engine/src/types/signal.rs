//! `Signal`: `kill -s KILL`, `SIGKILL`, `9`, `sigterm`, `RTMIN+3`.
//!
//! Parsing is six-runtime's ([`six_runtime::parse_signal`], the one table of names, the same
//! that `sixrun kill` accepts); names for display come from nix. Never sends a signal.

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// A signal number known to Linux (1-64).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signal(i32);

impl Signal {
    /// SIGKILL.
    pub const KILL: Signal = Signal(libc::SIGKILL);
    /// SIGTERM.
    pub const TERM: Signal = Signal(libc::SIGTERM);
    /// SIGINT.
    pub const INT: Signal = Signal(libc::SIGINT);

    /// The signal's number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// The signal numbered `n`, if Linux has one (1-64).
    pub fn from_number(n: i32) -> Option<Signal> {
        (1..=64).contains(&n).then_some(Signal(n))
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match nix::sys::signal::Signal::try_from(self.0) {
            Ok(known) => f.write_str(known.as_str()),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl FromStr for Signal {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Signal, TypeError> {
        six_runtime::parse_signal(s)
            .ok()
            .and_then(Signal::from_number)
            .ok_or_else(|| {
                TypeError::new(
                    "signal",
                    s,
                    "expected a name like KILL or SIGTERM, or a number 1-64",
                )
            })
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
        assert_eq!(
            Signal::from_number(libc::SIGIO).unwrap().to_string(),
            "SIGIO"
        );
        assert_eq!(Signal::from_number(40).unwrap().to_string(), "40");
        assert!("RTMIN+1".parse::<Signal>().is_ok());
        assert_eq!(
            "RTMAX".parse::<Signal>().unwrap().number(),
            libc::SIGRTMAX()
        );
    }

    #[test]
    fn bad_signals() {
        for bad in ["0", "65", "FOO", "SIG", "-9", "", "RTMIN+99"] {
            assert!(bad
                .parse::<Signal>()
                .unwrap_err()
                .to_string()
                .contains(&format!("\"{bad}\"")));
        }
    }
}
