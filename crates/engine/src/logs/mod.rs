//! The container log in Docker's json-file format: `<root>/containers/<id>/<id>-json.log`,
//! one JSON object per line, `{"log":"hi\n","stream":"stdout","time":"2026-...Z"}`, rotated
//! as Docker's json-file is: when the file holds max-size bytes, it becomes `<log>.1` (`.1`
//! becomes `.2`, ...; the oldest beyond max-file is deleted) and a new file begins.
//!
//! `writer` ([`LogWriter`]) is used by the monitor (small, no threads); `reader`
//! ([`read_logs`]) by `logs` (`--tail`, `-t`, `-f`, across rotated files). This file holds
//! what both share: the entry format and the file names. Nothing here knows of processes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod reader;
mod writer;

pub(crate) use reader::{read_logs, successor, wait_for_change, watch};
pub(crate) use writer::{LogLimits, LogWriter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Entry<'a> {
    log: std::borrow::Cow<'a, str>,
    stream: std::borrow::Cow<'a, str>,
    time: std::borrow::Cow<'a, str>,
}

/// The (current) log file of one container.
pub(crate) fn log_path(container_dir: &Path, id: &str) -> PathBuf {
    container_dir.join(format!("{id}-json.log"))
}

/// The `n`th rotated file (`n` >= 1; the higher, the older): `<log>.n`.
pub(crate) fn rotated_path(log: &Path, n: u32) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Parses an entry's time (for the tests of the writer's timestamps).
#[cfg(test)]
fn entry_time(line: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let entry: Entry = serde_json::from_str(line).ok()?;
    chrono::DateTime::parse_from_rfc3339(&entry.time)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// A log in a temp dir with a writer of these limits (for the tests of reader and writer).
#[cfg(test)]
fn test_log(max_size: u64, max_files: u32) -> (tempfile::TempDir, PathBuf, LogWriter) {
    let dir = tempfile::tempdir().unwrap();
    let path = log_path(dir.path(), "abc");
    let limits = LogLimits {
        max_size,
        max_files,
    };
    let writer = LogWriter::open(&path, limits).unwrap();
    (dir, path, writer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_files_are_numbered_after_the_log() {
        let log = log_path(Path::new("/c"), "abc");
        assert_eq!(log, Path::new("/c/abc-json.log"));
        assert_eq!(rotated_path(&log, 2), Path::new("/c/abc-json.log.2"));
    }
}
