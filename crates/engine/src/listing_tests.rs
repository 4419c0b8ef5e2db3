//! The listing cache against every kind of writer: unchanged records are not read, any
//! change is seen, recent directories are not trusted, a damaged cache or a killed cache
//! writer leaves nothing wrong, concurrent writers and listings agree.

use std::sync::atomic::Ordering;

use super::*;
use crate::record::Status;
use crate::store::tests::config;
use crate::store::Store;

/// A store with `n` records, and the directory its listing cache lives in.
fn store_with(n: usize) -> (tempfile::TempDir, Store, Vec<String>) {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let ids: Vec<String> = (0..n)
        .map(|i| {
            let id = Store::new_id().unwrap();
            store.create(&config(&id, &format!("c{i}"))).unwrap();
            id
        })
        .collect();
    (root, store, ids)
}

/// A listing as a new process would have it, trusting files written `settled` ago.
fn listing(root: &Path, settled: Duration) -> Listing {
    Listing {
        settled,
        ..Listing::new(&root.join("containers"))
    }
}

fn reads(l: &Listing) -> usize {
    l.reads.load(Ordering::Relaxed)
}

/// What the records say, read directly.
fn truth(store: &Store) -> Vec<(String, String, Status, i32)> {
    let mut all: Vec<_> = store
        .ids()
        .unwrap()
        .into_iter()
        .map(|id| {
            let (c, s) = (store.config(&id).unwrap(), store.state(&id).unwrap());
            (id, c.name, s.status, s.exit_code)
        })
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

fn listed(l: &Listing, store: &Store) -> Vec<(String, String, Status, i32)> {
    let mut all: Vec<_> = l
        .records(store.ids().unwrap())
        .into_iter()
        .map(|(c, s)| (c.id, c.name, s.status, s.exit_code))
        .collect();
    all.sort_by(|a, b| a.0.cmp(&b.0));
    all
}

#[test]
fn unchanged_records_are_listed_without_reading_them() {
    let (root, store, ids) = store_with(5);
    let first = listing(root.path(), Duration::ZERO);
    assert_eq!(listed(&first, &store), truth(&store));
    assert_eq!(reads(&first), 5, "each record once");
    // Another command: the cache file has them all.
    let next = listing(root.path(), Duration::ZERO);
    assert_eq!(listed(&next, &store), truth(&store));
    let states = next.states(store.ids().unwrap());
    assert_eq!(states.len(), ids.len());
    assert_eq!(reads(&next), 0);
}

#[test]
fn a_listing_that_handed_its_entries_over_lists_again_from_the_file() {
    let (root, store, ids) = store_with(4);
    let cache = listing(root.path(), Duration::ZERO);
    let first = cache.entries(store.ids().unwrap());
    assert_eq!(first.len(), ids.len());
    assert!(first
        .iter()
        .all(|(id, read)| read.as_ref().is_ok_and(|(config, _)| &config.id == id)));
    assert_eq!(reads(&cache), 4);
    // Handed over: the same listing loads the file again, and reads no record.
    assert_eq!(listed(&cache, &store), truth(&store));
    assert_eq!(reads(&cache), 4);
    // A record written just now is never kept: read at each listing, handed over or not.
    let (root, store, _) = store_with(4);
    let unsure = listing(root.path(), Duration::from_secs(3600));
    unsure.entries(store.ids().unwrap());
    unsure.entries(store.ids().unwrap());
    assert_eq!(reads(&unsure), 8);
    assert_eq!(listed(&unsure, &store), truth(&store));
}

#[test]
fn a_change_by_any_writer_is_seen_at_the_next_listing() {
    let (root, store, ids) = store_with(3);
    let cached = listing(root.path(), Duration::ZERO);
    listed(&cached, &store);
    // A monitor recording an exit, a rename: other processes, which know no cache.
    let other = Store::open(root.path()).unwrap();
    other
        .update(&ids[1], |s| {
            s.status = Status::Exited;
            s.exit_code = 3;
            Ok(())
        })
        .unwrap();
    other.rename(&ids[2], "renamed").unwrap();
    let before = reads(&cached);
    assert_eq!(listed(&cached, &store), truth(&store));
    assert_eq!(reads(&cached) - before, 2, "only what changed is read");
    assert_eq!(
        listed(&listing(root.path(), Duration::ZERO), &store),
        truth(&store)
    );
    // Gone records leave the cache.
    other.remove(&ids[0]).unwrap();
    assert_eq!(listed(&cached, &store), truth(&store));
    let file: CacheFile =
        serde_json::from_slice(&fs::read(root.path().join("containers").join(FILE)).unwrap())
            .unwrap();
    assert!(!file.entries.contains_key(&ids[0]));
    assert_eq!(file.entries.len(), 2);
}

#[test]
fn a_record_written_just_now_is_read_again_not_trusted() {
    let (root, store, _) = store_with(2);
    let l = listing(root.path(), Duration::from_secs(3600));
    listed(&l, &store);
    listed(&l, &store);
    assert_eq!(reads(&l), 4, "read both times");
    let file: CacheFile =
        serde_json::from_slice(&fs::read(root.path().join("containers").join(FILE)).unwrap())
            .unwrap();
    assert!(file.entries.is_empty());
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_rewritten() {
    let (root, store, _) = store_with(2);
    let path = root.path().join("containers").join(FILE);
    for bad in [
        &b"{\"format\": \"1 {}\", \"entr"[..],
        b"{\"format\": \"0 old\", \"entries\": {}}",
        b"\0\0\0",
    ] {
        fs::write(&path, bad).unwrap();
        let l = listing(root.path(), Duration::ZERO);
        assert_eq!(listed(&l, &store), truth(&store));
        assert_eq!(reads(&l), 2);
        let again = listing(root.path(), Duration::ZERO);
        assert_eq!(listed(&again, &store), truth(&store));
        assert_eq!(reads(&again), 0, "rewritten whole");
    }
}

#[test]
fn a_killed_cache_writer_leaves_nothing_that_stays() {
    let (root, store, _) = store_with(1);
    let dir = root.path().join("containers");
    let dead = dir.join(format!("{FILE}.tmp-{}-0", i32::MAX));
    let live = dir.join(format!("{FILE}.tmp-{}-0", std::process::id()));
    fs::write(&dead, b"{\"format").unwrap();
    fs::write(&live, b"{\"format").unwrap();
    store.remove_leftovers();
    assert!(!dead.exists());
    assert!(live.exists(), "a write in progress is left alone");
    assert_eq!(
        listed(&listing(root.path(), Duration::ZERO), &store),
        truth(&store)
    );
}

/// Writers (monitors, commands) and listings (each its own process) at once: every
/// listing parses, and once the writers are done every listing is the truth.
#[test]
fn concurrent_writers_and_listings_agree() {
    let (root, store, ids) = store_with(8);
    // Wait until the records' first writes are trusted by the real rule.
    std::thread::sleep(SETTLED + Duration::from_millis(100));
    listed(&listing(root.path(), SETTLED), &store);
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        for (n, id) in ids.iter().enumerate() {
            let store = store.clone();
            s.spawn(move || {
                for code in 0..20 {
                    store
                        .update(id, |st| {
                            st.status = Status::Exited;
                            st.exit_code = code * 10 + n as i32;
                            Ok(())
                        })
                        .unwrap();
                }
            });
        }
        for _ in 0..3 {
            let (root, store, stop) = (root.path(), &store, &stop);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let l = listing(root, SETTLED);
                    assert_eq!(l.records(store.ids().unwrap()).len(), 8);
                }
            });
        }
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(300));
            stop.store(true, Ordering::Relaxed);
        });
    });
    let last = listing(root.path(), SETTLED);
    assert_eq!(listed(&last, &store), truth(&store));
    assert!(truth(&store).iter().all(|(_, _, _, code)| *code >= 190));
}
