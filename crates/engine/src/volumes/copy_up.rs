//! Docker's copy-up: a volume that is empty when a container starts gets what the container's
//! root filesystem has at the mount point (files, modes, owners, symlinks as symlinks), and
//! the volume's top directory takes that directory's owner and mode. A volume with anything in
//! it is left alone; so is a mount point that is missing or not a directory.
//!
//! The mount point is resolved inside the rootfs (a symlink in the image cannot make it read a
//! host directory), and every step of the copy is relative to a held directory descriptor
//! without following symlinks (six-rootfs's `copy_tree`). It never mounts.

use std::os::fd::OwnedFd;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fchmod, fstat, Mode};
use nix::unistd::{fchown, Gid, Uid};
use six_rootfs::{Create, LinuxSyscall, Syscall};

use crate::error::{Error, Result};

const DIR: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_CLOEXEC);

/// Fills `data_dir` from `destination` in `rootfs` if `data_dir` is empty; true if it did.
pub(crate) fn fill_if_empty(rootfs: &Path, destination: &Path, data_dir: &Path) -> Result<bool> {
    let what = || {
        format!(
            "copying the image's {} into the volume at {}",
            destination.display(),
            data_dir.display()
        )
    };
    let fail = |e: Errno| Error::sys(what(), e);
    let target =
        nix::fcntl::open(data_dir, DIR | OFlag::O_NOFOLLOW, Mode::empty()).map_err(fail)?;
    if !is_empty(&target).map_err(fail)? {
        return Ok(false);
    }
    let Some(source) = open_source(rootfs, destination).map_err(fail)? else {
        return Ok(false);
    };
    six_rootfs::copy_tree(&source, &target).map_err(fail)?;
    let st = fstat(&source).map_err(fail)?;
    fchown(
        &target,
        Some(Uid::from_raw(st.st_uid)),
        Some(Gid::from_raw(st.st_gid)),
    )
    .map_err(fail)?;
    fchmod(&target, Mode::from_bits_truncate(st.st_mode & 0o7777)).map_err(fail)?;
    Ok(true)
}

/// The directory at `destination` inside `rootfs`, or None when there is none.
fn open_source(rootfs: &Path, destination: &Path) -> std::result::Result<Option<OwnedFd>, Errno> {
    let target = match LinuxSyscall.open_in_root(rootfs, destination, Create::Nothing) {
        Ok(t) => t,
        Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(None),
        Err(e) => return Err(e),
    };
    let Some(fd) = target.fd() else {
        return Ok(None);
    };
    match openat(fd, ".", DIR, Mode::empty()) {
        Ok(dir) => Ok(Some(dir)),
        Err(Errno::ENOTDIR) => Ok(None),
        Err(e) => Err(e),
    }
}

fn is_empty(dir: &OwnedFd) -> std::result::Result<bool, Errno> {
    let mut listing = nix::dir::Dir::openat(dir, ".", DIR, Mode::empty())?;
    for entry in listing.iter() {
        let name = entry?.file_name().to_bytes().to_vec();
        if name != b"." && name != b".." {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    #[test]
    fn an_empty_volume_is_filled_once_and_symlinks_stay_inside() {
        let rootfs = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let r = rootfs.path();
        std::fs::create_dir_all(r.join("srv/sub")).unwrap();
        std::fs::write(r.join("srv/sub/f"), "image").unwrap();
        std::fs::set_permissions(r.join("srv"), std::fs::Permissions::from_mode(0o750)).unwrap();
        symlink("/etc/passwd", r.join("srv/pw")).unwrap();
        // A mount point that is a symlink leading out of the rootfs is followed inside it.
        symlink("/srv", r.join("link")).unwrap();
        assert!(fill_if_empty(r, Path::new("/link"), data.path()).unwrap());
        assert_eq!(
            std::fs::read_to_string(data.path().join("sub/f")).unwrap(),
            "image"
        );
        assert_eq!(
            std::fs::read_link(data.path().join("pw")).unwrap(),
            Path::new("/etc/passwd")
        );
        assert_eq!(
            std::fs::metadata(data.path()).unwrap().mode() & 0o7777,
            0o750
        );
        std::fs::write(r.join("srv/later"), "x").unwrap();
        assert!(
            !fill_if_empty(r, Path::new("/srv"), data.path()).unwrap(),
            "not empty"
        );
        assert!(!data.path().join("later").exists());
        let empty = tempfile::tempdir().unwrap();
        symlink("/etc", r.join("evil")).unwrap();
        assert!(
            !fill_if_empty(r, Path::new("/evil"), empty.path()).unwrap(),
            "/evil -> /etc is the rootfs's /etc (none), never the host's"
        );
        assert!(!fill_if_empty(r, Path::new("/missing"), empty.path()).unwrap());
        assert!(!fill_if_empty(r, Path::new("/srv/sub/f"), empty.path()).unwrap());
    }
}
