//! `kill -9` at any moment of load, import, tag or remove leaves a store that the next
//! `open` repairs: every name resolves, every image's layers are complete, nothing
//! unreferenced or temporary remains. The writer is this test binary re-run as a child
//! (the ignored test below), killed after a varying delay.

mod common;

use std::collections::HashSet;
use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{docker_archive, tar_of, TestRoot, E, Z};
use six_image::{ImageStore, Progress};

const ROOT_ENV: &str = "SIX_IMAGE_KILL_TEST_ROOT";

/// Run only as the child of `killed_writers_leave_a_repairable_store`: writes forever.
#[test]
#[ignore = "the child process of killed_writers_leave_a_repairable_store"]
fn child_writes_until_killed() {
    let Ok(root) = std::env::var(ROOT_ENV) else {
        return;
    };
    let store = ImageStore::open(root.as_ref()).unwrap();
    store.resolve("busybox").unwrap();
    for i in 0u64.. {
        let big = vec![(i % 251) as u8; 512 * 1024];
        let layers = vec![
            (tar_of(&[E::File("base", b"shared")]), Z::Plain),
            (
                tar_of(&[E::File(&format!("f{i}"), &big), E::File(".wh.base", b"")]),
                Z::Gzip,
            ),
        ];
        let archive = docker_archive(&layers, &[&format!("k:{}", i % 3)]);
        store.load(&mut &archive[..], &Progress::hidden()).unwrap();
        let flat = tar_of(&[E::File(&format!("g{i}"), &big)]);
        store
            .import(
                &mut &flat[..],
                Some(&format!("flat:{}", i % 2)),
                &Progress::hidden(),
            )
            .unwrap();
        store.tag(&format!("k:{}", i % 3), "last:1").unwrap();
        for img in store
            .list()
            .unwrap()
            .iter()
            .filter(|img| img.repo_tags.is_empty())
        {
            store
                .remove(&img.id, &|_: &str| six_image::ImageUse::Unused, false)
                .unwrap();
        }
    }
}

#[test]
fn killed_writers_leave_a_repairable_store() {
    let t = TestRoot::new();
    // At least 8 kills, and on until the writer got as far as loading archives (a slow
    // machine spends the first rounds building busybox).
    let delays = [3u64, 10, 25, 40, 70, 120, 200, 300];
    for round in 0..40 {
        let delay_ms = delays[round % delays.len()] + 20 * round as u64;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_writes_until_killed",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(ROOT_ENV, t.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The delay only picks the moment of the kill; nothing is asserted about timing.
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_repaired(&t);
        if round >= delays.len() - 1 && t.store.resolve("last:1").is_ok() {
            break;
        }
    }
    assert!(
        t.store.resolve("last:1").is_ok(),
        "the writer never got to load an archive"
    );
    assert!(t.mounts().is_empty());
}

fn assert_repaired(t: &TestRoot) {
    let store = ImageStore::open(t.path()).unwrap();
    let dir = store.dir().to_owned();
    assert_eq!(
        fs::read_dir(dir.join("tmp")).unwrap().count(),
        0,
        "temp work of the killed writer is gone"
    );
    let mut used = HashSet::new();
    for img in store.list().unwrap() {
        for name in &img.repo_tags {
            assert_eq!(store.resolve(name).unwrap().id, img.id);
        }
        for l in &img.layers {
            let hex = l.trim_start_matches("sha256:");
            let layer = dir.join("layers").join(hex);
            assert!(
                layer.join("diff").is_dir() && layer.join("size").is_file(),
                "layer {hex} complete"
            );
            let short = fs::read_to_string(layer.join("link")).unwrap();
            assert!(fs::metadata(dir.join("l").join(short.trim()))
                .unwrap()
                .is_dir());
            assert!(dir.join("blobs/sha256").join(hex).is_file());
            used.insert(hex.to_owned());
        }
    }
    // Unreferenced layers can only come from a register or remove cut short, and the
    // intent marker it left made `open` sweep them.
    for e in fs::read_dir(dir.join("layers")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            used.contains(&name),
            "layer {name} is referenced by no image"
        );
    }
    // The store still works: a container rootfs mounts.
    let m = store
        .mount_rootfs(
            &store.resolve("busybox").unwrap(),
            &t.container_dir("check"),
        )
        .unwrap();
    assert!(m.merged.join("bin/sh").exists());
    m.unmount().unwrap();
}

const COMMIT_ROOT_ENV: &str = "SIX_IMAGE_KILL_COMMIT_ROOT";

/// Run only as the child of `a_killed_commit_leaves_nothing_half_made`: changes its upper
/// dir and commits it, under a new name each time, forever.
#[test]
#[ignore = "the child process of a_killed_commit_leaves_nothing_half_made"]
fn child_commits_until_killed() {
    let Ok(root) = std::env::var(COMMIT_ROOT_ENV) else {
        return;
    };
    let root = std::path::Path::new(&root);
    let store = ImageStore::open(root).unwrap();
    let base = store.resolve("base:1").unwrap();
    let upper = root.join("upper");
    for i in 0u64.. {
        fs::write(upper.join("changed"), vec![(i % 251) as u8; 256 * 1024]).unwrap();
        fs::write(upper.join(format!("n{i}")), i.to_string()).unwrap();
        let name = format!("c:{}-{i}", std::process::id());
        store
            .commit(
                &base,
                &upper,
                six_image::ImageConfig::default(),
                Some(&name),
            )
            .unwrap();
    }
}

#[test]
fn a_killed_commit_leaves_nothing_half_made() {
    let t = TestRoot::new();
    t.import(&tar_of(&[E::File("base", b"base")]), Some("base:1"));
    fs::create_dir(t.path().join("upper")).unwrap();
    let mut commits = 0;
    for round in 0..30u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "child_commits_until_killed",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(COMMIT_ROOT_ENV, t.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // The delay only picks the moment of the kill; nothing is asserted about timing.
        std::thread::sleep(Duration::from_millis(10 + (round * 37) % 190));
        child.kill().unwrap();
        child.wait().unwrap();

        let store = ImageStore::open(t.path()).unwrap();
        let dir = store.dir().to_owned();
        assert_eq!(
            fs::read_dir(dir.join("tmp")).unwrap().count(),
            0,
            "temp work of the killed commit is gone"
        );
        let images = store.list().unwrap();
        let mut used = HashSet::new();
        for img in &images {
            // Every commit names its image: a nameless one is half-made.
            assert!(!img.repo_tags.is_empty(), "nameless image {} left", img.id);
            used.insert(img.id.clone());
            for l in &img.layers {
                let hex = l.trim_start_matches("sha256:");
                let layer = dir.join("layers").join(hex);
                assert!(layer.join("diff").is_dir() && layer.join("size").is_file());
                used.insert(hex.to_owned());
            }
        }
        for sub in ["layers", "blobs/sha256"] {
            for e in fs::read_dir(dir.join(sub)).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                assert!(used.contains(&name), "{sub}/{name} belongs to no image");
            }
        }
        commits = images.len() - 1;
    }
    assert!(commits > 0, "the child never got to commit");
    assert!(t.mounts().is_empty());
}
