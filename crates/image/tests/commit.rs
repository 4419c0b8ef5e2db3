//! commit (one new layer with whiteouts and opaque dirs, config kept and updated),
//! tag and remove (in use, force, shared layers), and many writers at once.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use common::TestRoot;
use six_image::{Error, ImageConfig, ImageUse, Progress};

#[test]
fn commit_adds_one_layer_with_the_containers_changes() {
    let t = TestRoot::new();
    let base = t.store.resolve("busybox").unwrap();
    let a = t.store.mount_rootfs(&base, &t.container_dir("a")).unwrap();
    fs::write(a.merged.join("tmp/new"), "new\n").unwrap();
    fs::write(a.merged.join("etc/passwd"), "root:x:0:0::/root:/bin/sh\n").unwrap();
    fs::remove_file(a.merged.join("bin/ls")).unwrap();
    fs::write(a.merged.join("home/user/old"), "old").unwrap();
    fs::remove_dir_all(a.merged.join("home")).unwrap();
    fs::create_dir_all(a.merged.join("home/other")).unwrap();

    let change = ImageConfig {
        env: vec!["ADDED=1".into()],
        working_dir: Some("/tmp".into()),
        ..Default::default()
    };
    let img = t
        .store
        .commit(&base, &a.upper, change, Some("mine:1"))
        .unwrap();
    assert_eq!(img.repo_tags, ["mine:1"]);
    assert_eq!(img.layers.len(), 2);
    assert_eq!(
        img.layers[0], base.layers[0],
        "the base layer is shared, not copied"
    );
    assert_eq!(img.config.cmd, base.config.cmd);
    assert!(img.config.env.iter().any(|e| e.starts_with("PATH=")));
    assert!(img.config.env.contains(&"ADDED=1".to_string()));
    assert_eq!(img.config.working_dir.as_deref(), Some("/tmp"));
    assert!(img.size > base.size);

    // The new layer holds only the changes, with deletions as overlay whiteouts.
    let diff = t
        .store
        .dir()
        .join("layers")
        .join(img.layers[1].trim_start_matches("sha256:"))
        .join("diff");
    let wh = fs::symlink_metadata(diff.join("bin/ls")).unwrap();
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
    assert!(
        !diff.join("bin/busybox").exists(),
        "unchanged files are not copied"
    );

    let b = t.store.mount_rootfs(&img, &t.container_dir("b")).unwrap();
    assert_eq!(
        fs::read_to_string(b.merged.join("tmp/new")).unwrap(),
        "new\n"
    );
    assert!(fs::read_to_string(b.merged.join("etc/passwd"))
        .unwrap()
        .starts_with("root:x:0:0::"));
    assert!(fs::symlink_metadata(b.merged.join("bin/ls")).is_err());
    assert!(b.merged.join("bin/busybox").is_file());
    let home: Vec<_> = fs::read_dir(b.merged.join("home"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(home, ["other"], "the opaque home hides user/");

    // The history gained one entry; the config JSON kept the base's fields.
    let mut saved = Vec::new();
    t.store
        .save(&["mine:1"], &mut saved, &Progress::hidden())
        .unwrap();
    let mut ar = tar::Archive::new(&saved[..]);
    let mut config = None;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().display().to_string();
        if name == format!("{}.json", img.id) {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            config = Some(serde_json::from_str::<serde_json::Value>(&s).unwrap());
        }
    }
    let config = config.expect("config in saved archive");
    assert_eq!(config["history"].as_array().unwrap().len(), 2);
    assert_eq!(config["config"]["Cmd"][0], "sh");

    for m in [a, b] {
        m.unmount().unwrap();
    }
    assert!(t.mounts().is_empty());
}

#[test]
fn committing_a_committed_image_stacks_layers() {
    let t = TestRoot::new();
    let base = t.store.resolve("busybox").unwrap();
    let a = t.store.mount_rootfs(&base, &t.container_dir("a")).unwrap();
    fs::write(a.merged.join("one"), "1").unwrap();
    let one = t
        .store
        .commit(&base, &a.upper, ImageConfig::default(), Some("stack:1"))
        .unwrap();
    let b = t.store.mount_rootfs(&one, &t.container_dir("b")).unwrap();
    fs::write(b.merged.join("two"), "2").unwrap();
    fs::remove_file(b.merged.join("one")).unwrap();
    let two = t
        .store
        .commit(&one, &b.upper, ImageConfig::default(), None)
        .unwrap();
    assert_eq!(two.layers.len(), 3);
    assert!(two.repo_tags.is_empty());
    let c = t.store.mount_rootfs(&two, &t.container_dir("c")).unwrap();
    assert!(!c.merged.join("one").exists());
    assert_eq!(fs::read_to_string(c.merged.join("two")).unwrap(), "2");
    for m in [a, b, c] {
        m.unmount().unwrap();
    }
    assert!(t.mounts().is_empty());
}

/// Commits `child:1`: `base` with a file /x (made in container dir "a"); with its own layer's
/// unpacked directory.
fn child_of(t: &TestRoot, base: &six_image::Image) -> (six_image::Image, std::path::PathBuf) {
    let m = t.store.mount_rootfs(base, &t.container_dir("a")).unwrap();
    fs::write(m.merged.join("x"), "x").unwrap();
    let child = t
        .store
        .commit(base, &m.upper, ImageConfig::default(), Some("child:1"))
        .unwrap();
    m.unmount().unwrap();
    let layer = t
        .store
        .dir()
        .join("layers")
        .join(child.layers[1].trim_start_matches("sha256:"));
    (child, layer)
}

#[test]
fn tag_and_remove_follow_dockers_rules() {
    let t = TestRoot::new();
    let base = t.store.resolve("busybox").unwrap();
    let no = |_: &str| ImageUse::Unused;
    t.store.tag("busybox", "mybox:1").unwrap();
    assert_eq!(t.store.resolve("mybox:1").unwrap().id, base.id);
    // By ID with two names: refused without force.
    let e = t.store.remove(&base.id[..12], &no, false).unwrap_err();
    assert!(matches!(e, Error::MultipleNames { .. }), "{e}");
    // By name with two names: untag only.
    assert_eq!(
        t.store.remove("mybox:1", &no, false).unwrap(),
        ["Untagged: mybox:1"]
    );
    assert!(t.store.resolve("mybox:1").is_err());

    let (child, child_layer) = child_of(&t, &base);
    assert!(child_layer.is_dir());

    // In use by a running container: refused, then with force untagged but kept.
    let used = |id: &str| {
        if id == child.id {
            ImageUse::Running
        } else {
            ImageUse::Unused
        }
    };
    let e = t.store.remove("child:1", &used, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "image child:1 is in use by a container (use force to remove it anyway)"
    );
    assert_eq!(
        t.store.remove("child:1", &used, true).unwrap(),
        ["Untagged: child:1"]
    );
    let dangling = t.store.resolve(&child.id).unwrap();
    assert_eq!(
        dangling.repo_tag_pairs(),
        [("<none>".to_string(), "<none>".to_string())]
    );

    // Not in use any more: deleted, with its own layer; the shared base layer stays.
    let out = t.store.remove(&child.id[..10], &no, false).unwrap();
    assert_eq!(out, [format!("Deleted: sha256:{}", child.id)]);
    assert!(!child_layer.exists());
    assert!(t.store.resolve(&child.id).is_err());
    let m = t
        .store
        .mount_rootfs(&t.store.resolve("busybox").unwrap(), &t.container_dir("b"))
        .unwrap();
    assert!(m.merged.join("bin/busybox").is_file());
    m.unmount().unwrap();

    // The last image goes with every layer and blob.
    t.store.remove("busybox", &no, false).unwrap();
    assert!(t.store.list().unwrap().is_empty());
    assert_eq!(
        fs::read_dir(t.store.dir().join("layers")).unwrap().count(),
        0
    );
    assert_eq!(
        fs::read_dir(t.store.dir().join("blobs/sha256"))
            .unwrap()
            .count(),
        0
    );
    assert_eq!(fs::read_dir(t.store.dir().join("l")).unwrap().count(), 0);
    assert!(matches!(
        t.store.remove("busybox:2", &no, false),
        Err(Error::NotFound(_))
    ));
    assert!(t.mounts().is_empty());
}

/// `rmi -f` of an image only stopped containers use: deleted for everyone but them (as
/// Docker): not listed, not found, its layers kept for them until released.
#[test]
fn an_image_removed_under_stopped_containers_is_retained_for_them() {
    let t = TestRoot::new();
    let base = t.store.resolve("busybox").unwrap();
    let (child, layer) = child_of(&t, &base);
    let stopped = |id: &str| {
        if id == child.id {
            ImageUse::Stopped
        } else {
            ImageUse::Unused
        }
    };
    assert_eq!(
        t.store.remove("child:1", &stopped, true).unwrap(),
        [
            "Untagged: child:1".to_string(),
            format!("Deleted: sha256:{}", child.id)
        ]
    );
    assert!(t.store.list().unwrap().iter().all(|i| i.id != child.id));
    assert!(t.store.resolve(&child.id).is_err());
    assert!(t.store.is_retained(&child.id));
    // garbage collection (any removal runs it) keeps its layers for the containers
    t.store.tag("busybox", "other:1").unwrap();
    t.store.remove("other:1", &stopped, false).unwrap();
    assert!(layer.is_dir());
    let kept = t.store.container_image(&child.id).unwrap();
    let m = t.store.mount_rootfs(&kept, &t.container_dir("b")).unwrap();
    assert_eq!(fs::read_to_string(m.merged.join("x")).unwrap(), "x");
    m.unmount().unwrap();
    // released only once no container uses it; then its own layer goes
    assert!(!t.store.release_retained(&child.id, &|_| true).unwrap());
    assert!(layer.is_dir());
    assert!(t.store.release_retained(&child.id, &|_| false).unwrap());
    assert!(!layer.exists());
    assert!(!t.store.is_retained(&child.id));
    assert!(t.store.container_image(&child.id).is_err());
    assert!(t.mounts().is_empty());
}

#[test]
fn many_writers_at_once_leave_a_consistent_store() {
    let t = TestRoot::new();
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let store = t.store.clone();
            std::thread::spawn(move || {
                let bb = store.resolve("busybox").unwrap();
                let tar = common::tar_of(&[common::E::File(&format!("file{i}"), b"x")]);
                let img = store
                    .import(
                        &mut &tar[..],
                        Some(&format!("par:{i}")),
                        &Progress::hidden(),
                    )
                    .unwrap();
                store.tag(&img.id, &format!("other:{i}")).unwrap();
                (bb.id, img.id)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        results.windows(2).all(|w| w[0].0 == w[1].0),
        "one busybox for all"
    );
    let list = t.store.list().unwrap();
    assert_eq!(list.len(), 7);
    for (i, (_, id)) in results.iter().enumerate() {
        let img = t.store.resolve(&format!("par:{i}")).unwrap();
        assert_eq!(&img.id, id);
        assert_eq!(img.repo_tags, [format!("other:{i}"), format!("par:{i}")]);
    }
    assert_eq!(
        fs::read_dir(t.store.dir().join("tmp")).unwrap().count(),
        0,
        "no temp work left"
    );
}

#[test]
fn leftovers_of_killed_commands_are_swept() {
    let t = TestRoot::new();
    let bb = t.store.resolve("busybox").unwrap();
    let dir = t.store.dir().to_owned();
    let bb_layer = bb.layers[0].trim_start_matches("sha256:").to_owned();
    // As a command killed after installing a layer but before writing its image record:
    let orphan = "ab".repeat(32);
    fs::create_dir_all(dir.join("layers").join(&orphan).join("diff")).unwrap();
    fs::write(
        dir.join("layers").join(&orphan).join("link"),
        "abababababababab",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        format!("../layers/{orphan}/diff"),
        dir.join("l/abababababababab"),
    )
    .unwrap();
    fs::write(dir.join("blobs/sha256").join(&orphan), "tar").unwrap();
    fs::write(dir.join("blobs/sha256/.tmp-x1"), "half").unwrap();
    std::os::unix::fs::symlink("../layers/gone/diff", dir.join("l/dangling")).unwrap();
    // As a command killed while unpacking (its PID no longer exists):
    let dead_pid = (1_000_000..).find(|p| !six_testkit::pid_alive(*p)).unwrap();
    fs::create_dir_all(dir.join(format!("tmp/layer-{dead_pid}-xyz/diff"))).unwrap();
    let ours = dir.join(format!("tmp/layer-{}-live", std::process::id()));
    fs::create_dir_all(&ours).unwrap();

    // Opening the store removes dead processes' temp work, not live ones'.
    six_image::ImageStore::open(t.path()).unwrap();
    assert!(!dir.join(format!("tmp/layer-{dead_pid}-xyz")).exists());
    assert!(ours.exists());
    fs::remove_dir(&ours).unwrap();
    assert!(
        dir.join("layers").join(&orphan).exists(),
        "no intent marker: no sweep on open"
    );

    // A process killed while registering an image left its marker: open sweeps at once.
    fs::write(dir.join(format!("tmp/register-{dead_pid}-1")), "").unwrap();
    let store = six_image::ImageStore::open(t.path()).unwrap();
    assert!(!dir.join("layers").join(&orphan).exists());
    assert!(!dir.join("blobs/sha256").join(&orphan).exists());
    assert!(fs::symlink_metadata(dir.join("l/abababababababab")).is_err());
    assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
    assert!(store.resolve("busybox").is_ok());
    // Leftovers without a marker are swept by the next remove.
    fs::create_dir_all(dir.join("layers").join(&orphan).join("diff")).unwrap();
    fs::write(dir.join("blobs/sha256").join(&orphan), "tar").unwrap();

    // The next remove sweeps everything no image refers to, and keeps busybox intact.
    store.tag("busybox", "extra:1").unwrap();
    store
        .remove("extra:1", &|_: &str| ImageUse::Unused, false)
        .unwrap();
    let tmp_img = t.import(
        &common::tar_of(&[common::E::File("x", b"x")]),
        Some("gone:1"),
    );
    store
        .remove("gone:1", &|_: &str| ImageUse::Unused, false)
        .unwrap();
    assert!(!dir.join("layers").join(&orphan).exists());
    assert!(!dir.join("blobs/sha256").join(&orphan).exists());
    assert!(!dir.join("blobs/sha256/.tmp-x1").exists());
    assert!(fs::symlink_metadata(dir.join("l/dangling")).is_err());
    assert!(!dir
        .join("layers")
        .join(tmp_img.layers[0].trim_start_matches("sha256:"))
        .exists());
    assert!(dir
        .join("layers")
        .join(&bb_layer)
        .join("diff/bin/busybox")
        .is_file());
    let m = store
        .mount_rootfs(&store.resolve("busybox").unwrap(), &t.container_dir("a"))
        .unwrap();
    assert!(m.merged.join("bin/sh").exists());
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}
