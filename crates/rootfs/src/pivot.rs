//! Making the rootfs the container's `/`: `pivot_root(".", ".")` and a lazy unmount of the
//! old root (the trick runc and crun use, which needs no put_old directory), or, with
//! `--no-pivot`, `MS_MOVE` of the rootfs onto `/` and `chroot`, after hiding the host's
//! proc and sysfs mounts that `chroot` leaves in the namespace (runc's no-pivot handling).
//!
//! It owns only this switch; it never mounts anything the container will see.

use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

use nix::errno::Errno;

use crate::error::{Error, Result};
use crate::mountinfo;
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
    six_trace::step!(
        six_trace::Kind::PivotRoot,
        "the old root is detached: {} is now /, no host path is reachable",
        rootfs.display()
    );
    sys.chdir(Path::new("/")).map_err(Error::path("chdir", "/"))
}

/// `--no-pivot`: move the rootfs mount onto `/` and chroot into it.
pub fn move_root(rootfs: &Path, sys: &dyn Syscall) -> Result<()> {
    hide_host_kernel_filesystems(rootfs, sys)?;
    sys.chdir(rootfs)
        .map_err(Error::path("chdir into", rootfs))?;
    sys.mount(Some(rootfs), Path::new("/"), None, MsFlags::MS_MOVE, None)
        .map_err(Error::path("moving the rootfs onto / from", rootfs))?;
    sys.chroot(Path::new("."))
        .map_err(Error::path("chroot into", rootfs))?;
    sys.chdir(Path::new("/")).map_err(Error::path("chdir", "/"))
}

/// Detaches every whole proc and sysfs mount outside the rootfs (or covers it with a tmpfs
/// where the kernel will not detach it), as runc does before its no-pivot `chroot`. The
/// kernel lets a process that made its own user namespace mount a fresh procfs or sysfs
/// while a fully visible one is in its mount namespace: after a mere `chroot` the host's
/// /proc and /sys are still there, out of sight, and would let the container mount a /proc
/// without its masked and read-only paths.
fn hide_host_kernel_filesystems(rootfs: &Path, sys: &dyn Syscall) -> Result<()> {
    let rootfs = sys
        .canonicalize(rootfs)
        .map_err(Error::path("resolving", rootfs))?;
    let text = sys
        .mountinfo()
        .map_err(Error::path("reading", "/proc/self/mountinfo"))?;
    for m in mountinfo::parse(&text) {
        let whole_kernel_fs =
            m.root == Path::new("/") && (m.fstype == "proc" || m.fstype == "sysfs");
        if !whole_kernel_fs || m.mount_point.starts_with(&rootfs) {
            continue;
        }
        let at = m.mount_point.as_path();
        // Make sure the unmount does not propagate to the host.
        match sys.mount(None, at, None, MsFlags::MS_SLAVE | MsFlags::MS_REC, None) {
            // Below a mount detached before: gone with it.
            Err(Errno::ENOENT | Errno::EINVAL) => continue,
            other => other.map_err(Error::path(
                format!("hiding the host's {} (making it a slave)", m.fstype),
                at,
            ))?,
        }
        match sys.umount2(at, MntFlags::MNT_DETACH) {
            Ok(()) => {}
            // Locked (a user namespace): cover it instead.
            Err(Errno::EINVAL | Errno::EPERM) => sys
                .mount(
                    Some(Path::new("tmpfs")),
                    at,
                    Some("tmpfs"),
                    MsFlags::empty(),
                    None,
                )
                .map_err(Error::path(
                    format!("hiding the host's {} (covering it with a tmpfs)", m.fstype),
                    at,
                ))?,
            Err(e) => {
                return Err(Error::path(
                    format!("hiding the host's {} (detaching it)", m.fstype),
                    at,
                )(e))
            }
        }
    }
    Ok(())
}
