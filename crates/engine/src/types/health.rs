//! Health check settings: [`GoDuration`] (Go's `time.ParseDuration` and `Duration.String`, as
//! Docker's flags and messages use them) and [`HealthFlags`], `run`'s `--health-cmd`,
//! `--health-interval`, `--health-timeout`, `--health-start-period`, `--health-retries` and
//! `--no-healthcheck` turned into Docker's [`HealthConfig`] with Docker's rules. Runs nothing:
//! the container's monitor does (`monitor/health.rs`).

use std::fmt;
use std::str::FromStr;

pub use six_image::HealthConfig;

use super::TypeError;

/// A Go duration ("30s", "1m30s", "500ms", "1.5h"), in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GoDuration(pub i64);

impl FromStr for GoDuration {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<GoDuration, TypeError> {
        go_duration_nanos(s).map(GoDuration).ok_or_else(|| {
            TypeError::new(
                "duration",
                s,
                "expected a number with a unit ns, us, ms, s, m or h (like 30s, 1m30s or 500ms)",
            )
        })
    }
}

/// Go's `time.ParseDuration`: `[-+]?(\d*(\.\d*)?unit)+`, units ns us µs ms s m h; "0" alone.
pub(crate) fn go_duration_nanos(s: &str) -> Option<i64> {
    let (negative, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        if number.is_empty() || number == "." {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += value * unit;
    }
    let nanos = total.round() as i64;
    Some(if negative { -nanos } else { nanos })
}

impl fmt::Display for GoDuration {
    /// Go's `Duration.String`: "0s", "500ms", "1.5s", "1m30s", "2h0m0s".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.unsigned_abs();
        if self.0 < 0 {
            f.write_str("-")?;
        }
        // whole and fractional part of n / unit, the fraction without trailing zeros
        let decimal = |n: u64, unit: u64| {
            let digits = unit.ilog10() as usize;
            let fraction = format!("{:0digits$}", n % unit);
            let fraction = fraction.trim_end_matches('0');
            match fraction {
                "" => (n / unit).to_string(),
                _ => format!("{}.{fraction}", n / unit),
            }
        };
        match n {
            0 => f.write_str("0s"),
            1..=999 => write!(f, "{n}ns"),
            1_000..=999_999 => write!(f, "{}µs", decimal(n, 1_000)),
            1_000_000..=999_999_999 => write!(f, "{}ms", decimal(n, 1_000_000)),
            _ => {
                let hours = n / 3_600_000_000_000;
                let minutes = n / 60_000_000_000 % 60;
                let seconds = decimal(n % 60_000_000_000, 1_000_000_000);
                if hours > 0 {
                    write!(f, "{hours}h{minutes}m{seconds}s")
                } else if minutes > 0 {
                    write!(f, "{minutes}m{seconds}s")
                } else {
                    write!(f, "{seconds}s")
                }
            }
        }
    }
}

/// `run`'s health flags as given.
#[derive(Debug, Clone, Default)]
pub struct HealthFlags {
    /// `--health-cmd`: a shell command line (`CMD-SHELL`).
    pub cmd: Option<String>,
    /// `--health-interval`.
    pub interval: Option<GoDuration>,
    /// `--health-timeout`.
    pub timeout: Option<GoDuration>,
    /// `--health-start-period`.
    pub start_period: Option<GoDuration>,
    /// `--health-retries`.
    pub retries: Option<i64>,
    /// `--no-healthcheck`: no check, not even the image's.
    pub none: bool,
}

impl HealthFlags {
    /// Docker's CLI rules: None when no flag was given (the image's check applies);
    /// `--no-healthcheck` is `Test: ["NONE"]` and takes no other flag; nothing negative.
    pub fn into_config(self) -> Result<Option<HealthConfig>, String> {
        let given = self.cmd.is_some()
            || self.interval.is_some()
            || self.timeout.is_some()
            || self.start_period.is_some()
            || self.retries.is_some();
        if self.none {
            if given {
                return Err("--no-healthcheck conflicts with --health-* options".into());
            }
            return Ok(Some(HealthConfig {
                test: vec!["NONE".into()],
                ..Default::default()
            }));
        }
        if !given {
            return Ok(None);
        }
        let nanos = |d: Option<GoDuration>, flag: &str| match d {
            Some(GoDuration(n)) if n < 0 => Err(format!(
                "--health-{flag} {} cannot be negative",
                GoDuration(n)
            )),
            d => Ok(d.map_or(0, |d| d.0)),
        };
        let retries = match self.retries {
            Some(n) if n < 0 => return Err(format!("--health-retries {n} cannot be negative")),
            n => n.unwrap_or(0),
        };
        Ok(Some(HealthConfig {
            test: self
                .cmd
                .map(|c| vec!["CMD-SHELL".to_owned(), c])
                .unwrap_or_default(),
            interval: nanos(self.interval, "interval")?,
            timeout: nanos(self.timeout, "timeout")?,
            start_period: nanos(self.start_period, "start-period")?,
            retries,
        }))
    }
}

/// The daemon's rules for a health config from any client (the CLI or the Engine API): a
/// known test form, durations of 0 (the default) or at least 1 ms, retries not negative.
pub fn check_health_config(h: &HealthConfig) -> Result<(), String> {
    match h.test.first().map(String::as_str) {
        None | Some("NONE") | Some("CMD") | Some("CMD-SHELL") => {}
        Some(other) => {
            return Err(format!(
                "invalid health check test {other:?}: expected NONE, CMD or CMD-SHELL"
            ))
        }
    }
    if matches!(
        h.test.first().map(String::as_str),
        Some("CMD" | "CMD-SHELL")
    ) && h.test.len() < 2
    {
        return Err(format!(
            "health check test {:?} has no command",
            h.test.join(" ")
        ));
    }
    for (name, n) in [
        ("Interval", h.interval),
        ("Timeout", h.timeout),
        ("StartPeriod", h.start_period),
    ] {
        if n != 0 && n < 1_000_000 {
            return Err(format!(
                "{name} in Healthcheck cannot be less than 1ms (it is {})",
                GoDuration(n)
            ));
        }
    }
    if h.retries < 0 {
        return Err(format!(
            "Retries in Healthcheck cannot be negative (it is {})",
            h.retries
        ));
    }
    Ok(())
}

/// Docker's merge of a container's check over its image's: no check of its own takes the
/// image's; a check without a test or with zero values takes those of the image's.
pub fn merge_health_config(
    own: Option<&HealthConfig>,
    image: Option<&HealthConfig>,
) -> Option<HealthConfig> {
    let Some(image) = image else {
        return own.cloned();
    };
    let Some(own) = own else {
        return Some(image.clone());
    };
    let or = |a: i64, b: i64| if a == 0 { b } else { a };
    Some(HealthConfig {
        test: if own.test.is_empty() {
            image.test.clone()
        } else {
            own.test.clone()
        },
        interval: or(own.interval, image.interval),
        timeout: or(own.timeout, image.timeout),
        start_period: or(own.start_period, image.start_period),
        retries: or(own.retries, image.retries),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_read_and_print_as_go() {
        for (text, nanos, printed) in [
            ("30s", 30_000_000_000, "30s"),
            ("1m30s", 90_000_000_000, "1m30s"),
            ("500ms", 500_000_000, "500ms"),
            ("1.5s", 1_500_000_000, "1.5s"),
            ("2h", 7_200_000_000_000, "2h0m0s"),
            ("0", 0, "0s"),
            ("10ns", 10, "10ns"),
            ("1.5us", 1500, "1.5µs"),
            ("-1s", -1_000_000_000, "-1s"),
        ] {
            let d: GoDuration = text.parse().unwrap();
            assert_eq!(d.0, nanos, "{text}");
            assert_eq!(d.to_string(), printed, "{text}");
        }
        for bad in ["", "bogus", "1", "1x", "s", "."] {
            let e = bad.parse::<GoDuration>().unwrap_err().to_string();
            assert!(e.contains(&format!("invalid duration \"{bad}\"")), "{e}");
        }
    }

    #[test]
    fn flags_follow_dockers_cli() {
        assert_eq!(HealthFlags::default().into_config().unwrap(), None);
        let none = HealthFlags {
            none: true,
            ..Default::default()
        };
        assert_eq!(none.into_config().unwrap().unwrap().test, ["NONE"]);
        let both = HealthFlags {
            none: true,
            cmd: Some("true".into()),
            ..Default::default()
        };
        assert!(both.into_config().unwrap_err().contains("conflicts"));
        let h = HealthFlags {
            cmd: Some("test -f /ok".into()),
            interval: Some(GoDuration(1_000_000_000)),
            retries: Some(2),
            ..Default::default()
        };
        let h = h.into_config().unwrap().unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "test -f /ok"]);
        assert_eq!((h.interval, h.timeout, h.retries), (1_000_000_000, 0, 2));
        let negative = HealthFlags {
            timeout: Some(GoDuration(-1_000_000_000)),
            ..Default::default()
        };
        assert_eq!(
            negative.into_config().unwrap_err(),
            "--health-timeout -1s cannot be negative"
        );
        let negative = HealthFlags {
            retries: Some(-1),
            ..Default::default()
        };
        assert!(negative
            .into_config()
            .unwrap_err()
            .contains("-1 cannot be negative"));
    }

    #[test]
    fn the_daemons_checks_and_merge() {
        let mut h = HealthConfig {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval: 500_000,
            ..Default::default()
        };
        assert_eq!(
            check_health_config(&h).unwrap_err(),
            "Interval in Healthcheck cannot be less than 1ms (it is 500µs)"
        );
        h.interval = 1_000_000;
        assert!(check_health_config(&h).is_ok());
        h.test = vec!["CMD".into()];
        assert!(check_health_config(&h).unwrap_err().contains("no command"));
        h.test = vec!["SHELL".into(), "x".into()];
        assert!(check_health_config(&h).unwrap_err().contains("\"SHELL\""));
        let image = HealthConfig {
            test: vec!["CMD".into(), "/check".into()],
            timeout: 5,
            retries: 4,
            ..Default::default()
        };
        let own = HealthConfig {
            interval: 7,
            retries: 1,
            ..Default::default()
        };
        let merged = merge_health_config(Some(&own), Some(&image)).unwrap();
        assert_eq!(merged.test, ["CMD", "/check"]);
        assert_eq!((merged.interval, merged.timeout, merged.retries), (7, 5, 1));
        assert_eq!(merge_health_config(None, Some(&image)), Some(image.clone()));
        assert_eq!(merge_health_config(Some(&own), None), Some(own));
    }
}
