//! `--ulimit NAME=SOFT[:HARD]`: a resource limit of the container's process, with Docker's
//! names (`nofile`, `nproc`, `core`...) and rules (the hard limit defaults to the soft one,
//! and may not be below it; -1 is unlimited). Never sets a limit itself.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// Docker's ulimit names (go-units), each the OCI `RLIMIT_<NAME>`.
const NAMES: &[&str] = &[
    "as",
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// One `--ulimit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ulimit {
    /// Docker's name: "nofile".
    pub name: String,
    /// The soft limit (-1: unlimited).
    pub soft: i64,
    /// The hard limit (-1: unlimited).
    pub hard: i64,
}

impl Ulimit {
    /// The OCI rlimit type: "RLIMIT_NOFILE".
    pub fn oci_type(&self) -> String {
        format!("RLIMIT_{}", self.name.to_ascii_uppercase())
    }

    /// A limit as the kernel takes it: -1 (or any negative) is RLIM_INFINITY.
    pub fn raw(limit: i64) -> u64 {
        u64::try_from(limit).unwrap_or(u64::MAX)
    }
}

impl FromStr for Ulimit {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Ulimit, TypeError> {
        let bad = |why: String| TypeError::new("ulimit", s, why);
        let Some((name, limits)) = s.split_once('=') else {
            return Err(bad(
                "expected NAME=SOFT[:HARD] (like nofile=1024:2048)".into()
            ));
        };
        if !NAMES.contains(&name) {
            return Err(bad(format!(
                "unknown ulimit type {name:?}: expected one of {}",
                NAMES.join(", ")
            )));
        }
        let number = |v: &str| {
            v.parse::<i64>()
                .map_err(|_| bad(format!("{v:?} is not a number (-1 for unlimited)")))
        };
        let (soft, hard) = match limits.split_once(':') {
            Some((soft, hard)) => (number(soft)?, number(hard)?),
            None => {
                let v = number(limits)?;
                (v, v)
            }
        };
        if Ulimit::raw(soft) > Ulimit::raw(hard) {
            return Err(bad(format!(
                "the soft limit must be less than or equal to the hard limit: {soft} > {hard}"
            )));
        }
        Ok(Ulimit {
            name: name.to_owned(),
            soft,
            hard,
        })
    }
}

impl fmt::Display for Ulimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.name, self.soft, self.hard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulimits_as_docker_reads_them() {
        let u: Ulimit = "nofile=1024:2048".parse().unwrap();
        assert_eq!(
            (u.soft, u.hard, u.oci_type().as_str()),
            (1024, 2048, "RLIMIT_NOFILE")
        );
        let u: Ulimit = "nproc=100".parse().unwrap();
        assert_eq!((u.soft, u.hard), (100, 100));
        let u: Ulimit = "core=-1".parse().unwrap();
        assert_eq!(Ulimit::raw(u.hard), u64::MAX);
        assert!(
            "memlock=1:-1".parse::<Ulimit>().is_ok(),
            "a soft limit below unlimited"
        );
        for (bad, why) in [
            ("nofile", "expected NAME=SOFT[:HARD]"),
            ("foo=1", "unknown ulimit type \"foo\""),
            ("nofile=x", "\"x\" is not a number"),
            ("nofile=2048:1024", "2048 > 1024"),
        ] {
            let e = bad.parse::<Ulimit>().unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
    }
}
