//! Making the rootfs the container's `/`: `pivot_root(".", ".")` and a lazy unmount of the
//! old root (the trick runc and crun use, which needs no put_old directory), or, with
//! `--no-pivot`, `MS_MOVE` of the rootfs onto `/` and `chroot`.
//!
//! It owns only this switch; it never mounts anything the container will see.

use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

use crate::error::{Error, Result};
use crate::syscall::Syscall;

/// `pivot_root` into `rootfs`, then detach the old root so no host path stays reachable.
pub fn pivot_root(rootfs: &Path, sys: &dyn Syscall) -> Result<()> {
    let old_root = sys
        .open_dir(Path::new("/"))
        .map_err(Error::path("opening the old root", "/"))?;
    let new_root = sys
        .open_dir(rootfs)
        .map_err(Error::path("opening the new root", rootfs))?;
    sys.fchdir(&new_root)
        .map_err(Error::path("chdir into", rootfs))?;
    sys.pivot_root(Path::new("."), Path::new("."))
        .map_err(Error::path("pivot_root into", rootfs))?;
    // The old root is now stacked on top of the new one; step onto it to detach it.
    sys.fchdir(&old_root)
        .map_err(Error::path("chdir into the old root", "/"))?;
    // Make the old root a slave so the unmount below does not propagate to the host.
    sys.mount(
        None,
        Path::new("."),
        None,
        MsFlags::MS_SLAVE | MsFlags::MS_REC,
        None,
    )
    .map_err(Error::path("making the old root a slave", "/"))?;
    sys.umount2(Path::new("."), MntFlags::MNT_DETACH)
        .map_err(Error::path("detaching the old root", "/"))?;
    sys.chdir(Path::new("/")).map_err(Error::path("chdir", "/"))
}

/// `--no-pivot`: move the rootfs mount onto `/` and chroot into it.
pub fn move_root(rootfs: &Path, sys: &dyn Syscall) -> Result<()> {
    sys.chdir(rootfs)
        .map_err(Error::path("chdir into", rootfs))?;
    sys.mount(Some(rootfs), Path::new("/"), None, MsFlags::MS_MOVE, None)
        .map_err(Error::path("moving the rootfs onto / from", rootfs))?;
    sys.chroot(Path::new("."))
        .map_err(Error::path("chroot into", rootfs))?;
    sys.chdir(Path::new("/")).map_err(Error::path("chdir", "/"))
}
