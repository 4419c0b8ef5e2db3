//! `load` of an archive with several images is all or nothing: when a later image is
//! hostile or broken, the error names the problem and the store gains no image, name,
//! layer, blob or temp file — not even the images before it. Both archive formats.

mod common;

use std::fs;
use std::path::Path;

use common::{docker_archive_of, oci_archive_of, store_state, tar_of, Archived, TestRoot, E, Z};
use six_image::Progress;

/// The first, harmless image's layers. The hostile image shares the first one.
fn good_layers() -> Vec<(Vec<u8>, Z)> {
    vec![
        (
            tar_of(&[E::Dir("etc/"), E::File("etc/good", b"good")]),
            Z::Plain,
        ),
        (tar_of(&[E::File("second", b"2")]), Z::Gzip),
    ]
}

/// Hostile layers and the words their refusal must contain.
fn hostile_layers(outside: &Path) -> Vec<(Vec<u8>, String)> {
    let out = outside.to_str().unwrap();
    vec![
        (
            tar_of(&[
                E::File("ok", b"1"),
                E::File("a/../../../../outside/pwned", b"x"),
            ]),
            "refusing archive entry \"a/../../../../outside/pwned\": its path contains '..'".into(),
        ),
        (
            tar_of(&[E::Symlink("evil", out), E::File("evil/pwned", b"x")]),
            "refusing archive entry \"evil/pwned\": a parent directory is a symlink".into(),
        ),
        (
            tar_of(&[E::Dir("etc/"), E::Symlink("etc/up", "../../../../../tmp")]),
            "symlink target \"../../../../../tmp\" leads out of the layer".into(),
        ),
        (
            tar_of(&[E::CharDev("mem", 1, 1)]),
            "device nodes are not allowed in image layers".into(),
        ),
    ]
}

/// Loads `archive` and checks it fails with `needle` and changes nothing.
fn assert_nothing_loaded(t: &TestRoot, archive: &[u8], needle: &str, names: &[&str]) {
    let before = store_state(&t.store);
    let images_before = t.store.list().unwrap();
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(e.contains(needle), "{e:?} lacks {needle:?}");
    assert!(!e.contains('\n'), "one line: {e:?}");
    assert_eq!(store_state(&t.store), before, "the store changed: {e}");
    assert_eq!(t.store.list().unwrap(), images_before);
    for n in names {
        assert!(t.store.resolve(n).is_err(), "{n} was loaded although {e}");
    }
}

fn outside(t: &TestRoot) -> std::path::PathBuf {
    let o = t.path().join("outside");
    fs::create_dir_all(&o).unwrap();
    o
}

#[test]
fn a_hostile_second_image_of_a_docker_archive_loads_nothing() {
    let t = TestRoot::new();
    let out = outside(&t);
    for (hostile, needle) in hostile_layers(&out) {
        let archive = docker_archive_of(&[
            Archived {
                layers: good_layers(),
                tags: &["good:1", "good:also"],
                cmd: "good",
            },
            Archived {
                layers: vec![good_layers().remove(0), (hostile, Z::Gzip)],
                tags: &["evil:1"],
                cmd: "evil",
            },
        ]);
        assert_nothing_loaded(&t, &archive, &needle, &["good:1", "good:also", "evil:1"]);
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "wrote outside");
    }
    // The harmless image alone loads, with its layers intact.
    let archive = docker_archive_of(&[Archived {
        layers: good_layers(),
        tags: &["good:1"],
        cmd: "good",
    }]);
    let loaded = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap();
    let m = t
        .store
        .mount_rootfs(&loaded[0], &t.container_dir("g"))
        .unwrap();
    assert_eq!(
        fs::read_to_string(m.merged.join("etc/good")).unwrap(),
        "good"
    );
    m.unmount().unwrap();
}

#[test]
fn a_hostile_second_image_of_an_oci_layout_loads_nothing() {
    let t = TestRoot::new();
    let out = outside(&t);
    for (hostile, needle) in hostile_layers(&out) {
        let archive = oci_archive_of(&[
            Archived {
                layers: good_layers(),
                tags: &["example.com/good:1"],
                cmd: "good",
            },
            Archived {
                layers: vec![good_layers().remove(0), (hostile, Z::Zstd)],
                tags: &["example.com/evil:1"],
                cmd: "evil",
            },
        ]);
        assert_nothing_loaded(
            &t,
            &archive,
            &needle,
            &["example.com/good:1", "example.com/evil:1"],
        );
        assert_eq!(fs::read_dir(&out).unwrap().count(), 0, "wrote outside");
    }
}

#[test]
fn a_broken_second_image_loads_nothing_even_over_an_image_the_store_has() {
    let t = TestRoot::new();
    // The store has the first image already, under another name: it must keep it, its
    // layers and its name, and gain no new name for it.
    let first = Archived {
        layers: good_layers(),
        tags: &["kept:1"],
        cmd: "good",
    };
    let kept = t
        .store
        .load(&mut &docker_archive_of(&[first])[..], &Progress::hidden())
        .unwrap()
        .remove(0);

    let good = || Archived {
        layers: good_layers(),
        tags: &["good:1"],
        cmd: "good",
    };
    // A name that is not a reference.
    let archive = docker_archive_of(&[
        good(),
        Archived {
            layers: vec![(tar_of(&[E::File("x", b"x")]), Z::Plain)],
            tags: &["Not A Name"],
            cmd: "bad",
        },
    ]);
    assert_nothing_loaded(
        &t,
        &archive,
        "invalid image reference \"Not A Name\"",
        &["good:1"],
    );

    // A layer the manifest lists but the archive lacks, after a fine image.
    let mut archive = tar::Builder::new(Vec::new());
    let layer = tar_of(&[E::File("f", b"f")]);
    let config = common::config_for(std::slice::from_ref(&layer), &["sh"]);
    let absent = tar_of(&[E::File("g", b"g")]);
    let config2 = common::config_for(std::slice::from_ref(&absent), &["sh"]);
    common::add_file(&mut archive, "l/layer.tar", &layer);
    common::add_file(&mut archive, "c.json", &config);
    common::add_file(&mut archive, "c2.json", &config2);
    let manifest = serde_json::json!([
        {"Config": "c.json", "RepoTags": ["good:1"], "Layers": ["l/layer.tar"]},
        {"Config": "c2.json", "RepoTags": ["good:2"], "Layers": ["missing/layer.tar"]},
    ]);
    common::add_file(
        &mut archive,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    assert_nothing_loaded(
        &t,
        &archive.into_inner().unwrap(),
        "it has no file \"missing/layer.tar\"",
        &["good:1", "good:2"],
    );

    let still = t.store.resolve("kept:1").unwrap();
    assert_eq!(still.id, kept.id);
    assert_eq!(still.repo_tags, ["kept:1"]);
    let m = t.store.mount_rootfs(&still, &t.container_dir("k")).unwrap();
    assert_eq!(fs::read_to_string(m.merged.join("second")).unwrap(), "2");
    m.unmount().unwrap();
}

#[test]
fn every_image_of_a_good_archive_loads_and_shared_layers_are_stored_once() {
    let t = TestRoot::new();
    let archive = docker_archive_of(&[
        Archived {
            layers: good_layers(),
            tags: &["one:1"],
            cmd: "one",
        },
        Archived {
            layers: vec![
                good_layers().remove(0),
                (tar_of(&[E::File("own", b"o")]), Z::Zstd),
            ],
            tags: &["two:1", "two:2"],
            cmd: "two",
        },
    ]);
    let loaded = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(loaded[0].repo_tags, ["one:1"]);
    assert_eq!(loaded[1].repo_tags, ["two:1", "two:2"]);
    assert_eq!(loaded[0].layers[0], loaded[1].layers[0]);
    // 3 distinct layers, 3 layer blobs + 2 configs, nothing left in tmp.
    assert_eq!(store_state(&t.store), [3, 2, 5, 3, 0]);
}
