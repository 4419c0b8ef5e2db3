//! The mounts a container gets besides Docker's defaults ([`MountPoint`]s), resolved once at
//! create (`mount_plan.rs`) from `-v`, `--mount`, `--tmpfs`, `--volumes-from` and the image's
//! `VOLUME`s and kept in its record (`ContainerConfig::mounts`). Everything after create reads
//! them: the spec, inspect's `Mounts`, `rm -v` and `--rm` (its anonymous volumes), `volume rm`'s
//! in-use check, `volume ls --filter dangling`, `ps --filter volume`, `cp` and `diff`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::types::VolumeSpec;

/// The label Docker (23+) puts on anonymous volumes: `volume prune` without `-a` removes
/// only those.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// What is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MountKind {
    /// A host path.
    #[default]
    Bind,
    /// A volume of the store (`<root>/volumes/<name>/_data`).
    Volume,
    /// A new tmpfs.
    Tmpfs,
}

/// One resolved mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct MountPoint {
    pub kind: MountKind,
    /// A volume's name ("" for binds and tmpfs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// What is mounted from the host: a bind's path, a volume's `_data`; "" for tmpfs.
    #[serde(default, skip_serializing_if = "path_is_empty")]
    pub source: PathBuf,
    pub destination: PathBuf,
    pub read_only: bool,
    /// inspect's `Mode`: the `-v` MODE as given ("ro,z"), "" otherwise.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mode: String,
    /// A bind's propagation (`rprivate` unless given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// `bind-nonrecursive`: the mounts below a bind's source are not bound along.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub non_recursive: bool,
    /// A volume named by the container itself (removed with it by `rm -v` and `--rm`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    /// A volume that starts empty is filled with the image's content at `destination`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub copy_up: bool,
    /// A `-v` bind whose missing host path is made (a `--mount` bind must exist).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub make_source: bool,
    /// A tmpfs's mount options, Docker's defaults first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs_options: Vec<String>,
    /// `--mount volume-label=`: labels of the volume if this mount makes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_labels: BTreeMap<String, String>,
    /// `--mount volume-opt=`: driver options of the volume if this mount makes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volume_options: BTreeMap<String, String>,
}

fn path_is_empty(p: &Path) -> bool {
    p.as_os_str().is_empty()
}

impl MountPoint {
    /// A `-v HOST:DEST[:MODE]` bind.
    pub(crate) fn bind(v: &VolumeSpec, host: &Path) -> MountPoint {
        MountPoint {
            kind: MountKind::Bind,
            source: host.to_path_buf(),
            destination: v.container.clone(),
            read_only: v.read_only,
            mode: v.mode.clone(),
            propagation: v.propagation().unwrap_or("rprivate").to_owned(),
            make_source: true,
            ..MountPoint::default()
        }
    }

    /// A volume at `destination`, filled from the image when it starts empty.
    pub(crate) fn volume(
        name: String,
        data_dir: PathBuf,
        destination: &Path,
        read_only: bool,
        anonymous: bool,
    ) -> MountPoint {
        MountPoint {
            kind: MountKind::Volume,
            name,
            source: data_dir,
            destination: destination.to_path_buf(),
            read_only,
            anonymous,
            copy_up: true,
            ..MountPoint::default()
        }
    }

    /// A `-v HOST:DEST` bind (for tests).
    #[cfg(test)]
    pub(crate) fn test_bind(host: &str, destination: &str) -> MountPoint {
        MountPoint::bind(&VolumeSpec::bind(host, destination, false), Path::new(host))
    }

    /// The labels a volume this mount makes gets.
    pub(crate) fn new_volume_labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.volume_labels.clone();
        if self.anonymous {
            labels.insert(ANONYMOUS_LABEL.to_owned(), String::new());
        }
        labels
    }
}

/// The mount points of a record; records from before they were kept have the request's
/// `-v` binds.
pub(crate) fn of_record(config: &crate::record::ContainerConfig) -> Vec<MountPoint> {
    if let Some(m) = &config.mounts {
        return m.clone();
    }
    config
        .request
        .volumes
        .iter()
        .filter_map(|v| v.host_path().map(|h| MountPoint::bind(v, h)))
        .collect()
}

/// The propagation the container's root needs for its binds to propagate (Docker's rule):
/// `shared` with a shared bind, else `rslave` with a slave bind, else the default (None).
pub(crate) fn root_propagation(mounts: &[MountPoint]) -> Option<&'static str> {
    let has = |ps: &[&str]| mounts.iter().any(|m| ps.contains(&m.propagation.as_str()));
    if has(&["shared", "rshared"]) {
        Some("shared")
    } else if has(&["slave", "rslave"]) {
        Some("rslave")
    } else {
        None
    }
}
