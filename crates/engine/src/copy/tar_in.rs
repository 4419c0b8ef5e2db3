//! Extracting a tar into a directory as `docker cp` does (moby's `Untar` with
//! `NoOverwriteDirNonDir`): missing parents are made, an existing file is replaced, an existing
//! directory is kept (and gets the entry's mode, owner and time), a directory never replaces a
//! file nor a file a directory ("cannot overwrite ..."), hard links point at entries of the
//! same archive, directories get their times last.
//!
//! The destination is a directory inside a root, and every path (entry names, parents, hard
//! link targets) is resolved inside that root (`resolve.rs`): entries named `../x`, symlinks
//! in the root or in the archive itself, can never put anything outside it. Objects are made
//! with `*at` calls on held descriptors and never followed once made: owners, modes and
//! times are set through the made object's own descriptor.

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, mkdirat, mknodat, utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use nix::unistd::{fchownat, linkat, symlinkat, unlinkat, Gid, Uid, UnlinkatFlags};

use super::resolve::{fd_path, open_in, reopen_dir};
use crate::error::{Error, Result};

/// Whose the extracted objects are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owners {
    /// The owners the archive names (`docker cp` into a container).
    FromArchive,
    /// Whoever extracts (`docker cp` out of a container: Docker's `NoLchown`).
    Caller,
    /// One user and group for everything (`docker cp -a` into a container with a `--user`).
    Fixed(u32, u32),
}

/// Where to extract: the directory `dir` (absolute, clean) inside `root`.
pub(crate) struct Destination<'a> {
    pub root: &'a OwnedFd,
    pub dir: &'a Path,
    pub owners: Owners,
}

/// Extracts every entry of `tar` below the destination directory.
pub(crate) fn extract(tar: impl Read, to: &Destination) -> Result<()> {
    let mut archive = tar::Archive::new(tar);
    let mut dirs: Vec<(PathBuf, u64)> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| Error::io("reading the archive", e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::io("reading the archive", e))?;
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let Some(name) = entry_name(&raw, &shown)? else {
            continue;
        };
        let path = to.dir.join(&name);
        let fail = |what: &str, e: Errno| Error::sys(format!("{what} {shown}"), e);
        let parent = ensure_dir(to.root, path.parent().unwrap_or(to.dir))
            .map_err(|e| fail("making the directory of", e))?;
        let leaf = path.file_name().unwrap_or_default();
        let kind = entry.header().entry_type();
        make_room(&parent, leaf, kind.is_dir(), &path, &shown)?;
        let made = make(&mut entry, to, &parent, leaf).map_err(|e| fail("extracting", e))?;
        let Some(obj) = made else {
            continue;
        };
        let h = entry.header();
        let mtime = h.mtime().unwrap_or(0);
        if let Err(e) = finish(&obj, &parent, leaf, h, to.owners, mtime) {
            return Err(fail("setting the owner, mode and time of", e));
        }
        if kind.is_dir() {
            dirs.push((path, mtime));
        }
    }
    // Last, as extracting into them changed their times.
    for (dir, mtime) in dirs.iter().rev() {
        if let Ok(fd) = open_in(to.root, dir, false) {
            let _ = set_time_through(&fd, mtime);
        }
    }
    Ok(())
}

/// An entry's name as a clean relative path; None for the destination itself (".").
fn entry_name(raw: &[u8], shown: &str) -> Result<Option<PathBuf>> {
    let mut name = PathBuf::new();
    for c in Path::new(OsStr::from_bytes(raw)).components() {
        match c {
            Component::Normal(n) => name.push(n),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::Invalid(format!(
                    "archive entry {shown} would be outside the destination"
                )))
            }
        }
    }
    Ok((!name.as_os_str().is_empty()).then_some(name))
}

/// A readable descriptor of directory `dir` inside `root`, made (0755, with its parents) if
/// missing.
fn ensure_dir(root: &OwnedFd, dir: &Path) -> std::result::Result<OwnedFd, Errno> {
    match open_in(root, dir, true) {
        Ok(fd) => reopen_dir(&fd),
        Err(Errno::ENOENT) => {
            let (Some(parent), Some(leaf)) = (dir.parent(), dir.file_name()) else {
                return Err(Errno::ENOENT);
            };
            let parent = ensure_dir(root, parent)?;
            match mkdirat(&parent, leaf, Mode::from_bits_truncate(0o755)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e),
            }
            reopen_dir(&open_in(root, dir, true)?)
        }
        Err(e) => Err(e),
    }
}

/// What is at `leaf` goes unless it is a directory and the entry one too; a directory never
/// replaces a file nor a file a directory (Docker's words).
fn make_room(
    parent: &OwnedFd,
    leaf: &OsStr,
    entry_is_dir: bool,
    path: &Path,
    shown: &str,
) -> Result<()> {
    let existing = match fstatat(parent, leaf, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::ENOENT) => return Ok(()),
        Err(e) => return Err(Error::sys(format!("looking at {}", path.display()), e)),
    };
    let is_dir = existing.st_mode & libc::S_IFMT == libc::S_IFDIR;
    match (is_dir, entry_is_dir) {
        (true, true) => Ok(()),
        (true, false) => Err(Error::Invalid(format!(
            "cannot overwrite directory \"{}\" with non-directory \"{shown}\"",
            path.display()
        ))),
        (false, true) => Err(Error::Invalid(format!(
            "cannot overwrite non-directory \"{}\" with directory \"{shown}\"",
            path.display()
        ))),
        (false, false) => unlinkat(parent, leaf, UnlinkatFlags::NoRemoveDir)
            .map_err(|e| Error::sys(format!("replacing {}", path.display()), e)),
    }
}

/// Makes the entry at `leaf`; an `O_PATH` descriptor of what was made (None: a kind that is
/// not extracted).
fn make<R: Read>(
    entry: &mut tar::Entry<R>,
    to: &Destination,
    parent: &OwnedFd,
    leaf: &OsStr,
) -> std::result::Result<Option<OwnedFd>, Errno> {
    use tar::EntryType as T;
    let h = entry.header().clone();
    let perm = Mode::from_bits_truncate(h.mode().unwrap_or(0o644) & 0o7777);
    match h.entry_type() {
        T::Directory => match mkdirat(parent, leaf, Mode::from_bits_truncate(0o700)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        },
        T::Regular | T::Continuous | T::GNUSparse => {
            let flags = OFlag::O_WRONLY
                | OFlag::O_CREAT
                | OFlag::O_EXCL
                | OFlag::O_NOFOLLOW
                | OFlag::O_CLOEXEC;
            let fd = openat(parent, leaf, flags, Mode::from_bits_truncate(0o600))?;
            let mut file = std::fs::File::from(fd);
            std::io::copy(entry, &mut file).map_err(|e| errno_of(&e))?;
        }
        T::Symlink => {
            let target = entry.link_name_bytes().ok_or(Errno::EINVAL)?.into_owned();
            symlinkat(OsStr::from_bytes(&target), parent, leaf)?;
        }
        T::Link => {
            let target = entry.link_name_bytes().ok_or(Errno::EINVAL)?.into_owned();
            let shown = String::from_utf8_lossy(&target).into_owned();
            let name = entry_name(&target, &shown)
                .map_err(|_| Errno::EXDEV)?
                .ok_or(Errno::EINVAL)?;
            let source = open_in(to.root, &to.dir.join(name), false)?;
            linkat(&source, "", parent, leaf, AtFlags::AT_EMPTY_PATH)?;
        }
        T::Char | T::Block | T::Fifo => {
            let kind = match h.entry_type() {
                T::Char => SFlag::S_IFCHR,
                T::Block => SFlag::S_IFBLK,
                _ => SFlag::S_IFIFO,
            };
            let major = h.device_major().ok().flatten().unwrap_or(0);
            let minor = h.device_minor().ok().flatten().unwrap_or(0);
            mknodat(parent, leaf, kind, perm, libc::makedev(major, minor))?;
        }
        _ => return Ok(None),
    }
    openat(
        parent,
        leaf,
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map(Some)
}

/// Owner, then mode (a chown clears set-id bits), then time, each through `obj` itself.
fn finish(
    obj: &OwnedFd,
    parent: &OwnedFd,
    leaf: &OsStr,
    h: &tar::Header,
    owners: Owners,
    mtime: u64,
) -> std::result::Result<(), Errno> {
    let owner = match owners {
        Owners::Caller => None,
        Owners::FromArchive => Some((h.uid().unwrap_or(0) as u32, h.gid().unwrap_or(0) as u32)),
        Owners::Fixed(u, g) => Some((u, g)),
    };
    if let Some((u, g)) = owner {
        fchownat(
            obj,
            "",
            Some(Uid::from_raw(u)),
            Some(Gid::from_raw(g)),
            AtFlags::AT_EMPTY_PATH,
        )?;
    }
    if h.entry_type() == tar::EntryType::Symlink {
        let t = TimeSpec::new(mtime as i64, 0);
        return utimensat(parent, leaf, &t, &t, UtimensatFlags::NoFollowSymlink);
    }
    let perm = Mode::from_bits_truncate(h.mode().unwrap_or(0o644) & 0o7777);
    chmod_through(obj, perm)?;
    if h.entry_type() != tar::EntryType::Directory {
        set_time_through(obj, &mtime)?;
    }
    Ok(())
}

/// chmod of the very inode `obj` refers to (through its magic link in /proc: no path is
/// walked, whatever is at the path now).
fn chmod_through(obj: &OwnedFd, perm: Mode) -> std::result::Result<(), Errno> {
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        &fd_path(obj),
        perm,
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )
}

fn set_time_through(obj: &impl AsFd, mtime: &u64) -> std::result::Result<(), Errno> {
    let t = TimeSpec::new(*mtime as i64, 0);
    utimensat(
        nix::fcntl::AT_FDCWD,
        &fd_path(obj),
        &t,
        &t,
        UtimensatFlags::FollowSymlink,
    )
}

fn errno_of(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
