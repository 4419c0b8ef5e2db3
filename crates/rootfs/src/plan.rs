//! [`RootfsPlan`]: the input of `prepare`, `pivot` and `finalize` — the spec, the rootfs on
//! the host, and what the runtime decided (no_pivot, cgroup directories, console).
//!
//! It owns read-only views of the spec that several steps need; it never calls the kernel.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;
use oci_spec::runtime::{LinuxNamespaceType, Mount, Spec};

use crate::error::{Error, Result};
use crate::options::parse_propagation;

/// Everything needed to build one container's root filesystem.
#[derive(Debug, Clone)]
pub struct RootfsPlan<'a> {
    /// The container's spec (mounts, devices, paths, propagation).
    pub spec: &'a Spec,
    /// Absolute host path of `root.path`.
    pub rootfs: &'a Path,
    /// `--no-pivot`: `MS_MOVE` + `chroot` instead of `pivot_root`.
    pub no_pivot: bool,
    /// `(controller, container cgroup dir)` per hierarchy, from `Cgroup::mounts_for_container`;
    /// the controller is `""` for the v2 unified hierarchy.
    pub cgroup_mounts: Vec<(String, PathBuf)>,
    /// The pty slave (a host path) to bind at `/dev/console` in `prepare`. A runtime that
    /// opens the pty inside the container after `pivot` (as runc does) leaves this `None`
    /// and calls [`crate::bind_console`] instead.
    pub console_path: Option<PathBuf>,
    /// Bind sources the caller opened before entering a user namespace, as runc does (a
    /// source the container's mapped root cannot reach still binds): (index in the spec's
    /// `mounts`, path to bind from instead, such as `/proc/self/fd/7` of an `O_PATH` fd).
    pub bind_sources: Vec<(usize, PathBuf)>,
    /// The bundle directory: relative bind sources are relative to it (OCI spec).
    pub bundle: Option<PathBuf>,
}

impl<'a> RootfsPlan<'a> {
    /// A plan with no cgroup mounts, no console, no opened bind sources, no bundle and
    /// `pivot_root`.
    pub fn new(spec: &'a Spec, rootfs: &'a Path) -> RootfsPlan<'a> {
        RootfsPlan {
            spec,
            rootfs,
            no_pivot: false,
            cgroup_mounts: Vec::new(),
            console_path: None,
            bind_sources: Vec::new(),
            bundle: None,
        }
    }

    /// The spec's mounts, in order.
    pub fn mounts(&self) -> &'a [Mount] {
        self.spec.mounts().as_deref().unwrap_or(&[])
    }

    /// Whether the container gets (or joins) a namespace of this type, rather than the host's.
    pub fn has_namespace(&self, typ: LinuxNamespaceType) -> bool {
        let namespaces = self
            .spec
            .linux()
            .as_ref()
            .and_then(|l| l.namespaces().as_ref());
        namespaces.is_some_and(|ns| ns.iter().any(|n| n.typ() == typ))
    }

    /// `linux.rootfsPropagation`, parsed; `rslave` when absent, as runc: the container's
    /// mounts keep receiving the host's mount events (a bind with `rslave` or `rshared` sees
    /// what the host mounts below its source later; `rprivate` opts out).
    pub fn root_propagation(&self) -> Result<MsFlags> {
        let value = self
            .spec
            .linux()
            .as_ref()
            .and_then(|l| l.rootfs_propagation().as_deref());
        match value {
            None | Some("") => Ok(MsFlags::MS_SLAVE | MsFlags::MS_REC),
            Some(v) => parse_propagation(v).ok_or_else(|| Error::Propagation(v.to_owned())),
        }
    }

    /// `root.readonly`.
    pub fn root_readonly(&self) -> bool {
        self.spec
            .root()
            .as_ref()
            .and_then(|r| r.readonly())
            .unwrap_or(false)
    }

    /// `linux.mountLabel`, when set.
    pub fn mount_label(&self) -> Option<&'a str> {
        let label = self
            .spec
            .linux()
            .as_ref()
            .and_then(|l| l.mount_label().as_deref());
        label.filter(|l| !l.is_empty())
    }

    /// `linux.maskedPaths` (none when absent).
    pub fn masked_paths(&self) -> &'a [String] {
        self.spec
            .linux()
            .as_ref()
            .and_then(|l| l.masked_paths().as_deref())
            .unwrap_or(&[])
    }

    /// `linux.readonlyPaths` (none when absent).
    pub fn readonly_paths(&self) -> &'a [String] {
        self.spec
            .linux()
            .as_ref()
            .and_then(|l| l.readonly_paths().as_deref())
            .unwrap_or(&[])
    }
}
