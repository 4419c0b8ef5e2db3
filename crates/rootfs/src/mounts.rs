//! The spec's `mounts`, in order, onto targets resolved inside the rootfs.
//!
//! Owns the per-type rules: bind/rbind (with the `MS_BIND | MS_REMOUNT` pass for ro, nosuid,
//! ...), sysfs without a network namespace (an rbind of the host's /sys, as runc does),
//! cgroup v1 (a tmpfs with a read-only bind per controller) and v2, and everything else
//! passed to the kernel by type; then the recursive attributes (`rro`, ...) on the whole
//! tree. A tmpfs and /dev are made read-only only in `finalize` (runc's order): /dev still
//! gets its nodes, links and /dev/pts after it is mounted. Every target is opened through `Syscall::open_in_root`,
//! so a symlink in the rootfs never leads a mount out of it, and the safety rule of
//! `guard.rs` is applied to where the destination leads, not to how it is spelt.
//!
//! It never unmounts: all of this happens in the container's own mount namespace, which the
//! kernel discards with its last process, so a failure leaves nothing on the host.

use std::path::Path;

use nix::errno::Errno;
use nix::mount::MsFlags;
use oci_spec::runtime::{LinuxNamespaceType, Mount};

use crate::error::{Error, Result};
use crate::guard::mount_refusal;
use crate::options::{MountAttrs, MountOptions, REMOUNT_FLAGS};
use crate::plan::RootfsPlan;
use crate::syscall::{Create, FileKind, Syscall, Target};

/// Flags the kernel may lock on a mount seen from a user namespace; a remount must keep them.
const LOCKABLE_FLAGS: MsFlags = MsFlags::MS_RDONLY
    .union(MsFlags::MS_NOSUID)
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC)
    .union(MsFlags::MS_NOATIME)
    .union(MsFlags::MS_NODIRATIME)
    .union(MsFlags::MS_RELATIME);

/// One spec mount, with what its error messages name.
#[derive(Clone)]
struct MountStep<'m> {
    destination: &'m Path,
    fstype: String,
    source: Option<&'m Path>,
    options: MountOptions,
}

impl MountStep<'_> {
    fn err(&self, step: impl Into<String>) -> impl FnOnce(Errno) -> Error {
        let destination = self.destination.to_path_buf();
        let fstype = self.fstype.clone();
        let from = self
            .source
            .map_or_else(|| "none".to_owned(), |s| s.display().to_string());
        let step = step.into();
        move |errno| Error::Mount {
            destination,
            fstype,
            from,
            step,
            errno,
        }
    }
}

/// Mounts every entry of `spec.mounts`, in order.
pub fn mount_all(plan: &RootfsPlan, sys: &dyn Syscall) -> Result<()> {
    for (i, m) in plan.mounts().iter().enumerate() {
        let _span =
            tracing::debug_span!("mount", destination = %m.destination().display()).entered();
        let opened = plan
            .bind_sources
            .iter()
            .find(|(at, _)| *at == i)
            .map(|(_, p)| p.as_path());
        mount_one(plan, sys, m, opened)?;
    }
    Ok(())
}

/// One spec mount; `opened`: its bind source as the caller opened it (see `RootfsPlan`).
fn mount_one(plan: &RootfsPlan, sys: &dyn Syscall, m: &Mount, opened: Option<&Path>) -> Result<()> {
    let raw_options = m.options().as_deref().unwrap_or(&[]);
    let fstype = m.typ().clone().unwrap_or_default();
    let options = MountOptions::parse(raw_options).map_err(|e| Error::UnsupportedOption {
        destination: m.destination().clone(),
        fstype: fstype.clone(),
        option: e.0,
    })?;
    if m.uid_mappings().is_some() || m.gid_mappings().is_some() {
        let option = "uidMappings/gidMappings (idmapped mounts)".to_owned();
        return Err(Error::UnsupportedOption {
            destination: m.destination().clone(),
            fstype,
            option,
        });
    }
    let mut step = MountStep {
        destination: m.destination(),
        fstype,
        source: m.source().as_deref(),
        options,
    };
    check_destination(plan, sys, &step)?;
    if step.fstype == "bind" || step.fstype == "rbind" || step.options.is_bind() {
        step.options.flags.insert(MsFlags::MS_BIND);
        if step.fstype == "rbind" {
            step.options.flags.insert(MsFlags::MS_REC);
        }
        let source = step.source.ok_or_else(|| missing_source(&step))?;
        if let Some(tree) = opened {
            bind_from(plan, sys, &step, tree, true)?;
            return finish_recursive(plan, sys, &step);
        }
        let source = if source.is_relative() {
            // The spec says relative bind sources are relative to the bundle.
            let Some(bundle) = &plan.bundle else {
                return Err(step
                    .err("a relative bind source needs the bundle directory")(
                    Errno::EINVAL,
                ));
            };
            bundle.join(source)
        } else {
            source.to_path_buf()
        };
        bind(plan, sys, &step, &source)?;
    } else {
        match step.fstype.as_str() {
            "cgroup" => mount_cgroup(plan, sys, &step),
            "sysfs" if !plan.has_namespace(LinuxNamespaceType::Network) => {
                sysfs_from_host(plan, sys, step.clone())
            }
            "sysfs" => match mount_by_type(plan, sys, &step) {
                // A joined network namespace owned by another user namespace refuses sysfs.
                Err(Error::Mount {
                    errno: Errno::EPERM,
                    ..
                }) => sysfs_from_host(plan, sys, step.clone()),
                other => other,
            },
            "" => Err(step.err("a mount needs a type (or the bind option)")(
                Errno::EINVAL,
            )),
            _ => mount_by_type(plan, sys, &step),
        }?;
    }
    finish_recursive(plan, sys, &step)
}

/// The recursive attributes (`rro`, ...) of a mount just made, unless they wait for
/// `finalize`.
fn finish_recursive(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep) -> Result<()> {
    let attrs = step.options.recursive;
    if attrs.is_empty() || read_only_later(&step.fstype, step.destination) {
        return Ok(());
    }
    set_recursive(plan.rootfs, sys, step.destination, attrs)
        .map_err(step.err("setting the recursive attributes (mount_setattr)"))
}

/// Whether the mount's `ro` (and recursive attributes) wait for `finalize`, as in runc: a
/// tmpfs, which may still get files (`tmpcopyup`, mounts below it), and /dev, which gets its
/// device nodes, links and /dev/pts after it is mounted.
pub(crate) fn read_only_later(fstype: &str, destination: &Path) -> bool {
    fstype == "tmpfs" || crate::guard::lexical_clean(destination) == Path::new("/dev")
}

/// `mount_setattr` with `AT_RECURSIVE` on the mount at `destination` (resolved afresh, so
/// the new mount is what gets changed).
pub(crate) fn set_recursive(
    root: &Path,
    sys: &dyn Syscall,
    destination: &Path,
    attrs: MountAttrs,
) -> Result<(), Errno> {
    let target = sys.open_in_root(root, destination, Create::Nothing)?;
    sys.mount_setattr(target.path(), attrs)
}

/// Refuses the mount before anything is created for it when its destination leads to a
/// place [`mount_refusal`] protects (the rootfs as it is now; `open_destination` checks
/// again what it actually opens).
fn check_destination(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep) -> Result<()> {
    let inside = sys
        .resolve_in_root(plan.rootfs, step.destination)
        .map_err(step.err("resolving the mount point in the rootfs"))?;
    check_inside(step, &inside)
}

/// Opens the mount point (creating it per `create`) and refuses it if the walk ended in a
/// place [`mount_refusal`] protects: the check is on the very inode that gets mounted onto,
/// so a symlink swapped in after `check_destination` (by a container sharing a volume)
/// changes nothing.
fn open_destination(
    plan: &RootfsPlan,
    sys: &dyn Syscall,
    step: &MountStep,
    create: Create,
) -> Result<Target> {
    let target = sys
        .open_in_root(plan.rootfs, step.destination, create)
        .map_err(step.err("creating the mount point"))?;
    if let Some(inside) = target.inside() {
        check_inside(step, inside)?;
    }
    Ok(target)
}

fn check_inside(step: &MountStep, inside: &Path) -> Result<()> {
    let Some(reason) = mount_refusal(step.destination, inside, &step.fstype, step.source) else {
        return Ok(());
    };
    let reason = if inside == step.destination {
        reason
    } else {
        format!(
            "it leads to {} inside the rootfs, and {reason}",
            inside.display()
        )
    };
    Err(Error::Refused {
        destination: step.destination.to_path_buf(),
        fstype: step.fstype.clone(),
        reason,
    })
}

fn missing_source(step: &MountStep) -> Error {
    step.err("a bind mount needs a source")(Errno::EINVAL)
}

/// proc, tmpfs, devpts, mqueue, sysfs and any other filesystem: one `mount(2)` by type.
fn mount_by_type(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep) -> Result<()> {
    if step.options.copy_up && step.fstype != "tmpfs" {
        return Err(Error::UnsupportedOption {
            destination: step.destination.to_path_buf(),
            fstype: step.fstype.clone(),
            option: "tmpcopyup (only for tmpfs)".to_owned(),
        });
    }
    let target = open_destination(plan, sys, step, Create::Dir)?;
    let source = step.source.unwrap_or(Path::new(&step.fstype));
    let mut flags = step.options.flags;
    if read_only_later(&step.fstype, step.destination) {
        // Filled first (files, mounts below it, `tmpcopyup`), made read-only in `finalize`.
        flags.remove(MsFlags::MS_RDONLY);
    }
    sys.mount(
        Some(source),
        target.path(),
        Some(&step.fstype),
        flags,
        step.options.data(),
    )
    .map_err(step.err("mount"))?;
    if step.options.copy_up {
        // `target` still holds the directory the tmpfs now covers: copy from it.
        let tmpfs = sys
            .open_in_root(plan.rootfs, step.destination, Create::Nothing)
            .map_err(step.err("reopening the tmpfs"))?;
        sys.copy_up(&target, &tmpfs)
            .map_err(step.err("tmpcopyup"))?;
    }
    drop(target);
    apply_propagation(plan.rootfs, sys, step)
}

/// A bind mount of the host path `source` at `step.destination`, then its flags and propagation.
fn bind(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep, source: &Path) -> Result<()> {
    bind_from(plan, sys, step, source, false)
}

/// `bind`, from a host path or (`opened_tree`) from a mount tree the caller cloned with
/// open_tree before the user namespace (`RootfsPlan::bind_sources`), attached with move_mount.
fn bind_from(
    plan: &RootfsPlan,
    sys: &dyn Syscall,
    step: &MountStep,
    source: &Path,
    opened_tree: bool,
) -> Result<()> {
    if step.options.flags.contains(MsFlags::MS_REMOUNT) {
        // `remount` with `bind`: change the flags of the bind already at the destination.
        remount_bind(
            plan.rootfs,
            sys,
            step.destination,
            step.options.flags & REMOUNT_FLAGS,
        )
        .map_err(step.err("remount of the bind"))?;
        return apply_propagation(plan.rootfs, sys, step);
    }
    let kind = sys.kind(source).map_err(step.err("bind source"))?;
    let create = if kind == FileKind::Dir {
        Create::Dir
    } else {
        Create::File
    };
    let target = open_destination(plan, sys, step, create)?;
    if opened_tree {
        sys.move_mount(source, target.path())
            .map_err(step.err("attaching the bind source opened by the runtime"))?;
    } else {
        let flags = MsFlags::MS_BIND | (step.options.flags & MsFlags::MS_REC);
        sys.mount(Some(source), target.path(), None, flags, None)
            .map_err(step.err("bind mount"))?;
    }
    drop(target);
    let mut remount = step.options.flags & REMOUNT_FLAGS;
    if read_only_later(&step.fstype, step.destination) {
        remount.remove(MsFlags::MS_RDONLY);
    }
    if step.options.needs_bind_remount() && !remount.is_empty() {
        remount_bind(plan.rootfs, sys, step.destination, remount)
            .map_err(step.err("remount with the bind's flags"))?;
    }
    apply_propagation(plan.rootfs, sys, step)
}

/// `MS_BIND | MS_REMOUNT | flags` on the mount at `destination` (resolved afresh, so the
/// new mount is what gets changed). If the kernel refuses because the mount has locked
/// flags (from a user namespace), retry keeping them, as runc does.
pub(crate) fn remount_bind(
    root: &Path,
    sys: &dyn Syscall,
    destination: &Path,
    flags: MsFlags,
) -> Result<(), Errno> {
    let target = sys.open_in_root(root, destination, Create::Nothing)?;
    let remount = MsFlags::MS_BIND | MsFlags::MS_REMOUNT;
    match sys.mount(None, target.path(), None, remount | flags, None) {
        Err(Errno::EPERM) => {
            let locked = sys.mount_flags(target.path())? & LOCKABLE_FLAGS;
            sys.mount(None, target.path(), None, remount | flags | locked, None)
        }
        other => other,
    }
}

/// The propagation options of a mount (`rprivate`, `shared`, ...), each its own call.
fn apply_propagation(root: &Path, sys: &dyn Syscall, step: &MountStep) -> Result<()> {
    for &propagation in &step.options.propagation {
        let target = sys
            .open_in_root(root, step.destination, Create::Nothing)
            .map_err(step.err("reopening the mount"))?;
        sys.mount(None, target.path(), None, propagation, None)
            .map_err(step.err("setting propagation"))?;
    }
    Ok(())
}

/// sysfs in a container sharing the host's network namespace: the kernel refuses a new
/// sysfs there, so bind the host's /sys recursively, with the mount's flags.
fn sysfs_from_host(plan: &RootfsPlan, sys: &dyn Syscall, mut step: MountStep) -> Result<()> {
    step.options
        .flags
        .insert(MsFlags::MS_BIND | MsFlags::MS_REC);
    step.fstype = "sysfs (rbind of the host's /sys: no network namespace)".to_owned();
    bind(plan, sys, &step, Path::new("/sys"))
}

/// A `cgroup` mount. v2 (a `""` controller in `plan.cgroup_mounts`): a cgroup2 mount when the
/// container has a cgroup namespace, else a bind of its own cgroup directory. v1: a tmpfs at
/// the destination holding a bind of each controller's container directory, read-only when
/// the mount is.
fn mount_cgroup(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep) -> Result<()> {
    if let [(controller, dir)] = plan.cgroup_mounts.as_slice() {
        if controller.is_empty() {
            return mount_cgroup2(plan, sys, step, dir);
        }
    }
    if plan.cgroup_mounts.is_empty() {
        tracing::warn!(destination = %step.destination.display(), "no cgroup directories were given: the cgroup mount is an empty tmpfs");
    }
    let target = open_destination(plan, sys, step, Create::Dir)?;
    let tmpfs_flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    sys.mount(
        Some(Path::new("tmpfs")),
        target.path(),
        Some("tmpfs"),
        tmpfs_flags,
        Some("mode=755"),
    )
    .map_err(step.err("tmpfs for the cgroup hierarchies"))?;
    drop(target);
    for (controller, dir) in &plan.cgroup_mounts {
        // runc names the directory of a named hierarchy ("name=systemd") after the name.
        // A v2 hierarchy beside v1 ones (hybrid) goes where systemd puts it.
        let name = match controller.strip_prefix("name=").unwrap_or(controller) {
            "" => "unified",
            name => name,
        };
        let sub = MountStep {
            destination: &step.destination.join(name),
            fstype: format!("cgroup {controller}"),
            source: Some(dir),
            options: MountOptions {
                flags: step.options.flags | MsFlags::MS_BIND | MsFlags::MS_REC,
                ..Default::default()
            },
        };
        bind(plan, sys, &sub, dir)?;
        if name.contains(',') {
            link_comounted(plan, sys, step, name)?;
        }
    }
    if step.options.flags.contains(MsFlags::MS_RDONLY) {
        remount_bind(
            plan.rootfs,
            sys,
            step.destination,
            step.options.flags & REMOUNT_FLAGS,
        )
        .map_err(step.err("remounting the cgroup tmpfs read-only"))?;
    }
    apply_propagation(plan.rootfs, sys, step)
}

/// `cpu -> cpu,cpuacct` and `cpuacct -> cpu,cpuacct` for co-mounted v1 controllers.
fn link_comounted(
    plan: &RootfsPlan,
    sys: &dyn Syscall,
    step: &MountStep,
    name: &str,
) -> Result<()> {
    let parent = sys
        .open_in_root(plan.rootfs, step.destination, Create::Nothing)
        .map_err(step.err("reopening the cgroup tmpfs"))?;
    for single in name.split(',') {
        match sys.symlink(Path::new(name), &parent.path().join(single)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(step.err(format!("symlink {single} -> {name}"))(e)),
        }
    }
    Ok(())
}

fn mount_cgroup2(plan: &RootfsPlan, sys: &dyn Syscall, step: &MountStep, dir: &Path) -> Result<()> {
    if plan.has_namespace(LinuxNamespaceType::Cgroup) {
        let target = open_destination(plan, sys, step, Create::Dir)?;
        let source = Path::new("cgroup2");
        match sys.mount(
            Some(source),
            target.path(),
            Some("cgroup2"),
            step.options.flags,
            step.options.data(),
        ) {
            Ok(()) => {
                drop(target);
                return apply_propagation(plan.rootfs, sys, step);
            }
            // Refused (rootless, or a cgroup namespace we may not mount in): bind instead.
            Err(Errno::EPERM | Errno::EBUSY) => {}
            Err(e) => return Err(step.err("mount cgroup2")(e)),
        }
    }
    let bind_step = MountStep {
        destination: step.destination,
        fstype: "cgroup2 (bind of the container's cgroup)".to_owned(),
        source: Some(dir),
        options: MountOptions {
            flags: step.options.flags | MsFlags::MS_BIND | MsFlags::MS_REC,
            propagation: step.options.propagation.clone(),
            ..Default::default()
        },
    };
    bind(plan, sys, &bind_step, dir)
}
