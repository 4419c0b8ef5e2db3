//! `tmpcopyup` (a runc/crun extension Podman adds to tmpfs mounts): the tmpfs starts with a
//! copy of what the image had at its mount point.
//!
//! The directory is opened before the tmpfs covers it; walking that descriptor still reads
//! the covered content, so no temporary mount or move is needed. Every step is relative to a
//! held directory descriptor with `O_NOFOLLOW`, so a symlink in the image is copied as a
//! symlink and never followed. Modes and owners are kept. This module copies; it never mounts.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, AtFlags, OFlag};
use nix::sys::stat::{fchmod, fstatat, mkdirat, mknodat, FileStat, Mode, SFlag};
use nix::unistd::{fchown, fchownat, symlinkat, Gid, Uid};

const DIR_FLAGS: OFlag = OFlag::O_RDONLY
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

/// Copies the contents of the directory `from` into the directory `to`.
pub fn copy_tree(from: &OwnedFd, to: &OwnedFd) -> Result<(), Errno> {
    for name in names(from)? {
        let st = fstatat(from, name.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
        copy_entry(from, to, &name, &st)?;
    }
    Ok(())
}

/// The entries of a directory, `.` and `..` left out.
fn names(dir: &OwnedFd) -> Result<Vec<CString>, Errno> {
    let mut listing = Dir::openat(dir, ".", DIR_FLAGS, Mode::empty())?;
    let mut out = Vec::new();
    for entry in listing.iter() {
        let name = entry?.file_name().to_owned();
        if name.as_bytes() != b"." && name.as_bytes() != b".." {
            out.push(name);
        }
    }
    Ok(out)
}

fn copy_entry(from: &OwnedFd, to: &OwnedFd, name: &CString, st: &FileStat) -> Result<(), Errno> {
    let perm = Mode::from_bits_truncate(st.st_mode & 0o7777);
    let (uid, gid) = (
        Some(Uid::from_raw(st.st_uid)),
        Some(Gid::from_raw(st.st_gid)),
    );
    match st.st_mode & libc::S_IFMT {
        libc::S_IFDIR => {
            mkdirat(to, name.as_c_str(), Mode::from_bits_truncate(0o700))?;
            let src = openat(from, name.as_c_str(), DIR_FLAGS, Mode::empty())?;
            let dst = openat(to, name.as_c_str(), DIR_FLAGS, Mode::empty())?;
            copy_tree(&src, &dst)?;
            fchown(&dst, uid, gid)?;
            fchmod(&dst, perm)
        }
        libc::S_IFREG => {
            let src = openat(
                from,
                name.as_c_str(),
                OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )?;
            let write = OFlag::O_WRONLY
                | OFlag::O_CREAT
                | OFlag::O_EXCL
                | OFlag::O_NOFOLLOW
                | OFlag::O_CLOEXEC;
            let dst = openat(to, name.as_c_str(), write, Mode::from_bits_truncate(0o600))?;
            let (mut src, mut dst) = (File::from(src), File::from(dst));
            std::io::copy(&mut src, &mut dst)
                .map_err(|e| e.raw_os_error().map_or(Errno::EIO, Errno::from_raw))?;
            fchown(dst.as_fd(), uid, gid)?;
            fchmod(dst.as_fd(), perm)
        }
        libc::S_IFLNK => {
            let target = readlinkat(from, name.as_c_str())?;
            symlinkat(target.as_os_str(), to, name.as_c_str())?;
            fchownat(to, name.as_c_str(), uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
        }
        kind => {
            // Device nodes, fifos, sockets: recreate the node (mode applied, then owner).
            let kind = SFlag::from_bits_truncate(kind);
            mknodat(to, name.as_c_str(), kind, perm, st.st_rdev)?;
            fchownat(to, name.as_c_str(), uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};

    fn dir_fd(p: &std::path::Path) -> OwnedFd {
        nix::fcntl::open(p, DIR_FLAGS, Mode::empty()).unwrap()
    }

    #[test]
    fn copies_files_dirs_and_symlinks_with_modes() {
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("sub")).unwrap();
        std::fs::write(src.path().join("sub/f"), b"hello").unwrap();
        std::fs::set_permissions(
            src.path().join("sub/f"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        std::fs::set_permissions(
            src.path().join("sub"),
            std::fs::Permissions::from_mode(0o751),
        )
        .unwrap();
        symlink("/etc/passwd", src.path().join("link")).unwrap();
        copy_tree(&dir_fd(src.path()), &dir_fd(dst.path())).unwrap();
        assert_eq!(std::fs::read(dst.path().join("sub/f")).unwrap(), b"hello");
        assert_eq!(
            std::fs::metadata(dst.path().join("sub/f")).unwrap().mode() & 0o7777,
            0o640
        );
        assert_eq!(
            std::fs::metadata(dst.path().join("sub")).unwrap().mode() & 0o7777,
            0o751
        );
        assert_eq!(
            std::fs::read_link(dst.path().join("link")).unwrap(),
            std::path::Path::new("/etc/passwd")
        );
    }
}
