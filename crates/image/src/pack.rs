//! Directory → tar stream, for `export` (a container's merged rootfs) and for `commit`
//! (a container's overlay upper dir, where overlayfs whiteouts become `.wh.NAME` entries and
//! opaque directories get a `.wh..wh..opq` entry). Entries are sorted by name, hardlinks
//! are written once and linked after, sockets are skipped. Never follows a symlink.

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
    let mut p = Packer {
        builder: tar::Builder::new(out),
        root: dir,
        mode,
        inodes: HashMap::new(),
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
    mode: PackMode,
    /// (dev, inode) of files with several links → the first path written.
    inodes: HashMap<(u64, u64), PathBuf>,
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
