//! A directory as the root of a file system, for a builder writing into an image's rootfs
//! (`COPY`, `ADD`, `WORKDIR` of `sixdocker build`): paths are resolved inside the root
//! (`RESOLVE_IN_ROOT`: an absolute symlink restarts at the root, `..` never climbs above
//! it) and tars are extracted as `docker cp` extracts them, with the owners, modes and times
//! their entries carry. No symlink the image holds can lead a write outside the root.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

use super::is_dir;
use super::resolve::{clean, inside_path, open_in};
use super::tar_in::{extract as extract_tar, Destination, Owners};
use crate::error::{Error, Result};

/// What a path inside a root leads to, symlinks followed inside the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// Where it really is: an absolute, clean path inside the root, no symlink in it.
    pub path: PathBuf,
    /// Whether it is a directory.
    pub is_dir: bool,
}

fn open_root(root: &Path) -> Result<OwnedFd> {
    nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys(format!("opening {}", root.display()), e))
}

/// Looks `path` (as typed in a Dockerfile: made absolute and clean first) up inside `root`;
/// `follow`: a symlink as last component is followed too. None when nothing is there.
pub fn lookup(root: &Path, path: &str, follow: bool) -> Result<Option<Found>> {
    let fd = open_root(root)?;
    let path = clean(path);
    match open_in(&fd, &path, follow) {
        Ok(found) => Ok(Some(Found {
            path: inside_path(root, &found).unwrap_or(path),
            is_dir: is_dir(&found),
        })),
        Err(nix::errno::Errno::ENOENT | nix::errno::Errno::ENOTDIR) => Ok(None),
        Err(e) => Err(Error::sys(format!("looking up {}", path.display()), e)),
    }
}

/// Extracts `tar` into the directory `dir` inside `root` (made, with its parents, if
/// missing): owners, modes and times as the entries give them; an existing file is replaced,
/// an existing directory kept; a directory never replaces a file nor a file a directory.
pub fn extract(root: &Path, dir: &str, tar: &mut dyn Read) -> Result<()> {
    let fd = open_root(root)?;
    let dir = clean(dir);
    let to = Destination {
        root: &fd,
        dir: &dir,
        owners: Owners::FromArchive,
    };
    extract_tar(tar, &to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn symlinks_are_followed_inside_the_root_only() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("real/dir")).unwrap();
        symlink("/real", r.join("abs")).unwrap();
        symlink("/", r.join("escape")).unwrap();
        let found = lookup(r, "abs/dir", true).unwrap().unwrap();
        assert_eq!(found.path, PathBuf::from("/real/dir"));
        assert!(found.is_dir);
        assert_eq!(lookup(r, "/escape/etc/passwd", true).unwrap(), None);
        let link = lookup(r, "abs", false).unwrap().unwrap();
        assert_eq!((link.path, link.is_dir), (PathBuf::from("/abs"), false));
    }

    #[test]
    fn extraction_stays_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let r = t.path();
        symlink(outside.path(), r.join("out")).unwrap();
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(2);
        h.set_mode(0o640);
        b.append_data(&mut h, "f", &b"hi"[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        // The link leads to a path the root does not have: refused, nothing written outside.
        assert!(extract(r, "/out/sub", &mut &bytes[..]).is_err());
        assert!(
            !outside.path().join("sub").exists(),
            "written outside the root"
        );
        extract(r, "/in/sub", &mut &bytes[..]).unwrap();
        assert_eq!(std::fs::read(r.join("in/sub/f")).unwrap(), b"hi");
    }
}
