//! Safe extraction of one layer tar into an empty directory the store owns.
//!
//! Every entry is checked before anything is written: no absolute paths, no `..`, no
//! writing through a symlinked parent, no symlink or hardlink that leads out of the layer,
//! no device nodes except whiteouts. A refused entry stops the whole unpack with one line
//! naming it; the caller unpacks into a temp dir and discards it on error, so nothing
//! partial reaches the store. AUFS whiteouts become overlayfs whiteouts here.
//! Never follows a symlink while writing, and never touches anything outside `dest`.

use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use nix::sys::stat::{utimensat, UtimensatFlags};
use nix::sys::time::TimeSpec;
use tar::EntryType;

use crate::error::{Error, IoContext, Result};
use crate::fsutil::{self, CopyError};
use crate::whiteout::{self, WH_META_PREFIX, WH_OPAQUE, WH_PREFIX};

/// Unpacks the tar stream `tar` into `dest`, which must exist and be empty.
/// `what` names the layer in errors. Returns its size as Docker counts a layer's
/// (`directory.Size` of the unpacked diff): the bytes of its regular files and the length of
/// each symlink's target (what `lstat` gives as a symlink's size).
pub(crate) fn unpack_layer<R: Read>(tar: R, dest: &Path, what: &str) -> Result<u64> {
    let mut archive = tar::Archive::new(tar);
    let mut layer = Unpacking {
        dest,
        what,
        size: 0,
        dir_times: Vec::new(),
    };
    for entry in archive.entries().map_err(|e| unreadable(what, e))? {
        let mut entry = entry.map_err(|e| unreadable(what, e))?;
        layer.entry(&mut entry)?;
    }
    // Directory times last: creating entries inside a directory changes its mtime.
    for (dir, mtime) in layer.dir_times.into_iter().rev() {
        set_mtime(&dir, mtime)?;
    }
    Ok(layer.size)
}

fn unreadable(what: &str, e: io::Error) -> Error {
    Error::corrupt(what, format!("truncated or unreadable tar: {e}"))
}

/// One layer being unpacked.
struct Unpacking<'a> {
    dest: &'a Path,
    /// The layer, as errors name it.
    what: &'a str,
    /// Bytes of regular files and symlink targets so far.
    size: u64,
    /// Each directory made and its mtime, set once everything inside it is written.
    dir_times: Vec<(PathBuf, i64)>,
}

/// What an entry keeps of its header: applied once the entry is written.
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: i64,
    xattrs: Vec<(String, Vec<u8>)>,
}

impl Unpacking<'_> {
    /// Checks and writes one entry: a whiteout, or a file, directory, link or fifo with its
    /// owner, mode, xattrs and mtime.
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<R>) -> Result<()> {
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(rel) = clean_path(&entry.path_bytes(), &raw_name)? else {
            return Ok(());
        };
        let kind = entry.header().entry_type();
        let target = self.dest.join(&rel);
        ensure_real_parents(self.dest, &rel, &raw_name)?;
        if self.whiteout(&rel, &target, &raw_name)? {
            return Ok(());
        }
        let meta = self.meta(entry, &raw_name)?;
        match kind {
            EntryType::Regular | EntryType::Continuous => self.regular(entry, &target)?,
            EntryType::Directory => {
                if !clear_existing(&target, true)? {
                    fs::create_dir(&target).ctx("creating directory", &target)?;
                }
                self.dir_times.push((target.clone(), meta.mtime));
            }
            EntryType::Symlink => self.size += symlink(entry, &rel, &target, &raw_name)?,
            // A hardlink shares the inode's metadata: nothing is applied to it.
            EntryType::Link => return hardlink(self.dest, entry, &target, &raw_name),
            EntryType::Fifo => {
                clear_existing(&target, false)?;
                nix::unistd::mkfifo(&target, nix::sys::stat::Mode::from_bits_truncate(0o600))
                    .map_err(|e| {
                        Error::io(format!("creating fifo {}", target.display()), e.into())
                    })?;
            }
            // Only the AUFS-style device whiteout (0/0) is allowed, as an overlay whiteout.
            EntryType::Char | EntryType::Block => {
                return device_whiteout(entry.header(), &target, &raw_name)
            }
            EntryType::XGlobalHeader => return Ok(()),
            other => {
                return Err(Error::unsafe_entry(
                    raw_name,
                    format!("unsupported tar entry type {other:?}"),
                ));
            }
        }
        apply_meta(&target, kind, meta)
    }

    /// Handles a whiteout entry (opaque dir, `.wh.<name>`, other `.wh..wh.` metadata);
    /// false for any other entry.
    fn whiteout(&self, rel: &Path, target: &Path, raw_name: &str) -> Result<bool> {
        let file_name = rel.file_name().map(|n| n.as_bytes()).unwrap_or_default();
        if file_name == WH_OPAQUE.as_bytes() {
            whiteout::set_opaque(target.parent().unwrap_or(self.dest))?;
            return Ok(true);
        }
        if file_name.starts_with(WH_META_PREFIX.as_bytes()) {
            return Ok(true);
        }
        let Some(hidden) = file_name.strip_prefix(WH_PREFIX.as_bytes()) else {
            return Ok(false);
        };
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(Error::unsafe_entry(raw_name, "a whiteout must name a file"));
        }
        let wh = target.with_file_name(std::ffi::OsStr::from_bytes(hidden));
        clear_existing(&wh, false)?;
        whiteout::make_overlay_whiteout(&wh)?;
        Ok(true)
    }

    /// The entry's mode, owner, mtime and xattrs (read before its body).
    fn meta<R: Read>(&self, entry: &mut tar::Entry<R>, raw_name: &str) -> Result<Meta> {
        let header = entry.header();
        let mode = header
            .mode()
            .map_err(|e| Error::corrupt(self.what, format!("entry {raw_name:?}: {e}")))?
            & 0o7777;
        let uid = header.uid().unwrap_or(0) as u32;
        let gid = header.gid().unwrap_or(0) as u32;
        let mtime = header.mtime().unwrap_or(0) as i64;
        Ok(Meta {
            mode,
            uid,
            gid,
            mtime,
            xattrs: pax_xattrs(entry),
        })
    }

    /// A regular file, created new (never through a symlink) and filled from the entry.
    fn regular<R: Read>(&mut self, entry: &mut tar::Entry<R>, target: &Path) -> Result<()> {
        clear_existing(target, false)?;
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(target)
            .ctx("creating", target)?;
        self.size += fsutil::copy(entry, &mut f).map_err(|e| match e {
            CopyError::Read(e) => unreadable(self.what, e),
            CopyError::Write(e) => Error::io(format!("writing {}", target.display()), e),
        })?;
        Ok(())
    }
}

/// What a symlink or hardlink entry points at, as the tar has it (empty if missing).
fn link_name<R: Read>(entry: &tar::Entry<R>) -> Vec<u8> {
    entry
        .link_name_bytes()
        .map(|b| b.into_owned())
        .unwrap_or_default()
}

/// A symlink whose target stays inside the layer; the length of its target.
fn symlink<R: Read>(
    entry: &tar::Entry<R>,
    rel: &Path,
    target: &Path,
    raw_name: &str,
) -> Result<u64> {
    let link = link_name(entry);
    check_symlink_target(rel, &link, raw_name)?;
    clear_existing(target, false)?;
    std::os::unix::fs::symlink(Path::new(std::ffi::OsStr::from_bytes(&link)), target)
        .ctx("creating symlink", target)?;
    Ok(link.len() as u64)
}

/// A hardlink to an earlier entry of the layer (one to itself is skipped).
fn hardlink<R: Read>(
    dest: &Path,
    entry: &tar::Entry<R>,
    target: &Path,
    raw_name: &str,
) -> Result<()> {
    let link = link_name(entry);
    let source = hardlink_source(dest, &link, raw_name)?;
    if source == target {
        return Ok(());
    }
    clear_existing(target, false)?;
    fs::hard_link(&source, target).ctx("creating hardlink", target)
}

/// A character device 0/0 (an AUFS/overlay whiteout) becomes an overlay whiteout; any
/// other device node is refused.
fn device_whiteout(header: &tar::Header, target: &Path, raw_name: &str) -> Result<()> {
    let (major, minor) = (
        header.device_major().ok().flatten(),
        header.device_minor().ok().flatten(),
    );
    if header.entry_type() == EntryType::Char && major == Some(0) && minor == Some(0) {
        clear_existing(target, false)?;
        return whiteout::make_overlay_whiteout(target);
    }
    Err(Error::unsafe_entry(
        raw_name,
        "device nodes are not allowed in image layers",
    ))
}

/// Owner, mode (not of a symlink), xattrs, and mtime (a directory's is set at the end).
fn apply_meta(target: &Path, kind: EntryType, meta: Meta) -> Result<()> {
    std::os::unix::fs::lchown(target, Some(meta.uid), Some(meta.gid))
        .ctx("changing owner of", target)?;
    if kind != EntryType::Symlink {
        fs::set_permissions(target, fs::Permissions::from_mode(meta.mode))
            .ctx("changing mode of", target)?;
    }
    for (name, value) in meta.xattrs {
        whiteout::set_xattr(target, &name, &value)?;
    }
    if kind != EntryType::Directory {
        set_mtime(target, meta.mtime)?;
    }
    Ok(())
}

/// The entry's path relative to the layer root, or `None` for the root itself.
/// Refuses absolute paths and `..`.
pub(crate) fn clean_path(raw: &[u8], shown: &str) -> Result<Option<PathBuf>> {
    let path = Path::new(std::ffi::OsStr::from_bytes(raw));
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(Error::unsafe_entry(shown, "its path contains '..'"))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(Error::unsafe_entry(shown, "its path is absolute"));
            }
        }
    }
    Ok((!out.as_os_str().is_empty()).then_some(out))
}

/// Creates missing parent directories of `rel` below `dest`; refuses a parent that is a
/// symlink (writing through it could leave the layer) or not a directory.
fn ensure_real_parents(dest: &Path, rel: &Path, shown: &str) -> Result<()> {
    let mut cur = dest.to_path_buf();
    let parents: Vec<_> = rel
        .parent()
        .map(|p| p.components().collect())
        .unwrap_or_default();
    for c in parents {
        cur.push(c);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::unsafe_entry(
                    shown,
                    "a parent directory is a symlink (it could write outside the layer)",
                ));
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::unsafe_entry(
                    shown,
                    "a parent path is not a directory",
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir(&cur).ctx("creating directory", &cur)?;
            }
            Err(e) => return Err(Error::io(format!("inspecting {}", cur.display()), e)),
        }
    }
    Ok(())
}

/// Removes what is at `path` so a later entry can replace it. If `keep_dir` and it is a
/// directory, keeps it and returns true (a directory entry over a directory merges).
fn clear_existing(path: &Path, keep_dir: bool) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io(format!("inspecting {}", path.display()), e)),
        Ok(m) if m.is_dir() && keep_dir => Ok(true),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path)
            .ctx("replacing", path)
            .map(|_| false),
        Ok(_) => fs::remove_file(path).ctx("replacing", path).map(|_| false),
    }
}

/// A relative symlink target must not climb above the layer root. Absolute targets are
/// resolved inside the container's root, so they stay in the image.
fn check_symlink_target(rel: &Path, link: &[u8], shown: &str) -> Result<()> {
    let target = Path::new(std::ffi::OsStr::from_bytes(link));
    if link.is_empty() {
        return Err(Error::unsafe_entry(shown, "symlink with an empty target"));
    }
    if target.is_absolute() {
        return Ok(());
    }
    let mut depth = rel.components().count() as i64 - 1;
    for c in target.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            _ => {}
        }
        if depth < 0 {
            return Err(Error::unsafe_entry(
                shown,
                format!(
                    "symlink target {:?} leads out of the layer",
                    target.display().to_string()
                ),
            ));
        }
    }
    Ok(())
}

/// The path a hardlink entry points at: inside the layer, reached without symlinks,
/// already unpacked, and not a directory.
fn hardlink_source(dest: &Path, link: &[u8], shown: &str) -> Result<PathBuf> {
    let shown_target = String::from_utf8_lossy(link);
    let Some(rel) = clean_path(link, shown).map_err(|_| {
        Error::unsafe_entry(
            shown,
            format!("hardlink target {shown_target:?} leads out of the layer"),
        )
    })?
    else {
        return Err(Error::unsafe_entry(shown, "hardlink to the layer root"));
    };
    let mut cur = dest.to_path_buf();
    let count = rel.components().count();
    for (i, c) in rel.components().enumerate() {
        cur.push(c);
        let m = fs::symlink_metadata(&cur).map_err(|_| {
            Error::unsafe_entry(
                shown,
                format!("hardlink target {shown_target:?} is not an earlier entry of the layer"),
            )
        })?;
        let last = i + 1 == count;
        if !last && !m.is_dir() {
            return Err(Error::unsafe_entry(
                shown,
                format!("hardlink target {shown_target:?} goes through a symlink or non-directory"),
            ));
        }
        if last && m.is_dir() {
            return Err(Error::unsafe_entry(
                shown,
                format!("hardlink target {shown_target:?} is a directory"),
            ));
        }
    }
    Ok(cur)
}

/// Extended attributes from PAX headers (`SCHILY.xattr.NAME`), minus overlayfs's own
/// `trusted.overlay.*`, which only the store itself may set.
fn pax_xattrs<R: Read>(entry: &mut tar::Entry<R>) -> Vec<(String, Vec<u8>)> {
    let Ok(Some(exts)) = entry.pax_extensions() else {
        return Vec::new();
    };
    exts.flatten()
        .filter_map(|ext| {
            let key = ext.key().ok()?;
            let name = key.strip_prefix("SCHILY.xattr.")?;
            (!name.starts_with("trusted.overlay."))
                .then(|| (name.to_owned(), ext.value_bytes().to_vec()))
        })
        .collect()
}

fn set_mtime(path: &Path, mtime: i64) -> Result<()> {
    let t = TimeSpec::new(mtime, 0);
    utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &t,
        &t,
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(|e| Error::io(format!("setting times of {}", path.display()), e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_path_strips_dots_and_refuses_escapes() {
        assert_eq!(
            clean_path(b"./a/b", "x").unwrap(),
            Some(PathBuf::from("a/b"))
        );
        assert_eq!(clean_path(b"./", "x").unwrap(), None);
        assert!(clean_path(b"a/../../b", "x").is_err());
        assert!(clean_path(b"/etc/passwd", "x").is_err());
    }

    /// Docker's size of the busybox layer is its files' bytes plus its 268 symlinks' target
    /// lengths (1982419 + 1876 = 1984295, `docker image inspect -f {{.Size}}`, dockerd
    /// 20.10); a hardlink adds nothing.
    #[test]
    fn size_counts_files_and_symlink_targets_as_docker() {
        let mut tar = tar::Builder::new(Vec::new());
        let mut file = tar::Header::new_gnu();
        file.set_size(5);
        file.set_mode(0o644);
        tar.append_data(&mut file, "bin/sh", &b"hello"[..]).unwrap();
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        link.set_mode(0o777);
        tar.append_link(&mut link, "bin/ash", "sh-x").unwrap();
        let mut hard = tar::Header::new_gnu();
        hard.set_entry_type(tar::EntryType::Link);
        hard.set_size(0);
        hard.set_mode(0o644);
        tar.append_link(&mut hard, "bin/dash", "bin/sh").unwrap();
        let dest = tempfile::tempdir().unwrap();
        let bytes = tar.into_inner().unwrap();
        assert_eq!(unpack_layer(&bytes[..], dest.path(), "t").unwrap(), 5 + 4);
    }

    #[test]
    fn symlink_targets_that_climb_out_are_refused() {
        assert!(check_symlink_target(Path::new("a/b/l"), b"../../x", "l").is_ok());
        assert!(check_symlink_target(Path::new("a/b/l"), b"../../../x", "l").is_err());
        assert!(check_symlink_target(Path::new("l"), b"/etc/passwd", "l").is_ok());
        assert!(check_symlink_target(Path::new("l"), b"..", "l").is_err());
    }
}
