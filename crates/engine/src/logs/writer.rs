//! Appending a container's output to its log, and rotating the log: the monitor's side.
//!
//! Rotation follows Docker's json-file: before an entry is written into a file that already
//! holds max-size bytes, the file becomes `<log>.1` (`.1` becomes `.2`, ...; the one past
//! max-file is deleted; with max-file=1 the file is deleted) and a new file begins. So each
//! file ends at most one entry past max-size, and a follower sees a new inode at `<log>`.
//!
//! A failed write (a full disk) leaves no half entry: the file is cut back to its last whole
//! entry (truncating never needs space) and the error returned; the caller reports it.
//! Hand-written JSON and time (no serde, no chrono): this runs in the monitor's loop, whose
//! resident memory is what its code touches.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::{rotated_path, Stream};
use crate::error::{Error, IoContext, Result};

/// How large a log may grow: `max_files` files of about `max_size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LogLimits {
    pub max_size: u64,
    /// Files kept, the current one included (at least 1).
    pub max_files: u32,
}

/// Appends entries; one per line of output (a trailing partial line is its own entry).
pub(crate) struct LogWriter {
    path: PathBuf,
    /// None after a rotation could not create the new file (retried at the next write).
    file: Option<File>,
    /// Bytes in the current file: where the next entry begins.
    size: u64,
    limits: LogLimits,
}

impl LogWriter {
    pub(crate) fn open(path: &Path, limits: LogLimits) -> Result<LogWriter> {
        let (file, size) = open_append(path).at("opening the container log", path)?;
        Ok(LogWriter {
            path: path.to_owned(),
            file: Some(file),
            size,
            limits: LogLimits {
                max_size: limits.max_size.max(1),
                max_files: limits.max_files.max(1),
            },
        })
    }

    /// Appends `data` as entries, rotating whenever the current file is full.
    pub(crate) fn write(&mut self, stream: Stream, data: &[u8]) -> Result<()> {
        let time = rfc3339_nanos_now();
        let text = String::from_utf8_lossy(data);
        let mut out = String::with_capacity(text.len() + 80);
        for line in text.split_inclusive('\n') {
            if self.size + out.len() as u64 >= self.limits.max_size {
                self.append(&out)?;
                out.clear();
                self.rotate()?;
            }
            out.push_str("{\"log\":\"");
            escape_json(line, &mut out);
            out.push_str("\",\"stream\":\"");
            out.push_str(stream.name());
            out.push_str("\",\"time\":\"");
            out.push_str(&time);
            out.push_str("\"}\n");
        }
        self.append(&out)
    }

    /// Writes whole entries to the current file; on failure cuts it back to where it was.
    fn append(&mut self, entries: &str) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        if self.file.is_none() {
            let (file, size) =
                open_append(&self.path).at("opening the container log", &self.path)?;
            self.file = Some(file);
            self.size = size;
        }
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        match file.write_all(entries.as_bytes()) {
            Ok(()) => {
                self.size += entries.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = file.set_len(self.size);
                Err(Error::at("writing the container log", &self.path, e))
            }
        }
    }

    /// The current file becomes `<log>.1` (and so on), a new one begins.
    fn rotate(&mut self) -> Result<()> {
        let n = self.limits.max_files;
        if n > 1 {
            let _ = std::fs::remove_file(rotated_path(&self.path, n - 1));
            for i in (1..n - 1).rev() {
                match std::fs::rename(rotated_path(&self.path, i), rotated_path(&self.path, i + 1))
                {
                    Err(e) if e.kind() != ErrorKind::NotFound => {
                        return Err(Error::at("rotating the container log", &self.path, e))
                    }
                    _ => {}
                }
            }
            std::fs::rename(&self.path, rotated_path(&self.path, 1))
                .at("rotating the container log", &self.path)?;
        } else {
            std::fs::remove_file(&self.path).at("rotating the container log", &self.path)?;
        }
        self.file = None;
        self.size = 0;
        let (file, size) = open_append(&self.path).at("opening the container log", &self.path)?;
        self.file = Some(file);
        self.size = size;
        Ok(())
    }
}

/// The log's mode, as Docker's json-file driver makes it: not world-readable (what a
/// container prints may be secret).
const LOG_MODE: u32 = 0o640;

/// Opens the log for appending, made with [`LOG_MODE`]; one left more open by an earlier
/// version is brought down to it.
fn open_append(path: &Path) -> std::io::Result<(File, u64)> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(LOG_MODE)
        .open(path)?;
    let meta = file.metadata()?;
    if meta.permissions().mode() & 0o7777 & !LOG_MODE != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(LOG_MODE))?;
    }
    Ok((file, meta.len()))
}

/// JSON string escaping (RFC 8259): quote, backslash and control characters.
fn escape_json(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(HEX[(c as usize) >> 4] as char);
                out.push(HEX[(c as usize) & 15] as char);
            }
            c => out.push(c),
        }
    }
}

/// Now as "2026-11-29T14:20:01.123456789Z".
fn rfc3339_nanos_now() -> String {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    rfc3339_nanos(ts.tv_sec, ts.tv_nsec as u32)
}

fn rfc3339_nanos(secs: i64, nanos: u32) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::super::{entry_time, test_log};
    use super::*;

    #[test]
    fn entries_are_docker_json_lines() {
        let (_dir, path, mut w) = test_log(u64::MAX, 1);
        w.write(Stream::Stdout, b"one\ntwo\n").unwrap();
        w.write(Stream::Stderr, b"oops\n").unwrap();
        w.write(Stream::Stdout, b"partial \"quoted\"").unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(v["log"], "one\n");
        assert_eq!(v["stream"], "stdout");
        assert!(v["time"].as_str().unwrap().ends_with('Z'));
        assert!(entry_time(lines[2]).is_some());
        let raw = "{\"log\":\"partial \\\"quoted\\\"\",\"stream\":\"stdout\",\"time\":\"";
        assert!(lines[3].starts_with(raw), "{}", lines[3]);
    }

    #[test]
    fn logs_are_not_world_readable_even_when_made_so_before() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let new = dir.path().join("new.log");
        open_append(&new).unwrap();
        assert_eq!(mode(&new), 0o640);
        let old = dir.path().join("old.log");
        std::fs::write(&old, b"kept\n").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o666)).unwrap();
        let (_, size) = open_append(&old).unwrap();
        assert_eq!((mode(&old), size), (0o640, 5));
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o600)).unwrap();
        open_append(&old).unwrap();
        assert_eq!(mode(&old), 0o600, "stricter is left alone");
    }

    #[test]
    fn hand_written_json_and_time_match_serde_and_chrono() {
        let mut out = String::new();
        escape_json("a\"b\\c\n\u{1}\té", &mut out);
        let back: String = serde_json::from_str(&format!("\"{out}\"")).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}\té");
        for secs in [0i64, 951_782_400, 1_700_000_000, 4_102_444_800, -86_400] {
            let ours = rfc3339_nanos(secs, 123_456_789);
            let theirs = chrono::DateTime::from_timestamp(secs, 123_456_789)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
            assert_eq!(ours, theirs);
        }
    }

    /// Sizes of the log's files, newest first: `<log>`, `<log>.1`, ...
    fn sizes(path: &Path) -> Vec<u64> {
        let mut out = vec![std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)];
        for n in 1.. {
            match std::fs::metadata(rotated_path(path, n)) {
                Ok(m) => out.push(m.len()),
                Err(_) => return out,
            }
        }
        out
    }

    #[test]
    fn rotation_keeps_max_files_of_about_max_size() {
        let (_dir, path, mut w) = test_log(1000, 3);
        let limits = LogLimits {
            max_size: 1000,
            max_files: 3,
        };
        let entry_len = {
            w.write(Stream::Stdout, b"line 00000\n").unwrap();
            std::fs::metadata(&path).unwrap().len()
        };
        for i in 1..500 {
            w.write(Stream::Stdout, format!("line {i:05}\n").as_bytes())
                .unwrap();
        }
        // Many lines in one write are split between files too.
        let burst: String = (500..1000).map(|i| format!("line {i:05}\n")).collect();
        w.write(Stream::Stdout, burst.as_bytes()).unwrap();
        let files = sizes(&path);
        assert_eq!(files.len(), 3, "{files:?}");
        for s in &files[1..] {
            assert!(*s >= 1000 && *s < 1000 + entry_len, "{files:?}");
        }
        assert!(files[0] < 1000 + entry_len, "{files:?}");
        // The newest entries survive, in the current file's end.
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.lines().last().unwrap().contains("line 00999"),
            "{text}"
        );
        // A writer opened again on the same log continues where it was.
        drop(w);
        let mut w = LogWriter::open(&path, limits).unwrap();
        for i in 0..100 {
            w.write(Stream::Stderr, format!("more {i:05}\n").as_bytes())
                .unwrap();
        }
        assert_eq!(sizes(&path).len(), 3);
    }

    #[test]
    fn one_file_is_started_anew_when_full() {
        let (_dir, path, mut w) = test_log(500, 1);
        for i in 0..100 {
            w.write(Stream::Stdout, format!("line {i:05}\n").as_bytes())
                .unwrap();
        }
        assert_eq!(sizes(&path).len(), 1);
        assert!(std::fs::metadata(&path).unwrap().len() < 600);
    }
}
