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
