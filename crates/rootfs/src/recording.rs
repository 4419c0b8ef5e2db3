//! [`RecordingSyscall`]: a [`Syscall`] that records calls instead of making them, over a
//! small in-memory picture of which paths exist, so unit tests can check "which calls, in
//! which order, with which flags" without root.
//!
//! Paths it hands out are lexical (`<root>/<path>`); it follows only the symlinks a test
//! declares with [`RecordingSyscall::with_symlink`] (enough to check that rules apply to
//! where a path leads). It is for tests of the call sequence, not of path resolution
//! (`resolve.rs` has its own tests against the real kernel).

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::{Mode, SFlag};

use crate::options::MountAttrs;
use crate::syscall::{Create, FileKind, Syscall, Target};

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `mount(2)`, with its arguments.
    Mount {
        /// The source (a device, a path, "proc"...).
        source: Option<PathBuf>,
        /// The mount point.
        target: PathBuf,
        /// The file system type.
        fstype: Option<String>,
        /// `MS_*` flags.
        flags: MsFlags,
        /// File-system-specific options ("mode=755").
        data: Option<String>,
    },
    /// `umount2(2)`.
    Umount2 {
        /// The mount point.
        target: PathBuf,
        /// `MNT_*` flags.
        flags: MntFlags,
    },
    /// `move_mount(2)` of a detached tree.
    MoveMount {
        /// The tree (`/proc/self/fd/N`).
        from: PathBuf,
        /// Where it is attached.
        to: PathBuf,
    },
    /// `mount_setattr` with `AT_RECURSIVE`.
    MountSetattr {
        /// The top of the tree.
        target: PathBuf,
        /// `MOUNT_ATTR_*` set.
        set: u64,
        /// `MOUNT_ATTR_*` cleared.
        clear: u64,
    },
    /// `pivot_root(2)`.
    PivotRoot {
        /// The new root.
        new_root: PathBuf,
        /// Where the old root goes.
        put_old: PathBuf,
    },
    /// `chroot(2)`.
    Chroot(PathBuf),
    /// `chdir(2)`.
    Chdir(PathBuf),
    /// `fchdir(2)` to a directory opened earlier (its path).
    Fchdir(PathBuf),
    /// `open_in_root` that created what was missing (`Create::Dir` or `Create::File`).
    Create {
        /// What was created.
        path: PathBuf,
        /// As a directory or a file.
        create: Create,
    },
    /// `mknod(2)`.
    Mknod {
        /// The node.
        path: PathBuf,
        /// Character, block or fifo.
        kind: SFlag,
        /// Permission bits.
        mode: u32,
        /// The device number.
        dev: u64,
    },
    /// `chmod(2)`.
    Chmod {
        /// The file.
        path: PathBuf,
        /// Permission bits.
        mode: u32,
    },
    /// `lchown(2)`.
    Lchown {
        /// The file.
        path: PathBuf,
        /// The owner.
        uid: u32,
        /// The group.
        gid: u32,
    },
    /// `symlink(2)`.
    Symlink {
        /// What the link points at.
        target: PathBuf,
        /// The link.
        link: PathBuf,
    },
    /// `unlink(2)`.
    Unlink(PathBuf),
    /// `tmpcopyup`: a covered directory's contents copied onto the tmpfs over it.
    CopyUp {
        /// The covered directory.
        from: PathBuf,
        /// The tmpfs.
        to: PathBuf,
    },
}

type FailRule = (Box<dyn Fn(&Call) -> bool>, Errno);

/// Records every call; see the module documentation.
#[derive(Default)]
pub struct RecordingSyscall {
    calls: RefCell<Vec<Call>>,
    paths: RefCell<HashMap<PathBuf, FileKind>>,
    mount_flags: RefCell<HashMap<PathBuf, MsFlags>>,
    failures: RefCell<Vec<FailRule>>,
    mountinfo: String,
    /// Declared symlinks: full path (as `<root>/<path>`) -> link target.
    links: HashMap<PathBuf, PathBuf>,
}

impl RecordingSyscall {
    /// An empty recording: no calls, no paths, no failures.
    pub fn new() -> RecordingSyscall {
        RecordingSyscall::default()
    }

    /// Declares that `path` (an absolute path as the code will ask for it) exists.
    pub fn with_path(self, path: impl Into<PathBuf>, kind: FileKind) -> RecordingSyscall {
        self.paths.borrow_mut().insert(path.into(), kind);
        self
    }

    /// Declares that `link` (a full path as the code will ask for it, `<root>/<path>`) is a
    /// symlink to `target`; `open_in_root` and `resolve_in_root` follow it inside the root.
    pub fn with_symlink(
        mut self,
        link: impl Into<PathBuf>,
        target: impl Into<PathBuf>,
    ) -> RecordingSyscall {
        self.links.insert(link.into(), target.into());
        self
    }

    /// The flags `mount_flags(path)` reports (default: none).
    pub fn with_mount_flags(self, path: impl Into<PathBuf>, flags: MsFlags) -> RecordingSyscall {
        self.mount_flags.borrow_mut().insert(path.into(), flags);
        self
    }

    /// The text `mountinfo()` returns (default: empty).
    pub fn with_mountinfo(mut self, text: &str) -> RecordingSyscall {
        self.mountinfo = text.to_owned();
        self
    }

    /// Makes the first call matching `rule` fail with `errno` (the call is still recorded).
    pub fn fail_once(
        self,
        rule: impl Fn(&Call) -> bool + 'static,
        errno: Errno,
    ) -> RecordingSyscall {
        self.failures.borrow_mut().push((Box::new(rule), errno));
        self
    }

    /// The calls so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// Only the `Mount` calls, in order.
    pub fn mounts(&self) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| matches!(c, Call::Mount { .. }))
            .collect()
    }

    fn record(&self, call: Call) -> Result<(), Errno> {
        let mut failures = self.failures.borrow_mut();
        let failed = failures.iter().position(|(rule, _)| rule(&call));
        self.calls.borrow_mut().push(call);
        match failed {
            Some(i) => Err(failures.remove(i).1),
            None => Ok(()),
        }
    }

    fn exists(&self, path: &Path) -> Option<FileKind> {
        self.paths.borrow().get(path).copied()
    }
}

/// `root` joined with `path`, `..` applied and never above `root`, following the declared
/// symlinks (at most 40, as Linux).
fn join_inside(
    root: &Path,
    path: &Path,
    links: &HashMap<PathBuf, PathBuf>,
) -> Result<PathBuf, Errno> {
    let mut pending: std::collections::VecDeque<std::ffi::OsString> = names(path).collect();
    let mut parts: Vec<std::ffi::OsString> = Vec::new();
    let mut followed = 0;
    while let Some(name) = pending.pop_front() {
        if name == ".." {
            parts.pop();
            continue;
        }
        parts.push(name);
        let full = parts.iter().fold(root.to_path_buf(), |p, n| p.join(n));
        if let Some(target) = links.get(&full) {
            followed += 1;
            if followed > 40 {
                return Err(Errno::ELOOP);
            }
            parts.pop();
            if target.is_absolute() {
                parts.clear();
            }
            for n in names(target).collect::<Vec<_>>().into_iter().rev() {
                pending.push_front(n);
            }
        }
    }
    Ok(parts.iter().fold(root.to_path_buf(), |p, n| p.join(n)))
}

/// The names of `path`, `..` kept, `/` and `.` dropped.
fn names(path: &Path) -> impl Iterator<Item = std::ffi::OsString> + '_ {
    path.components().filter_map(|c| match c {
        Component::Normal(n) => Some(n.to_os_string()),
        Component::ParentDir => Some("..".into()),
        _ => None,
    })
}

impl Syscall for RecordingSyscall {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        self.record(Call::Mount {
            source: source.map(Path::to_path_buf),
            target: target.to_path_buf(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }

    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        self.record(Call::Umount2 {
            target: target.to_path_buf(),
            flags,
        })
    }

    fn move_mount(&self, from: &Path, to: &Path) -> Result<(), Errno> {
        self.record(Call::MoveMount {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        })
    }

    fn mount_setattr(&self, target: &Path, attrs: MountAttrs) -> Result<(), Errno> {
        self.record(Call::MountSetattr {
            target: target.to_path_buf(),
            set: attrs.set,
            clear: attrs.clear,
        })
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno> {
        self.record(Call::PivotRoot {
            new_root: new_root.to_path_buf(),
            put_old: put_old.to_path_buf(),
        })
    }

    fn chroot(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::Chroot(path.to_path_buf()))
    }

    fn chdir(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::Chdir(path.to_path_buf()))
    }

    fn open_dir(&self, path: &Path) -> Result<Target, Errno> {
        Ok(Target::from_path(path))
    }

    fn fchdir(&self, dir: &Target) -> Result<(), Errno> {
        self.record(Call::Fchdir(dir.path().to_path_buf()))
    }

    fn open_in_root(&self, root: &Path, path: &Path, create: Create) -> Result<Target, Errno> {
        let full = join_inside(root, path, &self.links)?;
        let inside = Path::new("/").join(full.strip_prefix(root).unwrap_or(&full));
        match (self.exists(&full), create) {
            (Some(_), _) => {}
            (None, Create::Nothing) => return Err(Errno::ENOENT),
            (None, Create::Dir | Create::File) => {
                self.record(Call::Create {
                    path: full.clone(),
                    create,
                })?;
                let kind = if create == Create::Dir {
                    FileKind::Dir
                } else {
                    FileKind::File
                };
                self.paths.borrow_mut().insert(full.clone(), kind);
            }
        }
        Ok(Target::from_path(full).resolved_to(inside))
    }

    fn resolve_in_root(&self, root: &Path, path: &Path) -> Result<PathBuf, Errno> {
        let full = join_inside(root, path, &self.links)?;
        Ok(Path::new("/").join(full.strip_prefix(root).unwrap_or(&full)))
    }

    fn kind(&self, path: &Path) -> Result<FileKind, Errno> {
        self.exists(path).ok_or(Errno::ENOENT)
    }

    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno> {
        Ok(self
            .mount_flags
            .borrow()
            .get(path)
            .copied()
            .unwrap_or(MsFlags::empty()))
    }

    fn mknod(&self, path: &Path, kind: SFlag, perm: Mode, dev: u64) -> Result<(), Errno> {
        self.record(Call::Mknod {
            path: path.to_path_buf(),
            kind,
            mode: perm.bits(),
            dev,
        })?;
        self.paths
            .borrow_mut()
            .insert(path.to_path_buf(), FileKind::File);
        Ok(())
    }

    fn chmod(&self, path: &Path, mode: Mode) -> Result<(), Errno> {
        self.record(Call::Chmod {
            path: path.to_path_buf(),
            mode: mode.bits(),
        })
    }

    fn lchown(&self, path: &Path, uid: u32, gid: u32) -> Result<(), Errno> {
        self.record(Call::Lchown {
            path: path.to_path_buf(),
            uid,
            gid,
        })
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno> {
        self.record(Call::Symlink {
            target: target.to_path_buf(),
            link: link.to_path_buf(),
        })
    }

    fn unlink(&self, path: &Path) -> Result<(), Errno> {
        self.record(Call::Unlink(path.to_path_buf()))?;
        self.paths.borrow_mut().remove(path);
        Ok(())
    }

    fn copy_up(&self, covered: &Target, onto: &Target) -> Result<(), Errno> {
        self.record(Call::CopyUp {
            from: covered.path().to_path_buf(),
            to: onto.path().to_path_buf(),
        })
    }

    fn mountinfo(&self) -> Result<String, Errno> {
        Ok(self.mountinfo.clone())
    }

    fn canonicalize(&self, path: &Path) -> Result<PathBuf, Errno> {
        Ok(path.to_path_buf())
    }
}
