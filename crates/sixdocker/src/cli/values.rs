//! Value parsers for flags whose values are plain numbers or names with Docker's rules:
//! `--cpu-shares`, `--user`/`-u`, `stop -t`. Each refuses with one line naming the value and
//! what was expected (the flag is named by `commands::clap_failure`).
//!
//! These flags take a value beginning with `-` (`-m -1`, `-u -1`, `stop -t -1`): they are
//! declared with `allow_hyphen_values`, as Docker's flag library takes the next argument
//! whatever it looks like, so the value reaches its parser instead of clap calling it an
//! unexpected argument.

use std::time::Duration;

/// `--cpu-shares`: a relative weight, 0 for the default (Docker refuses negative shares:
/// "invalid CPU shares (-5): value must be a positive integer").
pub fn parse_cpu_shares(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        format!("invalid CPU shares \"{s}\": expected a positive integer (a relative weight like 512; 1024 is the default)")
    })
}

/// The largest uid or gid (4294967295 is "no id" to the kernel).
const MAX_ID: u64 = 4_294_967_294;

/// `--user`: a name or UID, optionally `:GROUP` (a name or GID). A negative number or a name
/// starting with `-` can be no user's (useradd refuses such names); empty means the image's.
pub fn parse_user(s: &str) -> Result<String, String> {
    let expected = format!("expected a name or UID[:GID] (ids from 0 to {MAX_ID})");
    for part in s.split(':') {
        let numeric = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        let bad = if numeric {
            part.parse::<u64>().map_or(true, |id| id > MAX_ID)
        } else {
            part.starts_with('-') || part.chars().any(|c| c.is_whitespace() || c.is_control())
        };
        if bad || (part.is_empty() && !s.is_empty()) {
            return Err(format!("invalid user \"{s}\": {expected}"));
        }
    }
    if s.matches(':').count() > 1 {
        return Err(format!("invalid user \"{s}\": {expected}"));
    }
    Ok(s.to_owned())
}

/// `stop -t`/`restart -t`: seconds to wait before SIGKILL. A negative value waits for ever,
/// as Docker's (its daemon sets no deadline for a negative timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopTimeout(pub Duration);

impl StopTimeout {
    /// No deadline: `Duration::MAX`, which the engine reads as "wait for ever".
    pub const FOREVER: StopTimeout = StopTimeout(Duration::MAX);
}

pub fn parse_stop_timeout(s: &str) -> Result<StopTimeout, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n < 0 => Ok(StopTimeout::FOREVER),
        Ok(n) => Ok(StopTimeout(Duration::from_secs(n as u64))),
        Err(_) => Err(format!(
            "invalid timeout \"{s}\": expected whole seconds (a negative number waits for ever)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_shares_are_whole_and_not_negative() {
        assert_eq!(parse_cpu_shares("512"), Ok(512));
        assert_eq!(parse_cpu_shares("0"), Ok(0));
        for bad in ["-5", "many", "1.5", ""] {
            let e = parse_cpu_shares(bad).unwrap_err();
            assert!(e.contains(&format!("\"{bad}\"")), "{e}");
        }
    }

    #[test]
    fn users_are_names_or_ids_never_negative() {
        for good in [
            "",
            "root",
            "1000",
            "1000:1000",
            "nobody:nogroup",
            "www-data",
            "4294967294",
        ] {
            assert_eq!(parse_user(good).as_deref(), Ok(good));
        }
        for bad in [
            "-1",
            "-root",
            "1000:-1",
            "4294967295",
            "a b",
            "1:2:3",
            ":1",
            "1:",
        ] {
            let e = parse_user(bad).unwrap_err();
            assert!(
                e.starts_with(&format!("invalid user \"{bad}\": expected")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_negative_stop_timeout_waits_for_ever() {
        assert_eq!(parse_stop_timeout("-1"), Ok(StopTimeout::FOREVER));
        assert_eq!(parse_stop_timeout("-30"), Ok(StopTimeout::FOREVER));
        assert_eq!(parse_stop_timeout("0"), Ok(StopTimeout(Duration::ZERO)));
        assert_eq!(
            parse_stop_timeout("7"),
            Ok(StopTimeout(Duration::from_secs(7)))
        );
        assert!(parse_stop_timeout("soon").unwrap_err().contains("\"soon\""));
    }
}
