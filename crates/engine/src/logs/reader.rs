//! Reading a container's log as `docker logs` does: the rotated files oldest first, then the
//! current one (`--tail N` counts back across them), and with `-f` the current file followed
//! across rotations until the container stops.
//!
//! `--since` and `--until` keep the entries written in that time (as Docker: `--tail` counts
//! first; reading stops at the first entry past `until`, and so does following once `until`
//! has passed).
//!
//! The files are opened together first, newest first, and opened again if a rotation moved
//! them meanwhile, so one read sees one consistent set. Following: at the end of the file,
//! if it is no longer `<log>` the writer rotated; it is read to its end (nothing more is
//! written to it), then the file that came after it (found among the rotated ones if the
//! follower fell behind) from its start.

use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind, Seek, SeekFrom, Write};

use chrono::{DateTime, Utc};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::Path;

use super::{rotated_path, Entry};
use crate::error::{Error, IoContext, Result};
use crate::request::LogOptions;

/// Writes the log to `out`/`err` as `docker logs` does; with `follow`, keeps going until
/// `running()` says the container has stopped and the file has no more.
pub(crate) fn read_logs(
    path: &Path,
    opts: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
    running: &mut dyn FnMut() -> bool,
) -> Result<()> {
    // Watching before reading, so that nothing written in between goes unnoticed.
    let inotify = if opts.follow {
        Some(watch(path)?)
    } else {
        None
    };
    let files = snapshot(path)?;
    if files.is_empty() {
        return Ok(());
    }
    let (first, offset) = match opts.tail {
        Some(n) => tail_start(&files, n, path)?,
        None => (0, 0),
    };
    let mut p = Printer {
        timestamps: opts.timestamps,
        since: opts.since,
        until: opts.until,
        past_until: false,
        out,
        err,
        last_was_err: false,
    };
    let mut current = None;
    for (i, file) in files.into_iter().enumerate().skip(first) {
        let mut reader = BufReader::with_capacity(64 << 10, file);
        if i == first {
            reader
                .seek(SeekFrom::Start(offset))
                .at("reading the container log", path)?;
        }
        drain(&mut reader, &mut p, path)?;
        if p.past_until {
            return Ok(());
        }
        current = Some(reader);
    }
    match (inotify, current) {
        (Some(inotify), Some(current)) => follow(path, current, &mut p, running, &inotify),
        _ => Ok(()),
    }
}

/// Reads `current` (the newest file) on as the container writes, across rotations.
fn follow(
    path: &Path,
    mut current: BufReader<File>,
    p: &mut Printer,
    running: &mut dyn FnMut() -> bool,
    inotify: &nix::sys::inotify::Inotify,
) -> Result<()> {
    loop {
        drain(&mut current, p, path)?;
        if p.past_until || p.until.is_some_and(|u| chrono::Utc::now() > u) {
            return Ok(());
        }
        if let Some(next) = successor(path, current.get_ref())? {
            // Nothing is written to a rotated file: read it to its end, then the next.
            drain(&mut current, p, path)?;
            current = BufReader::with_capacity(64 << 10, next);
            continue;
        }
        if !running() {
            // One more pass for what was written right before the end.
            drain(&mut current, p, path)?;
            while let Some(next) = successor(path, current.get_ref())? {
                current = BufReader::with_capacity(64 << 10, next);
                drain(&mut current, p, path)?;
            }
            return Ok(());
        }
        p.flush();
        wait_for_change(inotify);
    }
}

/// The log's files, oldest first, open as they were at one moment: empty when there is no log.
fn snapshot(path: &Path) -> Result<Vec<File>> {
    let open = |p: &Path| match File::open(p) {
        Ok(f) => Ok(Some(f)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::at("opening the container log", p, e)),
    };
    let mut attempt = 0;
    loop {
        let current = open(path)?;
        let mut files = Vec::new();
        for n in 1.. {
            match open(&rotated_path(path, n))? {
                Some(f) => files.push(f),
                None => break,
            }
        }
        // Unchanged if `<log>` is still the file opened first (the writer renames it first).
        let now = std::fs::metadata(path).ok().map(|m| identity(&m));
        let opened = match &current {
            Some(f) => Some(identity(&f.metadata().at("reading", path)?)),
            None => None,
        };
        attempt += 1;
        if now == opened || attempt == 5 {
            files.reverse();
            files.extend(current);
            return Ok(files);
        }
    }
}

/// Where the last `n` entries begin: the index of a file and a byte offset in it.
fn tail_start(files: &[File], n: usize, path: &Path) -> Result<(usize, u64)> {
    let len =
        |f: &File| -> Result<u64> { Ok(f.metadata().at("reading the container log", path)?.len()) };
    let last = files.len() - 1;
    if n == 0 {
        return Ok((last, len(&files[last])?));
    }
    let mut wanted = n;
    for (i, f) in files.iter().enumerate().rev() {
        match start_of_last_lines(f, len(f)?, wanted).at("reading the container log", path)? {
            Ok(offset) => return Ok((i, offset)),
            Err(found) if found >= wanted => return Ok((i, 0)),
            Err(found) => wanted -= found,
        }
    }
    Ok((0, 0))
}

/// The offset where the last `n` lines of `f` (its first `len` bytes) begin: Ok(offset), or
/// Err(lines) when the file holds only that many. A last line without '\n' counts.
fn start_of_last_lines(f: &File, len: u64, n: usize) -> std::io::Result<Result<u64, usize>> {
    let mut buf = vec![0u8; 64 << 10];
    let mut end = len;
    // The newline that ends the last line does not begin one.
    let mut skip_last = true;
    let mut seen = 0;
    while end > 0 {
        let start = end.saturating_sub(buf.len() as u64);
        let chunk = &mut buf[..(end - start) as usize];
        f.read_exact_at(chunk, start)?;
        for (i, b) in chunk.iter().enumerate().rev() {
            if *b != b'\n' {
                skip_last = false;
                continue;
            }
            if std::mem::take(&mut skip_last) {
                continue;
            }
            seen += 1;
            if seen == n {
                return Ok(Ok(start + i as u64 + 1));
            }
        }
        end = start;
    }
    Ok(Err(if len == 0 { 0 } else { seen + 1 }))
}

/// The file that came after `file` in the log, open; None while `file` is still the current
/// one (or its successor is not there yet). A follower that fell behind by a rotation or two
/// finds the next file among the rotated ones, where it moved; past max-file, the oldest kept.
pub(crate) fn successor(path: &Path, file: &File) -> Result<Option<File>> {
    let ours = identity(&file.metadata().at("reading the container log", path)?);
    let nth = |k: u32| {
        if k == 0 {
            path.to_owned()
        } else {
            rotated_path(path, k)
        }
    };
    let is_ours = |k: u32| std::fs::metadata(nth(k)).is_ok_and(|m| identity(&m) == ours);
    for _ in 0..5 {
        // Where `file` is now (<log>.k; 0: <log> itself), and the oldest file there is.
        let mut at = None;
        let mut oldest = None;
        for k in 0.. {
            match std::fs::metadata(nth(k)) {
                Ok(m) if identity(&m) == ours => {
                    at = Some(k);
                    break;
                }
                Ok(_) => oldest = Some(k),
                Err(_) if k == 0 => {} // between a rotation's rename and its new file
                Err(_) => break,
            }
        }
        let next = match (at, oldest) {
            (Some(0), _) | (None, None) => return Ok(None),
            (Some(k), _) => k - 1,
            // Deleted by rotation: everything there is newer.
            (None, Some(k)) => k,
        };
        let opened = match File::open(nth(next)) {
            Ok(f) => f,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::at("opening the container log", &nth(next), e)),
        };
        // A rotation in between moves every file up one: look again.
        if at.is_none_or(is_ours) {
            return Ok(Some(opened));
        }
    }
    Ok(None)
}

fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    (m.dev(), m.ino())
}

/// Prints every whole entry up to the end of the file (or the first past `until`); a line
/// still being written is left for the next call.
fn drain(reader: &mut BufReader<File>, p: &mut Printer, path: &Path) -> Result<()> {
    let mut line = String::new();
    while !p.past_until {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .at("reading the container log", path)?;
        if n == 0 {
            return Ok(());
        }
        if !line.ends_with('\n') {
            reader
                .seek(SeekFrom::Current(-(n as i64)))
                .at("reading the container log", path)?;
            return Ok(());
        }
        p.print(&line)?;
    }
    Ok(())
}

struct Printer<'a> {
    timestamps: bool,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    /// An entry past `until` was seen: nothing more is printed.
    past_until: bool,
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// The stream written last was `err`. The other is flushed before a write switches
    /// streams, so that the entries keep the log's order for a reader of both (`2>&1`)
    /// however the caller buffers each.
    last_was_err: bool,
}

impl Printer<'_> {
    fn print(&mut self, line: &str) -> Result<()> {
        let Ok(entry) = serde_json::from_str::<Entry>(line) else {
            return Ok(());
        };
        if self.since.is_some() || self.until.is_some() {
            let Ok(time) = DateTime::parse_from_rfc3339(&entry.time) else {
                return Ok(());
            };
            if self.until.is_some_and(|u| time > u) {
                self.past_until = true;
                return Ok(());
            }
            if self.since.is_some_and(|s| time < s) {
                return Ok(());
            }
        }
        let to_err = entry.stream == "stderr";
        if to_err != self.last_was_err {
            let _ = match self.last_was_err {
                true => self.err.flush(),
                false => self.out.flush(),
            };
            self.last_was_err = to_err;
        }
        let sink: &mut dyn Write = match to_err {
            true => &mut *self.err,
            false => &mut *self.out,
        };
        let timestamps = self.timestamps;
        let write = |sink: &mut dyn Write| -> std::io::Result<()> {
            if timestamps {
                sink.write_all(entry.time.as_bytes())?;
                sink.write_all(b" ")?;
            }
            sink.write_all(entry.log.as_bytes())
        };
        match write(sink) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(Error::io("writing logs", e)),
        }
    }

    fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}

/// Watches the log's directory: writes to the log, and the new file of a rotation.
pub(crate) fn watch(path: &Path) -> Result<nix::sys::inotify::Inotify> {
    use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
    let dir = path.parent().unwrap_or(Path::new("."));
    let ino = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
    ino.add_watch(
        dir,
        AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_DELETE_SELF,
    )
    .map_err(|e| Error::at("watching the container log in", dir, e.into()))?;
    Ok(ino)
}

/// Waits for the log to change, at most 200 ms (so a stopped container is noticed).
pub(crate) fn wait_for_change(ino: &nix::sys::inotify::Inotify) {
    use std::os::fd::AsFd;
    let mut fds = [nix::poll::PollFd::new(
        ino.as_fd(),
        nix::poll::PollFlags::POLLIN,
    )];
    let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(200u8));
    let _ = ino.read_events();
}

#[cfg(test)]
mod tests {
    use super::super::{test_log, Stream};
    use super::*;

    fn render(path: &Path, opts: &LogOptions) -> (String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        read_logs(path, opts, &mut out, &mut err, &mut || false).unwrap();
        (
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    fn tail(n: usize) -> LogOptions {
        LogOptions {
            tail: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn since_and_until_keep_the_entries_of_their_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let entry = |s: u32, text: &str, stream: &str| {
            format!(
                "{{\"log\":\"{text}\\n\",\"stream\":\"{stream}\",\"time\":\"2026-01-01T00:00:0{s}.5Z\"}}\n"
            )
        };
        let text = [
            entry(1, "one", "stdout"),
            entry(2, "two", "stderr"),
            entry(3, "three", "stdout"),
            entry(4, "four", "stdout"),
        ]
        .concat();
        std::fs::write(&path, text).unwrap();
        let at = |s: u32| {
            Some(
                DateTime::parse_from_rfc3339(&format!("2026-01-01T00:00:0{s}.5Z"))
                    .unwrap()
                    .to_utc(),
            )
        };
        let opts = |since, until| LogOptions {
            since,
            until,
            ..Default::default()
        };
        // Both ends included, as Docker's.
        assert_eq!(
            render(&path, &opts(at(2), at(3))),
            ("three\n".into(), "two\n".into())
        );
        assert_eq!(render(&path, &opts(at(3), None)).0, "three\nfour\n");
        assert_eq!(render(&path, &opts(None, at(1))).0, "one\n");
        // --tail counts first.
        let tailed = LogOptions {
            tail: Some(1),
            ..opts(at(2), None)
        };
        assert_eq!(render(&path, &tailed).0, "four\n");
        // Following stops once `until` has passed, the container running or not.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let follow = LogOptions {
            follow: true,
            ..opts(None, at(9))
        };
        read_logs(&path, &follow, &mut out, &mut err, &mut || true).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "one\nthree\nfour\n");
    }

    #[test]
    fn streams_tail_and_timestamps() {
        let (dir, path, mut w) = test_log(u64::MAX, 1);
        w.write(Stream::Stdout, b"one\ntwo\n").unwrap();
        w.write(Stream::Stderr, b"oops\n").unwrap();
        w.write(Stream::Stdout, b"partial \"quoted\"").unwrap();
        let (out, err) = render(&path, &LogOptions::default());
        assert_eq!(out, "one\ntwo\npartial \"quoted\"");
        assert_eq!(err, "oops\n");
        for i in 0..5 {
            w.write(Stream::Stdout, format!("line{i}\n").as_bytes())
                .unwrap();
        }
        assert_eq!(render(&path, &tail(2)).0, "line3\nline4\n");
        assert_eq!(render(&path, &tail(0)).0, "");
        // 8 entries; the partial one and the next print as one line.
        assert_eq!(render(&path, &tail(50)).0.lines().count(), 7);
        assert_eq!(
            render(&path, &tail(6)).0,
            "partial \"quoted\"line0\nline1\nline2\nline3\nline4\n"
        );
        let stamped = LogOptions {
            timestamps: true,
            tail: Some(1),
            ..Default::default()
        };
        let (out, _) = render(&path, &stamped);
        assert!(out.ends_with("Z line4\n"), "{out}");
        assert_eq!(render(&dir.path().join("none.log"), &tail(3)).0, "");
    }

    /// One end of a pipe both streams are written to (`logs 2>&1`).
    #[derive(Clone, Default)]
    struct SharedPipe(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

    impl Write for SharedPipe {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn buffered_streams_keep_the_order_of_the_log() {
        let (_dir, path, mut w) = test_log(u64::MAX, 1);
        for (stream, text) in [
            (Stream::Stdout, "one\n"),
            (Stream::Stdout, "two\n"),
            (Stream::Stderr, "three\n"),
            (Stream::Stdout, "four\n"),
            (Stream::Stderr, "five\n"),
        ] {
            w.write(stream, text.as_bytes()).unwrap();
        }
        let pipe = SharedPipe::default();
        let mut out = std::io::BufWriter::new(pipe.clone());
        let mut err = std::io::BufWriter::new(pipe.clone());
        read_logs(
            &path,
            &LogOptions::default(),
            &mut out,
            &mut err,
            &mut || false,
        )
        .unwrap();
        out.flush().unwrap();
        err.flush().unwrap();
        let both = String::from_utf8(pipe.0.borrow().clone()).unwrap();
        assert_eq!(both, "one\ntwo\nthree\nfour\nfive\n");
    }

    #[test]
    fn rotated_files_are_read_in_order_and_tail_counts_across_them() {
        let (_dir, path, mut w) = test_log(300, 4);
        for i in 0..40 {
            w.write(Stream::Stdout, format!("{i}\n").as_bytes())
                .unwrap();
        }
        assert!(rotated_path(&path, 3).exists() && !rotated_path(&path, 4).exists());
        let (all, _) = render(&path, &LogOptions::default());
        let numbers: Vec<u32> = all.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers.last(), Some(&39));
        assert!(numbers.len() < 40, "the oldest were rotated away");
        assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{numbers:?}");
        // Each tail is the end of the whole, across file boundaries.
        for n in 0..=numbers.len() + 2 {
            let expected: String = numbers[numbers.len().saturating_sub(n)..]
                .iter()
                .map(|i| format!("{i}\n"))
                .collect();
            assert_eq!(render(&path, &tail(n)).0, expected, "--tail {n}");
        }
    }

    /// Each time the follower looks, the writer has written `batch` more lines; with `files`
    /// kept, the follower must see every line once, in order, across the rotations (and a
    /// follower behind by a few rotations finds the files where they moved).
    fn follow_while_writing(batch: usize, max_files: u32) {
        let (_dir, path, mut w) = test_log(200, max_files);
        w.write(Stream::Stdout, b"first\n").unwrap();
        let mut calls = 0;
        let mut out = Vec::new();
        let mut next = 0;
        let mut running = || {
            calls += 1;
            for _ in 0..batch {
                w.write(Stream::Stdout, format!("n{next}\n").as_bytes())
                    .unwrap();
                next += 1;
            }
            calls < 20
        };
        let opts = LogOptions {
            follow: true,
            ..Default::default()
        };
        read_logs(&path, &opts, &mut out, &mut Vec::new(), &mut running).unwrap();
        let expected: String = std::iter::once("first\n".to_owned())
            .chain((0..20 * batch).map(|i| format!("n{i}\n")))
            .collect();
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn follow_returns_when_the_container_stops_and_crosses_rotations() {
        follow_while_writing(3, 2);
    }

    #[test]
    fn a_follower_behind_by_rotations_finds_the_moved_files() {
        follow_while_writing(10, 5);
    }
}
