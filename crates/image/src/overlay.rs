//! A container's rootfs: an overlayfs whose lowerdirs are the image's layers (top first)
//! and whose upper and work dirs belong to the container:
//!
//! ```text
//! <container_dir>/rootfs   the merged view (the OCI root.path)
//! <container_dir>/upper    the container's changes (what `commit` reads)
//! <container_dir>/work     overlayfs's work dir
//! ```
//! Lowerdirs are named by their short links (`l/<short>`), absolute. If the option string
//! would not fit in a page, a forked child chdirs into the store and mounts with relative
//! links, as Docker's overlay2 does (chdir in our own, possibly threaded, process would
//! race). Mounts via nix, never the `mount` command. Never removes the container's dirs.
//!
//! A container that is removed when it ends (`run --rm`) is mounted `volatile` (Linux 5.10+,
//! as Podman does for `--rm`): overlayfs then skips syncing the upper filesystem, which it
//! otherwise does at unmount — the whole upper filesystem, not just the container's files, so
//! on a host busy writing that unmount took 2–280 ms here against 0.2 ms volatile. A crash
//! can leave such an upper dir inconsistent, which is fine for changes that are thrown away;
//! overlayfs marks the work dir (`work/work/incompat/volatile`) and refuses to mount it again
//! until the mark is gone ([`clear_volatile_mark`]).

use std::ffi::CString;
use std::fmt::Write as _;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::fsutil::ensure_dir;
use crate::layer;
use crate::store::ImageStore;
use crate::Image;

/// overlayfs's limit on lower layers (OVL_MAX_STACK).
const MAX_LAYERS: usize = 500;
/// The longest mount option string the kernel takes (one page, with its NUL).
const MAX_OPTIONS: usize = 4095;
/// Features that would write metadata our `commit` does not understand (redirects,
/// metacopy-only files) stay off, where the kernel knows them (it rejects unknown options).
fn fixed_options() -> &'static str {
    static OPTIONS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    OPTIONS.get_or_init(|| {
        ["index", "redirect_dir", "metacopy"]
            .iter()
            .filter(|o| Path::new("/sys/module/overlay/parameters").join(o).exists())
            .map(|o| format!(",{o}=off"))
            .collect()
    })
}

/// Whether a container's changes must survive a crash of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// overlayfs syncs the upper filesystem when asked to and at unmount (the default).
    Synced,
    /// No syncs (`volatile`): for a container removed when it ends. Kernels without the
    /// option (before 5.10) mount it synced.
    Volatile,
}

/// A mounted container rootfs. Dropping it does NOT unmount (a detached container
/// outlives the CLI); call [`RootfsMount::unmount`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsMount {
    /// The merged view: `<container_dir>/rootfs`.
    pub merged: PathBuf,
    /// The container's own changes: `<container_dir>/upper`.
    pub upper: PathBuf,
    /// overlayfs's work dir: `<container_dir>/work`.
    pub work: PathBuf,
}

impl RootfsMount {
    /// The mount of a container dir, mounted or not (for a later process to unmount it).
    pub fn for_container_dir(container_dir: &Path) -> RootfsMount {
        RootfsMount {
            merged: container_dir.join("rootfs"),
            upper: container_dir.join("upper"),
            work: container_dir.join("work"),
        }
    }

    /// Whether `merged` is a mount point now (its device differs from its parent's).
    pub fn is_mounted(&self) -> bool {
        let parent = self.merged.parent().unwrap_or(Path::new("/"));
        match (
            fs::symlink_metadata(&self.merged),
            fs::symlink_metadata(parent),
        ) {
            (Ok(m), Ok(p)) => m.dev() != p.dev(),
            _ => false,
        }
    }

    /// Unmounts the merged view (lazily if busy). Not mounted is fine. The dirs stay.
    pub fn unmount(self) -> Result<()> {
        if !self.is_mounted() {
            return Ok(());
        }
        let merged = self.merged.display();
        match six_trace::call(
            six_trace::Kind::Umount,
            || umount2(&self.merged, MntFlags::empty()),
            |d| write!(d, "{merged} (the container's rootfs)"),
        ) {
            Ok(()) => Ok(()),
            Err(nix::Error::EBUSY) => six_trace::call(
                six_trace::Kind::Umount,
                || umount2(&self.merged, MntFlags::MNT_DETACH),
                |d| write!(d, "{merged} MNT_DETACH (busy: lazily)"),
            )
            .map_err(|e| Error::Mount {
                context: format!("unmounting {} (lazily)", self.merged.display()),
                source: e,
            }),
            Err(nix::Error::EINVAL) | Err(nix::Error::ENOENT) => Ok(()),
            Err(e) => Err(Error::Mount {
                context: format!("unmounting {}", self.merged.display()),
                source: e,
            }),
        }
    }
}

impl ImageStore {
    /// The directories of `image`'s layers as overlayfs stacks them, top first (what
    /// `mount_rootfs` gives as lowerdirs; `diff` compares a container's upper dir with them).
    pub fn layer_dirs(&self, image: &Image) -> Result<Vec<PathBuf>> {
        let links = self.lower_links(image)?;
        Ok(links.iter().map(|l| self.paths.dir.join(l)).collect())
    }

    /// The short links of `image`'s layers (relative to the store's dir), top first.
    fn lower_links(&self, image: &Image) -> Result<Vec<PathBuf>> {
        let mut lowers = Vec::with_capacity(image.layers.len());
        for l in image.layers.iter().rev() {
            lowers.push(layer::lower_path(&self.paths, &Digest::parse(l)?)?);
        }
        Ok(lowers)
    }

    /// Mounts the rootfs of a container from `image` in `container_dir` (created if
    /// needed); an existing upper dir is reused, so a container keeps its changes across
    /// stops. Already mounted: returns the mount as is.
    pub fn mount_rootfs(&self, image: &Image, container_dir: &Path) -> Result<RootfsMount> {
        self.mount_rootfs_as(image, container_dir, Durability::Synced)
    }

    /// [`ImageStore::mount_rootfs`] with the durability the container needs.
    pub fn mount_rootfs_as(
        &self,
        image: &Image,
        container_dir: &Path,
        durability: Durability,
    ) -> Result<RootfsMount> {
        let _span = tracing::debug_span!("mount_rootfs", image = %image.short_id()).entered();
        let m = RootfsMount::for_container_dir(container_dir);
        for d in [&m.merged, &m.upper, &m.work] {
            ensure_dir(d)?;
        }
        if m.is_mounted() {
            return Ok(m);
        }
        if image.layers.is_empty() {
            return Err(Error::damaged(
                self.dir(),
                format!("image {} has no layers", image.short_id()),
            ));
        }
        if image.layers.len() > MAX_LAYERS {
            return Err(Error::Mount {
                context: format!(
                    "image {} has {} layers; overlayfs stacks at most {MAX_LAYERS}",
                    image.short_id(),
                    image.layers.len()
                ),
                source: nix::Error::E2BIG,
            });
        }
        for p in [&m.upper, &m.work, &m.merged, &self.paths.dir] {
            check_option_safe(p)?;
        }
        clear_volatile_mark(&m.work)?;
        let lowers = self.lower_links(image)?;
        let absolute: Vec<PathBuf> = lowers.iter().map(|l| self.paths.dir.join(l)).collect();
        let volatile = durability == Durability::Volatile && volatile_known();
        let opts = options(&absolute, &m, volatile);
        let context = || {
            format!(
                "mounting overlay rootfs of image {} at {}",
                image.short_id(),
                m.merged.display()
            )
        };
        if opts.len() <= MAX_OPTIONS {
            six_trace::call(
                six_trace::Kind::Mount,
                || {
                    mount(
                        Some("overlay"),
                        &m.merged,
                        Some("overlay"),
                        MsFlags::empty(),
                        Some(opts.as_str()),
                    )
                },
                |d| {
                    let at = m.merged.display();
                    write!(d, "overlay on {at} type overlay flags 0 data {opts:?}")
                },
            )
            .map_err(|e| Error::Mount {
                context: context(),
                source: e,
            })?;
        } else {
            let opts = options(&lowers, &m, volatile);
            if opts.len() > MAX_OPTIONS {
                return Err(Error::Mount {
                    context: format!(
                        "{}: {} layers do not fit in one overlay mount",
                        context(),
                        image.layers.len()
                    ),
                    source: nix::Error::E2BIG,
                });
            }
            six_trace::call(
                six_trace::Kind::Mount,
                || mount_from(&self.paths.dir, &m.merged, &opts),
                |d| {
                    let (at, dir) = (m.merged.display(), self.paths.dir.display());
                    write!(
                        d,
                        "overlay on {at} type overlay flags 0 data {opts:?} (from {dir})"
                    )
                },
            )
            .map_err(|e| Error::Mount {
                context: context(),
                source: e,
            })?;
        }
        Ok(m)
    }
}

fn options(lowers: &[PathBuf], m: &RootfsMount, volatile: bool) -> String {
    let lower: Vec<String> = lowers.iter().map(|p| p.display().to_string()).collect();
    format!(
        "lowerdir={},upperdir={},workdir={}{}{}",
        lower.join(":"),
        m.upper.display(),
        m.work.display(),
        fixed_options(),
        if volatile { ",volatile" } else { "" }
    )
}

/// Whether this kernel's overlayfs takes `volatile` (Linux 5.10 and later; it rejects
/// options it does not know). Read once from the kernel's version.
fn volatile_known() -> bool {
    static KNOWN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KNOWN.get_or_init(|| {
        let release = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        kernel_at_least(&release, (5, 10))
    })
}

/// Whether a kernel release string (`6.1.0-18-amd64`) is at least `major.minor`.
fn kernel_at_least(release: &str, (major, minor): (u32, u32)) -> bool {
    let mut parts = release
        .split(|c: char| !c.is_ascii_digit())
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    found >= (major, minor)
}

/// Removes the mark a `volatile` mount leaves in its work dir, with which overlayfs refuses
/// any later mount of the same upper dir. Only volatile (thrown-away) containers leave it;
/// the work dir is overlayfs's scratch space and holds nothing of the container's.
fn clear_volatile_mark(work: &Path) -> Result<()> {
    let incompat = work.join("work").join("incompat");
    match fs::remove_dir_all(&incompat) {
        Ok(()) => {
            six_trace::step!(
                six_trace::Kind::File,
                "removed {} (a volatile mount's mark)",
                incompat.display()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("removing {}", incompat.display()), e)),
    }
}

/// ',' and ':' separate overlay options and lowerdirs; paths with them are refused.
fn check_option_safe(p: &Path) -> Result<()> {
    let s = p.as_os_str().as_bytes();
    if s.iter().any(|b| matches!(b, b',' | b':' | b'\\')) {
        return Err(Error::io(
            format!(
                "path {} cannot be used in an overlay mount (contains ',', ':' or '\\')",
                p.display()
            ),
            std::io::ErrorKind::InvalidInput.into(),
        ));
    }
    Ok(())
}

/// Mounts overlay with options relative to `dir`, from a forked child that chdirs there.
/// The child only makes async-signal-safe calls (chdir, mount, _exit).
fn mount_from(dir: &Path, target: &Path, opts: &str) -> nix::Result<()> {
    let cstr = |b: &[u8]| CString::new(b).map_err(|_| nix::Error::EINVAL);
    let dir_c = cstr(dir.as_os_str().as_bytes())?;
    let target_c = cstr(target.as_os_str().as_bytes())?;
    let opts_c = cstr(opts.as_bytes())?;
    let fstype = cstr(b"overlay")?;
    // SAFETY: the child performs only async-signal-safe system calls on memory prepared
    // before the fork, then _exits.
    match unsafe { fork() }? {
        // SAFETY: in the child, only system calls on the C strings made above, then _exit.
        ForkResult::Child => unsafe {
            if libc::chdir(dir_c.as_ptr()) != 0 {
                libc::_exit(*libc::__errno_location());
            }
            let rc = libc::mount(
                fstype.as_ptr(),
                target_c.as_ptr(),
                fstype.as_ptr(),
                0,
                opts_c.as_ptr().cast(),
            );
            libc::_exit(if rc == 0 {
                0
            } else {
                *libc::__errno_location()
            });
        },
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, 0)) => return Ok(()),
                Ok(WaitStatus::Exited(_, errno)) => return Err(nix::Error::from_raw(errno)),
                Ok(_) => return Err(nix::Error::ECHILD),
                Err(nix::Error::EINTR) => continue,
                Err(e) => return Err(e),
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::kernel_at_least;

    #[test]
    fn kernel_releases_compare_by_major_then_minor() {
        assert!(kernel_at_least("6.18.0-1-amd64", (5, 10)));
        assert!(kernel_at_least("5.10.0", (5, 10)));
        assert!(!kernel_at_least("5.4.0-150-generic", (5, 10)));
        assert!(!kernel_at_least("4.19.325", (5, 10)));
        assert!(!kernel_at_least("", (5, 10)));
    }
}
