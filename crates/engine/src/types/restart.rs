//! `RestartPolicy`: `--restart no|on-failure[:N]|always|unless-stopped`.
//!
//! With no daemon, `unless-stopped` behaves as `always` (they differ only when a daemon restarts).

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// `--restart`: when the monitor starts the container again after it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum RestartPolicy {
    /// Never (the default).
    #[default]
    No,
    /// When it exits with a code other than 0.
    OnFailure {
        /// At most this many restarts (None: no limit).
        max_retries: Option<u32>,
    },
    /// Whatever the exit code, unless the user stopped it.
    Always,
    /// As `Always` (they differ only when a daemon restarts; there is none).
    UnlessStopped,
}

impl RestartPolicy {
    /// Whether a container that ended with `exit_code` after `restarts` restarts is started again.
    /// A container stopped by the user (`stop`, `kill`, `rm -f`) is never restarted.
    pub fn should_restart(self, exit_code: i32, restarts: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self {
            RestartPolicy::No => false,
            RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
            RestartPolicy::OnFailure { max_retries } => {
                exit_code != 0 && max_retries.is_none_or(|max| restarts < max)
            }
        }
    }

    /// Docker's name ("no", "on-failure", "always") and maximum retry count, for inspect.
    pub fn name(self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure { .. } => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RestartPolicy::OnFailure {
                max_retries: Some(n),
            } => write!(f, "on-failure:{n}"),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for RestartPolicy {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<RestartPolicy, TypeError> {
        let bad = || {
            TypeError::new(
                "restart policy",
                s,
                "expected no, on-failure[:N], always or unless-stopped",
            )
        };
        match s.split_once(':') {
            None => match s {
                "no" | "" => Ok(RestartPolicy::No),
                "always" => Ok(RestartPolicy::Always),
                "unless-stopped" => Ok(RestartPolicy::UnlessStopped),
                "on-failure" => Ok(RestartPolicy::OnFailure { max_retries: None }),
                _ => Err(bad()),
            },
            Some(("on-failure", n)) => {
                let n: u32 = n.parse().map_err(|_| bad())?;
                Ok(RestartPolicy::OnFailure {
                    max_retries: Some(n),
                })
            }
            Some(_) => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse() {
        assert_eq!("no".parse::<RestartPolicy>().unwrap(), RestartPolicy::No);
        assert_eq!(
            "always".parse::<RestartPolicy>().unwrap(),
            RestartPolicy::Always
        );
        assert_eq!(
            "on-failure".parse::<RestartPolicy>().unwrap(),
            RestartPolicy::OnFailure { max_retries: None }
        );
        assert_eq!(
            "on-failure:3".parse::<RestartPolicy>().unwrap(),
            RestartPolicy::OnFailure {
                max_retries: Some(3)
            }
        );
        assert_eq!(
            "on-failure:3".parse::<RestartPolicy>().unwrap().to_string(),
            "on-failure:3"
        );
        for bad in ["sometimes", "always:3", "on-failure:x", "on-failure:-1"] {
            assert!(bad
                .parse::<RestartPolicy>()
                .unwrap_err()
                .to_string()
                .contains(bad));
        }
    }

    #[test]
    fn restart_decisions() {
        let p = RestartPolicy::OnFailure {
            max_retries: Some(2),
        };
        assert!(p.should_restart(1, 0, false));
        assert!(p.should_restart(1, 1, false));
        assert!(!p.should_restart(1, 2, false));
        assert!(!p.should_restart(0, 0, false));
        assert!(RestartPolicy::Always.should_restart(0, 100, false));
        assert!(!RestartPolicy::Always.should_restart(0, 0, true));
        assert!(!RestartPolicy::No.should_restart(1, 0, false));
    }
}
