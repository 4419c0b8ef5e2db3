//! Resolving a new container's mounts, as moby's `registerMountPoints` does: first every mount
//! of the `--volumes-from` containers (read-only with `:ro`, never copied up), then the `-v`
//! binds and named volumes and the `--mount`s, which replace those at the same destination
//! and may not repeat one another ("Duplicate mount point"), then `--tmpfs`, then anonymous
//! `-v /path` volumes and the image's `VOLUME`s wherever no mount is yet. Anonymous volumes get
//! a fresh 64-hex name. Pure: it names volumes, it never makes or mounts them (`volumes/`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::mount_points::{MountKind, MountPoint};
use crate::request::RunRequest;
use crate::types::{MountSpec, MountType, VolumeSource};

/// How [`plan`] names things it does not know: a new anonymous volume, a volume's `_data`.
pub(crate) struct Namer<'a> {
    pub new_volume: &'a mut dyn FnMut() -> Result<String>,
    pub data_dir: &'a dyn Fn(&str) -> PathBuf,
}

/// The mounts taken from one `--volumes-from` container: its mount points and `:ro`.
pub(crate) struct From {
    pub mounts: Vec<MountPoint>,
    pub read_only: bool,
}

/// The mount points of a new container (see the module's rules).
pub(crate) fn plan(
    req: &RunRequest,
    image_volumes: &[String],
    volumes_from: Vec<From>,
    namer: Namer,
) -> Result<Vec<MountPoint>> {
    let mut planned: Vec<MountPoint> = Vec::new();
    for from in volumes_from {
        for mut m in from.mounts {
            m.read_only |= from.read_only;
            m.copy_up = false;
            m.make_source = false;
            put(&mut planned, m);
        }
    }
    let mut given: Vec<PathBuf> = Vec::new();
    let mut anonymous: Vec<&Path> = Vec::new();
    let mut user = Vec::new();
    for v in &req.volumes {
        let point = match &v.source {
            VolumeSource::Bind(host) => MountPoint::bind(v, host),
            VolumeSource::Named(name) => {
                check_volume_name(name)?;
                let data = (namer.data_dir)(name);
                let mut p =
                    MountPoint::volume(name.clone(), data, &v.container, v.read_only, false);
                p.mode = v.mode.clone();
                p.copy_up = !v.nocopy();
                p
            }
            VolumeSource::Anonymous => {
                anonymous.push(&v.container);
                continue;
            }
        };
        user.push(point);
    }
    for m in &req.mounts {
        user.push(from_mount_flag(m, &mut *namer.new_volume, namer.data_dir)?);
    }
    for t in &req.tmpfs {
        user.push(MountPoint {
            kind: MountKind::Tmpfs,
            destination: t.target.clone(),
            read_only: t.read_only(),
            tmpfs_options: t.mount_options(),
            ..MountPoint::default()
        });
    }
    for point in user {
        if given.contains(&point.destination) {
            return Err(Error::Invalid(format!(
                "Duplicate mount point: {}",
                point.destination.display()
            )));
        }
        given.push(point.destination.clone());
        put(&mut planned, point);
    }
    let image_paths = image_volumes.iter().map(Path::new);
    for destination in anonymous.into_iter().chain(image_paths) {
        if !destination.is_absolute() || planned.iter().any(|p| p.destination == destination) {
            continue;
        }
        let name = (namer.new_volume)()?;
        let data = (namer.data_dir)(&name);
        planned.push(MountPoint::volume(name, data, destination, false, true));
    }
    Ok(planned)
}

/// Adds `m`, replacing a planned mount at the same destination.
fn put(planned: &mut Vec<MountPoint>, m: MountPoint) {
    match planned.iter_mut().find(|p| p.destination == m.destination) {
        Some(old) => *old = m,
        None => planned.push(m),
    }
}

fn check_volume_name(name: &str) -> Result<()> {
    crate::volumes::check_name(name).map_err(|e| Error::Invalid(format!("create {name}: {e}")))
}

/// One `--mount` as a mount point (its volume named when anonymous).
fn from_mount_flag(
    m: &MountSpec,
    new_volume: &mut dyn FnMut() -> Result<String>,
    data_dir: &dyn Fn(&str) -> PathBuf,
) -> Result<MountPoint> {
    let source = m.source.clone().filter(|s| !s.is_empty());
    Ok(match m.kind {
        MountType::Bind => MountPoint {
            kind: MountKind::Bind,
            source: PathBuf::from(source.unwrap_or_default()),
            destination: m.target.clone(),
            read_only: m.read_only,
            propagation: m.bind_propagation.clone().unwrap_or("rprivate".into()),
            non_recursive: m.bind_nonrecursive,
            ..MountPoint::default()
        },
        MountType::Volume => {
            let anonymous = source.is_none();
            let name = match source {
                Some(n) => n,
                None => new_volume()?,
            };
            check_volume_name(&name)?;
            if let Some(d) = m.volume_driver.as_deref().filter(|d| *d != "local") {
                return Err(Error::Invalid(format!(
                    "create {name}: error looking up volume plugin {d}: plugin \"{d}\" not found"
                )));
            }
            crate::volumes::check_options(&m.volume_options)
                .map_err(|e| Error::Invalid(format!("create {name}: {e}")))?;
            let data = data_dir(&name);
            let mut p = MountPoint::volume(name, data, &m.target, m.read_only, anonymous);
            p.copy_up = !m.volume_nocopy;
            p.volume_labels = m.volume_labels.clone();
            p.volume_options = m.volume_options.clone();
            p
        }
        MountType::Tmpfs => MountPoint {
            kind: MountKind::Tmpfs,
            destination: m.target.clone(),
            read_only: m.read_only,
            tmpfs_options: m.tmpfs_options(),
            ..MountPoint::default()
        },
    })
}

#[cfg(test)]
#[path = "mount_plan_tests.rs"]
mod tests;
