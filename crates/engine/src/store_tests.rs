//! Tests of `store.rs`: records, names, locks and removal on a temp root.

use super::*;
use crate::file_lock::lock_file_within;
use crate::request::RunRequest;
use std::fs::File;
use std::io::Write;

/// A record of the default image, made now (other modules' tests use it too).
pub(crate) fn config(id: &str, name: &str) -> ContainerConfig {
    ContainerConfig {
        id: id.to_owned(),
        name: name.to_owned(),
        created: chrono::Utc::now(),
        image: "busybox".into(),
        image_id: "x".into(),
        args: vec!["true".into()],
        entrypoint: vec![],
        cmd: vec!["true".into()],
        env: vec![],
        workdir: "/".into(),
        user: String::new(),
        hostname: id[..12].to_owned(),
        request: RunRequest::default(),
        labels: Default::default(),
        networks: None,
        endpoint_settings: Default::default(),
        mounts: None,
        stop_signal: None,
        healthcheck: None,
        exposed_ports: None,
    }
}

#[test]
fn ids_are_64_hex_and_distinct() {
    let a = Store::new_id().unwrap();
    let b = Store::new_id().unwrap();
    assert_eq!(a.len(), 64);
    assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[test]
fn names_are_unique_and_lookup_works() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let a = format!("abc{}", &Store::new_id().unwrap()[3..]);
    let b = format!("abd{}", &Store::new_id().unwrap()[3..]);
    store.create(&config(&a, "web")).unwrap();
    store.create(&config(&b, "db")).unwrap();
    let err = store
        .create(&config(&Store::new_id().unwrap(), "web"))
        .unwrap_err();
    assert!(matches!(err, Error::NameInUse { .. }), "{err}");
    assert_eq!(
        store.ids().unwrap().len(),
        2,
        "the refused record left nothing"
    );
    assert_eq!(store.resolve("web").unwrap(), a);
    assert_eq!(store.resolve(&a).unwrap(), a);
    assert_eq!(store.resolve("abc").unwrap(), a);
    assert!(matches!(
        store.resolve("ab"),
        Err(Error::AmbiguousPrefix { count: 2, .. })
    ));
    assert!(matches!(
        store.resolve("zzz"),
        Err(Error::NoSuchContainer(_))
    ));
    assert!(matches!(
        store.resolve("../x"),
        Err(Error::NoSuchContainer(_))
    ));
    store.remove(&a).unwrap();
    assert!(store.resolve("web").is_err());
    store
        .create(&config(&Store::new_id().unwrap(), "web"))
        .unwrap();
}

#[test]
fn a_dangling_name_is_reclaimed() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    std::os::unix::fs::symlink("0".repeat(64), root.path().join("containers/names/web")).unwrap();
    store
        .create(&config(&Store::new_id().unwrap(), "web"))
        .unwrap();
}

#[test]
fn updates_are_atomic_and_persist() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let id = Store::new_id().unwrap();
    store.create(&config(&id, "x")).unwrap();
    assert_eq!(store.state(&id).unwrap().status, Status::Creating);
    store
        .update(&id, |s| {
            s.status = Status::Exited;
            s.exit_code = 137;
            Ok(())
        })
        .unwrap();
    let s = store.state(&id).unwrap();
    assert_eq!((s.status, s.exit_code), (Status::Exited, 137));
    let leftovers: Vec<_> = fs::read_dir(store.dir(&id))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_stuck_lock_holder_is_named_not_waited_for_forever() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let id = Store::new_id().unwrap();
    store.create(&config(&id, "x")).unwrap();
    let _held = store.lock(&id).unwrap();
    let path = store.dir(&id).join(LOCK);
    let began = std::time::Instant::now();
    let e = lock_file_within(&path, std::time::Duration::from_millis(300))
        .err()
        .unwrap();
    assert!(began.elapsed() < std::time::Duration::from_secs(5));
    let text = crate::Chain(&e).to_string();
    let me = std::process::id();
    assert!(
        text.starts_with(&format!("locking {}: held by pid {me} (", path.display())),
        "{text}"
    );
    assert!(text.ends_with("for more than 300 ms"), "{text}");
}

/// Fills the filesystem of `dir` until not one more byte can be written.
fn fill(dir: &Path) {
    let mut f = File::create(dir.join("filler")).unwrap();
    let chunk = vec![0u8; 64 << 10];
    while f.write_all(&chunk).is_ok() {}
    while f.write_all(&[0u8; 512]).is_ok() {}
    let probe = fs::write(dir.join("probe"), b"x").unwrap_err();
    assert_eq!(probe.raw_os_error(), Some(libc::ENOSPC));
}

#[test]
fn the_state_is_written_and_the_record_removed_on_a_full_filesystem() {
    six_testkit::require_root();
    let dir = tempfile::tempdir().unwrap();
    let disk = six_testkit::SmallTmpfs::mount(&dir.path().join("root"), 1 << 20).unwrap();
    let store = Store::open(disk.path()).unwrap();
    let id = Store::new_id().unwrap();
    store.create(&config(&id, "full")).unwrap();
    fill(disk.path());
    for code in [137, 3] {
        store
            .update(&id, |s| {
                s.status = Status::Exited;
                s.exit_code = code;
                s.stopped_by_user = true;
                Ok(())
            })
            .unwrap();
        let s = store.state(&id).unwrap();
        assert_eq!((s.status, s.exit_code), (Status::Exited, code));
    }
    store
        .update(&id, |s| {
            s.status = Status::Removing;
            Ok(())
        })
        .unwrap();
    store.remove(&id).unwrap();
    assert!(store.ids().unwrap().is_empty());
}

#[test]
fn a_waiter_on_a_removed_record_finds_no_container_and_recreates_nothing() {
    let root = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(root.path()).unwrap());
    for _ in 0..30 {
        let id = Store::new_id().unwrap();
        store.create(&config(&id, &id[..12])).unwrap();
        let held = store.lock(&id).unwrap();
        let spawn = |remove: bool| {
            let (store, id) = (store.clone(), id.clone());
            std::thread::spawn(move || match remove {
                true => store.remove(&id),
                false => store.update(&id, |s| {
                    s.exit_code = 1;
                    Ok(())
                }),
            })
        };
        let (updater, remover) = (spawn(false), spawn(true));
        std::thread::sleep(std::time::Duration::from_millis(2));
        drop(held);
        match updater.join().unwrap() {
            Ok(()) | Err(Error::NoSuchContainer(_)) => {}
            Err(e) => panic!("the update failed with {e}"),
        }
        remover.join().unwrap().unwrap();
        assert!(!store.dir(&id).exists(), "the record came back");
        assert!(matches!(store.lock(&id), Err(Error::NoSuchContainer(_))));
    }
    let left: Vec<_> = fs::read_dir(root.path().join("containers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["names"], "{left:?}");
}

#[test]
fn what_killed_creates_and_removals_left_is_deleted_and_live_ones_are_not() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let me = ProcessId::current();
    let dir = |name: String| root.path().join("containers").join(name);
    let (a, b) = ("a".repeat(64), "b".repeat(64));
    let dead = [
        dir(format!("{REMOVING}{a}.{}", i32::MAX)),
        dir(format!("{CREATING}{a}.{}.1", i32::MAX)),
        // This very pid, but another start time: a pid reused since.
        dir(format!("{CREATING}{b}.{}.{}", me.pid, me.start_time + 1)),
    ];
    let live = [
        dir(format!("{REMOVING}{b}.{}", me.pid)),
        dir(format!("{CREATING}{a}.{}.{}", me.pid, me.start_time)),
    ];
    for d in dead.iter().chain(&live) {
        fs::create_dir_all(d.join("upper/x")).unwrap();
    }
    store.remove_leftovers();
    for d in &dead {
        assert!(!d.exists(), "{} stays", d.display());
    }
    for d in &live {
        assert!(d.exists(), "{} was taken from a live process", d.display());
    }
}

#[test]
fn a_record_is_placed_whole() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let id = Store::new_id().unwrap();
    store.create(&config(&id, "whole")).unwrap();
    let state = store.state(&id).unwrap();
    assert_eq!(state.owner, Some(ProcessId::current()));
    let entries: Vec<_> = fs::read_dir(root.path().join("containers"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        entries.iter().all(|e| e == "names" || *e == id),
        "{entries:?}"
    );
}

#[test]
fn generated_names_are_free() {
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let name = store.generate_name();
    assert!(
        name.parse::<crate::types::ContainerName>().is_ok(),
        "{name}"
    );
}
