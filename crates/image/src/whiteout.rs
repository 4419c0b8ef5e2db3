//! The two spellings of a deletion: in layer tars (AUFS style, the OCI image spec) a file
//! `.wh.NAME` deletes NAME and `.wh..wh..opq` makes its directory opaque; on an overlayfs
//! upper or lower dir, a char device 0/0 named NAME deletes it and the xattr
//! `trusted.overlay.opaque=y` makes a directory opaque. This module converts between them
//! at the level of single files; walking trees is the job of `unpack` and `pack`.

use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::sys::stat::{mknod, Mode, SFlag};

use crate::error::{Error, Result};

/// Prefix of a whiteout file in a layer tar.
pub(crate) const WH_PREFIX: &str = ".wh.";
/// Name of the opaque-directory marker in a layer tar.
pub(crate) const WH_OPAQUE: &str = ".wh..wh..opq";
/// Prefix of other AUFS metadata entries (`.wh..wh.plnk`, `.wh..wh.aufs`), which are skipped.
pub(crate) const WH_META_PREFIX: &str = ".wh..wh.";

const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// Whether this file is an overlayfs whiteout (a char device with device number 0/0).
pub(crate) fn is_overlay_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Creates an overlayfs whiteout at `path` (which must not exist).
pub(crate) fn make_overlay_whiteout(path: &Path) -> Result<()> {
    mknod(path, SFlag::S_IFCHR, Mode::empty(), 0)
        .map_err(|e| Error::io(format!("creating whiteout {}", path.display()), e.into()))
}

/// Marks `dir` opaque for overlayfs: lower layers' entries below it are hidden.
pub(crate) fn set_opaque(dir: &Path) -> Result<()> {
    set_xattr(dir, OPAQUE_XATTR, b"y")
}

/// Whether `dir` carries the overlayfs opaque marker.
pub(crate) fn is_opaque(dir: &Path) -> Result<bool> {
    Ok(get_xattr(dir, OPAQUE_XATTR)?.as_deref() == Some(&b"y"[..]))
}

/// Sets an extended attribute on `path` itself (not following a symlink).
pub(crate) fn set_xattr(path: &Path, name: &str, value: &[u8]) -> Result<()> {
    xattr::set(path, name, value)
        .map_err(|e| Error::io(format!("setting xattr {name} on {}", path.display()), e))
}

/// Reads an extended attribute of `path` itself, whatever its size; `None` if it is not set
/// (or the filesystem has none).
pub(crate) fn get_xattr(path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    match xattr::get(path, name) {
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => Ok(None),
        got => got.map_err(|e| Error::io(format!("reading xattr {name} of {}", path.display()), e)),
    }
}

/// Names of all extended attributes of `path` itself.
pub(crate) fn list_xattrs(path: &Path) -> Result<Vec<String>> {
    match xattr::list(path) {
        Ok(names) => Ok(names.map(|n| n.to_string_lossy().into_owned()).collect()),
        Err(e) if e.raw_os_error() == Some(libc::ENOTSUP) => Ok(Vec::new()),
        Err(e) => Err(Error::io(
            format!("listing xattrs of {}", path.display()),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An extended attribute of any size (a POSIX ACL of many entries, say, which `commit`
    /// and `save` copy into the layer tar) is read whole.
    #[test]
    fn a_large_xattr_is_read_whole() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "").unwrap();
        let big: Vec<u8> = (0..1500u32).map(|i| b'a' + (i % 26) as u8).collect();
        set_xattr(&f, "user.big", &big).unwrap();
        set_xattr(&f, "user.small", b"v").unwrap();
        assert_eq!(get_xattr(&f, "user.big").unwrap(), Some(big));
        assert_eq!(get_xattr(&f, "user.none").unwrap(), None);
        let mut listed = list_xattrs(&f).unwrap();
        listed.sort();
        assert_eq!(listed, ["user.big", "user.small"]);
    }

    #[test]
    fn whiteouts_and_opaque_markers_round_trip() {
        six_testkit::require_root(); // a 0:0 device node and a trusted.* xattr
        let d = tempfile::tempdir().unwrap();
        let wh = d.path().join("gone");
        make_overlay_whiteout(&wh).unwrap();
        assert!(is_overlay_whiteout(
            &std::fs::symlink_metadata(&wh).unwrap()
        ));
        assert!(!is_opaque(d.path()).unwrap());
        set_opaque(d.path()).unwrap();
        assert!(is_opaque(d.path()).unwrap());
        assert!(list_xattrs(d.path())
            .unwrap()
            .iter()
            .any(|n| n == OPAQUE_XATTR));
    }
}
