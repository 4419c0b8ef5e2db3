//! The events journal: `<root>/events/events.log` (and `.1` … older ones), one JSON record a
//! line, written by many processes at once (every CLI, every container's monitor).
//!
//! A writer takes the journal's lock (`flock` on `events/lock`, waited for at most 2 s
//! ([`LOCK_WAIT`]); past it the event is dropped, never the caller's operation), appends its
//! record with one `write` to a file opened `O_APPEND`, and rotates when the file has grown
//! past its size: `events.log.N-1` → `.N` (the oldest dropped), …, `events.log` → `.1`. The
//! journal is bounded: `files` files of about `max_bytes` each (default 3 × 1 MiB, some ten
//! thousand events). A record cut short (a writer killed mid-write, a full disk) is a torn
//! line: the next writer starts on a fresh line, and readers skip lines that do not parse.
//! Readers open the files under the lock (oldest first) and read them after releasing it.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Event;

/// How long a writer waits for the journal's lock (held for one append by others).
pub(super) const LOCK_WAIT: Duration = Duration::from_secs(2);
const MAX_BYTES: u64 = 1 << 20;
const FILES: u32 = 3;

/// The journal of one store.
#[derive(Debug, Clone)]
pub struct Journal {
    dir: PathBuf,
    max_bytes: u64,
    files: u32,
}

impl Journal {
    /// The journal in `dir` (created on the first append), with the default bounds.
    pub fn new(dir: &Path) -> Journal {
        Journal {
            dir: dir.to_owned(),
            max_bytes: MAX_BYTES,
            files: FILES,
        }
    }

    /// Rotate past `max_bytes`, keep `files` files (at least 1) in all.
    pub fn with_limits(mut self, max_bytes: u64, files: u32) -> Journal {
        self.max_bytes = max_bytes.max(1);
        self.files = files.max(1);
        self
    }

    /// The file being written: `<dir>/events.log`.
    pub fn current(&self) -> PathBuf {
        self.dir.join("events.log")
    }

    /// `<dir>/events.log.n` (n ≥ 1: older), or the current file for 0.
    pub fn nth(&self, n: u32) -> PathBuf {
        match n {
            0 => self.current(),
            n => crate::logs::rotated_path(&self.current(), n),
        }
    }

    /// Appends one record whole (see the module's doc).
    pub fn append(&self, event: &Event) -> io::Result<()> {
        let mut line = serde_json::to_vec(event).map_err(io::Error::other)?;
        line.push(b'\n');
        let _lock = self.lock()?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600)
            .open(self.current())?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8];
            file.read_exact_at(&mut last, len - 1)?;
            if last[0] != b'\n' {
                // A torn record before ours: ours starts on a line of its own.
                line.insert(0, b'\n');
            }
        }
        (&file).write_all(&line)?;
        if len + line.len() as u64 >= self.max_bytes {
            self.rotate()?;
        }
        Ok(())
    }

    /// The journal's files, oldest first, opened at one moment (under the lock): a rotation
    /// after that moves names, not what these read.
    pub fn snapshot(&self) -> io::Result<Vec<File>> {
        if !self.dir.exists() {
            return Ok(Vec::new());
        }
        let _lock = self.lock()?;
        let mut files = Vec::new();
        for n in (0..self.files).rev() {
            match File::open(self.nth(n)) {
                Ok(f) => files.push(f),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(files)
    }

    /// Called with the lock held.
    fn rotate(&self) -> io::Result<()> {
        for n in (1..self.files).rev() {
            match std::fs::rename(self.nth(n - 1), self.nth(n)) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        if self.files == 1 {
            std::fs::remove_file(self.current())?;
        }
        Ok(())
    }

    fn lock(&self) -> io::Result<File> {
        std::fs::create_dir_all(&self.dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.dir.join("lock"))?;
        six_sys::flock::lock_exclusive(&file, LOCK_WAIT)?;
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn event(n: usize) -> Event {
        let mut attrs = BTreeMap::new();
        attrs.insert("n".to_owned(), n.to_string());
        Event::new("container", "start", &format!("{n:064}"), attrs)
    }

    fn read_all(j: &Journal) -> Vec<Event> {
        let mut out = Vec::new();
        for f in j.snapshot().unwrap() {
            let mut reader = super::super::read::Records::new(f);
            while let Some(e) = reader.next_complete().unwrap() {
                out.push(e);
            }
        }
        out
    }

    #[test]
    fn appends_rotate_and_stay_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path()).with_limits(2000, 3);
        for n in 0..100 {
            j.append(&event(n)).unwrap();
        }
        let kept = read_all(&j);
        let numbers: Vec<usize> = kept
            .iter()
            .map(|e| e.actor.attributes["n"].parse().unwrap())
            .collect();
        assert!(!numbers.is_empty());
        let first = numbers[0];
        assert_eq!(
            numbers,
            (first..100).collect::<Vec<_>>(),
            "the newest, in order"
        );
        let total: u64 = (0..3)
            .filter_map(|n| std::fs::metadata(j.nth(n)).ok())
            .map(|m| m.len())
            .sum();
        assert!(total <= 3 * 2000 + 400, "bounded: {total}");
        assert!(!j.nth(3).exists());
    }

    #[test]
    fn a_torn_tail_costs_only_the_torn_record() {
        let dir = tempfile::tempdir().unwrap();
        let j = Journal::new(dir.path());
        j.append(&event(1)).unwrap();
        let mut f = OpenOptions::new().append(true).open(j.current()).unwrap();
        f.write_all(br#"{"status":"start","id":"00"#).unwrap();
        j.append(&event(2)).unwrap();
        let got: Vec<String> = read_all(&j)
            .iter()
            .map(|e| e.actor.attributes["n"].clone())
            .collect();
        assert_eq!(got, ["1", "2"]);
    }
}
