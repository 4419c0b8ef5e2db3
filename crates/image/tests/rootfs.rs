//! The default busybox image, name resolution, and overlay rootfs mounts with
//! copy-on-write between containers. Runs as root against the real kernel.

mod common;

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use common::TestRoot;
use six_image::{Durability, RootfsMount};

#[test]
fn busybox_default_image_is_built_once_and_resolves_every_way() {
    let t = TestRoot::new();
    let img = t
        .store
        .ensure_default("busybox", None)
        .unwrap()
        .expect("busybox is a default image");
    assert_eq!(img.repo_tags, ["busybox:latest"]);
    assert_eq!(img.config.cmd.as_deref(), Some(&["sh".to_string()][..]));
    assert!(img.config.env.iter().any(|e| e.starts_with("PATH=")));
    assert_eq!(img.layers.len(), 1);
    assert!(img.size > 100_000, "size {}", img.size);

    let again = t
        .store
        .ensure_default("busybox:latest", None)
        .unwrap()
        .unwrap();
    assert_eq!(again.id, img.id);
    for name in [
        "busybox",
        "busybox:latest",
        img.id.as_str(),
        &img.id[..12],
        &format!("sha256:{}", img.id),
        "docker.io/library/busybox",
    ] {
        assert_eq!(
            t.store.resolve(name).unwrap().id,
            img.id,
            "resolving {name}"
        );
    }
    assert_eq!(t.store.list().unwrap().len(), 1);
    assert!(t.store.ensure_default("alpine", None).unwrap().is_none());
    let e = t.store.resolve("alpine").unwrap_err().to_string();
    assert_eq!(e, "no such image: alpine");
}

#[test]
fn busybox_image_id_is_reproducible_across_stores() {
    let a = TestRoot::new();
    let b = TestRoot::new();
    let ia = a.store.resolve("busybox").unwrap();
    let ib = b.store.resolve("busybox").unwrap();
    assert_eq!(ia.id, ib.id);
}

#[test]
fn resolve_reports_unknown_and_ambiguous_and_bad_names() {
    let t = TestRoot::new();
    assert!(t
        .store
        .resolve("nosuch")
        .unwrap_err()
        .to_string()
        .contains("nosuch"));
    let e = t.store.resolve("Bad Name").unwrap_err().to_string();
    assert!(e.starts_with("invalid image reference \"Bad Name\""), "{e}");
    assert!(t.store.resolve("sha256:zz").is_err());
}

#[test]
fn rootfs_mount_shows_the_image_and_unmounts() {
    let t = TestRoot::new();
    let img = t.store.resolve("busybox").unwrap();
    let m = t.store.mount_rootfs(&img, &t.container_dir("c1")).unwrap();
    assert!(m.is_mounted());
    assert_eq!(
        fs::read_link(m.merged.join("bin/sh")).unwrap().to_str(),
        Some("busybox")
    );
    assert!(fs::read_to_string(m.merged.join("etc/passwd"))
        .unwrap()
        .contains("user:x:1000:1000"));
    assert_eq!(
        fs::metadata(m.merged.join("tmp")).unwrap().mode() & 0o7777,
        0o1777
    );
    // Mounting again returns the same mount instead of stacking a second one.
    let again = t.store.mount_rootfs(&img, &t.container_dir("c1")).unwrap();
    assert_eq!(again, m);
    assert_eq!(t.mounts().len(), 1);
    m.unmount().unwrap();
    assert!(t.mounts().is_empty(), "{:?}", t.mounts());
    // A later process can unmount by container dir; unmounting twice is fine.
    RootfsMount::for_container_dir(&t.container_dir("c1"))
        .unmount()
        .unwrap();
}

/// The super options of the mount at `path`.
fn super_options(path: &std::path::Path) -> String {
    six_testkit::super_options(path).unwrap_or_else(|| panic!("{} is not mounted", path.display()))
}

/// A thrown-away container's overlay is volatile (no sync of the upper filesystem at
/// unmount); a kept one's is not; and the mark a volatile mount leaves in its work dir does
/// not stop the same dirs from being mounted again.
#[test]
fn a_volatile_rootfs_skips_syncs_and_can_be_mounted_again() {
    let t = TestRoot::new();
    let img = t.store.resolve("busybox").unwrap();
    let dir = t.container_dir("v");
    let m = t
        .store
        .mount_rootfs_as(&img, &dir, Durability::Volatile)
        .unwrap();
    assert!(super_options(&m.merged).contains("volatile"));
    fs::write(m.merged.join("note"), "kept in the upper dir").unwrap();
    m.clone().unmount().unwrap();
    assert!(
        dir.join("work/work/incompat/volatile").exists(),
        "overlayfs marks the work dir of a volatile mount"
    );
    // Mounted again (synced): the mark is cleared, the upper dir's changes are there.
    let again = t.store.mount_rootfs(&img, &dir).unwrap();
    assert!(!super_options(&again.merged).contains("volatile"));
    assert_eq!(
        fs::read_to_string(again.merged.join("note")).unwrap(),
        "kept in the upper dir"
    );
    again.unmount().unwrap();
    assert!(t.mounts().is_empty(), "{:?}", t.mounts());
}

#[test]
fn writes_in_one_container_never_show_in_the_image_or_another_container() {
    let t = TestRoot::new();
    let img = t.store.resolve("busybox").unwrap();
    let a = t.store.mount_rootfs(&img, &t.container_dir("a")).unwrap();
    let b = t.store.mount_rootfs(&img, &t.container_dir("b")).unwrap();

    fs::write(a.merged.join("etc/passwd"), "changed\n").unwrap();
    fs::write(a.merged.join("tmp/new-file"), "x").unwrap();
    fs::remove_file(a.merged.join("bin/ls")).unwrap();

    assert_eq!(
        fs::read_to_string(a.merged.join("etc/passwd")).unwrap(),
        "changed\n"
    );
    assert!(fs::read_to_string(b.merged.join("etc/passwd"))
        .unwrap()
        .starts_with("root:"));
    assert!(!b.merged.join("tmp/new-file").exists());
    assert!(fs::symlink_metadata(b.merged.join("bin/ls")).is_ok());
    assert!(fs::symlink_metadata(a.merged.join("bin/ls")).is_err());

    // The change lives in a's upper dir: the new file, the copy-up and a whiteout.
    assert!(a.upper.join("tmp/new-file").is_file());
    let wh = fs::symlink_metadata(a.upper.join("bin/ls")).unwrap();
    assert!(wh.file_type().is_char_device() && wh.rdev() == 0);
    assert!(
        fs::read_dir(&b.upper).unwrap().next().is_none(),
        "b's upper dir must stay empty"
    );

    // The image itself is untouched: a third container sees the original.
    let c = t.store.mount_rootfs(&img, &t.container_dir("c")).unwrap();
    assert!(fs::read_to_string(c.merged.join("etc/passwd"))
        .unwrap()
        .starts_with("root:"));
    for m in [a, b, c] {
        m.unmount().unwrap();
    }
    assert!(t.mounts().is_empty(), "{:?}", t.mounts());
}

#[test]
fn a_tar_in_the_import_dir_becomes_an_image_on_first_use() {
    let t = TestRoot::new();
    let import_dir = t.path().join("images-folder");
    fs::create_dir(&import_dir).unwrap();
    let tar = common::tar_of(&[
        common::E::Dir("etc/"),
        common::E::File("etc/hello", b"from tar\n"),
    ]);
    fs::write(import_dir.join("hello.tar"), &tar).unwrap();
    let store = t.store.clone().with_import_dir(Some(import_dir));
    let img = store.resolve("hello").unwrap();
    assert_eq!(img.repo_tags, ["hello:latest"]);
    assert_eq!(store.resolve("hello:latest").unwrap().id, img.id);
    assert!(store.resolve("hello:v2").is_err());
    let e = store.resolve("nginx").unwrap_err().to_string();
    assert!(
        e.starts_with("no such image: nginx (looked for nginx.tar in /"),
        "{e}"
    );
    let m = store.mount_rootfs(&img, &t.container_dir("h")).unwrap();
    assert_eq!(
        fs::read_to_string(m.merged.join("etc/hello")).unwrap(),
        "from tar\n"
    );
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}
