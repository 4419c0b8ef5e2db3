//! A full disk while adding images (load, import, commit) is reported as a full disk,
//! naming the store — never as a corrupt archive — and leaves the store as it was: no
//! image, name, layer, blob or temp file, and not one byte more in use. Each test puts the
//! store on its own small tmpfs (unmounted on drop, even when the test fails).

mod common;

use std::fs;
use std::io::Write;

use common::{
    docker_archive_of, small_tmpfs, store_state, tar_of, used_bytes, Archived, TestRoot, E, Z,
};
use six_image::{Error, ImageConfig, ImageStore, Progress};
use six_testkit::{noise, SmallTmpfs};

/// Asserts `e` is the full-disk error of `store` and returns what it was writing.
#[track_caller]
fn assert_disk_full(e: &Error, store: &ImageStore) -> String {
    let text = e.to_string();
    let prefix = format!(
        "disk full: no space left for the image store {} (while ",
        store.dir().display()
    );
    assert!(!text.contains('\n'), "{text:?}");
    match text.strip_prefix(&prefix).and_then(|w| w.strip_suffix(')')) {
        Some(doing) => doing.to_owned(),
        None => panic!("not a full disk of the store: {text:?}"),
    }
}

#[test]
fn an_archive_bigger_than_the_disk_is_refused_as_a_full_disk() {
    let t = TestRoot::new();
    let small = small_tmpfs(t.path(), 4 * 1024);
    let store = ImageStore::open(small.path()).unwrap();
    let (before, used) = (store_state(&store), used_bytes(small.path()));
    let big = tar_of(&[E::File("big", &noise(6 << 20, 1))]);
    for z in [Z::Plain, Z::Gzip] {
        let archive = common::docker_archive(&[(big.clone(), z)], &["big:1"]);
        let e = store
            .load(&mut &archive[..], &Progress::hidden())
            .unwrap_err();
        assert_disk_full(&e, &store);
        assert_eq!(
            (store_state(&store), used_bytes(small.path())),
            (before.clone(), used)
        );
        let e = store
            .import(&mut &big[..], Some("big:2"), &Progress::hidden())
            .unwrap_err();
        assert_disk_full(&e, &store);
        assert_eq!(
            (store_state(&store), used_bytes(small.path())),
            (before.clone(), used)
        );
    }
    assert!(store.list().unwrap().is_empty());
}

/// Fills the tmpfs but for `free` bytes; the filler goes on drop.
struct Filler(std::path::PathBuf);

impl Filler {
    fn leave(small: &SmallTmpfs, free: u64) -> Filler {
        let path = small.path().join("filler");
        let s = nix::sys::statvfs::statvfs(small.path()).unwrap();
        let avail = s.blocks_available() as u64 * s.fragment_size() as u64;
        let mut f = fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        let mut left = avail.saturating_sub(free);
        while left > 0 {
            let n = left.min(chunk.len() as u64) as usize;
            f.write_all(&chunk[..n]).unwrap();
            left -= n as u64;
        }
        Filler(path)
    }
}

impl Drop for Filler {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

#[test]
fn running_out_of_space_at_any_step_of_a_load_leaves_nothing_half_made() {
    let t = TestRoot::new();
    let small = small_tmpfs(t.path(), 2 * 1024);
    let store = ImageStore::open(small.path()).unwrap();
    // Small layers: adding the images then takes more room than the spooled archive, which
    // is freed before they are added, so the sweep runs out of space in every step.
    let shared = (tar_of(&[E::File("shared", b"shared")]), Z::Gzip);
    let archive = docker_archive_of(&[
        Archived {
            layers: vec![shared.clone(), (tar_of(&[E::File("a", b"a")]), Z::Plain)],
            tags: &["one:1"],
            cmd: "one",
        },
        Archived {
            layers: vec![shared, (tar_of(&[E::File("b", b"b")]), Z::Zstd)],
            tags: &["two:1", "two:2"],
            cmd: "two",
        },
    ]);
    // With more and more room, one page at a time, until the load fits: every failure is
    // a full disk and undoes itself, wherever it happened.
    let mut failed_while = Vec::new();
    let mut loaded = None;
    for pages in 0..400u64 {
        let (before, used) = (store_state(&store), used_bytes(small.path()));
        let filler = Filler::leave(&small, pages * 4096);
        let result = store.load(&mut &archive[..], &Progress::hidden());
        drop(filler);
        match result {
            Ok(images) => {
                loaded = Some(images);
                break;
            }
            Err(e) => {
                failed_while.push(assert_disk_full(&e, &store));
                assert_eq!(
                    (store_state(&store), used_bytes(small.path())),
                    (before, used),
                    "half-made after {e}"
                );
                assert!(store.list().unwrap().is_empty());
            }
        }
    }
    let loaded = loaded.expect("the archive never fitted");
    assert_eq!(loaded.len(), 2);
    assert_eq!(store.resolve("two:2").unwrap().id, loaded[1].id);
    // The sweep reached every step: spooling the archive, unpacking layers, and adding the
    // images (blobs, records, the names index) under the lock.
    let dir = store.dir().display().to_string();
    for step in [
        "tmp/load-",
        "tmp/layer-",
        "blobs/sha256/",
        "images/",
        "repositories.json",
    ] {
        let path = format!("{dir}/{step}");
        assert!(
            failed_while.iter().any(|w| w.contains(&path)),
            "no failure while writing {path}*: {failed_while:#?}"
        );
    }
}

#[test]
fn a_commit_onto_a_full_disk_says_so_and_adds_nothing() {
    let t = TestRoot::new();
    let small = small_tmpfs(t.path(), 8 * 1024);
    let store = ImageStore::open(small.path()).unwrap();
    let base = store
        .import(
            &mut &tar_of(&[E::File("base", b"base")])[..],
            Some("base:1"),
            &Progress::hidden(),
        )
        .unwrap();
    let upper = t.path().join("upper");
    fs::create_dir(&upper).unwrap();
    fs::write(upper.join("big"), noise(10 << 20, 4)).unwrap();
    let (before, used) = (store_state(&store), used_bytes(small.path()));
    let e = store
        .commit(&base, &upper, ImageConfig::default(), Some("c:1"))
        .unwrap_err();
    assert_disk_full(&e, &store);
    assert_eq!(
        (store_state(&store), used_bytes(small.path())),
        (before, used)
    );
    assert_eq!(store.list().unwrap().len(), 1);
}
