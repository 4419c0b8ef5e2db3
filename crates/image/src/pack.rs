//! Directory → tar stream, for `export` (a container's merged rootfs) and for `commit`
//! (a container's overlay upper dir, where overlayfs whiteouts become `.wh.NAME` entries and
//! opaque directories get a `.wh..wh..opq` entry). Entries are sorted by name, hardlinks
//! are written once and linked after, sockets are skipped, and mounts below the root are
//! written as empty directories. Never follows a symlink.

use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header};

use crate::error::{Error, IoContext, Result};
use crate::progress::Bar;
use crate::whiteout::{self, WH_OPAQUE, WH_PREFIX};

/// How to read the directory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum PackMode {
    /// A plain tree (a merged rootfs): files as they are.
    Rootfs,
    /// An overlayfs upper dir: whiteouts and opaque markers become AUFS-style entries.
    LayerDiff,
}

/// Writes `dir` as a tar stream into `out` and returns `out`.
pub(crate) fn pack_dir<W: Write>(dir: &Path, out: W, mode: PackMode, bar: &Bar) -> Result<W> {
    pack_dir_skipping(dir, out, mode, &[], bar)
}

/// [`pack_dir`] leaving out the entries at `skip` (paths relative to `dir`, such as
/// `etc/hosts`) and everything below them.
pub(crate) fn pack_dir_skipping<W: Write>(
    dir: &Path,
    out: W,
    mode: PackMode,
    skip: &[&Path],
    bar: &Bar,
) -> Result<W> {
    let root_dev = fs::symlink_metadata(dir).ctx("inspecting", dir)?.dev();
    let mut p = Packer {
        builder: tar::Builder::new(out),
        root: dir,
        root_dev,
        mode,
        inodes: HashMap::new(),
        skip,
        bar,
    };
    p.builder.follow_symlinks(false);
    p.walk(Path::new(""))?;
    p.builder
        .into_inner()
        .map_err(|e| Error::io("finishing tar stream", e))
}

struct Packer<'a, W: Write> {
    builder: tar::Builder<W>,
    root: &'a Path,
    /// Device of the root: directories on another device (mounts) are written empty,
    /// as `tar --one-file-system` does.
    root_dev: u64,
    mode: PackMode,
    /// (dev, inode) of files with several links → the first path written.
    inodes: HashMap<(u64, u64), PathBuf>,
    /// Paths (relative to the root) left out, with what is below them.
    skip: &'a [&'a Path],
    bar: &'a Bar,
}

impl<W: Write> Packer<'_, W> {
    fn walk(&mut self, rel_dir: &Path) -> Result<()> {
        let abs = self.root.join(rel_dir);
        let mut names: Vec<_> = fs::read_dir(&abs)
            .ctx("reading", &abs)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .ctx("reading", &abs)?;
        names.sort();
        for name in names {
            let rel = rel_dir.join(&name);
            if self.skip.contains(&rel.as_path()) {
                continue;
            }
            let path = self.root.join(&rel);
            let meta = fs::symlink_metadata(&path).ctx("inspecting", &path)?;
            self.entry(&rel, &path, &meta)?;
        }
        Ok(())
    }

    fn entry(&mut self, rel: &Path, path: &Path, meta: &Metadata) -> Result<()> {
        let ft = meta.file_type();
        if self.mode == PackMode::LayerDiff && whiteout::is_overlay_whiteout(meta) {
            let name = rel
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let wh = rel.with_file_name(format!("{WH_PREFIX}{name}"));
            let mut h = header(meta, EntryType::Regular);
            h.set_mode(0o600);
            return self.append(&mut h, &wh, io::empty());
        }
        if ft.is_dir() {
            let mut h = header(meta, EntryType::Directory);
            self.append_xattrs(path)?;
            self.append(&mut h, rel, io::empty())?;
            if self.mode == PackMode::LayerDiff && whiteout::is_opaque(path)? {
                let mut h = header(meta, EntryType::Regular);
                h.set_mode(0o600);
                self.append(&mut h, &rel.join(WH_OPAQUE), io::empty())?;
            }
            if meta.dev() != self.root_dev {
                return Ok(());
            }
            return self.walk(rel);
        }
        if ft.is_socket() {
            return Ok(());
        }
        if meta.nlink() > 1 && !ft.is_dir() {
            if let Some(first) = self.inodes.get(&(meta.dev(), meta.ino())).cloned() {
                let mut h = header(meta, EntryType::Link);
                return self
                    .builder
                    .append_link(&mut h, rel, &first)
                    .ctx("writing tar entry for", path);
            }
            self.inodes
                .insert((meta.dev(), meta.ino()), rel.to_path_buf());
        }
        if ft.is_symlink() {
            let target = fs::read_link(path).ctx("reading symlink", path)?;
            let mut h = header(meta, EntryType::Symlink);
            self.append_xattrs(path)?;
            return self
                .builder
                .append_link(&mut h, rel, &target)
                .ctx("writing tar entry for", path);
        }
        if ft.is_file() {
            let mut h = header(meta, EntryType::Regular);
            h.set_size(meta.len());
            self.append_xattrs(path)?;
            let f = File::open(path).ctx("opening", path)?;
            let bar = self.bar;
            self.append(&mut h, rel, bar.reader(f))?;
            return Ok(());
        }
        let kind = if ft.is_char_device() {
            EntryType::Char
        } else if ft.is_block_device() {
            EntryType::Block
        } else {
            EntryType::Fifo
        };
        let mut h = header(meta, kind);
        if kind != EntryType::Fifo {
            let rdev = meta.rdev();
            h.set_device_major(libc::major(rdev))
                .ctx("writing device number of", path)?;
            h.set_device_minor(libc::minor(rdev))
                .ctx("writing device number of", path)?;
        }
        self.append(&mut h, rel, io::empty())
    }

    fn append(&mut self, h: &mut Header, rel: &Path, data: impl io::Read) -> Result<()> {
        self.builder
            .append_data(h, rel, data)
            .ctx("writing tar entry for", &self.root.join(rel))
    }

    /// Extended attributes as a PAX header before the entry (file capabilities matter:
    /// `ping` needs security.capability). overlayfs's own attributes never go out.
    fn append_xattrs(&mut self, path: &Path) -> Result<()> {
        let mut exts = Vec::new();
        for name in whiteout::list_xattrs(path)? {
            if name.starts_with("trusted.overlay.") || name == "security.selinux" {
                continue;
            }
            if let Some(v) = whiteout::get_xattr(path, &name)? {
                exts.push((format!("SCHILY.xattr.{name}"), v));
            }
        }
        if exts.is_empty() {
            return Ok(());
        }
        self.builder
            .append_pax_extensions(exts.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
            .ctx("writing extended attributes of", path)
    }
}

fn header(meta: &Metadata, kind: EntryType) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(meta.mode() & 0o7777);
    h.set_uid(meta.uid() as u64);
    h.set_gid(meta.gid() as u64);
    h.set_mtime(meta.mtime().max(0) as u64);
    h.set_size(0);
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::Progress;
    use crate::unpack::unpack_layer;
    use std::os::unix::fs::symlink;

    fn round_trip(src: &Path, mode: PackMode) -> tempfile::TempDir {
        let bar = Progress::hidden().bar("t", None);
        let tar = pack_dir(src, Vec::new(), mode, &bar).unwrap();
        let dst = tempfile::tempdir().unwrap();
        unpack_layer(&tar[..], dst.path(), "test").unwrap();
        dst
    }

    #[test]
    fn long_names_links_modes_and_xattrs_survive() {
        let src = tempfile::tempdir().unwrap();
        let long_dir = src.path().join("d".repeat(120)).join("e".repeat(120));
        fs::create_dir_all(&long_dir).unwrap();
        fs::write(long_dir.join("file"), "long").unwrap();
        let long_target = format!("{}/{}/file", "d".repeat(120), "e".repeat(120));
        symlink(&long_target, src.path().join("ln")).unwrap();
        fs::write(src.path().join("a"), "a").unwrap();
        fs::hard_link(src.path().join("a"), src.path().join("b")).unwrap();
        fs::set_permissions(
            src.path().join("a"),
            std::os::unix::fs::PermissionsExt::from_mode(0o4755),
        )
        .unwrap();
        whiteout::set_xattr(&src.path().join("a"), "user.note", b"hello").unwrap();

        let dst = round_trip(src.path(), PackMode::Rootfs);
        let d = dst.path();
        assert_eq!(fs::read_to_string(d.join(&long_target)).unwrap(), "long");
        assert_eq!(
            fs::read_link(d.join("ln")).unwrap().to_str(),
            Some(long_target.as_str())
        );
        let (a, b) = (
            fs::metadata(d.join("a")).unwrap(),
            fs::metadata(d.join("b")).unwrap(),
        );
        assert_eq!(a.ino(), b.ino(), "hardlink kept");
        assert_eq!(a.mode() & 0o7777, 0o4755, "setuid kept");
        assert_eq!(
            whiteout::get_xattr(&d.join("a"), "user.note")
                .unwrap()
                .as_deref(),
            Some(&b"hello"[..])
        );
    }

    /// Unmounts on drop, even when the test fails.
    struct MountGuard(std::path::PathBuf);

    impl Drop for MountGuard {
        fn drop(&mut self) {
            let _ = nix::mount::umount2(&self.0, nix::mount::MntFlags::MNT_DETACH);
        }
    }

    #[test]
    fn mounts_below_the_root_are_written_empty() {
        six_testkit::require_root(); // it mounts a tmpfs
        let src = tempfile::tempdir().unwrap();
        let proc_dir = src.path().join("proc");
        fs::create_dir(&proc_dir).unwrap();
        fs::write(src.path().join("file"), "f").unwrap();
        nix::mount::mount(
            Some("tmpfs"),
            &proc_dir,
            Some("tmpfs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        )
        .unwrap();
        let guard = MountGuard(proc_dir.clone());
        fs::write(proc_dir.join("inside"), "x").unwrap();
        let bar = Progress::hidden().bar("t", None);
        let packed = pack_dir(src.path(), Vec::new(), PackMode::Rootfs, &bar).unwrap();
        drop(guard);
        let names: Vec<String> = tar::Archive::new(&packed[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["file", "proc"]);
        assert!(six_testkit::mounts_containing(&src.path().display().to_string()).is_empty());
    }

    #[test]
    fn overlay_whiteouts_and_opaque_dirs_become_layer_entries_and_back() {
        six_testkit::require_root(); // whiteouts are 0:0 device nodes, opaque marks trusted.* xattrs
        let src = tempfile::tempdir().unwrap();
        whiteout::make_overlay_whiteout(&src.path().join("gone")).unwrap();
        fs::create_dir(src.path().join("opq")).unwrap();
        whiteout::set_opaque(&src.path().join("opq")).unwrap();
        fs::write(src.path().join("opq/new"), "n").unwrap();

        let bar = Progress::hidden().bar("t", None);
        let tar = pack_dir(src.path(), Vec::new(), PackMode::LayerDiff, &bar).unwrap();
        let names: Vec<String> = tar::Archive::new(&tar[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, [".wh.gone", "opq", "opq/.wh..wh..opq", "opq/new"]);

        let dst = round_trip(src.path(), PackMode::LayerDiff);
        assert!(whiteout::is_overlay_whiteout(
            &fs::symlink_metadata(dst.path().join("gone")).unwrap()
        ));
        assert!(whiteout::is_opaque(&dst.path().join("opq")).unwrap());
        assert!(!dst.path().join("opq/.wh..wh..opq").exists());
    }
}
