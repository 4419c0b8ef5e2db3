//! Builds a container's root filesystem from the OCI spec inside its new mount namespace:
//! mounts, devices, masked paths, pivot_root.
//!
//! The runtime calls three steps from the container's init, after it was cloned into its
//! new namespaces and before `execve`:
//!
//! 1. [`prepare`] — propagation of `/` (`linux.rootfsPropagation`, default `rslave` as runc), the
//!    rootfs bound onto itself, the spec's `mounts` in order, device nodes and /dev links,
//!    the console;
//! 2. [`pivot`] — `pivot_root` into the rootfs (or `MS_MOVE` + `chroot` with `no_pivot`);
//! 3. [`finalize`] — `ro` of the tmpfs mounts and /dev (held back while they were filled),
//!    `maskedPaths`, `readonlyPaths`, `root.readonly`, and the final propagation of `/` when
//!    it is shared or unbindable.
//!
//! Every kernel call goes through the [`Syscall`] seam ([`LinuxSyscall`] for real,
//! [`RecordingSyscall`] in unit tests). Every mount target is resolved inside the rootfs and
//! mounted through an `O_PATH` descriptor, so a symlink in the rootfs cannot redirect a mount
//! to the host (CVE-2021-30465), and the rule on mounts over /proc applies to where the
//! destination leads inside the rootfs (CVE-2019-19921).
//!
//! This crate never creates namespaces, never forks, and never undoes its mounts: they live
//! in the container's mount namespace and vanish with it.

#![deny(missing_docs)]

mod copyup;
mod devices;
mod error;
mod finalize;
mod guard;
mod mountinfo;
mod mounts;
mod options;
mod pivot;
mod plan;
mod recording;
mod resolve;
mod syscall;

use std::path::Path;

use nix::mount::MsFlags;
use oci_spec::runtime::LinuxNamespaceType;

pub use copyup::copy_tree;
pub use devices::{default_devices, planned_devices, DeviceNode};
pub use error::{Error, Result};
pub use guard::{mount_refusal, PROC_FILES_ALLOWED};
pub use options::{
    known_options as known_mount_options, parse_propagation, MountAttrs, MountOptions,
    UnsupportedOption,
};
pub use plan::RootfsPlan;
pub use recording::{Call, RecordingSyscall};
pub use syscall::{Create, FileKind, LinuxSyscall, Syscall, Target};

/// Propagation modes that are set on `/` only after the switch of root: a shared or
/// unbindable parent of the new root would make `pivot_root` (and `MS_MOVE`) fail.
const LATE_PROPAGATION: MsFlags = MsFlags::MS_SHARED.union(MsFlags::MS_UNBINDABLE);

/// Propagation of `/`, the rootfs bound onto itself, the spec's mounts, devices and links.
pub fn prepare(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    let _span = tracing::info_span!("rootfs.prepare", rootfs = %plan.rootfs.display()).entered();
    let propagation = plan.root_propagation()?;
    let early = if propagation.intersects(LATE_PROPAGATION) {
        // Still receive the host's mount events until `finalize` applies the real mode.
        MsFlags::MS_SLAVE | MsFlags::MS_REC
    } else {
        propagation
    };
    if !plan.has_namespace(LinuxNamespaceType::Mount) {
        return Err(Error::NoMountNamespace);
    }
    if plan.mount_label().is_some() && sys.kind(Path::new("/sys/fs/selinux/enforce")).is_ok() {
        // Without SELinux a label means nothing (runc ignores it too); with it, we cannot honour it.
        return Err(Error::Unsupported(
            "linux.mountLabel (SELinux labels)".to_owned(),
        ));
    }
    if !plan.rootfs.is_absolute() {
        return Err(Error::path(
            "the rootfs must be an absolute path:",
            plan.rootfs,
        )(nix::errno::Errno::EINVAL));
    }
    sys.mount(None, Path::new("/"), None, early, None)
        .map_err(Error::path("setting the propagation of", "/"))?;
    if !early.contains(MsFlags::MS_REC) {
        make_parent_private(plan.rootfs, sys)?;
    }
    sys.mount(
        Some(plan.rootfs),
        plan.rootfs,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
    .map_err(Error::path("binding the rootfs onto itself:", plan.rootfs))?;
    mounts::mount_all(plan, sys)?;
    let _devices = tracing::debug_span!("rootfs.devices").entered();
    devices::setup_dev(plan, sys)
}

/// With a non-recursive `private` or `slave` on `/`, the mount holding the rootfs may still
/// be shared: binding the rootfs there would propagate to the host, and `pivot_root` would
/// refuse. Make that one mount private, as runc does.
fn make_parent_private(rootfs: &Path, sys: &dyn Syscall) -> Result<()> {
    let rootfs = sys
        .canonicalize(rootfs)
        .map_err(Error::path("resolving", rootfs))?;
    let text = sys
        .mountinfo()
        .map_err(Error::path("reading", "/proc/self/mountinfo"))?;
    let mounts = mountinfo::parse(&text);
    match mountinfo::mount_holding(&mounts, &rootfs) {
        Some(parent) if parent.shared => sys
            .mount(None, &parent.mount_point, None, MsFlags::MS_PRIVATE, None)
            .map_err(Error::path(
                "making the rootfs's parent mount private:",
                &parent.mount_point,
            )),
        _ => Ok(()),
    }
}

/// Makes the rootfs the process's `/`: `pivot_root`, or `MS_MOVE` + `chroot` with `no_pivot`.
pub fn pivot(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    let _span = tracing::info_span!("rootfs.pivot", no_pivot = plan.no_pivot).entered();
    if plan.no_pivot {
        pivot::move_root(plan.rootfs, sys)
    } else {
        pivot::pivot_root(plan.rootfs, sys)
    }
}

/// After [`pivot`]: `ro` of the tmpfs mounts and /dev, read-only paths, masked paths,
/// `root.readonly`, final propagation.
pub fn finalize(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    let _span = tracing::info_span!("rootfs.finalize").entered();
    finalize::held_back_read_only(plan, sys)?;
    for path in plan.readonly_paths() {
        finalize::readonly_path(sys, path)?;
    }
    for path in plan.masked_paths() {
        finalize::mask_path(sys, path)?;
    }
    if plan.root_readonly() {
        finalize::readonly_root(sys)?;
    }
    let propagation = plan.root_propagation()?;
    if propagation.intersects(LATE_PROPAGATION) {
        sys.mount(None, Path::new("/"), None, propagation, None)
            .map_err(Error::path("setting the propagation of", "/"))?;
    }
    Ok(())
}

/// After [`pivot`]: binds the pty slave `pty` (a path in the container, such as
/// `/dev/pts/0` of its own devpts) at `/dev/console`, creating that file if needed.
pub fn bind_console(pty: &Path, sys: &dyn Syscall) -> Result<()> {
    let _span = tracing::debug_span!("rootfs.console").entered();
    devices::bind_console(Path::new("/"), sys, pty)
}

#[cfg(test)]
mod tests;
