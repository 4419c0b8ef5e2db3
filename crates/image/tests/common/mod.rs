//! Shared by the integration tests: a temp store root that unmounts whatever a test left
//! mounted below it and removes itself on drop, even when the test fails.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use six_image::{ImageStore, Progress};

/// A temp root with an image store in it. Drop unmounts leftovers, then removes the dir.
pub struct TestRoot {
    pub dir: six_testkit::TempDir,
    pub store: ImageStore,
}

impl TestRoot {
    pub fn new() -> TestRoot {
        six_testkit::require_root();
        let dir = tempfile::Builder::new()
            .prefix("six-image-test-")
            .tempdir()
            .unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        TestRoot { dir, store }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A fresh container dir below the root.
    pub fn container_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join("containers").join(name)
    }

    /// Mounts below this root right now.
    pub fn mounts(&self) -> Vec<String> {
        six_testkit::mounts_containing(&self.dir.path().display().to_string())
    }

    /// Imports a tar built in memory.
    pub fn import(&self, tar: &[u8], reference: Option<&str>) -> six_image::Image {
        self.store
            .import(&mut &tar[..], reference, &Progress::hidden())
            .unwrap()
    }
}

impl Drop for TestRoot {
    fn drop(&mut self) {
        let mut mounts = self.mounts();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            let _ = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

/// Builds a tar in memory from (path, kind) entries.
pub enum E<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
    CharDev(&'a str, u32, u32),
}

pub fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o755);
        h.set_mtime(1_700_000_000);
        h.set_size(0);
        match e {
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                raw_path(&mut h, p);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
            E::File(p, data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(0o644);
                h.set_size(data.len() as u64);
                raw_path(&mut h, p);
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
            E::Symlink(p, t) | E::Hardlink(p, t) => {
                let kind = if matches!(e, E::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                h.set_entry_type(kind);
                raw_path(&mut h, p);
                h.set_link_name_literal(t).unwrap();
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
            E::CharDev(p, maj, min) => {
                h.set_entry_type(tar::EntryType::Char);
                h.set_device_major(*maj).unwrap();
                h.set_device_minor(*min).unwrap();
                raw_path(&mut h, p);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// Sets the name bytes directly: `set_path` refuses `..` and absolute paths, and hostile
/// archives are exactly what some tests need.
fn raw_path(h: &mut tar::Header, p: &str) {
    let name = &mut h.as_old_mut().name;
    name.fill(0);
    name[..p.len()].copy_from_slice(p.as_bytes());
}

/// How a test archive compresses a layer.
#[derive(Clone, Copy)]
pub enum Z {
    Plain,
    Gzip,
    Zstd,
}

pub fn compress(data: &[u8], z: Z) -> Vec<u8> {
    use std::io::Write;
    match z {
        Z::Plain => data.to_vec(),
        Z::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        }
        Z::Zstd => zstd::encode_all(data, 1).unwrap(),
    }
}

pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(data))
}

/// An image config JSON for these uncompressed layer tars.
pub fn config_for(layers: &[Vec<u8>], cmd: &[&str]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "created": "2024-05-01T10:00:00Z",
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": ["PATH=/bin", "FOO=bar"], "Cmd": cmd, "WorkingDir": "/srv"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": layers.iter().map(|_| serde_json::json!({"created_by": "test"})).collect::<Vec<_>>()
    }))
    .unwrap()
}

/// Appends a regular file to an outer archive.
pub fn add_file(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    b.append_data(&mut h, path, data).unwrap();
}

/// A docker-archive of one image with these layers (uncompressed tars, compressed as asked).
pub fn docker_archive(layers: &[(Vec<u8>, Z)], tags: &[&str]) -> Vec<u8> {
    docker_archive_of(&[Archived {
        layers: layers.to_vec(),
        tags,
        cmd: "sh",
    }])
}

/// One image of a multi-image test archive: its layers, names and command (images with
/// the same layers differ by their command, so each gets its own ID).
pub struct Archived<'a> {
    pub layers: Vec<(Vec<u8>, Z)>,
    pub tags: &'a [&'a str],
    pub cmd: &'a str,
}

/// A docker-archive of several images, in order; image `i`'s layer `j` is stored as
/// `layer{j}/layer.tar` for the first image and `img{i}-layer{j}/layer.tar` after it.
pub fn docker_archive_of(images: &[Archived]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut manifest = Vec::new();
    for (i, img) in images.iter().enumerate() {
        let plain: Vec<Vec<u8>> = img.layers.iter().map(|(l, _)| l.clone()).collect();
        let config = config_for(&plain, &[img.cmd]);
        let config_name = format!("{}.json", sha256_hex(&config));
        let mut names = Vec::new();
        for (j, (l, z)) in img.layers.iter().enumerate() {
            let name = match i {
                0 => format!("layer{j}/layer.tar"),
                _ => format!("img{i}-layer{j}/layer.tar"),
            };
            add_file(&mut b, &name, &compress(l, *z));
            names.push(name);
        }
        add_file(&mut b, &config_name, &config);
        manifest.push(
            serde_json::json!({"Config": config_name, "RepoTags": img.tags, "Layers": names}),
        );
    }
    add_file(
        &mut b,
        "manifest.json",
        &serde_json::to_vec(&manifest).unwrap(),
    );
    b.into_inner().unwrap()
}

/// An OCI image layout archive of one image with these layers, named `ref_name`.
pub fn oci_archive(layers: &[(Vec<u8>, Z)], ref_name: &str) -> Vec<u8> {
    oci_archive_of(&[Archived {
        layers: layers.to_vec(),
        tags: &[ref_name],
        cmd: "sh",
    }])
}

/// An OCI image layout archive of several images, each named by its first tag (the
/// `org.opencontainers.image.ref.name` annotation).
pub fn oci_archive_of(images: &[Archived]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    add_file(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    let mut manifests = Vec::new();
    let mut written = std::collections::HashSet::new();
    let mut add_blob = |b: &mut tar::Builder<Vec<u8>>, blob: &[u8]| {
        if written.insert(sha256_hex(blob)) {
            add_file(b, &format!("blobs/sha256/{}", sha256_hex(blob)), blob);
        }
    };
    for img in images {
        let (layers, ref_name) = (&img.layers, img.tags[0]);
        let plain: Vec<Vec<u8>> = layers.iter().map(|(l, _)| l.clone()).collect();
        let config = config_for(&plain, &[img.cmd]);
        let mut layer_descs = Vec::new();
        for (l, z) in layers {
            let blob = compress(l, *z);
            let media = match z {
                Z::Plain => "application/vnd.oci.image.layer.v1.tar",
                Z::Gzip => "application/vnd.oci.image.layer.v1.tar+gzip",
                Z::Zstd => "application/vnd.oci.image.layer.v1.tar+zstd",
            };
            layer_descs.push(serde_json::json!({"mediaType": media, "digest": format!("sha256:{}", sha256_hex(&blob)), "size": blob.len()}));
            add_blob(&mut b, &blob);
        }
        add_blob(&mut b, &config);
        let manifest = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": format!("sha256:{}", sha256_hex(&config)), "size": config.len()},
            "layers": layer_descs
        }))
        .unwrap();
        add_blob(&mut b, &manifest);
        manifests.push(serde_json::json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": format!("sha256:{}", sha256_hex(&manifest)),
            "size": manifest.len(), "annotations": {"org.opencontainers.image.ref.name": ref_name}}));
    }
    let index = serde_json::json!({"schemaVersion": 2, "manifests": manifests});
    add_file(&mut b, "index.json", &serde_json::to_vec(&index).unwrap());
    b.into_inner().unwrap()
}

/// What the store holds (entries in layers, images, blobs, short links, tmp), to prove a
/// refused archive added nothing.
pub fn store_state(store: &ImageStore) -> Vec<usize> {
    ["layers", "images", "blobs/sha256", "l", "tmp"]
        .iter()
        .map(|d| std::fs::read_dir(store.dir().join(d)).unwrap().count())
        .collect()
}

/// A small tmpfs at `<dir>/small` for tests that fill a disk (unmounted on drop).
pub fn small_tmpfs(dir: &Path, size_kib: u64) -> six_testkit::SmallTmpfs {
    six_testkit::SmallTmpfs::mount(&dir.join("small"), size_kib * 1024).unwrap()
}

/// Bytes in use on the file system at `path`.
pub fn used_bytes(path: &Path) -> u64 {
    let s = nix::sys::statvfs::statvfs(path).unwrap();
    (s.blocks() - s.blocks_free()) as u64 * s.fragment_size() as u64
}

/// Three layers: files, then deletions and an opaque dir, then a deleted directory.
pub fn three_layers() -> Vec<(Vec<u8>, Z)> {
    let l1 = tar_of(&[
        E::Dir("a/"),
        E::File("a/keep", b"keep"),
        E::File("a/gone", b"gone"),
        E::Dir("b/"),
        E::File("b/old1", b"old"),
        E::Dir("b/sub/"),
        E::File("b/sub/old2", b"old"),
        E::Dir("c/"),
        E::File("c/x", b"x"),
        E::Dir("bin/"),
        E::File("bin/tool", b"v1"),
    ]);
    let l2 = tar_of(&[
        E::Dir("a/"),
        E::File("a/.wh.gone", b""),
        E::Dir("b/"),
        E::File("b/.wh..wh..opq", b""),
        E::File("b/new", b"new"),
        E::File("bin/tool", b"v2"),
    ]);
    let l3 = tar_of(&[
        E::File(".wh.c", b""),
        E::File("d", b"d"),
        E::Hardlink("d2", "d"),
    ]);
    vec![(l1, Z::Plain), (l2, Z::Gzip), (l3, Z::Zstd)]
}

/// Asserts the merged view of [`three_layers`].
pub fn assert_three_layer_view(merged: &Path) {
    use std::fs;
    assert_eq!(fs::read_to_string(merged.join("a/keep")).unwrap(), "keep");
    assert!(!merged.join("a/gone").exists(), "whiteout a/gone");
    assert!(!merged.join("b/old1").exists(), "opaque b hides old1");
    assert!(!merged.join("b/sub").exists(), "opaque b hides sub/");
    assert_eq!(fs::read_to_string(merged.join("b/new")).unwrap(), "new");
    assert!(!merged.join("c").exists(), "whiteout of directory c");
    assert_eq!(fs::read_to_string(merged.join("d2")).unwrap(), "d");
    assert_eq!(fs::read_to_string(merged.join("bin/tool")).unwrap(), "v2");
}

/// Every file and its content below `dir` (for comparing trees).
pub fn tree(dir: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, d: &Path, out: &mut Vec<(String, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(d).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                out.push((rel, "dir".into()));
                walk(root, &p, out);
            } else if ft.is_symlink() {
                out.push((
                    rel,
                    format!("-> {}", std::fs::read_link(&p).unwrap().display()),
                ));
            } else {
                out.push((rel, sha256_hex(&std::fs::read(&p).unwrap())));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}
