//! The events journal under many writers at once: separate processes (this test binary run
//! again as `writer_child`) append records while the journal rotates; afterwards every record
//! is there exactly once and every line is whole. A second run with small bounds checks that
//! the journal stays bounded and still holds only whole records.

use std::collections::BTreeMap;
use std::process::Command;

use six_engine::events::{Event, Journal};

const WRITERS: usize = 16;
const RECORDS: usize = 150;

fn journal(dir: &std::path::Path, max_bytes: u64, files: u32) -> Journal {
    Journal::new(dir).with_limits(max_bytes, files)
}

/// Run as a child process: appends RECORDS events tagged with its writer number.
#[test]
#[ignore = "a child of the concurrency tests, run by them"]
fn writer_child() {
    let dir = std::env::var("JOURNAL_DIR").expect("JOURNAL_DIR");
    let writer: usize = std::env::var("JOURNAL_WRITER").unwrap().parse().unwrap();
    let max_bytes: u64 = std::env::var("JOURNAL_MAX").unwrap().parse().unwrap();
    let files: u32 = std::env::var("JOURNAL_FILES").unwrap().parse().unwrap();
    let j = journal(dir.as_ref(), max_bytes, files);
    for n in 0..RECORDS {
        // Attributes of varying length, some records over 4 KiB (more than PIPE_BUF).
        let pad = "x".repeat((writer * 131 + n * 17) % 5000);
        let attrs = BTreeMap::from([
            ("writer".to_owned(), writer.to_string()),
            ("n".to_owned(), n.to_string()),
            ("pad".to_owned(), pad),
        ]);
        j.append(&Event::new(
            "container",
            "start",
            &format!("{writer}-{n}"),
            attrs,
        ))
        .expect("appending");
    }
}

/// Starts WRITERS children at once and waits for them all.
fn write_concurrently(dir: &std::path::Path, max_bytes: u64, files: u32) {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new(&exe)
                .args(["--ignored", "--exact", "writer_child", "--test-threads=1"])
                .env("JOURNAL_DIR", dir)
                .env("JOURNAL_WRITER", w.to_string())
                .env("JOURNAL_MAX", max_bytes.to_string())
                .env("JOURNAL_FILES", files.to_string())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a writer failed");
    }
}

/// Every line of every file of the journal, parsed (a line that does not parse fails).
fn all_records(j: &Journal, files: u32) -> Vec<Event> {
    let mut events = Vec::new();
    for n in (0..files).rev() {
        let Ok(text) = std::fs::read_to_string(j.nth(n)) else {
            continue;
        };
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "a torn tail in file {n}"
        );
        for (i, line) in text.lines().enumerate() {
            let e: Event = serde_json::from_str(line)
                .unwrap_or_else(|err| panic!("file {n} line {i} is torn: {err}: {line:.80}"));
            events.push(e);
        }
    }
    events
}

#[test]
fn concurrent_writers_lose_and_tear_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Room for everything (about 6.5 MB of records) in 64 files of 256 KiB: some 25 rotations.
    let (max, files) = (256 << 10, 64);
    write_concurrently(dir.path(), max, files);
    let j = journal(dir.path(), max, files);
    let events = all_records(&j, files);
    assert!(j.nth(2).exists(), "the journal rotated");
    let mut seen = std::collections::BTreeSet::new();
    for e in &events {
        assert!(seen.insert(e.actor.id.clone()), "{} twice", e.actor.id);
    }
    assert_eq!(events.len(), WRITERS * RECORDS, "every record is there");
    // Each writer's records in its own order.
    for w in 0..WRITERS {
        let mine: Vec<usize> = events
            .iter()
            .filter(|e| e.actor.attributes["writer"] == w.to_string())
            .map(|e| e.actor.attributes["n"].parse().unwrap())
            .collect();
        assert_eq!(mine, (0..RECORDS).collect::<Vec<_>>(), "writer {w}");
    }
}

#[test]
fn a_small_journal_stays_bounded_and_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (max, files) = (32 << 10, 3);
    write_concurrently(dir.path(), max, files);
    let j = journal(dir.path(), max, files);
    let events = all_records(&j, files);
    assert!(!events.is_empty());
    assert!(events.len() < WRITERS * RECORDS, "old records were dropped");
    let total: u64 = (0..files + 1)
        .filter_map(|n| std::fs::metadata(j.nth(n)).ok())
        .map(|m| m.len())
        .sum();
    // Each file ends at most one record (< 6 KiB here) past its bound.
    assert!(
        total <= files as u64 * (max + (6 << 10)),
        "{total} bytes kept"
    );
    assert!(!j.nth(files).exists(), "no file beyond the bound");
}
