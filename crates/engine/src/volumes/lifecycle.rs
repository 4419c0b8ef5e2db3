//! What a container's life does to its volumes, as Docker's daemon does it:
//! - create: each volume it mounts exists (made now, with its labels; a `create` event);
//! - start: a volume with driver options gets its mount on the host unless it has it, an empty
//!   volume is filled from the image (copy-up, unless `nocopy`), a `mount` event each;
//! - stop: a volume's host mount is taken off once no other running container uses it, an
//!   `unmount` event each;
//! - removal with `-v` (and `--rm`): its anonymous volumes that no other container uses go.
//!
//! "Uses" is read from the records themselves (their mount points and states) under the
//! volume store's lock, so there is no count to drift when a process is killed: whoever
//! releases last takes the mount off, whoever starts next puts it back.

use std::path::Path;

use super::local;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::mount_points::{MountKind, MountPoint};
use crate::record::{ContainerConfig, Status};

impl Engine {
    /// Makes the volumes `mounts` name that do not exist yet; a `create` event for each, made
    /// or not, as dockerd's volume service logs every create a container asks of it.
    pub(crate) fn make_volumes(&self, mounts: &[MountPoint]) -> Result<()> {
        let volumes: Vec<&MountPoint> = mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume)
            .collect();
        if volumes.is_empty() {
            return Ok(());
        }
        let store = self.volume_store();
        let _lock = store.lock()?;
        for m in volumes {
            let (volume, _) = store.create(&m.name, &m.new_volume_labels(), &Default::default())?;
            self.emit_volume("create", &volume, &[]);
        }
        Ok(())
    }

    /// Before the container's process starts (its rootfs mounted at `rootfs`): host mounts
    /// of volumes with options, copy-up into empty volumes, `mount` events.
    pub(crate) fn mount_volumes(&self, config: &ContainerConfig, rootfs: &Path) -> Result<()> {
        let mounts = config.mounts.as_deref().unwrap_or_default();
        if !mounts.iter().any(|m| m.kind == MountKind::Volume) {
            return Ok(());
        }
        let store = self.volume_store();
        let _lock = store.lock()?;
        for m in mounts.iter().filter(|m| m.kind == MountKind::Volume) {
            let (volume, made) =
                store.create(&m.name, &m.new_volume_labels(), &Default::default())?;
            if made {
                self.emit_volume("create", &volume, &[]);
            }
            if local::needs_mount(&volume.options) && !local::is_mounted(&volume.mountpoint) {
                local::mount(&volume.name, &volume.options, &volume.mountpoint)?;
            }
            if m.copy_up {
                super::copy_up::fill_if_empty(rootfs, &m.destination, &volume.mountpoint).map_err(
                    |e| e.context(format!("volume {} of container {}", m.name, config.name)),
                )?;
            }
            self.emit_volume(
                "mount",
                &volume,
                &[
                    ("container", config.id.clone()),
                    ("destination", m.destination.display().to_string()),
                    ("read/write", (!m.read_only).to_string()),
                    ("propagation", m.propagation.clone()),
                ],
            );
        }
        Ok(())
    }

    /// The container `config` stopped (or never started): `unmount` events, and the host
    /// mounts of its volumes that no other running container uses are taken off. Best effort.
    pub(crate) fn release_volumes(&self, config: &ContainerConfig) {
        let mounts = config.mounts.as_deref().unwrap_or_default();
        if !mounts.iter().any(|m| m.kind == MountKind::Volume) {
            return;
        }
        let store = self.volume_store();
        let Ok(_lock) = store.lock() else {
            return;
        };
        for m in mounts.iter().filter(|m| m.kind == MountKind::Volume) {
            let Ok(Some(volume)) = store.get(&m.name) else {
                continue;
            };
            self.emit_volume("unmount", &volume, &[("container", config.id.clone())]);
            if local::is_mounted(&volume.mountpoint) && !self.runs_elsewhere(&m.name, &config.id) {
                if let Err(e) = local::unmount(&volume.mountpoint) {
                    let error = &e as &dyn std::error::Error;
                    tracing::warn!(error, "releasing volume {}", m.name);
                }
            }
        }
    }

    /// After container `config`'s record is gone (`rm -v`, `--rm`): its anonymous volumes
    /// that no other container uses are removed. Best effort, as Docker's.
    pub(crate) fn remove_anonymous_volumes(&self, config: &ContainerConfig) {
        let mounts = config.mounts.as_deref().unwrap_or_default();
        let anonymous: Vec<&MountPoint> = mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume && m.anonymous)
            .collect();
        if anonymous.is_empty() {
            return;
        }
        let store = self.volume_store();
        let removed = store.lock().and_then(|_lock| {
            let users = self.volume_users()?;
            for m in anonymous {
                if users.contains_key(&m.name) {
                    continue;
                }
                if let Some(volume) = store.get(&m.name)? {
                    self.delete_volume(&store, &volume)?;
                }
            }
            Ok::<(), Error>(())
        });
        if let Err(e) = removed {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "removing the anonymous volumes of {}", config.name);
        }
    }

    /// Whether a container other than `except` that mounts volume `name` is running or
    /// being started (by a live process).
    fn runs_elsewhere(&self, name: &str, except: &str) -> bool {
        let Ok(ids) = self.store.ids() else {
            return true;
        };
        ids.iter().filter(|id| id.as_str() != except).any(|id| {
            let uses = self.store.config(id).is_ok_and(|c| {
                crate::mount_points::of_record(&c)
                    .iter()
                    .any(|m| m.kind == MountKind::Volume && m.name == name)
            });
            uses && self.store.state(id).is_ok_and(|s| match s.status {
                Status::Running | Status::Restarting => true,
                Status::Creating => s.owner.is_some_and(|o| o.alive()),
                Status::Created | Status::Exited | Status::Removing => false,
            })
        })
    }
}
