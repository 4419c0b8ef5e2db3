//! `sixdocker events`: the journal's records between `--since` and `--until` that pass the
//! filters, then (unless `--until` is past) the live stream, across rotations, until the
//! reader stops or `--until` comes.
//!
//! As Docker's daemon: without `--since` or `--until` only new events are shown; with either,
//! the kept history first (`since` and `until` both inclusive).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};

use chrono::Utc;

use super::Event;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::filters::{EventFilter, Filters};

/// What `events` asks for.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// (unix seconds, nanoseconds), as `filters::parse_timestamp` gives them.
    pub since: Option<(i64, u32)>,
    /// The end (the same form); None: follow until the caller stops.
    pub until: Option<(i64, u32)>,
    /// `--filter` (type, event, container, image, network, label).
    pub filters: Filters,
}

impl Engine {
    /// Hands each event that `q` selects to `sink`, oldest first; returns when `q.until` has
    /// passed (never without it: the caller stops reading). A sink error ends it.
    pub fn events(
        &self,
        q: &EventQuery,
        sink: &mut dyn FnMut(&Event) -> io::Result<()>,
    ) -> Result<()> {
        self.events_while(q, sink, &|| true)
    }

    /// [`Engine::events`] that also returns (Ok) once `go_on` says false; it is asked at least
    /// every 200 ms while no event comes (a server's client that went away).
    pub fn events_while(
        &self,
        q: &EventQuery,
        sink: &mut dyn FnMut(&Event) -> io::Result<()>,
        go_on: &dyn Fn() -> bool,
    ) -> Result<()> {
        let filter = EventFilter::new(&q.filters)?;
        let journal = self.journal();
        let io_err = |e| Error::io("reading the events journal", e);
        let wanted = |e: &Event| {
            q.since.is_none_or(|s| e.instant() >= s)
                && q.until.is_none_or(|u| e.instant() <= u)
                && filter.includes(e)
        };
        let mut send = |e: &Event| match wanted(e) {
            true => sink(e).map_err(io_err),
            false => Ok(()),
        };
        std::fs::create_dir_all(journal.current().parent().unwrap_or(&self.opts.root))
            .map_err(io_err)?;
        let watch = crate::logs::watch(&journal.current())?;
        let mut files = journal.snapshot().map_err(io_err)?;
        let mut current = files.pop().map(Records::new);
        if q.since.is_some() || q.until.is_some() {
            for older in files {
                let mut r = Records::new(older);
                while let Some(e) = r.next_complete().map_err(io_err)? {
                    send(&e)?;
                }
            }
        } else if let Some(c) = &mut current {
            c.skip_to_end().map_err(io_err)?;
        }
        let until_passed = || {
            q.until.is_some_and(|u| {
                let now = Utc::now();
                (now.timestamp(), now.timestamp_subsec_nanos()) > u
            })
        };
        loop {
            if !go_on() {
                return Ok(());
            }
            if let Some(c) = &mut current {
                while let Some(e) = c.next_complete().map_err(io_err)? {
                    send(&e)?;
                }
                match crate::logs::successor(&journal.current(), c.file())? {
                    Some(next) => {
                        *c = Records::new(next);
                        continue;
                    }
                    None if until_passed() => return Ok(()),
                    None => {}
                }
            } else {
                if until_passed() {
                    return Ok(());
                }
                // No journal yet: the first event creates it.
                current = File::open(journal.current()).ok().map(Records::new);
                if current.is_some() {
                    continue;
                }
            }
            crate::logs::wait_for_change(&watch);
        }
    }
}

/// The records of one journal file, read as far as they are whole.
pub(crate) struct Records {
    reader: BufReader<File>,
    line: Vec<u8>,
}

impl Records {
    pub(crate) fn new(file: File) -> Records {
        Records {
            reader: BufReader::with_capacity(64 << 10, file),
            line: Vec::new(),
        }
    }

    /// The next record; None at the end. A line still being written is left for the next
    /// call; a line that does not parse (a torn record) is skipped.
    pub(crate) fn next_complete(&mut self) -> io::Result<Option<Event>> {
        loop {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(None);
            }
            if self.line.last() != Some(&b'\n') {
                self.reader.seek_relative(-(n as i64))?;
                return Ok(None);
            }
            if let Ok(e) = serde_json::from_slice(&self.line) {
                return Ok(Some(e));
            }
        }
    }

    pub(crate) fn file(&self) -> &File {
        self.reader.get_ref()
    }

    fn skip_to_end(&mut self) -> io::Result<()> {
        self.reader.seek(SeekFrom::End(0)).map(|_| ())
    }
}
