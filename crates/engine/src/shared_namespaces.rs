//! Containers in another container's namespaces, as Docker makes them: `--network
//! container:NAME`, `--pid container:NAME` and `--ipc container:NAME`, and the `--ipc
//! shareable` containers the last may join.
//!
//! At create: NAME must exist (it is recorded by its full ID); with `--network container:`
//! what only a network namespace of one's own can have is refused (published ports, a
//! hostname, --add-host, --dns*) and the container takes NAME's hostname and its
//! /etc/hosts, /etc/resolv.conf and /etc/hostname files. At every start: NAME must run, and
//! the saved spec's namespace gets the path of NAME's; for IPC, NAME must be shareable.
//!
//! A shareable container's /dev/shm is a tmpfs mounted on the host (`<container>/shm`)
//! while it runs and bound into it, so that a container joining its IPC namespace binds the
//! same one (Docker's design: no path through the other container's root is ever followed).

use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, Status};
use crate::request::RunRequest;
use crate::spec::EtcFiles;
use crate::types::{NamespaceMode, NetworkMode};

impl Engine {
    /// At create: `req` with the containers whose namespaces it shares named by full ID and
    /// `--network container:`'s conflicts refused; None when it shares none.
    pub(crate) fn with_shared_namespaces(&self, req: &RunRequest) -> Result<Option<RunRequest>> {
        let shares_network = matches!(req.network, NetworkMode::Container(_));
        if !shares_network
            && req.pid_mode.container().is_none()
            && req.ipc_mode.container().is_none()
        {
            return Ok(None);
        }
        let mut req = req.clone();
        if let NetworkMode::Container(target) = &req.network {
            check_network_conflicts(&req)?;
            req.network = NetworkMode::Container(self.resolve(target)?);
        }
        if let Some(target) = req.pid_mode.container() {
            req.pid_mode = NamespaceMode::Container(self.resolve(target)?);
        }
        if let Some(target) = req.ipc_mode.container() {
            req.ipc_mode = NamespaceMode::Container(self.resolve(target)?);
        }
        Ok(Some(req))
    }

    /// The hostname and /etc files of the container whose network namespace `id` shares.
    pub(crate) fn shared_etc(&self, target: &str) -> Result<(String, EtcFiles)> {
        let hostname = self.store.config(target)?.hostname;
        let dir = self.container_dir(target);
        Ok((
            hostname,
            EtcFiles {
                hostname: dir.join("hostname"),
                hosts: dir.join("hosts"),
                resolv_conf: dir.join("resolv.conf"),
            },
        ))
    }

    /// Before each start: `spec` joins the network, PID and IPC namespaces of the containers
    /// it shares them with (Docker's errors when one does not run, or does not share its IPC).
    pub(crate) fn join_shared_namespaces(&self, req: &RunRequest, spec: &mut Spec) -> Result<()> {
        if let NetworkMode::Container(target) = &req.network {
            let pid = self.running_pid(target).ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot join network of a non running container: {target}"
                ))
            })?;
            set_namespace_path(spec, LinuxNamespaceType::Network, pid, "net");
        }
        if let Some(target) = req.pid_mode.container() {
            let pid = self.running_pid(target).ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot join PID of a non running container: {target}"
                ))
            })?;
            set_namespace_path(spec, LinuxNamespaceType::Pid, pid, "pid");
        }
        if let Some(target) = req.ipc_mode.container() {
            let refused =
                |why: &str| Error::Invalid(format!("can't join IPC of container {target}: {why}"));
            let pid = self
                .running_pid(target)
                .ok_or_else(|| refused("container is not running"))?;
            let shareable = self
                .store
                .config(target)
                .is_ok_and(|c| c.request.ipc_mode == NamespaceMode::Shareable);
            if !shareable || !crate::volumes::is_mounted(&self.shm_dir(target)) {
                return Err(refused(
                    "non-shareable IPC (hint: run the donor container with --ipc shareable)",
                ));
            }
            set_namespace_path(spec, LinuxNamespaceType::Ipc, pid, "ipc");
        }
        Ok(())
    }

    /// The host folder of a shareable container's /dev/shm.
    pub(crate) fn shm_dir(&self, id: &str) -> PathBuf {
        self.container_dir(id).join("shm")
    }

    /// Before a start of an `--ipc shareable` container: its /dev/shm tmpfs on the host
    /// (`--shm-size`, default 64 MB), unless it is there.
    pub(crate) fn mount_shm(&self, config: &ContainerConfig) -> Result<()> {
        if config.request.ipc_mode != NamespaceMode::Shareable {
            return Ok(());
        }
        let dir = self.shm_dir(&config.id);
        if crate::volumes::is_mounted(&dir) {
            return Ok(());
        }
        std::fs::create_dir_all(&dir).map_err(|e| Error::at("making", &dir, e))?;
        let size = crate::spec::shm_size_option(&config.request);
        let data = format!("mode=1777,{size}");
        let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        six_trace::call(
            six_trace::Kind::Mount,
            || nix::mount::mount(Some("shm"), &dir, Some("tmpfs"), flags, Some(data.as_str())),
            |d| {
                let at = dir.display();
                std::fmt::Write::write_fmt(
                    d,
                    format_args!("tmpfs on {at} ({data}): a shareable /dev/shm"),
                )
            },
        )
        .map_err(|e| {
            Error::sys(
                format!("mounting the shared /dev/shm at {}", dir.display()),
                e,
            )
        })
    }

    /// After a run of the container (and before its removal): its host /dev/shm unmounted, if
    /// it has one. Containers that joined it keep theirs until they end. Best effort.
    pub(crate) fn release_shm(&self, id: &str) {
        let dir = self.shm_dir(id);
        // only a shareable container has the folder: no mount table to read for the others
        if std::fs::symlink_metadata(&dir).is_err() {
            return;
        }
        if crate::volumes::is_mounted(&dir) {
            if let Err(e) = nix::mount::umount2(&dir, MntFlags::MNT_DETACH) {
                tracing::warn!("unmounting {}: {e}", dir.display());
            }
        }
        let _ = std::fs::remove_dir(&dir);
    }

    /// The init's pid of a running container (Docker's messages name it by its full ID).
    fn running_pid(&self, id: &str) -> Option<i32> {
        let state = self.store.state(id).ok()?;
        match (state.status, state.pid) {
            (Status::Running, Some(pid)) => Some(pid),
            _ => None,
        }
    }
}

/// `--network container:` leaves no room for what only a namespace of one's own has.
fn check_network_conflicts(req: &RunRequest) -> Result<()> {
    let conflict = |what: &str| {
        Err(Error::Invalid(format!(
            "conflicting options: {what} and the network mode"
        )))
    };
    if !req.ports.is_empty() {
        return Err(Error::Invalid(
            "conflicting options: port publishing and the container type network mode".into(),
        ));
    }
    if req.hostname.is_some() {
        return conflict("hostname");
    }
    if !req.add_hosts.is_empty() {
        return conflict("custom host-to-IP mapping");
    }
    if !req.dns.is_empty() || !req.dns_search.is_empty() || !req.dns_options.is_empty() {
        return conflict("dns");
    }
    Ok(())
}

/// The spec's namespace of type `typ` becomes `/proc/<pid>/ns/<name>`.
fn set_namespace_path(spec: &mut Spec, typ: LinuxNamespaceType, pid: i32, name: &str) {
    let path = Path::new("/proc")
        .join(pid.to_string())
        .join("ns")
        .join(name);
    let namespaces = spec
        .linux_mut()
        .as_mut()
        .and_then(|l| l.namespaces_mut().as_mut());
    for ns in namespaces.into_iter().flatten() {
        if ns.typ() == typ {
            ns.set_path(Some(path.clone()));
        }
    }
}
