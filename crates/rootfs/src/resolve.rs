//! Resolving a container path inside the rootfs without ever leaving it (CVE-2021-30465).
//!
//! The walk opens one component at a time with `O_PATH | O_NOFOLLOW` relative to the
//! descriptor of the directory already reached. A symlink is read and its target is walked
//! *inside the root*: an absolute target restarts at the root, `..` never goes above it.
//! Missing components are created with `mkdirat`/`openat(O_CREAT|O_EXCL)` on the held
//! directory descriptor, so nothing is created outside the root either. The result is an
//! `O_PATH` descriptor of exactly the inode that was checked; mounting onto its
//! `/proc/self/fd/N` leaves no window for a swap between check and use.
//!
//! This module only walks and creates; it never mounts.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, OFlag};
use nix::sys::stat::{fstat, mkdirat, Mode};

/// Linux's own limit on symlinks followed in one lookup.
const MAX_SYMLINKS: u32 = 40;

const PATH_FLAGS: OFlag = OFlag::O_PATH
    .union(OFlag::O_NOFOLLOW)
    .union(OFlag::O_CLOEXEC);

/// Opens `path` below the directory `root` (a trusted host path) as an `O_PATH` descriptor.
/// Also returns the symlink-free path that was walked, relative to `root`: exactly where
/// the descriptor is inside the root (for safety checks, and for use when procfs is not
/// mounted). See the module documentation for the guarantees.
pub fn open_in_root(
    root: &Path,
    path: &Path,
    create: crate::Create,
) -> Result<(OwnedFd, PathBuf), Errno> {
    let walk = walk(root, path, Missing::from(create))?;
    let fd = walk.fd.ok_or(Errno::ENOENT)?;
    Ok((fd, walk.path))
}

/// Where `path` leads below `root`, as a path inside the root (absolute, symlink-free):
/// the same walk as [`open_in_root`], creating nothing. Components that do not exist yet
/// are kept as they would be created, so the result is what an `open_in_root` that creates
/// them would reach (unless the rootfs changes in between: check the opened target too).
pub fn resolve_in_root(root: &Path, path: &Path) -> Result<PathBuf, Errno> {
    let walk = walk(root, path, Missing::Imagine)?;
    Ok(Path::new("/").join(walk.path))
}

/// What the walk does with a component that does not exist.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Missing {
    /// `ENOENT`.
    Fail,
    /// Create it: a directory, or an empty file when it is the last component and `file`.
    Create { file: bool },
    /// Go on as if it were an empty directory (nothing below it exists either).
    Imagine,
}

impl From<crate::Create> for Missing {
    fn from(create: crate::Create) -> Missing {
        match create {
            crate::Create::Nothing => Missing::Fail,
            crate::Create::Dir => Missing::Create { file: false },
            crate::Create::File => Missing::Create { file: true },
        }
    }
}

/// The end of a walk: the descriptor reached (None when the walk ended in imagined
/// components) and the path walked, relative to the root.
struct Walk {
    fd: Option<OwnedFd>,
    path: PathBuf,
}

fn walk(root: &Path, path: &Path, missing: Missing) -> Result<Walk, Errno> {
    let root_fd = nix::fcntl::open(
        root,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut pending: VecDeque<OsString> = components(path);
    // The directories (and at the end the target) walked below the root, with their names;
    // the last one is where we are, the root when empty.
    let mut walked: Vec<(OwnedFd, OsString)> = Vec::new();
    // With `Missing::Imagine`: the components below the last existing one.
    let mut imagined: Vec<OsString> = Vec::new();
    let mut links = 0;

    while let Some(name) = pending.pop_front() {
        if name == ".." {
            if imagined.pop().is_none() {
                walked.pop();
            }
            continue;
        }
        if !imagined.is_empty() {
            imagined.push(name);
            continue;
        }
        let current = walked.last().map_or(&root_fd, |(fd, _)| fd);
        let is_last = pending.is_empty();
        let fd = match openat(current, name.as_os_str(), PATH_FLAGS, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => match missing {
                Missing::Fail => return Err(Errno::ENOENT),
                Missing::Imagine => {
                    imagined.push(name);
                    continue;
                }
                Missing::Create { file } => {
                    create_missing(current, &name, is_last && file)?;
                    openat(current, name.as_os_str(), PATH_FLAGS, Mode::empty())?
                }
            },
            Err(e) => return Err(e),
        };
        let mode = fstat(&fd)?.st_mode & libc::S_IFMT;
        if mode == libc::S_IFLNK {
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(Errno::ELOOP);
            }
            let target = readlinkat(&fd, "")?;
            let target = Path::new(&target);
            if target.is_absolute() {
                walked.clear();
            }
            for c in components(target).into_iter().rev() {
                pending.push_front(c);
            }
            continue;
        }
        if !is_last && mode != libc::S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        walked.push((fd, name));
    }
    let mut path: PathBuf = walked.iter().map(|(_, name)| name).collect();
    path.extend(&imagined);
    let fd = if imagined.is_empty() {
        Some(walked.pop().map_or(root_fd, |(fd, _)| fd))
    } else {
        None
    };
    Ok(Walk { fd, path })
}

/// Creates `name` in the directory `dir`: an empty file when `file`, else a directory.
/// Losing a race to another creator is fine: the caller opens what is there.
fn create_missing(dir: &OwnedFd, name: &OsString, file: bool) -> Result<(), Errno> {
    let made = if file {
        openat(
            dir,
            name.as_os_str(),
            OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_WRONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o644),
        )
        .map(drop)
    } else {
        mkdirat(dir, name.as_os_str(), Mode::from_bits_truncate(0o755))
    };
    match made {
        Ok(()) | Err(Errno::EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The names of `path`, with `.` and the root dropped and `..` kept (it is resolved
/// against what was actually walked, never lexically).
fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .filter(|n| !n.as_bytes().is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Create;
    use std::os::unix::fs::symlink;

    fn real(opened: &(OwnedFd, PathBuf)) -> PathBuf {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", opened.0.as_raw_fd())).unwrap()
    }

    #[test]
    fn absolute_symlink_stays_inside_the_root() {
        let host = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        symlink(host.path(), root.path().join("evil")).unwrap();
        let fd = open_in_root(root.path(), Path::new("/evil/x"), Create::Dir).unwrap();
        let inside = root
            .path()
            .join(host.path().strip_prefix("/").unwrap())
            .join("x");
        assert_eq!(real(&fd), inside);
        assert_eq!(root.path().join(&fd.1), inside);
        assert!(!host.path().join("x").exists(), "created on the host");
    }

    #[test]
    fn dotdot_and_relative_symlinks_cannot_climb_out() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("a")).unwrap();
        symlink("../../../../..", root.path().join("a/up")).unwrap();
        let fd = open_in_root(root.path(), Path::new("/a/up/../../etc-x"), Create::Dir).unwrap();
        assert_eq!(real(&fd), root.path().join("etc-x"));
    }

    #[test]
    fn creates_a_file_when_asked() {
        let root = tempfile::tempdir().unwrap();
        open_in_root(root.path(), Path::new("/d/e/f.txt"), Create::File).unwrap();
        assert!(root.path().join("d/e/f.txt").is_file());
    }

    #[test]
    fn missing_without_create_is_enoent_and_loops_are_eloop() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(
            open_in_root(root.path(), Path::new("/nope"), Create::Nothing).unwrap_err(),
            Errno::ENOENT
        );
        symlink("loop", root.path().join("loop")).unwrap();
        assert_eq!(
            open_in_root(root.path(), Path::new("/loop"), Create::Nothing).unwrap_err(),
            Errno::ELOOP
        );
    }

    #[test]
    fn resolving_follows_links_inside_the_root_and_creates_nothing() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for (link, leads_to) in six_testkit::hostile_proc_links(r).unwrap() {
            assert_eq!(
                resolve_in_root(r, Path::new(link)).unwrap(),
                Path::new(leads_to)
            );
        }
        let cases = [
            ("/evilproc/sys/kernel", "/proc/sys/kernel"),
            ("/chain/net", "/proc/sys/net"),
            ("/missing/../evilsys", "/proc/sys"),
            ("/new/dir", "/new/dir"),
            ("/../../evilproc", "/proc"),
        ];
        for (path, want) in cases {
            let got = resolve_in_root(r, Path::new(path)).unwrap();
            assert_eq!(got, Path::new(want), "{path}");
        }
        assert!(!r.join("proc/sys").exists() && !r.join("missing").exists());
        assert!(!r.join("new").exists(), "resolving created something");
    }

    #[test]
    fn a_file_in_the_middle_is_enotdir() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("f"), b"").unwrap();
        assert_eq!(
            open_in_root(root.path(), Path::new("/f/x"), Create::Dir).unwrap_err(),
            Errno::ENOTDIR
        );
    }
}
