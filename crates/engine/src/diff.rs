//! `docker diff`: what a container changed in its file system, read from its overlay upper
//! dir against the image's layers as moby's `OverlayChanges` reads them:
//! - a whiteout (a 0:0 character device) is `D` of that path;
//! - an opaque directory (`trusted.overlay.opaque=y`) that a layer had is `D`, its content `A`;
//! - anything else the layers do not have is `A`, what they have `C` (a directory only when its
//!   size, mode or time differ: one that was only copied up on the way to a change below it is
//!   not itself a change);
//! - the parents of a change are `C` (once, before it: what users of Docker see, whose
//!   overlay2 reads changes naively on kernels with `redirect_dir`);
//! - in walk order: each directory before what is in it, names sorted.
//!
//! Docker keeps what it makes for every container (its "init layer": /etc/hosts,
//! /etc/hostname, /etc/resolv.conf, /.dockerenv, /proc, /sys, /dev/...) below the container's
//! own layer, so they are never changes; the runtime here makes them in the upper dir, and
//! they are left out the same way, with /etc and /dev themselves unless something else in
//! them changed. Reads only; never mounts.

use std::fmt;
use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use crate::engine::Engine;
use crate::error::{IoContext, Result};

/// What happened to a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// `C`: changed (Docker's kind 0).
    Modified,
    /// `A`: added (1).
    Added,
    /// `D`: deleted (2).
    Deleted,
}

/// One line of `docker diff`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The path in the container.
    pub path: String,
}

impl fmt::Display for Change {
    /// "A /tmp/new", as `docker diff` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.kind {
            ChangeKind::Modified => 'C',
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
        };
        write!(f, "{letter} {}", self.path)
    }
}

/// What Docker's init layer holds (moby's `initlayer`): never a change of the container.
pub(crate) const INIT_PATHS: &[&str] = &[
    "/dev/pts",
    "/dev/shm",
    "/proc",
    "/sys",
    "/.dockerenv",
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/hostname",
    "/dev/console",
    "/etc/mtab",
];

/// The init layer's directories: changed only through a change in them.
pub(crate) const INIT_PARENTS: &[&str] = &["/dev", "/etc"];

impl Engine {
    /// `docker diff`: the container's changes to its image.
    pub fn changes(&self, c: &str) -> Result<Vec<Change>> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let image = self.images.container_image(&config.image_id)?;
        let lowers = self.images.layer_dirs(&image)?;
        let upper = self.rootfs_mount(&id).upper;
        changes(&upper, &lowers).at("reading the changes in", &upper)
    }
}

/// The changes in `upper` to the layers `lowers` (top first).
pub(crate) fn changes(upper: &Path, lowers: &[PathBuf]) -> std::io::Result<Vec<Change>> {
    let mut walk = Walk {
        upper,
        lowers,
        out: Vec::new(),
        changed_dirs: Vec::new(),
    };
    if upper.is_dir() {
        walk.dir(Path::new("/"))?;
    }
    Ok(walk.out)
}

struct Walk<'a> {
    upper: &'a Path,
    lowers: &'a [PathBuf],
    out: Vec<Change>,
    /// Directories recorded (or known changed), so a parent is listed once.
    changed_dirs: Vec<String>,
}

impl Walk<'_> {
    fn dir(&mut self, dir: &Path) -> std::io::Result<()> {
        let host = self.upper.join(dir.strip_prefix("/").unwrap_or(dir));
        let mut names: Vec<_> = std::fs::read_dir(&host)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<std::io::Result<_>>()?;
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let shown = path.to_string_lossy().into_owned();
            if INIT_PATHS.contains(&shown.as_str()) {
                continue;
            }
            let meta = std::fs::symlink_metadata(host.join(&name))?;
            self.entry(&shown, &meta, &host.join(&name))?;
            if meta.is_dir() {
                self.dir(&path)?;
            }
        }
        Ok(())
    }

    fn entry(&mut self, path: &str, meta: &Metadata, host: &Path) -> std::io::Result<()> {
        let kind = if is_whiteout(meta) || (meta.is_dir() && is_opaque(host) && self.in_lower(path))
        {
            ChangeKind::Deleted
        } else {
            match self.lower_meta(path) {
                None if INIT_PARENTS.contains(&path) => return Ok(()),
                None => ChangeKind::Added,
                Some(_) if INIT_PARENTS.contains(&path) => return Ok(()),
                Some(lower) if lower.is_dir() && meta.is_dir() && same_dir(&lower, meta) => {
                    return Ok(())
                }
                Some(_) => ChangeKind::Modified,
            }
        };
        if meta.is_dir() {
            self.changed_dirs.push(path.to_owned());
        }
        let mut parents: Vec<String> = Path::new(path)
            .ancestors()
            .skip(1)
            .map(|p| p.to_string_lossy().into_owned())
            .filter(|p| p != "/")
            .collect();
        parents.reverse();
        for p in parents {
            if !self.changed_dirs.contains(&p) {
                self.out.push(Change {
                    kind: ChangeKind::Modified,
                    path: p.clone(),
                });
                self.changed_dirs.push(p);
            }
        }
        self.out.push(Change {
            kind,
            path: path.to_owned(),
        });
        Ok(())
    }

    /// What the topmost layer that has `path` has there (following symlinks, as Go's
    /// os.Stat), unless a layer above deleted it or a parent of it.
    fn lower_meta(&self, path: &str) -> Option<Metadata> {
        let relative = Path::new(path).strip_prefix("/").ok()?;
        for layer in self.lowers {
            let whited_out = relative
                .ancestors()
                .filter(|a| !a.as_os_str().is_empty())
                .any(|a| std::fs::symlink_metadata(layer.join(a)).is_ok_and(|m| is_whiteout(&m)));
            if whited_out {
                return None;
            }
            if let Ok(m) = std::fs::metadata(layer.join(relative)) {
                return Some(m);
            }
        }
        None
    }

    fn in_lower(&self, path: &str) -> bool {
        self.lower_meta(path).is_some()
    }
}

/// A 0:0 character device: overlayfs's mark of a deleted path.
fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// `trusted.overlay.opaque=y` (or `user.` with userxattr): the layers' content is hidden.
fn is_opaque(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    [c"trusted.overlay.opaque", c"user.overlay.opaque"]
        .iter()
        .any(|name| {
            let mut value = [0u8; 2];
            // SAFETY: valid C strings and a buffer of the length given.
            let n = unsafe {
                libc::lgetxattr(
                    path.as_ptr(),
                    name.as_ptr(),
                    value.as_mut_ptr().cast(),
                    value.len(),
                )
            };
            n == 1 && value[0] == b'y'
        })
}

/// Docker's test for a directory that was only copied up: same size, mode and time (to the
/// second when one side has no nanoseconds).
fn same_dir(a: &Metadata, b: &Metadata) -> bool {
    a.size() == b.size()
        && a.mode() == b.mode()
        && a.mtime() == b.mtime()
        && (a.mtime_nsec() == b.mtime_nsec() || a.mtime_nsec() == 0 || b.mtime_nsec() == 0)
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
