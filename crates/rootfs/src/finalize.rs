//! The steps after the switch of root: `ro` (and `rro`, ...) of the tmpfs mounts and /dev,
//! held back by `mounts.rs`, then `maskedPaths`, `readonlyPaths`, `root.readonly` and the
//! final propagation of `/`.
//!
//! Paths are resolved inside the new root like every other target. A masked or read-only
//! path that does not exist is skipped (runc does the same); anything else that fails is an
//! error naming the path.

use std::path::Path;

use nix::errno::Errno;
use nix::mount::MsFlags;

use crate::error::{Error, Result};
use crate::mounts::{read_only_later, remount_bind, set_recursive};
use crate::options::{MountOptions, REMOUNT_FLAGS};
use crate::plan::RootfsPlan;
use crate::syscall::{Create, FileKind, Syscall};

/// The flags every read-only path gets.
const READONLY_FLAGS: MsFlags = MsFlags::MS_RDONLY
    .union(MsFlags::MS_NOSUID)
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC);

/// The read-only flag and recursive attributes of every tmpfs and /dev mount of the spec,
/// held back while they were filled (`mounts::read_only_later`), as runc's finalizeRootfs.
pub fn held_back_read_only(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    for m in plan.mounts() {
        let fstype = m.typ().clone().unwrap_or_default();
        let destination = m.destination();
        if !read_only_later(&fstype, destination) {
            continue;
        }
        let options = MountOptions::parse(m.options().as_deref().unwrap_or(&[])).map_err(|e| {
            Error::UnsupportedOption {
                destination: destination.clone(),
                fstype: fstype.clone(),
                option: e.0,
            }
        })?;
        if options.flags.contains(MsFlags::MS_RDONLY) {
            remount_bind(
                Path::new("/"),
                sys,
                destination,
                options.flags & REMOUNT_FLAGS,
            )
            .map_err(Error::path("making read-only (remount)", destination))?;
        }
        if !options.recursive.is_empty() {
            set_recursive(Path::new("/"), sys, destination, options.recursive).map_err(
                Error::path(
                    "setting the recursive attributes (mount_setattr) of",
                    destination,
                ),
            )?;
        }
    }
    Ok(())
}

/// Hides `path`: `/dev/null` bound over a file, an empty read-only tmpfs over a directory.
pub fn mask_path(sys: &dyn Syscall, path: &str) -> Result<()> {
    let err = |step: &str| Error::path(step.to_owned(), path);
    let target = match sys.open_in_root(Path::new("/"), Path::new(path), Create::Nothing) {
        Ok(t) => t,
        Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(()),
        Err(e) => return Err(err("masking (opening)")(e)),
    };
    let kind = sys.kind(target.path()).map_err(err("masking (stat)"))?;
    six_trace::step!(
        six_trace::Kind::Mask,
        "{path}: {}",
        match kind {
            FileKind::Dir => "an empty read-only tmpfs over the directory",
            FileKind::File => "/dev/null bound over the file",
        }
    );
    match kind {
        FileKind::Dir => sys
            .mount(
                Some(Path::new("tmpfs")),
                target.path(),
                Some("tmpfs"),
                MsFlags::MS_RDONLY,
                None,
            )
            .map_err(err("masking with a read-only tmpfs")),
        FileKind::File => sys
            .mount(
                Some(Path::new("/dev/null")),
                target.path(),
                None,
                MsFlags::MS_BIND,
                None,
            )
            .map_err(err("masking with /dev/null")),
    }
}

/// Makes `path` read-only: a bind onto itself, remounted ro, nosuid, nodev, noexec.
pub fn readonly_path(sys: &dyn Syscall, path: &str) -> Result<()> {
    let err = |step: &str| Error::path(step.to_owned(), path);
    let target = match sys.open_in_root(Path::new("/"), Path::new(path), Create::Nothing) {
        Ok(t) => t,
        Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(()),
        Err(e) => return Err(err("making read-only (opening)")(e)),
    };
    six_trace::step!(
        six_trace::Kind::ReadOnly,
        "{path}: bound onto itself, remounted ro,nosuid,nodev,noexec"
    );
    sys.mount(
        Some(target.path()),
        target.path(),
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(err("making read-only (bind onto itself)"))?;
    drop(target);
    remount_bind(Path::new("/"), sys, Path::new(path), READONLY_FLAGS)
        .map_err(err("making read-only (remount)"))
}

/// `root.readonly`: remount `/` read-only, keeping any flags the kernel has locked.
pub fn readonly_root(sys: &dyn Syscall) -> Result<()> {
    let root = Path::new("/");
    let remount = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    match sys.mount(None, root, None, remount, None) {
        Err(Errno::EPERM) => {
            let locked = sys
                .mount_flags(root)
                .map_err(Error::path("reading the mount flags of", root))?;
            sys.mount(None, root, None, remount | locked, None)
        }
        other => other,
    }
    .map_err(Error::path("remounting read-only", root))
}
