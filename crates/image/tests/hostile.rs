//! Hostile and corrupt archives: each is refused with one line naming the problem, nothing
//! is written outside the layer, and nothing partial is left in the store.

mod common;

use std::fs;
use std::path::Path;

use common::{docker_archive, tar_of, TestRoot, E, Z};
use six_image::Progress;

fn store_state(t: &TestRoot) -> Vec<usize> {
    common::store_state(&t.store)
}

/// Imports `tar` (as a flat rootfs) and loads it (as the one layer of a docker-archive);
/// both must fail with a one-line message containing `needle`, and leave no trace.
fn assert_refused(t: &TestRoot, tar: &[u8], needle: &str) {
    let before = store_state(t);
    let e = t
        .store
        .import(&mut &tar[..], Some("evil:1"), &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(e.contains(needle), "import: {e:?} lacks {needle:?}");
    assert!(!e.contains('\n'), "one line: {e:?}");
    assert_eq!(store_state(t), before, "import left something in the store");

    let archive = docker_archive(&[(tar.to_vec(), Z::Gzip)], &["evil:2"]);
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(e.contains(needle), "load: {e:?} lacks {needle:?}");
    assert_eq!(store_state(t), before, "load left something in the store");
    assert!(t.store.resolve("evil:1").is_err() && t.store.resolve("evil:2").is_err());
}

fn outside(t: &TestRoot) -> std::path::PathBuf {
    let o = t.path().join("outside");
    fs::create_dir_all(&o).unwrap();
    o
}

fn assert_empty(dir: &Path) {
    assert_eq!(
        fs::read_dir(dir).unwrap().count(),
        0,
        "something was written to {}",
        dir.display()
    );
}

#[test]
fn dot_dot_entries_are_refused() {
    let t = TestRoot::new();
    let tar = tar_of(&[
        E::File("ok", b"1"),
        E::File("a/../../../../outside/pwned", b"x"),
    ]);
    assert_refused(
        &t,
        &tar,
        "refusing archive entry \"a/../../../../outside/pwned\": its path contains '..'",
    );
    assert_empty(&outside(&t));
}

#[test]
fn absolute_paths_are_refused() {
    let t = TestRoot::new();
    let target = outside(&t).join("pwned");
    let tar = tar_of(&[E::File(target.to_str().unwrap(), b"x")]);
    assert_refused(&t, &tar, "its path is absolute");
    assert_empty(&outside(&t));
}

#[test]
fn a_symlink_that_climbs_out_is_refused() {
    let t = TestRoot::new();
    let tar = tar_of(&[
        E::Dir("etc/"),
        E::Symlink("etc/evil", "../../../../../../tmp"),
    ]);
    assert_refused(&t, &tar, "refusing archive entry \"etc/evil\": symlink target \"../../../../../../tmp\" leads out of the layer");
}

#[test]
fn writing_through_a_symlinked_parent_is_refused() {
    let t = TestRoot::new();
    let out = outside(&t);
    // An absolute link is legal (it points inside the container's root) but must never be
    // followed while unpacking.
    let tar = tar_of(&[
        E::Symlink("evil", out.to_str().unwrap()),
        E::File("evil/pwned", b"x"),
    ]);
    assert_refused(
        &t,
        &tar,
        "refusing archive entry \"evil/pwned\": a parent directory is a symlink",
    );
    assert_empty(&out);
    // A whiteout written through the link is refused the same way.
    let tar = tar_of(&[
        E::Symlink("evil", out.to_str().unwrap()),
        E::File("evil/.wh.x", b""),
    ]);
    assert_refused(&t, &tar, "a parent directory is a symlink");
    assert_empty(&out);
}

#[test]
fn replacing_a_symlink_with_a_file_never_writes_through_it() {
    let t = TestRoot::new();
    let out = outside(&t);
    fs::write(out.join("victim"), "safe").unwrap();
    let link = out.join("victim");
    let tar = tar_of(&[
        E::Symlink("f", link.to_str().unwrap()),
        E::File("f", b"overwritten"),
    ]);
    let img = t.import(&tar, Some("ok:1"));
    assert_eq!(fs::read_to_string(&link).unwrap(), "safe");
    let m = t.store.mount_rootfs(&img, &t.container_dir("c")).unwrap();
    assert_eq!(
        fs::read_to_string(m.merged.join("f")).unwrap(),
        "overwritten"
    );
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn whiteouts_of_dot_or_dot_dot_are_refused() {
    let t = TestRoot::new();
    for name in ["a/.wh...", "a/.wh..", ".wh."] {
        let tar = tar_of(&[E::Dir("a/"), E::File("a/keep", b"k"), E::File(name, b"")]);
        assert_refused(
            &t,
            &tar,
            &format!("refusing archive entry \"{name}\": a whiteout must name a file"),
        );
    }
}

#[test]
fn hardlinks_out_of_the_layer_are_refused() {
    let t = TestRoot::new();
    let tar = tar_of(&[E::Hardlink("h", "../../../../etc/passwd")]);
    assert_refused(
        &t,
        &tar,
        "hardlink target \"../../../../etc/passwd\" leads out of the layer",
    );
    let tar = tar_of(&[E::Hardlink("h", "/etc/passwd")]);
    assert_refused(&t, &tar, "leads out of the layer");
    let tar = tar_of(&[E::Symlink("s", "/etc"), E::Hardlink("h", "s/passwd")]);
    assert_refused(
        &t,
        &tar,
        "hardlink target \"s/passwd\" goes through a symlink",
    );
    let tar = tar_of(&[E::Hardlink("h", "missing")]);
    assert_refused(&t, &tar, "is not an earlier entry of the layer");
}

#[test]
fn device_nodes_are_refused_but_whiteouts_are_not() {
    let t = TestRoot::new();
    let tar = tar_of(&[E::Dir("dev/"), E::CharDev("dev/mem", 1, 1)]);
    assert_refused(
        &t,
        &tar,
        "refusing archive entry \"dev/mem\": device nodes are not allowed in image layers",
    );
    let img = t.import(
        &tar_of(&[E::CharDev("gone", 0, 0), E::File("kept", b"k")]),
        None,
    );
    assert_eq!(img.layers.len(), 1);
}

#[test]
fn hostile_paths_in_the_outer_archive_are_refused() {
    let t = TestRoot::new();
    let before = store_state(&t);
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.as_old_mut().name[..11].copy_from_slice(b"../../x.tar");
    h.set_cksum();
    b.append(&h, &b"x"[..]).unwrap();
    let archive = b.into_inner().unwrap();
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "refusing archive entry \"../../x.tar\": its path contains '..'"
    );

    let mut b = tar::Builder::new(Vec::new());
    common::add_file(
        &mut b,
        "manifest.json",
        br#"[{"Config":"../../../etc/passwd","Layers":[]}]"#,
    );
    let archive = b.into_inner().unwrap();
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(e.contains("its path contains '..'"), "{e}");
    assert_eq!(store_state(&t), before);
}

#[test]
fn corrupt_archives_get_one_clear_line() {
    let t = TestRoot::new();
    let before = store_state(&t);
    let good = docker_archive(&common::three_layers(), &["c:1"]);
    let load = |bytes: &[u8]| {
        t.store
            .load(&mut &bytes[..], &Progress::hidden())
            .unwrap_err()
            .to_string()
    };

    // Truncated in the middle of an entry.
    let e = load(&good[..good.len() / 2 + 100]);
    assert!(
        e.starts_with("corrupt archive (image archive): truncated or not a tar archive"),
        "{e}"
    );
    // Not an archive at all.
    let e = load(
        b"this is not a tar file, not even close, and it is long enough to fill a header? no.",
    );
    assert!(e.starts_with("corrupt archive"), "{e}");
    // A gzip layer whose deflate stream is garbage.
    let layer = tar_of(&[E::File("f", &[7u8; 4096])]);
    let mut gz = common::compress(&layer, Z::Gzip);
    let n = gz.len();
    for b in &mut gz[12..n - 8] {
        *b ^= 0x5a;
    }
    let mut b = tar::Builder::new(Vec::new());
    let config = common::config_for(std::slice::from_ref(&layer), &["sh"]);
    common::add_file(&mut b, "layer.tar", &gz);
    common::add_file(&mut b, "config.json", &config);
    common::add_file(
        &mut b,
        "manifest.json",
        br#"[{"Config":"config.json","RepoTags":["c:2"],"Layers":["layer.tar"]}]"#,
    );
    let e = load(&b.into_inner().unwrap());
    assert!(
        e.starts_with("corrupt archive (layer layer.tar): cannot decompress"),
        "{e}"
    );
    // A layer whose content does not match the config's diff-id.
    let mut b = tar::Builder::new(Vec::new());
    let other = tar_of(&[E::File("g", b"other")]);
    common::add_file(&mut b, "layer.tar", &other);
    common::add_file(&mut b, "config.json", &config);
    common::add_file(
        &mut b,
        "manifest.json",
        br#"[{"Config":"config.json","RepoTags":["c:3"],"Layers":["layer.tar"]}]"#,
    );
    let e = load(&b.into_inner().unwrap());
    assert!(
        e.starts_with("digest mismatch for layer layer.tar: expected sha256:"),
        "{e}"
    );
    // A truncated flat rootfs tar.
    let flat = tar_of(&[E::File("big", &[1u8; 10000])]);
    let e = t
        .store
        .import(&mut &flat[..3000], None, &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("corrupt archive (rootfs tar): truncated or unreadable tar"),
        "{e}"
    );
    assert!(!e.contains('\n'));
    assert_eq!(store_state(&t), before);
}
