//! Device nodes and the /dev links: the default devices (null, zero, full, random, urandom,
//! tty), `linux.devices`, `/dev/ptmx -> pts/ptmx`, `/dev/fd`, `/dev/std{in,out,err}`,
//! `/dev/core` (when the host has /proc/kcore, as runc does) and the console bind.
//!
//! Nodes are made with mknod, or bind-mounted from the host's node when the container has a
//! user namespace (where mknod is not allowed) or mknod is refused. Every path is opened
//! through `Syscall::open_in_root`, so a symlink in the rootfs cannot send a node elsewhere.
//! When /dev is a bind mount from the host, only the console is set up (runc does the same).

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;
use nix::sys::stat::{makedev, Mode, SFlag};
use oci_spec::runtime::{LinuxDeviceType, LinuxNamespaceType};

use crate::error::{Error, Result};
use crate::plan::RootfsPlan;
use crate::syscall::{Create, Syscall};

/// One device node to create, parsed from the defaults or `linux.devices`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    /// Absolute path inside the container.
    pub path: PathBuf,
    /// Character, block or fifo.
    pub kind: SFlag,
    /// The device's major number.
    pub major: u64,
    /// Its minor number.
    pub minor: u64,
    /// Its permission bits.
    pub mode: Mode,
    /// Its owner.
    pub uid: u32,
    /// Its group.
    pub gid: u32,
}

/// The devices every container gets (runc's list).
pub fn default_devices() -> Vec<DeviceNode> {
    [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ]
    .into_iter()
    .map(|(name, major, minor)| DeviceNode {
        path: Path::new("/dev").join(name),
        kind: SFlag::S_IFCHR,
        major,
        minor,
        mode: Mode::from_bits_truncate(0o666),
        uid: 0,
        gid: 0,
    })
    .collect()
}

/// The default devices followed by `linux.devices`; a spec device replaces a default one
/// with the same path.
pub fn planned_devices(plan: &RootfsPlan) -> Result<Vec<DeviceNode>> {
    let spec_devices = plan
        .spec
        .linux()
        .as_ref()
        .and_then(|l| l.devices().as_deref())
        .unwrap_or(&[]);
    let mut parsed = Vec::with_capacity(spec_devices.len());
    for d in spec_devices {
        let invalid = |reason: &str| Error::InvalidDevice {
            path: d.path().clone(),
            reason: reason.to_owned(),
        };
        let kind = match d.typ() {
            LinuxDeviceType::C | LinuxDeviceType::U => SFlag::S_IFCHR,
            LinuxDeviceType::B => SFlag::S_IFBLK,
            LinuxDeviceType::P => SFlag::S_IFIFO,
            LinuxDeviceType::A => {
                return Err(invalid(
                    "type \"a\" is for cgroup rules, not a node; expected c, b, u or p",
                ))
            }
        };
        if !d.path().is_absolute() {
            return Err(invalid("the path must be absolute"));
        }
        let major = u64::try_from(d.major()).map_err(|_| invalid("major must not be negative"))?;
        let minor = u64::try_from(d.minor()).map_err(|_| invalid("minor must not be negative"))?;
        let mode = d.file_mode().unwrap_or(0o666);
        if mode & !0o7777 != 0 {
            return Err(invalid(
                "fileMode holds more than permission bits (at most 0o7777)",
            ));
        }
        parsed.push(DeviceNode {
            path: d.path().clone(),
            kind,
            major,
            minor,
            mode: Mode::from_bits_truncate(mode),
            uid: d.uid().unwrap_or(0),
            gid: d.gid().unwrap_or(0),
        });
    }
    let mut all: Vec<DeviceNode> = default_devices()
        .into_iter()
        .filter(|def| !parsed.iter().any(|p| p.path == def.path))
        .collect();
    all.extend(parsed);
    Ok(all)
}

/// Whether /dev comes from a bind mount (then the devices are the host's own).
fn dev_is_bind_mounted(plan: &RootfsPlan) -> bool {
    plan.mounts().iter().any(|m| {
        let is_bind = matches!(m.typ().as_deref(), Some("bind" | "rbind"))
            || m.options()
                .as_deref()
                .unwrap_or(&[])
                .iter()
                .any(|o| o == "bind" || o == "rbind");
        is_bind && m.destination() == Path::new("/dev")
    })
}

/// Devices, /dev links and the console.
pub fn setup_dev(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    if !dev_is_bind_mounted(plan) {
        let bind_only = plan.has_namespace(LinuxNamespaceType::User);
        for device in planned_devices(plan)? {
            create_device(plan.rootfs, sys, &device, bind_only)?;
        }
        setup_ptmx(plan.rootfs, sys)?;
        setup_links(plan.rootfs, sys)?;
    }
    if let Some(console) = &plan.console_path {
        bind_console(plan.rootfs, sys, console)?;
    }
    Ok(())
}

fn create_device(root: &Path, sys: &dyn Syscall, d: &DeviceNode, bind_only: bool) -> Result<()> {
    let err = |step: &str| {
        let (path, step) = (d.path.clone(), step.to_owned());
        move |errno| Error::Device { path, step, errno }
    };
    if !bind_only {
        let (parent, name) = split(&d.path).ok_or_else(|| err("path")(Errno::EINVAL))?;
        let dir = sys
            .open_in_root(root, parent, Create::Dir)
            .map_err(err("creating its directory"))?;
        let node = dir.path().join(name);
        match sys.mknod(&node, d.kind, d.mode, makedev(d.major, d.minor)) {
            Ok(()) => {
                // mknod applied the umask; set the mode asked for, then the owner.
                sys.chmod(&node, d.mode).map_err(err("chmod"))?;
                return sys.lchown(&node, d.uid, d.gid).map_err(err("chown"));
            }
            // Already there (a rootfs with its own /dev): keep it, as runc does.
            Err(Errno::EEXIST) => return Ok(()),
            Err(Errno::EPERM) => {}
            Err(e) => return Err(err("mknod")(e)),
        }
    }
    // Bind the host's node of the same path over an empty file.
    six_trace::step!(
        six_trace::Kind::Device,
        "{} bound from the host (mknod is not allowed here)",
        d.path.display()
    );
    let target = sys
        .open_in_root(root, &d.path, Create::File)
        .map_err(err("creating the bind target"))?;
    sys.mount(Some(&d.path), target.path(), None, MsFlags::MS_BIND, None)
        .map_err(err("bind mount from the host (mknod is not allowed)"))
}

/// `/dev/ptmx -> pts/ptmx`, so a devpts mounted with `newinstance` serves the container.
fn setup_ptmx(root: &Path, sys: &dyn Syscall) -> Result<()> {
    let dev = sys
        .open_in_root(root, Path::new("/dev"), Create::Dir)
        .map_err(Error::path("opening", "/dev"))?;
    let ptmx = dev.path().join("ptmx");
    match sys.unlink(&ptmx) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(Error::path("removing", "/dev/ptmx")(e)),
    }
    sys.symlink(Path::new("pts/ptmx"), &ptmx)
        .map_err(Error::path("symlink pts/ptmx at", "/dev/ptmx"))
}

/// `/dev/fd`, `/dev/stdin`, `/dev/stdout`, `/dev/stderr` and (if the host has one) `/dev/core`.
fn setup_links(root: &Path, sys: &dyn Syscall) -> Result<()> {
    let mut links = vec![
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/0", "stdin"),
        ("/proc/self/fd/1", "stdout"),
        ("/proc/self/fd/2", "stderr"),
    ];
    if sys.kind(Path::new("/proc/kcore")).is_ok() {
        links.push(("/proc/kcore", "core"));
    }
    let dev = sys
        .open_in_root(root, Path::new("/dev"), Create::Dir)
        .map_err(Error::path("opening", "/dev"))?;
    for (target, name) in links {
        match sys.symlink(Path::new(target), &dev.path().join(name)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => {
                return Err(Error::path(
                    format!("symlink {target} at"),
                    Path::new("/dev").join(name),
                )(e))
            }
        }
    }
    Ok(())
}

/// Binds the terminal's pty slave at `/dev/console`.
pub(crate) fn bind_console(root: &Path, sys: &dyn Syscall, console: &Path) -> Result<()> {
    let target = sys
        .open_in_root(root, Path::new("/dev/console"), Create::File)
        .map_err(Error::path("creating", "/dev/console"))?;
    sys.mount(Some(console), target.path(), None, MsFlags::MS_BIND, None)
        .map_err(Error::path(
            format!("bind mount of the console {} at", console.display()),
            "/dev/console",
        ))
}

/// `/dev/null` -> (`/dev`, `null`).
fn split(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    Some((path.parent()?, path.file_name()?))
}
