//! The container's file system as `docker cp` sees it (moby's `openContainerFS`): its root
//! file system with its binds and volumes mounted where the container has them, and its
//! /etc/hostname, /etc/hosts and /etc/resolv.conf, whether it runs or not.
//!
//! It is built in a private mount namespace of a thread of its own (`unshare(CLONE_NEWNS)`,
//! everything made private first), so nothing it mounts is seen by the host or outlives the
//! copy: when the thread ends, its namespace and every mount in it go. A stopped container's
//! overlay is mounted there only. Mount points are resolved inside the root file system, as
//! the runtime resolves them. A container's tmpfs mounts are not there (Docker's neither).

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::mount::{mount, MsFlags};
use nix::sys::stat::Mode;
use six_rootfs::{Create, LinuxSyscall, Syscall};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::mount_points::{of_record, MountKind};
use crate::record::ContainerConfig;

/// What a copy works on.
pub(crate) struct ContainerFs {
    /// The root file system (`O_PATH`), the root for every path of the container.
    pub root: OwnedFd,
    /// Where the root is in the thread's namespace (for `resolve::inside_path`).
    pub root_path: PathBuf,
    /// `--read-only`.
    pub read_only: bool,
    /// The destinations of its binds and volumes, and whether each is read-only.
    pub mounts: Vec<(PathBuf, bool)>,
}

impl ContainerFs {
    /// Refuses a write at `inside` (a path inside the root), as Docker refuses it: on a
    /// read-only volume or bind, or on a read-only root file system.
    pub(crate) fn check_writable(&self, inside: &Path) -> Result<()> {
        let holder = self
            .mounts
            .iter()
            .filter(|(dest, _)| inside.starts_with(dest))
            .max_by_key(|(dest, _)| dest.components().count());
        match holder {
            Some((_, true)) => Err(Error::Invalid("mounted volume is marked read-only".into())),
            Some((_, false)) => Ok(()),
            None if self.read_only => Err(Error::Invalid(
                "container rootfs is marked read-only".into(),
            )),
            None => Ok(()),
        }
    }
}

/// What mounts the namespace gets: (source on the host, destination, read-only, is a file).
type Bind = (PathBuf, PathBuf, bool, bool);

impl Engine {
    /// Runs `work` on the file system of container `id` (see the module).
    pub(crate) fn with_container_fs<T: Send>(
        &self,
        config: &ContainerConfig,
        work: impl FnOnce(&ContainerFs) -> Result<T> + Send,
    ) -> Result<T> {
        let dir = self.container_dir(&config.id);
        let mount = self.rootfs_mount(&config.id);
        let image = match mount.is_mounted() {
            true => None,
            false => Some(self.images.container_image(&config.image_id)?),
        };
        let mut binds: Vec<Bind> = ["hostname", "hosts", "resolv.conf"]
            .iter()
            .map(|f| (dir.join(f), Path::new("/etc").join(f), false, true))
            .filter(|(source, ..)| source.exists())
            .collect();
        let mut points = of_record(config);
        points.retain(|m| m.kind != MountKind::Tmpfs);
        points.sort_by_key(|m| m.destination.components().count());
        for m in &points {
            let is_file = std::fs::metadata(&m.source).is_ok_and(|md| !md.is_dir());
            binds.push((
                m.source.clone(),
                m.destination.clone(),
                m.read_only,
                is_file,
            ));
        }
        let fs_mounts = points
            .iter()
            .map(|m| (m.destination.clone(), m.read_only))
            .collect();
        let read_only = config.request.read_only;
        let images = &self.images;
        std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    private_namespace()?;
                    if let Some(image) = &image {
                        images.mount_rootfs(image, &dir)?;
                    }
                    let merged = mount.merged.clone();
                    for bind in &binds {
                        bind_into(&merged, bind)?;
                    }
                    let root = nix::fcntl::open(
                        &merged,
                        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
                        Mode::empty(),
                    )
                    .map_err(|e| Error::sys(format!("opening {}", merged.display()), e))?;
                    work(&ContainerFs {
                        root,
                        root_path: merged,
                        read_only,
                        mounts: fs_mounts,
                    })
                })
                .join()
                .unwrap_or_else(|_| Err(Error::Internal("the copy's thread panicked".into())))
        })
    }
}

/// This thread's own mount namespace, which nothing it mounts leaves.
fn private_namespace() -> Result<()> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .map_err(|e| Error::sys("making a private mount namespace for the copy", e))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| Error::sys("making the copy's mounts private", e))
}

/// Binds `source` at `destination` inside the root at `merged` (resolved inside it).
fn bind_into(merged: &Path, (source, destination, read_only, is_file): &Bind) -> Result<()> {
    if !source.exists() {
        return Ok(());
    }
    let what = || format!("mounting {} at {}", source.display(), destination.display());
    let create = if *is_file { Create::File } else { Create::Dir };
    let target = LinuxSyscall
        .open_in_root(merged, destination, create)
        .map_err(|e| Error::sys(what(), e))?;
    let flags = MsFlags::MS_BIND | MsFlags::MS_REC;
    mount(
        Some(source.as_path()),
        target.path(),
        None::<&str>,
        flags,
        None::<&str>,
    )
    .map_err(|e| Error::sys(what(), e))?;
    if *read_only {
        let made = LinuxSyscall
            .open_in_root(merged, destination, Create::Nothing)
            .map_err(|e| Error::sys(what(), e))?;
        let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
        mount(None::<&str>, made.path(), None::<&str>, ro, None::<&str>)
            .map_err(|e| Error::sys(what(), e))?;
    }
    Ok(())
}
