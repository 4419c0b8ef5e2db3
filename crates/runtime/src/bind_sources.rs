//! Bind-mount sources opened by the runtime itself before the container's init enters its
//! user namespace, as runc does: there the init is root only over the ids it maps, so a
//! source below a directory of an unmapped owner (a 0700 home) could not even be looked up.
//! Each is cloned here as a detached mount tree (`open_tree(OPEN_TREE_CLONE)`, recursive for
//! rbind): a plain descriptor would name a mount of our namespace, which the init may not
//! bind into its own; the init attaches the tree with move_mount instead (six-rootfs's
//! `RootfsPlan::bind_sources`).
//!
//! A source that cannot be opened here is left to the init, whose error names it. Nothing
//! is opened for a container without a user namespace.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

/// The opened sources; keep it alive until the init is cloned (it gets copies).
#[derive(Default)]
pub struct OpenedSources {
    _fds: Vec<OwnedFd>,
    /// (index in the spec's mounts, `/proc/self/fd/N`).
    pub paths: Vec<(usize, PathBuf)>,
}

/// Opens the source of every bind mount of `spec` (relative ones in `bundle`), each on a
/// descriptor number >= `min_fd` so none lands among the preserved fds.
pub fn open(spec: &Spec, bundle: &Path, min_fd: RawFd) -> OpenedSources {
    let mut opened = OpenedSources::default();
    for (i, m) in spec.mounts().iter().flatten().enumerate() {
        let options = six_rootfs::MountOptions::parse(m.options().as_deref().unwrap_or(&[]))
            .unwrap_or_default();
        let typ = m.typ().as_deref().unwrap_or("");
        let is_bind = typ == "bind" || typ == "rbind" || options.is_bind();
        // A remount changes the bind already at the destination: there is no source to open.
        let remount = options.flags.contains(nix::mount::MsFlags::MS_REMOUNT);
        let Some(source) = m.source().as_deref().filter(|_| is_bind && !remount) else {
            continue;
        };
        let source = if source.is_relative() {
            bundle.join(source)
        } else {
            source.to_path_buf()
        };
        let recursive = typ == "rbind" || options.flags.contains(nix::mount::MsFlags::MS_REC);
        if let Some(fd) = clone_tree_above(&source, recursive, min_fd) {
            opened.paths.push((
                i,
                PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd())),
            ));
            opened._fds.push(fd);
        }
    }
    opened
}

/// A detached copy of the mount tree at `path` (symlinks followed, as a bind follows them;
/// with the mounts below it when `recursive`), as a descriptor numbered >= `min`.
fn clone_tree_above(path: &Path, recursive: bool, min: RawFd) -> Option<OwnedFd> {
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    let c = CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut flags = OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint;
    if recursive {
        flags |= libc::AT_RECURSIVE as libc::c_uint;
    }
    // SAFETY: open_tree with a valid C string; returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, c.as_ptr(), flags) };
    if fd < 0 {
        return None;
    }
    // SAFETY: a fresh fd, ours alone.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as RawFd) };
    six_sys::fd::move_above(fd, min).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bind_sources_are_opened_above_the_preserved_fds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("rel")).unwrap();
        std::fs::write(dir.path().join("marker"), "top").unwrap();
        std::fs::write(dir.path().join("rel/marker"), "rel").unwrap();
        let spec: Spec = serde_json::from_value(serde_json::json!({
            "ociVersion": "1.0.2", "root": {"path": "rootfs"},
            "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/a", "type": "bind", "source": dir.path()},
                {"destination": "/b", "type": "none", "source": "rel", "options": ["rbind"]},
                {"destination": "/a", "type": "bind", "source": dir.path(), "options": ["bind", "remount", "ro"]},
                {"destination": "/c", "type": "bind", "source": "/no/such/dir"}
            ]
        }))
        .unwrap();
        let opened = open(&spec, dir.path(), 40);
        let at: Vec<usize> = opened.paths.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, [1, 2]);
        for (_, p) in &opened.paths {
            let n: RawFd = p.file_name().unwrap().to_str().unwrap().parse().unwrap();
            assert!(n >= 40, "{p:?}");
        }
        // Detached copies of the sources' trees: their files are there.
        let read = |i: usize, name: &str| std::fs::read_to_string(opened.paths[i].1.join(name));
        assert_eq!(read(0, "marker").unwrap(), "top");
        assert_eq!(read(1, "marker").unwrap(), "rel");
    }
}
