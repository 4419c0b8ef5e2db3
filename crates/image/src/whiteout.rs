//! The two spellings of a deletion: in layer tars (AUFS style, the OCI image spec) a file
//! `.wh.NAME` deletes NAME and `.wh..wh..opq` makes its directory opaque; on an overlayfs
//! upper or lower dir, a char device 0/0 named NAME deletes it and the xattr
//! `trusted.overlay.opaque=y` makes a directory opaque. This module converts between them
//! at the level of single files; walking trees is the job of `unpack` and `pack`.

use std::ffi::CString;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
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

fn c_path(path: &Path) -> Result<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| {
        Error::io(
            format!("path {} contains a NUL byte", path.display()),
            std::io::ErrorKind::InvalidInput.into(),
        )
    })
}

/// Sets an extended attribute on `path` itself (not following a symlink).
pub(crate) fn set_xattr(path: &Path, name: &str, value: &[u8]) -> Result<()> {
    let p = c_path(path)?;
    let n = CString::new(name).map_err(|_| {
        Error::io(
            "xattr name with NUL",
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    // SAFETY: both strings are NUL-terminated; value points to value.len() bytes.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            n.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc != 0 {
        return Err(Error::io(
            format!("setting xattr {name} on {}", path.display()),
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// Reads an extended attribute of `path` itself; `None` if it is not set.
pub(crate) fn get_xattr(path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    let p = c_path(path)?;
    let n = CString::new(name).map_err(|_| {
        Error::io(
            "xattr name with NUL",
            std::io::ErrorKind::InvalidInput.into(),
        )
    })?;
    let mut buf = vec![0u8; 256];
    // SAFETY: both strings are NUL-terminated; buf has buf.len() writable bytes.
    let rc = unsafe { libc::lgetxattr(p.as_ptr(), n.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(None),
            _ => Err(Error::io(
                format!("reading xattr {name} of {}", path.display()),
                e,
            )),
        };
    }
    buf.truncate(rc as usize);
    Ok(Some(buf))
}

/// Names of all extended attributes of `path` itself.
pub(crate) fn list_xattrs(path: &Path) -> Result<Vec<String>> {
    let p = c_path(path)?;
    let mut buf = vec![0u8; 4096];
    // SAFETY: p is NUL-terminated; buf has buf.len() writable bytes.
    let rc = unsafe { libc::llistxattr(p.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if rc < 0 {
        let e = std::io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOTSUP) => Ok(Vec::new()),
            _ => Err(Error::io(
                format!("listing xattrs of {}", path.display()),
                e,
            )),
        };
    }
    buf.truncate(rc as usize);
    Ok(buf
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whiteouts_and_opaque_markers_round_trip() {
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
