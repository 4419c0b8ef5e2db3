//! load (docker-archive and OCI layout; plain, gzip and zstd layers; whiteouts and opaque
//! dirs), save → load round trips, import/export, and the layers a long image needs.

mod common;

use std::fs;

use common::{
    assert_three_layer_view, docker_archive, oci_archive, tar_of, three_layers, TestRoot, E, Z,
};
use six_image::Progress;

#[test]
fn docker_archive_with_three_layers_gives_the_right_merged_view() {
    let t = TestRoot::new();
    let archive = docker_archive(&three_layers(), &["multi:v1"]);
    let images = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap();
    assert_eq!(images.len(), 1);
    let img = t.store.resolve("multi:v1").unwrap();
    assert_eq!(img.layers.len(), 3);
    assert_eq!(img.config.cmd.as_deref(), Some(&["sh".to_string()][..]));
    assert_eq!(img.config.working_dir.as_deref(), Some("/srv"));
    let m = t.store.mount_rootfs(&img, &t.container_dir("m")).unwrap();
    assert_three_layer_view(&m.merged);
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn oci_layout_archive_loads_and_shares_layers_with_the_same_image() {
    let t = TestRoot::new();
    let oci = oci_archive(&three_layers(), "example.com/team/multi:v2");
    let images = t.store.load(&mut &oci[..], &Progress::hidden()).unwrap();
    assert_eq!(images[0].repo_tags, ["example.com/team/multi:v2"]);
    let m = t
        .store
        .mount_rootfs(&images[0], &t.container_dir("o"))
        .unwrap();
    assert_three_layer_view(&m.merged);
    m.unmount().unwrap();

    // The same image as a docker-archive: same ID (same config), no new layer dirs.
    let layer_dirs = || fs::read_dir(t.store.dir().join("layers")).unwrap().count();
    let before = layer_dirs();
    let docker = docker_archive(&three_layers(), &["multi:v1"]);
    let again = t.store.load(&mut &docker[..], &Progress::hidden()).unwrap();
    assert_eq!(again[0].id, images[0].id);
    assert_eq!(layer_dirs(), before, "each layer is unpacked once");
    assert_eq!(
        t.store.resolve("multi:v1").unwrap().repo_tags,
        ["example.com/team/multi:v2", "multi:v1"]
    );
    assert!(t.mounts().is_empty());
}

#[test]
fn a_gzip_compressed_archive_loads() {
    let t = TestRoot::new();
    let archive = common::compress(&docker_archive(&three_layers(), &["gz:1"]), Z::Gzip);
    assert_eq!(
        t.store
            .load(&mut &archive[..], &Progress::hidden())
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn save_then_load_in_another_store_gives_the_same_image() {
    let a = TestRoot::new();
    let archive = docker_archive(&three_layers(), &["multi:v1"]);
    let img = a
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap()
        .remove(0);
    a.store.resolve("busybox").unwrap();
    let mut saved = Vec::new();
    a.store
        .save(&["multi:v1", "busybox"], &mut saved, &Progress::hidden())
        .unwrap();

    let b = TestRoot::new();
    let loaded = b.store.load(&mut &saved[..], &Progress::hidden()).unwrap();
    assert_eq!(loaded.len(), 2);
    assert_eq!(b.store.resolve("multi:v1").unwrap().id, img.id);
    let ma = a.store.mount_rootfs(&img, &a.container_dir("x")).unwrap();
    let mb = b
        .store
        .mount_rootfs(&b.store.resolve("multi:v1").unwrap(), &b.container_dir("x"))
        .unwrap();
    assert_eq!(common::tree(&ma.merged), common::tree(&mb.merged));
    ma.unmount().unwrap();
    mb.unmount().unwrap();
    assert!(a.mounts().is_empty() && b.mounts().is_empty());
}

#[test]
fn import_then_export_round_trips_a_rootfs() {
    let t = TestRoot::new();
    let tar = common::tar_of(&[
        E::Dir("etc/"),
        E::File("etc/motd", b"hello\n"),
        E::Symlink("etc/link", "motd"),
        E::Hardlink("etc/motd2", "etc/motd"),
        E::Symlink("abs", "/etc/motd"),
    ]);
    let img = t.import(&tar, Some("flat:1"));
    assert_eq!(img.repo_tags, ["flat:1"]);
    assert_eq!(img.layers.len(), 1);
    let m = t.store.mount_rootfs(&img, &t.container_dir("f")).unwrap();
    let mut out = Vec::new();
    t.store
        .export(&m.merged, &mut out, &Progress::hidden())
        .unwrap();
    let again = t.import(&out, None);
    assert!(again.repo_tags.is_empty());
    let m2 = t.store.mount_rootfs(&again, &t.container_dir("g")).unwrap();
    assert_eq!(common::tree(&m.merged), common::tree(&m2.merged));
    assert_eq!(
        fs::read_link(m2.merged.join("abs")).unwrap().to_str(),
        Some("/etc/motd")
    );
    m.unmount().unwrap();
    m2.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn an_image_with_many_layers_mounts_although_its_paths_exceed_a_page() {
    let t = TestRoot::new();
    let layers: Vec<(Vec<u8>, Z)> = (0..150)
        .map(|i| {
            (
                common::tar_of(&[E::File(&format!("f{i}"), format!("{i}").as_bytes())]),
                Z::Plain,
            )
        })
        .collect();
    let archive = docker_archive(&layers, &["tall:1"]);
    let img = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap()
        .remove(0);
    assert_eq!(img.layers.len(), 150);
    let m = t
        .store
        .mount_rootfs(&img, &t.container_dir("tall"))
        .unwrap();
    assert_eq!(fs::read_to_string(m.merged.join("f0")).unwrap(), "0");
    assert_eq!(fs::read_to_string(m.merged.join("f149")).unwrap(), "149");
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn a_multi_platform_oci_index_loads_this_hosts_image() {
    use common::{add_file, sha256_hex};
    let t = TestRoot::new();
    let layer = common::tar_of(&[E::File("hello", b"amd64")]);
    let config = common::config_for(std::slice::from_ref(&layer), &["sh"]);
    let mut b = tar::Builder::new(Vec::new());
    add_file(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    add_file(
        &mut b,
        &format!("blobs/sha256/{}", sha256_hex(&layer)),
        &layer,
    );
    add_file(
        &mut b,
        &format!("blobs/sha256/{}", sha256_hex(&config)),
        &config,
    );
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha256_hex(&config)), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": format!("sha256:{}", sha256_hex(&layer)), "size": layer.len()}]
    }))
    .unwrap();
    add_file(
        &mut b,
        &format!("blobs/sha256/{}", sha256_hex(&manifest)),
        &manifest,
    );
    let missing = "0".repeat(64);
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{missing}"), "size": 1,
             "platform": {"architecture": "s390x", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha256_hex(&manifest)),
             "size": manifest.len(), "platform": {"architecture": std::env::consts::ARCH.replace("x86_64", "amd64").replace("aarch64", "arm64"), "os": "linux"}}
        ]
    }))
    .unwrap();
    add_file(
        &mut b,
        &format!("blobs/sha256/{}", sha256_hex(&nested)),
        &nested,
    );
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": format!("sha256:{}", sha256_hex(&nested)), "size": nested.len(),
        "annotations": {"io.containerd.image.name": "docker.io/library/multiarch:1"}}]});
    add_file(&mut b, "index.json", &serde_json::to_vec(&index).unwrap());
    let archive = b.into_inner().unwrap();
    let img = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap()
        .remove(0);
    assert_eq!(img.repo_tags, ["multiarch:1"]);
    let m = t.store.mount_rootfs(&img, &t.container_dir("ma")).unwrap();
    assert_eq!(fs::read_to_string(m.merged.join("hello")).unwrap(), "amd64");
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn an_oci_blob_that_does_not_match_its_digest_is_refused() {
    let t = TestRoot::new();
    let layers = three_layers();
    let mut archive = oci_archive(&layers, "bad:1");
    // Flip one byte of the first (plain) layer's blob content inside the outer tar.
    let needle = b"keep";
    let pos = archive
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    archive[pos] = b'K';
    let e = t
        .store
        .load(&mut &archive[..], &Progress::hidden())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("digest mismatch for blobs/sha256/"), "{e}");
    assert!(t.store.list().unwrap().is_empty());
}

/// A hardlink entry of the outer archive, as tar writes a second copy of a file.
fn add_hardlink(b: &mut tar::Builder<Vec<u8>>, path: &str, target: &str) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Link);
    h.set_mode(0o644);
    h.set_size(0);
    b.append_link(&mut h, path, target).unwrap();
}

#[test]
fn a_layer_stored_as_a_hardlink_to_an_earlier_one_loads() {
    let t = TestRoot::new();
    let shared = tar_of(&[E::Dir("etc/"), E::File("etc/shared", b"shared")]);
    let own_plain = tar_of(&[E::File("own", b"own")]);
    let own = common::compress(&own_plain, Z::Gzip);
    let config1 = common::config_for(std::slice::from_ref(&shared), &["one"]);
    let config2 = common::config_for(&[shared.clone(), own_plain], &["two"]);
    let mut b = tar::Builder::new(Vec::new());
    // The content once, under a name no image lists; each image's layer.tar is a hardlink
    // to it (by archive path, as tar writes a second name of the same file).
    let blob = format!("./blobs/sha256/{}", common::sha256_hex(&shared));
    common::add_file(&mut b, &blob, &shared);
    add_hardlink(&mut b, "aaa/layer.tar", &blob);
    add_hardlink(&mut b, "bbb/layer.tar", &blob);
    common::add_file(&mut b, "ccc/layer.tar", &own);
    common::add_file(&mut b, "one.json", &config1);
    common::add_file(&mut b, "two.json", &config2);
    let manifest = serde_json::json!([
        {"Config": "one.json", "RepoTags": ["one:1"], "Layers": ["aaa/layer.tar"]},
        {"Config": "two.json", "RepoTags": ["two:1"], "Layers": ["bbb/layer.tar", "ccc/layer.tar"]},
    ]);
    common::add_file(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    let loaded = t
        .store
        .load(&mut &b.into_inner().unwrap()[..], &Progress::hidden())
        .unwrap();
    assert_eq!(loaded.len(), 2);
    let two = t.store.resolve("two:1").unwrap();
    assert_eq!(two.layers[0], t.store.resolve("one:1").unwrap().layers[0]);
    let m = t.store.mount_rootfs(&two, &t.container_dir("h")).unwrap();
    assert_eq!(
        fs::read_to_string(m.merged.join("etc/shared")).unwrap(),
        "shared"
    );
    assert_eq!(fs::read_to_string(m.merged.join("own")).unwrap(), "own");
    m.unmount().unwrap();
    assert!(t.mounts().is_empty());
}

#[test]
fn hardlinks_of_the_outer_archive_that_lead_nowhere_are_refused() {
    let t = TestRoot::new();
    let before = common::store_state(&t.store);
    for (target, needle) in [
        (
            "../../etc/passwd",
            "refusing archive entry \"b/layer.tar\": hardlink target \"../../etc/passwd\" leads out of the archive",
        ),
        (
            "later/layer.tar",
            "refusing archive entry \"b/layer.tar\": hardlink target \"later/layer.tar\" is not an earlier file of the archive",
        ),
    ] {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Link);
        h.set_size(0);
        h.set_path("b/layer.tar").unwrap();
        h.set_link_name_literal(target).unwrap();
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
        common::add_file(&mut b, "later/layer.tar", b"x");
        let e = t
            .store
            .load(&mut &b.into_inner().unwrap()[..], &Progress::hidden())
            .unwrap_err()
            .to_string();
        assert_eq!(e, needle);
    }
    assert_eq!(common::store_state(&t.store), before);
}
