//! `--log-driver` and `--log-opt`: which log a container keeps and how large it may grow.
//!
//! Drivers: `json-file` (the default), `local` and `none`. Both file drivers write Docker's
//! json-lines format and rotate as Docker's json-file does (`<log>.1`, `<log>.2`, ... up to
//! max-file files of max-size each); `local` differs only in its defaults. Unlike Docker's
//! json-file, ours is bounded by default: max-size=20m, max-file=5 when no size is given.
//! Sizes use Docker's units for log options: k, m, g (powers of 1000, as `go-units`'
//! FromHumanSize), an optional `b` or `ib`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// Where a container's output goes besides attached clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum LogDriver {
    /// Docker's json-file: one JSON object per line, rotated by max-size and max-file.
    #[default]
    JsonFile,
    /// Docker's local driver: the same limits' semantics with its defaults (5 files of
    /// 20 MiB). Stored in json-file's format here, not compressed.
    Local,
    /// No log: `logs` cannot read it.
    None,
}

impl LogDriver {
    /// Docker's name for it ("json-file", "local", "none").
    pub fn name(self) -> &'static str {
        match self {
            LogDriver::JsonFile => "json-file",
            LogDriver::Local => "local",
            LogDriver::None => "none",
        }
    }
}

impl fmt::Display for LogDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LogDriver {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<LogDriver, TypeError> {
        match s {
            "json-file" => Ok(LogDriver::JsonFile),
            "local" => Ok(LogDriver::Local),
            "none" => Ok(LogDriver::None),
            _ => Err(TypeError::new(
                "log driver",
                s,
                "expected json-file, local or none",
            )),
        }
    }
}

/// A container's log configuration, validated: the driver and its limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogConfig {
    /// `--log-driver`.
    pub driver: LogDriver,
    /// The current file is rotated once it holds this many bytes (0 with `none`).
    pub max_size: u64,
    /// Files kept, the current one included (so at most max_file × max_size bytes, plus
    /// one entry per file).
    pub max_file: u32,
    /// The options in Docker's words, as inspect shows them (HostConfig.LogConfig.Config):
    /// those given, and for json-file the default limits applied.
    pub opts: BTreeMap<String, String>,
}

/// json-file's limits when no max-size is given (Docker's json-file has none): 20m
/// (20,000,000 bytes) and 5 files.
pub(super) const DEFAULT_MAX_SIZE: &str = "20m";
const DEFAULT_MAX_SIZE_BYTES: u64 = 20_000_000;
pub(super) const DEFAULT_MAX_FILE: u32 = 5;
/// Docker's local driver: 20 MiB, 5 files.
const LOCAL_MAX_SIZE: u64 = 20 << 20;
const LOCAL_MAX_FILE: u32 = 5;

impl Default for LogConfig {
    /// json-file, max-size=20m, max-file=5.
    fn default() -> LogConfig {
        LogConfig {
            driver: LogDriver::JsonFile,
            max_size: DEFAULT_MAX_SIZE_BYTES,
            max_file: DEFAULT_MAX_FILE,
            opts: default_opts(),
        }
    }
}

impl LogConfig {
    /// From `--log-driver` (None: json-file) and each `--log-opt KEY=VALUE`, with Docker's
    /// rules: max-size > 0, max-file >= 1, json-file's max-file needs max-size (the local
    /// driver has a default size). Unknown keys and bad values are refused, naming them.
    pub fn from_flags(driver: Option<LogDriver>, opts: &[String]) -> Result<LogConfig, TypeError> {
        let driver = driver.unwrap_or_default();
        let mut given = given_opts(driver, opts)?;
        if driver == LogDriver::None {
            return Ok(LogConfig {
                driver,
                max_size: 0,
                max_file: 0,
                opts: given,
            });
        }
        let max_size = max_size_opt(&given)?;
        let max_file = max_file_opt(&given)?;
        check_compress_opt(&given)?;
        let (max_size, max_file) = match (driver, max_size, max_file) {
            (LogDriver::JsonFile, None, Some(_)) => {
                return Err(bad(
                    &opt_text(&given, "max-file"),
                    "max-file needs max-size with the json-file log driver (like --log-opt max-size=10m)",
                ))
            }
            (LogDriver::JsonFile, None, None) => {
                given.extend(default_opts());
                (DEFAULT_MAX_SIZE_BYTES, DEFAULT_MAX_FILE)
            }
            // Docker's json-file keeps one file when only max-size is given.
            (LogDriver::JsonFile, Some(size), files) => (size, files.unwrap_or(1)),
            (_, size, files) => (
                size.unwrap_or(LOCAL_MAX_SIZE),
                files.unwrap_or(LOCAL_MAX_FILE),
            ),
        };
        Ok(LogConfig {
            driver,
            max_size,
            max_file,
            opts: given,
        })
    }
}

/// Each `--log-opt KEY=VALUE` by key: refused without `=`, with the none driver, or with
/// a key sixdocker does not know.
fn given_opts(driver: LogDriver, opts: &[String]) -> Result<BTreeMap<String, String>, TypeError> {
    let mut given = BTreeMap::new();
    for opt in opts {
        let Some((key, value)) = opt.split_once('=') else {
            return Err(bad(opt, "expected KEY=VALUE (like max-size=10m)"));
        };
        if driver == LogDriver::None {
            return Err(bad(opt, "the none log driver takes no options"));
        }
        if !matches!(key, "max-size" | "max-file" | "compress") {
            return Err(bad(
                opt,
                format!(
                    "unknown log opt '{key}' for {driver} log driver (sixdocker knows max-size, max-file and compress)"
                ),
            ));
        }
        given.insert(key.to_owned(), value.to_owned());
    }
    Ok(given)
}

/// The given option `key` as the user wrote it, for messages.
fn opt_text(given: &BTreeMap<String, String>, key: &str) -> String {
    format!("{key}={}", given[key])
}

/// `max-size`, if given: a positive size in Docker's units.
fn max_size_opt(given: &BTreeMap<String, String>) -> Result<Option<u64>, TypeError> {
    let Some(v) = given.get("max-size") else {
        return Ok(None);
    };
    let size = parse_size(v).ok_or_else(|| {
        bad(
            &opt_text(given, "max-size"),
            "expected a size: a number with an optional unit k, m or g (like 10m)",
        )
    })?;
    if size == 0 {
        return Err(bad(
            &opt_text(given, "max-size"),
            "max-size must be a positive number",
        ));
    }
    Ok(Some(size))
}

/// `max-file`, if given: at least 1.
fn max_file_opt(given: &BTreeMap<String, String>) -> Result<Option<u32>, TypeError> {
    let Some(v) = given.get("max-file") else {
        return Ok(None);
    };
    let n: u32 = v.parse().map_err(|_| {
        bad(
            &opt_text(given, "max-file"),
            "expected a whole number of files (like 3)",
        )
    })?;
    if n < 1 {
        return Err(bad(
            &opt_text(given, "max-file"),
            "max-file cannot be less than 1",
        ));
    }
    Ok(Some(n))
}

/// `compress`, if given, must be false: rotated logs are not compressed.
fn check_compress_opt(given: &BTreeMap<String, String>) -> Result<(), TypeError> {
    match given.get("compress").map(String::as_str) {
        None | Some("false" | "0" | "f" | "F" | "FALSE" | "False") => Ok(()),
        Some("true" | "1" | "t" | "T" | "TRUE" | "True") => Err(bad(
            &opt_text(given, "compress"),
            "compressing rotated logs is not supported (compress=false is)",
        )),
        Some(_) => Err(bad(&opt_text(given, "compress"), "expected true or false")),
    }
}

fn default_opts() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("max-size".to_owned(), DEFAULT_MAX_SIZE.to_owned()),
        ("max-file".to_owned(), DEFAULT_MAX_FILE.to_string()),
    ])
}

fn bad(opt: &str, expected: impl Into<String>) -> TypeError {
    TypeError::new("log option", opt, expected)
}

/// Docker's FromHumanSize: "10k" = 10000, "1.5m", "20MB", "1gib"; powers of 1000.
fn parse_size(s: &str) -> Option<u64> {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(end);
    if number.is_empty() || number.starts_with('.') {
        return None;
    }
    let number: f64 = number.parse().ok()?;
    let suffix = suffix
        .strip_prefix(' ')
        .unwrap_or(suffix)
        .to_ascii_lowercase();
    let (unit, rest) = match suffix.chars().next() {
        None => (1f64, ""),
        Some('b') => (1f64, &suffix[1..]),
        Some(c) => {
            let power = "kmgtp".find(c)? as i32 + 1;
            let rest = &suffix[1..];
            if !matches!(rest, "" | "b" | "ib") {
                return None;
            }
            (1000f64.powi(power), "")
        }
    };
    if !rest.is_empty() {
        return None;
    }
    let bytes = number * unit;
    (bytes.is_finite() && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(driver: Option<&str>, opts: &[&str]) -> Result<LogConfig, String> {
        let driver = driver.map(|d| d.parse().unwrap());
        let opts: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
        LogConfig::from_flags(driver, &opts).map_err(|e| e.to_string())
    }

    #[test]
    fn sizes_use_dockers_units() {
        for (text, bytes) in [
            ("10", 10),
            ("10b", 10),
            ("10k", 10_000),
            ("10K", 10_000),
            ("10kb", 10_000),
            ("10KiB", 10_000),
            ("1.5m", 1_500_000),
            ("20m", 20_000_000),
            ("1 g", 1_000_000_000),
            ("2G", 2_000_000_000),
        ] {
            assert_eq!(parse_size(text), Some(bytes), "{text}");
        }
        for text in [
            "", "k", "10x", "-1", "10kk", "10bb", ".5m", "1e3", "10  k", "ten",
        ] {
            assert_eq!(parse_size(text), None, "{text}");
        }
    }

    #[test]
    fn the_default_is_bounded() {
        let c = LogConfig::default();
        assert_eq!(c.driver, LogDriver::JsonFile);
        assert_eq!((c.max_size, c.max_file), (20_000_000, 5));
        assert_eq!(c.opts["max-size"], "20m");
        assert_eq!(c.opts["max-file"], "5");
        assert_eq!(flags(None, &[]).unwrap(), c);
        assert_eq!(parse_size(DEFAULT_MAX_SIZE), Some(c.max_size));
    }

    #[test]
    fn dockers_json_file_and_local_semantics() {
        let c = flags(None, &["max-size=10k", "max-file=3"]).unwrap();
        assert_eq!((c.max_size, c.max_file), (10_000, 3));
        let c = flags(Some("json-file"), &["max-size=1m"]).unwrap();
        assert_eq!((c.max_size, c.max_file), (1_000_000, 1));
        let c = flags(Some("local"), &[]).unwrap();
        assert_eq!((c.max_size, c.max_file), (20 << 20, 5));
        assert!(c.opts.is_empty());
        let c = flags(Some("local"), &["max-file=2"]).unwrap();
        assert_eq!((c.max_size, c.max_file), (20 << 20, 2));
        let c = flags(Some("none"), &[]).unwrap();
        assert_eq!(c.driver, LogDriver::None);
        assert!(flags(None, &["compress=false"]).is_ok());
    }

    #[test]
    fn bad_values_name_the_option() {
        for (driver, opt, needle) in [
            (
                None,
                "max-size=10x",
                "invalid log option \"max-size=10x\": expected a size",
            ),
            (None, "max-size=0", "max-size must be a positive number"),
            (None, "max-file=0", "max-file cannot be less than 1"),
            (
                None,
                "max-file=x",
                "invalid log option \"max-file=x\": expected a whole number",
            ),
            (None, "max-file=3", "max-file needs max-size"),
            (None, "max-size", "expected KEY=VALUE"),
            (
                None,
                "tag=x",
                "unknown log opt 'tag' for json-file log driver",
            ),
            (
                Some("local"),
                "labels=a",
                "unknown log opt 'labels' for local log driver",
            ),
            (
                None,
                "compress=true",
                "compressing rotated logs is not supported",
            ),
            (None, "compress=maybe", "expected true or false"),
            (
                Some("none"),
                "max-size=1k",
                "the none log driver takes no options",
            ),
        ] {
            let err = flags(driver, &[opt]).unwrap_err();
            assert!(err.contains(needle), "{opt}: {err}");
            assert_eq!(err.lines().count(), 1);
        }
        let err = "syslog".parse::<LogDriver>().unwrap_err().to_string();
        assert_eq!(
            err,
            "invalid log driver \"syslog\": expected json-file, local or none"
        );
    }
}
