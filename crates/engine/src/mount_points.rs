//! The mounts a container gets besides Docker's defaults, resolved once at create from `-v`
//! and the image's `VOLUME`s (moby's `registerMountPoints`) and kept in its record
//! ([`MountPoint`]s in `ContainerConfig::mounts`). Everything after create reads them: the
//! spec, inspect's `Mounts`, `rm -v` and `--rm` (its anonymous volumes), `volume rm`'s in-use
//! check, `volume ls --filter dangling`, `ps --filter volume`.
//!
//! Rules, as Docker's: a destination given twice by the user is refused ("Duplicate mount
//! point"); an anonymous `-v /path` or an image volume at a destination the user mounts
//! something else on is dropped; an anonymous volume gets a fresh 64-hex name.
//! Planning is pure: it names volumes, it never makes or mounts them (`volumes/` does).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::request::RunRequest;
use crate::types::{VolumeSource, VolumeSpec};

/// The label Docker (23+) puts on anonymous volumes: `volume prune` without `-a` removes
/// only those.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

/// What is mounted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MountKind {
    /// A host path.
    Bind,
    /// A volume of the store (`<root>/volumes/<name>/_data`).
    Volume,
    /// A new tmpfs.
    Tmpfs,
}

/// One resolved mount of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
}

fn path_is_empty(p: &Path) -> bool {
    p.as_os_str().is_empty()
}

impl MountPoint {
    fn bind(v: &VolumeSpec, host: &Path) -> MountPoint {
        MountPoint {
            kind: MountKind::Bind,
            name: String::new(),
            source: host.to_path_buf(),
            destination: v.container.clone(),
            read_only: v.read_only,
            mode: v.mode.clone(),
            propagation: v.propagation().unwrap_or("rprivate").to_owned(),
            anonymous: false,
            copy_up: false,
            make_source: true,
            tmpfs_options: Vec::new(),
        }
    }

    fn volume(
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
            mode: String::new(),
            propagation: String::new(),
            anonymous,
            copy_up: true,
            make_source: false,
            tmpfs_options: Vec::new(),
        }
    }

    /// A `-v HOST:DEST` bind (for tests).
    #[cfg(test)]
    pub(crate) fn test_bind(host: &str, destination: &str) -> MountPoint {
        MountPoint::bind(&VolumeSpec::bind(host, destination, false), Path::new(host))
    }

    /// The labels a volume this mount creates gets.
    pub(crate) fn new_volume_labels(&self) -> BTreeMap<String, String> {
        let mut labels = BTreeMap::new();
        if self.anonymous {
            labels.insert(ANONYMOUS_LABEL.to_owned(), String::new());
        }
        labels
    }
}

/// How [`plan`] names things it does not know: a new anonymous volume, a volume's `_data`.
pub(crate) struct Namer<'a> {
    pub new_volume: &'a mut dyn FnMut() -> Result<String>,
    pub data_dir: &'a dyn Fn(&str) -> PathBuf,
}

/// The mount points of a new container: `-v` in order, then the image's volumes that no
/// user mount covers.
pub(crate) fn plan(
    req: &RunRequest,
    image_volumes: &[String],
    namer: Namer,
) -> Result<Vec<MountPoint>> {
    let mut planned: Vec<MountPoint> = Vec::new();
    let mut anonymous: Vec<&Path> = Vec::new();
    for v in &req.volumes {
        let point = match &v.source {
            VolumeSource::Bind(host) => MountPoint::bind(v, host),
            VolumeSource::Named(name) => {
                crate::volumes::check_name(name)
                    .map_err(|e| Error::Invalid(format!("create {name}: {e}")))?;
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
        if planned.iter().any(|p| p.destination == point.destination) {
            return Err(duplicate(&point.destination));
        }
        planned.push(point);
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

fn duplicate(destination: &Path) -> Error {
    Error::Invalid(format!("Duplicate mount point: {}", destination.display()))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_of(r: &RunRequest, image_volumes: &[String]) -> Result<Vec<MountPoint>> {
        let mut n = 0;
        let mut new_volume = move || {
            n += 1;
            Ok(format!("anon{n}"))
        };
        let data_dir = |name: &str| PathBuf::from(format!("/v/{name}/_data"));
        let namer = Namer {
            new_volume: &mut new_volume,
            data_dir: &data_dir,
        };
        plan(r, image_volumes, namer)
    }

    fn req(volumes: &[&str]) -> RunRequest {
        RunRequest {
            volumes: volumes.iter().map(|v| v.parse().unwrap()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn binds_named_and_anonymous_volumes_and_image_volumes() {
        let r = req(&["/h:/b:ro", "data:/d:nocopy", "/a"]);
        let p = plan_of(&r, &["/img".into(), "/d".into()]).unwrap();
        let summary: Vec<_> = p
            .iter()
            .map(|m| {
                (
                    m.kind,
                    m.name.as_str(),
                    m.destination.to_str().unwrap(),
                    m.anonymous,
                    m.copy_up,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (MountKind::Bind, "", "/b", false, false),
                (MountKind::Volume, "data", "/d", false, false),
                (MountKind::Volume, "anon1", "/a", true, true),
                (MountKind::Volume, "anon2", "/img", true, true),
            ]
        );
        assert!(p[0].read_only);
        assert_eq!(p[0].propagation, "rprivate");
        assert_eq!(p[1].source, PathBuf::from("/v/data/_data"));
        assert_eq!(
            p[2].new_volume_labels().keys().collect::<Vec<_>>(),
            [ANONYMOUS_LABEL]
        );
    }

    #[test]
    fn an_anonymous_volume_under_a_user_mount_is_dropped_and_duplicates_refused() {
        let p = plan_of(&req(&["/data", "v1:/data/"]), &["/data".into()]).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "v1");
        let e = plan_of(&req(&["v1:/data", "/h:/data"]), &[]).unwrap_err();
        assert_eq!(e.to_string(), "Duplicate mount point: /data");
        let e = plan_of(&req(&["bad/x:/data"]), &[]).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("create bad/x: \"bad/x\" includes invalid characters"),
            "{e}"
        );
    }
}
