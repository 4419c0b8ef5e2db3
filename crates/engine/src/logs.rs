//! The container log in Docker's json-file format: `<root>/containers/<id>/<id>-json.log`,
//! one JSON object per line, `{"log":"hi\n","stream":"stdout","time":"2026-...Z"}`.
//!
//! [`LogWriter`] is used by the monitor (small, no threads); [`read_logs`] by `logs`
//! (`--tail`, `-t`, `-f`). Neither knows anything about processes.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::request::LogOptions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn name(self) -> &'static str {
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

/// The log file of one container.
pub fn log_path(container_dir: &Path, id: &str) -> PathBuf {
    container_dir.join(format!("{id}-json.log"))
}

/// Appends entries; one per line of output (a trailing partial line is its own entry).
pub struct LogWriter {
    file: File,
}

impl LogWriter {
    pub fn open(path: &Path) -> Result<LogWriter> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .at("opening the container log", path)?;
        Ok(LogWriter { file })
    }

    /// Appends `data` as entries. Hand-written JSON and time (no serde, no chrono): this runs
    /// in the monitor's loop, whose resident memory is what its code touches.
    pub fn write(&mut self, stream: Stream, data: &[u8]) -> Result<()> {
        let time = rfc3339_nanos_now();
        let text = String::from_utf8_lossy(data);
        let mut out = String::with_capacity(text.len() + 80);
        for line in text.split_inclusive('\n') {
            out.push_str("{\"log\":\"");
            escape_json(line, &mut out);
            out.push_str("\",\"stream\":\"");
            out.push_str(stream.name());
            out.push_str("\",\"time\":\"");
            out.push_str(&time);
            out.push_str("\"}\n");
        }
        self.file
            .write_all(out.as_bytes())
            .ctx(|| "writing the container log".into())
    }
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

/// Writes the log to `out`/`err` as `docker logs` does; with `follow`, keeps going until
/// `running()` says the container has stopped and the file has no more.
pub fn read_logs(
    path: &Path,
    opts: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    running: &mut dyn FnMut() -> bool,
) -> Result<()> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::at("opening the container log", path, e)),
    };
    let mut reader = BufReader::new(file);
    if let Some(n) = opts.tail {
        let start = tail_offset(path, n)?;
        reader
            .seek(SeekFrom::Start(start))
            .at("reading the container log", path)?;
    }
    let inotify = if opts.follow {
        Some(watch(path)?)
    } else {
        None
    };
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .at("reading the container log", path)?;
        if n > 0 && line.ends_with('\n') {
            print_entry(&line, opts.timestamps, out, err)?;
            continue;
        }
        if n > 0 {
            // A line still being written: go back and read it whole later.
            reader
                .seek(SeekFrom::Current(-(n as i64)))
                .at("reading the container log", path)?;
        }
        let Some(inotify) = &inotify else {
            return Ok(());
        };
        if !running() {
            // One more pass for what was written right before the end.
            let mut rest = String::new();
            while reader
                .read_line(&mut rest)
                .at("reading the container log", path)?
                > 0
            {
                if rest.ends_with('\n') {
                    print_entry(&rest, opts.timestamps, out, err)?;
                }
                rest.clear();
            }
            return Ok(());
        }
        let _ = out.flush();
        let _ = err.flush();
        wait_for_change(inotify);
    }
}

fn print_entry(
    line: &str,
    timestamps: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let Ok(entry) = serde_json::from_str::<Entry>(line) else {
        return Ok(());
    };
    let sink: &mut dyn Write = if entry.stream == "stderr" { err } else { out };
    let write = |sink: &mut dyn Write| -> std::io::Result<()> {
        if timestamps {
            sink.write_all(entry.time.as_bytes())?;
            sink.write_all(b" ")?;
        }
        sink.write_all(entry.log.as_bytes())
    };
    match write(sink) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::io("writing logs", e)),
    }
}

/// The byte offset where the last `n` entries begin.
fn tail_offset(path: &Path, n: usize) -> Result<u64> {
    let data = std::fs::read(path).at("reading the container log", path)?;
    if n == 0 {
        return Ok(data.len() as u64);
    }
    let mut seen = 0;
    let end = if data.ends_with(b"\n") {
        data.len() - 1
    } else {
        data.len()
    };
    for i in (0..end).rev() {
        if data[i] == b'\n' {
            seen += 1;
            if seen == n {
                return Ok(i as u64 + 1);
            }
        }
    }
    Ok(0)
}

fn watch(path: &Path) -> Result<nix::sys::inotify::Inotify> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let ino = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
    ino.add_watch(
        path,
        AddWatchFlags::IN_MODIFY | AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_DELETE_SELF,
    )
    .map_err(|e| Error::at("watching the container log", path, e.into()))?;
    Ok(ino)
}

/// Waits for the log to change, at most 200 ms (so a stopped container is noticed).
fn wait_for_change(ino: &nix::sys::inotify::Inotify) {
    use std::os::fd::AsFd;
    let mut fds = [nix::poll::PollFd::new(
        ino.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u8));
    let _ = ino.read_events();
}

/// Parses an entry's time (for `logs --since`, inspect).
pub fn entry_time(line: &str) -> Option<DateTime<Utc>> {
    let entry: Entry = serde_json::from_str(line).ok()?;
    DateTime::parse_from_rfc3339(&entry.time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(path: &Path, opts: &LogOptions) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        read_logs(path, opts, &mut out, &mut err, &mut || false).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn entries_are_docker_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path(), "abc");
        let mut w = LogWriter::open(&path).unwrap();
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
        let (out, err) = render(&path, &LogOptions::default());
        assert_eq!(out, "one\ntwo\npartial \"quoted\"");
        assert_eq!(err, "oops\n");
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

    #[test]
    fn tail_and_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path(), "abc");
        let mut w = LogWriter::open(&path).unwrap();
        for i in 0..5 {
            w.write(Stream::Stdout, format!("line{i}\n").as_bytes())
                .unwrap();
        }
        let (out, _) = render(
            &path,
            &LogOptions {
                tail: Some(2),
                ..Default::default()
            },
        );
        assert_eq!(out, "line3\nline4\n");
        let (out, _) = render(
            &path,
            &LogOptions {
                tail: Some(0),
                ..Default::default()
            },
        );
        assert_eq!(out, "");
        let (out, _) = render(
            &path,
            &LogOptions {
                tail: Some(50),
                ..Default::default()
            },
        );
        assert_eq!(out.lines().count(), 5);
        let (out, _) = render(
            &path,
            &LogOptions {
                timestamps: true,
                tail: Some(1),
                ..Default::default()
            },
        );
        assert!(out.ends_with("Z line4\n"), "{out}");
    }

    #[test]
    fn follow_returns_when_the_container_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(dir.path(), "abc");
        let mut w = LogWriter::open(&path).unwrap();
        w.write(Stream::Stdout, b"first\n").unwrap();
        let mut calls = 0;
        let mut out = Vec::new();
        let mut running = || {
            calls += 1;
            if calls == 1 {
                w.write(Stream::Stdout, b"second\n").unwrap();
            }
            calls < 3
        };
        read_logs(
            &path,
            &LogOptions {
                follow: true,
                ..Default::default()
            },
            &mut out,
            &mut Vec::new(),
            &mut running,
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "first\nsecond\n");
    }
}
