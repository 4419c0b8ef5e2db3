//! Resolving paths inside a root directory as if it were `/` (`openat2` with
//! `RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS`): an absolute symlink restarts at the root, `..`
//! never climbs above it, so no symlink a container holds can lead a copy outside it. Kernels
//! without `openat2` (before 5.6) get six-rootfs's walker, which keeps the same rule.
//! Paths are cleaned lexically first, as Docker cleans them (`/a/../b` is `/b`).

use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{openat, openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;

/// `path` made absolute and lexically clean: no `.`, no `..` above `/`, no trailing slash.
pub(crate) fn clean(path: &str) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in Path::new(path).components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

/// An `O_PATH` descriptor of `path` (clean, absolute) inside `root`; with `follow`, a symlink
/// as last component is followed (inside the root), else the link itself is opened.
pub(crate) fn open_in(root: &OwnedFd, path: &Path, follow: bool) -> Result<OwnedFd, Errno> {
    let Some(leaf) = path.file_name() else {
        return nix::unistd::dup(root);
    };
    if follow {
        return open_following(root, path);
    }
    let parent = open_following(root, path.parent().unwrap_or(Path::new("/")))?;
    openat(
        &parent,
        leaf,
        path_flags() | OFlag::O_NOFOLLOW,
        Mode::empty(),
    )
}

fn path_flags() -> OFlag {
    OFlag::O_PATH | OFlag::O_CLOEXEC
}

fn open_following(root: &OwnedFd, path: &Path) -> Result<OwnedFd, Errno> {
    let relative = path.strip_prefix("/").unwrap_or(path);
    let relative = if relative.as_os_str().is_empty() {
        Path::new(".")
    } else {
        relative
    };
    let how = OpenHow::new()
        .flags(path_flags())
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    match openat2_retrying(root, relative, how) {
        Err(Errno::ENOSYS) => {
            use six_rootfs::Syscall;
            let root_path = fd_path(root);
            let target = six_rootfs::LinuxSyscall.open_in_root(
                &root_path,
                path,
                six_rootfs::Create::Nothing,
            )?;
            match target.fd() {
                Some(fd) => nix::unistd::dup(fd),
                None => Err(Errno::ENOENT),
            }
        }
        other => other,
    }
}

/// How often a walk is tried again when the kernel could not prove its `..` stayed inside.
const WALK_TRIES: usize = 1000;

/// `openat2`, tried again on EAGAIN: a walk through `..` under `RESOLVE_IN_ROOT` fails so
/// when any rename or mount happened anywhere on the system while it ran (the kernel then
/// cannot prove the `..` did not climb out), and openat2(2) says to try again. On a host
/// busy with other containers that is not rare.
fn openat2_retrying(root: &OwnedFd, relative: &Path, how: OpenHow) -> Result<OwnedFd, Errno> {
    let mut tries = 1;
    loop {
        match openat2(root, relative, how) {
            Err(Errno::EAGAIN) if tries < WALK_TRIES => tries += 1,
            other => return other,
        }
    }
}

/// A readable directory descriptor of the directory `fd` (an `O_PATH` one) refers to.
pub(crate) fn reopen_dir(fd: &OwnedFd) -> Result<OwnedFd, Errno> {
    openat(
        fd,
        ".",
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

/// Reopens what an `O_PATH` descriptor refers to with `flags` (through its magic link in
/// /proc, which names that very inode: no path is walked again).
pub(crate) fn reopen(fd: &OwnedFd, flags: OFlag) -> Result<OwnedFd, Errno> {
    nix::fcntl::open(&fd_path(fd), flags | OFlag::O_CLOEXEC, Mode::empty())
}

/// `/proc/self/fd/N` of a descriptor.
pub(crate) fn fd_path(fd: &impl AsFd) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", fd.as_fd().as_raw_fd()))
}

/// Where `fd` is inside `root_host_path` (the root's path on this mount namespace), as an
/// absolute path inside the root; None if the kernel names it elsewhere.
pub(crate) fn inside_path(root_host_path: &Path, fd: &impl AsFd) -> Option<PathBuf> {
    let real = std::fs::read_link(fd_path(fd)).ok()?;
    let rest = real.strip_prefix(root_host_path).ok()?;
    Some(Path::new("/").join(rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn root_fd(p: &Path) -> OwnedFd {
        nix::fcntl::open(p, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap()
    }

    #[test]
    fn paths_are_cleaned_as_docker_cleans_them() {
        assert_eq!(clean("/a/../b/./c/"), PathBuf::from("/b/c"));
        assert_eq!(clean("../../x"), PathBuf::from("/x"));
        assert_eq!(clean(""), PathBuf::from("/"));
        assert_eq!(clean("rel/p"), PathBuf::from("/rel/p"));
    }

    #[test]
    fn hostile_symlinks_stay_inside_the_root() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::write(r.join("etc/passwd"), "inside").unwrap();
        symlink("/", r.join("escape")).unwrap();
        symlink("../../../../etc", r.join("up")).unwrap();
        symlink("/proc/self/root", r.join("magic")).unwrap();
        let root = root_fd(r);
        for p in ["/escape/etc/passwd", "/up/passwd", "/../../etc/passwd"] {
            let fd = open_in(&root, &clean(p), true).unwrap();
            let text = std::fs::read_to_string(fd_path(&reopen(&fd, OFlag::O_RDONLY).unwrap()));
            assert_eq!(text.unwrap(), "inside", "{p}");
            assert_eq!(
                inside_path(r, &fd),
                Some(PathBuf::from("/etc/passwd")),
                "{p}"
            );
        }
        let link = open_in(&root, Path::new("/escape"), false).unwrap();
        assert_eq!(
            inside_path(r, &link),
            Some(PathBuf::from("/escape")),
            "the link itself"
        );
        assert!(
            open_in(&root, Path::new("/magic/etc"), true).is_err(),
            "no magic links"
        );
    }

    #[test]
    fn dot_dot_walks_survive_renames_elsewhere_on_the_system() {
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        // A `..` walked under RESOLVE_IN_ROOT fails with EAGAIN when any rename or mount
        // happened on the system meanwhile (the kernel cannot prove it stayed inside): a
        // host busy with other containers makes that common. Renames in a directory of our
        // own, side by side with the walks, make it happen here.
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("tmp")).unwrap();
        std::fs::create_dir_all(r.join("data/sub")).unwrap();
        symlink("../../../..", r.join("tmp/rel")).unwrap();
        let busy = tempfile::tempdir().unwrap();
        let (a, b) = (busy.path().join("a"), busy.path().join("b"));
        std::fs::write(&a, "x").unwrap();
        let stop = AtomicBool::new(false);
        let renames = AtomicUsize::new(0);
        let root = root_fd(r);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    std::fs::rename(&a, &b).unwrap();
                    std::fs::rename(&b, &a).unwrap();
                    renames.fetch_add(2, Ordering::Relaxed);
                }
            });
            let (mut walks, mut failed) = (0, Vec::new());
            // Walks until the renames have been going on for a while (bounded).
            while walks < 200_000 && (walks < 20_000 || renames.load(Ordering::Relaxed) < 20_000) {
                if let Err(e) = open_in(&root, Path::new("/tmp/rel/data/sub"), true) {
                    failed.push(e);
                }
                walks += 1;
            }
            stop.store(true, Ordering::Relaxed);
            let renamed = renames.load(Ordering::Relaxed);
            assert!(
                failed.is_empty(),
                "{} of {walks} walks failed ({renamed} renames): {:?}",
                failed.len(),
                failed.first()
            );
        });
    }
}
