//! The syscall seam: every kernel call the rootfs code makes goes through [`Syscall`].
//!
//! [`LinuxSyscall`] talks to the kernel; [`crate::RecordingSyscall`] records the calls so
//! unit tests can check which mounts happen, in which order, with which flags, without root.
//! This module owns the trait, the handle type [`Target`] and the Linux implementation. It
//! never decides *what* to mount — that is `mounts.rs`, `devices.rs`, `pivot.rs`, `finalize.rs`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::{Mode, SFlag};
use nix::unistd::{Gid, Uid};

use crate::options::MountAttrs;
use crate::resolve;
use six_trace::Kind;
use std::fmt::Write as _;

/// What a path is, as far as mounting cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A directory.
    Dir,
    /// Anything that is not a directory: a regular file, a device, a socket, a fifo.
    File,
}

/// What [`Syscall::open_in_root`] creates when the last component is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Create nothing: a missing component is `ENOENT`.
    Nothing,
    /// Create missing directories, the last one included.
    Dir,
    /// Create missing parent directories and an empty regular file as the last component.
    File,
}

/// A path that was resolved inside a root, held open so it cannot be swapped afterwards.
///
/// For the Linux implementation `path()` is `/proc/self/fd/N` of an `O_PATH` descriptor:
/// passing it to `mount(2)` mounts onto exactly the inode that was checked
/// (the CVE-2021-30465 fix runc uses). The recording implementation holds no descriptor and
/// its `path()` is the lexical path inside the root.
#[derive(Debug)]
pub struct Target {
    fd: Option<OwnedFd>,
    path: PathBuf,
    /// For targets from [`Syscall::open_in_root`]: where they are inside the root
    /// (absolute, symlink-free), as the walk reached them.
    inside: Option<PathBuf>,
}

impl Target {
    /// A target held open by `fd`; its path is the fd's magic link in procfs.
    pub fn from_fd(fd: OwnedFd) -> Target {
        let path = PathBuf::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        Target {
            fd: Some(fd),
            path,
            inside: None,
        }
    }

    /// A target without a descriptor (recording, or a path trusted by construction).
    pub fn from_path(path: impl Into<PathBuf>) -> Target {
        Target {
            fd: None,
            path: path.into(),
            inside: None,
        }
    }

    /// The same target, known to be at `inside` (absolute, symlink-free) inside its root.
    pub fn resolved_to(mut self, inside: impl Into<PathBuf>) -> Target {
        self.inside = Some(inside.into());
        self
    }

    /// Where an [`Syscall::open_in_root`] target is inside its root: the path the walk
    /// actually took, every symlink followed (None for other targets).
    pub fn inside(&self) -> Option<&Path> {
        self.inside.as_deref()
    }

    /// The path to hand to path-based syscalls.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The descriptor, when there is one.
    pub fn fd(&self) -> Option<&OwnedFd> {
        self.fd.as_ref()
    }
}

/// Every kernel call the rootfs code makes. Errors are bare errnos; callers add the context.
pub trait Syscall {
    /// `mount(2)`.
    #[track_caller]
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno>;
    /// `umount2(2)`.
    #[track_caller]
    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), Errno>;
    /// `move_mount(2)`: attaches the detached mount tree at `from` (an open_tree fd's
    /// `/proc/self/fd/N`) onto `to`, following both magic links.
    #[track_caller]
    fn move_mount(&self, from: &Path, to: &Path) -> Result<(), Errno>;
    /// `mount_setattr(2)` with `AT_RECURSIVE`: `attrs` on the mount at `target` and every
    /// mount below it (Linux 5.12).
    #[track_caller]
    fn mount_setattr(&self, target: &Path, attrs: MountAttrs) -> Result<(), Errno>;
    /// `pivot_root(2)`.
    #[track_caller]
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno>;
    /// `chroot(2)`.
    #[track_caller]
    fn chroot(&self, path: &Path) -> Result<(), Errno>;
    /// `chdir(2)`.
    #[track_caller]
    fn chdir(&self, path: &Path) -> Result<(), Errno>;
    /// Opens a directory (trusted path) to `fchdir` back to it later.
    fn open_dir(&self, path: &Path) -> Result<Target, Errno>;
    /// `fchdir(2)` to a directory [`Syscall::open_dir`] opened.
    #[track_caller]
    fn fchdir(&self, dir: &Target) -> Result<(), Errno>;
    /// Resolves `path` (a path inside the container) below `root`, component by component,
    /// so that no symlink and no `..` leads outside `root`; creates what is missing per `create`.
    fn open_in_root(&self, root: &Path, path: &Path, create: Create) -> Result<Target, Errno>;
    /// Where `path` leads inside `root` (absolute, symlink-free), walked as `open_in_root`
    /// walks it but creating nothing: missing components are kept as they would be created.
    fn resolve_in_root(&self, root: &Path, path: &Path) -> Result<PathBuf, Errno>;
    /// What `path` is, following symlinks (for host paths such as bind sources).
    fn kind(&self, path: &Path) -> Result<FileKind, Errno>;
    /// The mount flags (`MS_RDONLY`, `MS_NOSUID`, ...) of the mount holding `path`.
    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno>;
    /// `mknod(2)`.
    #[track_caller]
    fn mknod(&self, path: &Path, kind: SFlag, perm: Mode, dev: u64) -> Result<(), Errno>;
    /// `chmod(2)`.
    #[track_caller]
    fn chmod(&self, path: &Path, mode: Mode) -> Result<(), Errno>;
    /// `lchown(2)`: owner and group, not following a last symlink.
    #[track_caller]
    fn lchown(&self, path: &Path, uid: u32, gid: u32) -> Result<(), Errno>;
    /// `symlink(2)`: `link` pointing at `target`.
    #[track_caller]
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno>;
    /// `unlink(2)`.
    #[track_caller]
    fn unlink(&self, path: &Path) -> Result<(), Errno>;
    /// Copies the contents of the directory `covered` (opened before a tmpfs covered it) into
    /// the directory `onto` (`tmpcopyup`).
    #[track_caller]
    fn copy_up(&self, covered: &Target, onto: &Target) -> Result<(), Errno>;
    /// The text of `/proc/self/mountinfo`.
    fn mountinfo(&self) -> Result<String, Errno>;
    /// The path with symlinks resolved (a trusted host path such as the rootfs).
    fn canonicalize(&self, path: &Path) -> Result<PathBuf, Errno>;
}

/// The real kernel.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxSyscall;

impl Syscall for LinuxSyscall {
    #[track_caller]
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), Errno> {
        six_trace::call(
            Kind::Mount,
            || nix::mount::mount(source, target, fstype, flags, data),
            |d| {
                match source {
                    Some(s) => write!(d, "{}", six_trace::path(s))?,
                    None => write!(d, "-")?,
                }
                write!(d, " on {}", six_trace::path(target))?;
                if let Some(t) = fstype {
                    write!(d, " type {t}")?;
                }
                let bits = flags.bits() as u32 as u64;
                write!(d, " flags {}", six_trace::mount_flags(bits))?;
                match data {
                    Some(data) => write!(d, " data {data:?}"),
                    None => Ok(()),
                }
            },
        )
    }

    #[track_caller]
    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), Errno> {
        six_trace::call(
            Kind::Umount,
            || nix::mount::umount2(target, flags),
            |d| {
                let bits = six_trace::umount_flags(flags.bits() as u32 as u64);
                write!(d, "{} {bits}", six_trace::path(target))
            },
        )
    }

    #[track_caller]
    fn mount_setattr(&self, target: &Path, attrs: MountAttrs) -> Result<(), Errno> {
        use std::os::unix::ffi::OsStrExt;
        /// struct mount_attr (linux/mount.h).
        #[repr(C)]
        struct MountAttr {
            attr_set: u64,
            attr_clr: u64,
            propagation: u64,
            userns_fd: u64,
        }
        let attr = MountAttr {
            attr_set: attrs.set,
            attr_clr: attrs.clear,
            propagation: 0,
            userns_fd: 0,
        };
        let path =
            std::ffi::CString::new(target.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL)?;
        six_trace::call(
            Kind::MountAttr,
            || {
                // SAFETY: path is NUL-terminated and attr a live struct mount_attr of the
                // size given; the kernel only reads both.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_mount_setattr,
                        libc::AT_FDCWD,
                        path.as_ptr(),
                        libc::AT_RECURSIVE as libc::c_uint,
                        &attr as *const MountAttr,
                        std::mem::size_of::<MountAttr>(),
                    )
                };
                Errno::result(rc).map(drop)
            },
            |d| {
                let set = six_trace::mount_attrs(attrs.set);
                let clear = six_trace::mount_attrs(attrs.clear);
                let at = six_trace::path(target);
                write!(d, "mount_setattr {at} AT_RECURSIVE set {set} clear {clear}")
            },
        )
    }

    #[track_caller]
    fn move_mount(&self, from: &Path, to: &Path) -> Result<(), Errno> {
        use std::os::unix::ffi::OsStrExt;
        const MOVE_MOUNT_F_SYMLINKS: libc::c_uint = 0x1;
        const MOVE_MOUNT_T_SYMLINKS: libc::c_uint = 0x10;
        let c =
            |p: &Path| std::ffi::CString::new(p.as_os_str().as_bytes()).map_err(|_| Errno::EINVAL);
        let (from_c, to_c) = (c(from)?, c(to)?);
        six_trace::call(
            Kind::MountAttr,
            || {
                // SAFETY: two NUL-terminated paths the kernel only reads.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_move_mount,
                        libc::AT_FDCWD,
                        from_c.as_ptr(),
                        libc::AT_FDCWD,
                        to_c.as_ptr(),
                        MOVE_MOUNT_F_SYMLINKS | MOVE_MOUNT_T_SYMLINKS,
                    )
                };
                Errno::result(rc).map(drop)
            },
            |d| {
                let (from, to) = (six_trace::path(from), six_trace::path(to));
                write!(d, "move_mount {from} onto {to}")
            },
        )
    }

    #[track_caller]
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::PivotRoot,
            || nix::unistd::pivot_root(new_root, put_old),
            |d| {
                let (new, old) = (new_root.display(), put_old.display());
                write!(d, "pivot_root(new_root {new}, put_old {old})")
            },
        )
    }

    #[track_caller]
    fn chroot(&self, path: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::Chroot,
            || nix::unistd::chroot(path),
            |d| write!(d, "chroot {}", six_trace::path(path)),
        )
    }

    #[track_caller]
    fn chdir(&self, path: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::Cwd,
            || nix::unistd::chdir(path),
            |d| write!(d, "chdir {}", six_trace::path(path)),
        )
    }

    fn open_dir(&self, path: &Path) -> Result<Target, Errno> {
        let fd = open(
            path,
            OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Target::from_fd(fd))
    }

    #[track_caller]
    fn fchdir(&self, dir: &Target) -> Result<(), Errno> {
        six_trace::call(
            Kind::Cwd,
            || match dir.fd() {
                Some(fd) => nix::unistd::fchdir(fd),
                None => nix::unistd::chdir(dir.path()),
            },
            |d| match dir.fd() {
                Some(fd) => write!(d, "fchdir {}", six_trace::fd_target(fd.as_raw_fd())),
                None => write!(d, "chdir {}", dir.path().display()),
            },
        )
    }

    fn open_in_root(&self, root: &Path, path: &Path, create: Create) -> Result<Target, Errno> {
        let (fd, walked) = resolve::open_in_root(root, path, create)?;
        let inside = Path::new("/").join(&walked);
        if Path::new("/proc/self/fd").is_dir() {
            Ok(Target::from_fd(fd).resolved_to(inside))
        } else {
            // No procfs (a container without /proc, after pivot): fall back to the checked,
            // symlink-free path. Nothing runs in the container yet that could swap it.
            Ok(Target {
                fd: Some(fd),
                path: root.join(walked),
                inside: Some(inside),
            })
        }
    }

    fn resolve_in_root(&self, root: &Path, path: &Path) -> Result<PathBuf, Errno> {
        resolve::resolve_in_root(root, path)
    }

    fn kind(&self, path: &Path) -> Result<FileKind, Errno> {
        let st = nix::sys::stat::stat(path)?;
        Ok(if st.st_mode & libc::S_IFMT == libc::S_IFDIR {
            FileKind::Dir
        } else {
            FileKind::File
        })
    }

    fn mount_flags(&self, path: &Path) -> Result<MsFlags, Errno> {
        use nix::sys::statvfs::FsFlags;
        let st = nix::sys::statvfs::statvfs(path)?;
        let table = [
            (FsFlags::ST_RDONLY, MsFlags::MS_RDONLY),
            (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
            (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
            (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
            (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
            (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
            (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
        ];
        Ok(table
            .iter()
            .filter(|(fs, _)| st.flags().contains(*fs))
            .fold(MsFlags::empty(), |acc, (_, ms)| acc | *ms))
    }

    #[track_caller]
    fn mknod(&self, path: &Path, kind: SFlag, perm: Mode, dev: u64) -> Result<(), Errno> {
        six_trace::call(
            Kind::Device,
            || nix::sys::stat::mknod(path, kind, perm, dev),
            |d| {
                let t = match kind {
                    SFlag::S_IFCHR => 'c',
                    SFlag::S_IFBLK => 'b',
                    SFlag::S_IFIFO => 'p',
                    _ => '?',
                };
                let (major, minor) = (libc::major(dev), libc::minor(dev));
                let (path, mode) = (six_trace::path(path), perm.bits());
                write!(d, "mknod {path} {t} {major}:{minor} mode {mode:04o}")
            },
        )
    }

    #[track_caller]
    fn chmod(&self, path: &Path, mode: Mode) -> Result<(), Errno> {
        six_trace::call(
            Kind::File,
            || {
                nix::sys::stat::fchmodat(
                    nix::fcntl::AT_FDCWD,
                    path,
                    mode,
                    nix::sys::stat::FchmodatFlags::FollowSymlink,
                )
            },
            |d| write!(d, "chmod {} {:04o}", six_trace::path(path), mode.bits()),
        )
    }

    #[track_caller]
    fn lchown(&self, path: &Path, uid: u32, gid: u32) -> Result<(), Errno> {
        six_trace::call(
            Kind::File,
            || {
                nix::unistd::fchownat(
                    nix::fcntl::AT_FDCWD,
                    path,
                    Some(Uid::from_raw(uid)),
                    Some(Gid::from_raw(gid)),
                    nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
                )
            },
            |d| write!(d, "lchown {} {uid}:{gid}", six_trace::path(path)),
        )
    }

    #[track_caller]
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::Device,
            || nix::unistd::symlinkat(target, nix::fcntl::AT_FDCWD, link),
            |d| {
                let (link, to) = (six_trace::path(link), target.display());
                write!(d, "symlink {link} -> {to}")
            },
        )
    }

    #[track_caller]
    fn unlink(&self, path: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::File,
            || nix::unistd::unlink(path),
            |d| write!(d, "unlink {}", six_trace::path(path)),
        )
    }

    #[track_caller]
    fn copy_up(&self, covered: &Target, onto: &Target) -> Result<(), Errno> {
        six_trace::call(
            Kind::File,
            || match (covered.fd(), onto.fd()) {
                (Some(from), Some(to)) => crate::copyup::copy_tree(from, to),
                _ => Err(Errno::EBADF),
            },
            |d| {
                let (from, to) = (
                    six_trace::path(covered.path()),
                    six_trace::path(onto.path()),
                );
                write!(d, "tmpcopyup: copied {from} into {to}")
            },
        )
    }

    fn mountinfo(&self) -> Result<String, Errno> {
        std::fs::read_to_string("/proc/self/mountinfo").map_err(io_errno)
    }

    fn canonicalize(&self, path: &Path) -> Result<PathBuf, Errno> {
        std::fs::canonicalize(path).map_err(io_errno)
    }
}

fn io_errno(e: std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
