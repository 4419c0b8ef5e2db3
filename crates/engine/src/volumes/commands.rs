//! The `volume` commands: create, ls, inspect, rm, prune, with Docker's rules and words. A
//! volume is in use while any container (running or not) has it among its mount points;
//! in-use checks and removals happen under the volume store's lock, after which a container
//! being made sees the volume gone and makes it anew (see `lifecycle.rs`).

use std::collections::BTreeMap;

use super::{check_name, local, Volume, VolumeStore};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::filters::{Filters, PruneFilter};
use crate::mount_points::{self, MountKind};
use crate::prune::PruneReport;
use crate::store::Store;

/// `volume create`'s request.
#[derive(Debug, Clone, Default)]
pub struct VolumeCreate {
    /// None: a generated 64-hex name.
    pub name: Option<String>,
    /// `-d`: only "local" (the default).
    pub driver: Option<String>,
    /// `--label`s.
    pub labels: BTreeMap<String, String>,
    /// `-o`: the local driver's `type`, `device`, `o`.
    pub options: BTreeMap<String, String>,
}

/// A volume and how many containers use it (`volume ls`: dangling, `.Links`).
#[derive(Debug, Clone)]
pub struct VolumeSummary {
    /// The volume.
    pub volume: Volume,
    /// Containers (running or not) whose mount points name it.
    pub containers: usize,
}

impl Engine {
    pub(crate) fn volume_store(&self) -> VolumeStore {
        VolumeStore::new(&self.opts.root)
    }

    /// `volume create`: makes the volume, or gives back the one of that name (as Docker).
    pub fn create_volume(&self, req: VolumeCreate) -> Result<Volume> {
        let name = match req.name {
            Some(n) => n,
            None => Store::new_id()?,
        };
        let refuse = |why: String| Error::Invalid(format!("create {name}: {why}"));
        if let Some(d) = req.driver.as_deref().filter(|d| *d != "local") {
            return Err(refuse(format!(
                "error looking up volume plugin {d}: plugin \"{d}\" not found"
            )));
        }
        check_name(&name).map_err(refuse)?;
        if name.len() < 2 {
            return Err(refuse(
                "volume name is too short, names should be at least two alphanumeric characters"
                    .into(),
            ));
        }
        local::check_options(&req.options).map_err(refuse)?;
        let store = self.volume_store();
        let _lock = store.lock()?;
        let (volume, made) = store.create(&name, &req.labels, &req.options)?;
        if made {
            self.emit_volume("create", &volume, &[]);
        }
        Ok(volume)
    }

    /// `volume ls`: every volume with the number of containers that use it, by name.
    pub fn volumes(&self) -> Result<Vec<VolumeSummary>> {
        let users = self.volume_users()?;
        Ok(self
            .volume_store()
            .list()?
            .into_iter()
            .map(|volume| VolumeSummary {
                containers: users.get(&volume.name).map_or(0, Vec::len),
                volume,
            })
            .collect())
    }

    /// `volume inspect`.
    pub fn inspect_volume(&self, name: &str) -> Result<Volume> {
        self.volume_store()
            .get(name)?
            .ok_or_else(|| Error::NoSuchVolume(name.to_owned()))
    }

    /// `volume rm [-f]`: refused while a container uses it (`-f` too, as Docker); `-f` makes
    /// a volume that is not there a success.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<()> {
        let store = self.volume_store();
        let _lock = store.lock()?;
        let Some(volume) = store.get(name)? else {
            return match force {
                true => Ok(()),
                false => Err(Error::NoSuchVolume(name.to_owned())),
            };
        };
        if let Some(ids) = self.volume_users()?.get(name) {
            return Err(Error::Conflict(format!(
                "remove {name}: volume is in use - [{}]",
                ids.join(", ")
            )));
        }
        self.delete_volume(&store, &volume)
    }

    /// `volume prune`: the volumes no container uses, anonymous ones only unless `all` (or
    /// the `all=true` filter), that pass the `label`/`label!` filters; a `volume prune` event.
    pub fn prune_volumes(&self, all: bool, filters: &Filters) -> Result<PruneReport> {
        let filter = PruneFilter::new(filters, &["label", "label!", "all"])?;
        let all = all || filters.bool_or("all", false)?;
        let store = self.volume_store();
        let _lock = store.lock()?;
        let users = self.volume_users()?;
        let mut report = PruneReport::default();
        for volume in store.list()? {
            let wanted = (all || volume.is_anonymous())
                && !users.contains_key(&volume.name)
                && filter.matches(volume.created_at, &volume.labels);
            if !wanted {
                continue;
            }
            let size = store.size(&volume.name);
            self.delete_volume(&store, &volume)?;
            report.space_reclaimed += size;
            report.deleted.push(volume.name);
        }
        self.emit_prune("volume", report.space_reclaimed);
        Ok(report)
    }

    /// Deletes a volume nothing uses (its mount first, if its options made one); the caller
    /// holds the store's lock.
    pub(crate) fn delete_volume(&self, store: &VolumeStore, volume: &Volume) -> Result<()> {
        local::unmount(&volume.mountpoint)?;
        store.remove(&volume.name)?;
        self.emit_volume("destroy", volume, &[]);
        Ok(())
    }

    /// Which containers (full IDs, sorted) use each volume: every record's mount points.
    pub(crate) fn volume_users(&self) -> Result<BTreeMap<String, Vec<String>>> {
        let mut users: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut ids = self.store.ids()?;
        ids.sort();
        for id in ids {
            let Ok(config) = self.store.config(&id) else {
                continue;
            };
            for m in mount_points::of_record(&config) {
                if m.kind == MountKind::Volume {
                    let list = users.entry(m.name).or_default();
                    if !list.contains(&id) {
                        list.push(id.clone());
                    }
                }
            }
        }
        Ok(users)
    }

    /// A volume event: actor the name, `driver`, then `extra`.
    pub(crate) fn emit_volume(&self, action: &str, volume: &Volume, extra: &[(&str, String)]) {
        let mut attrs = BTreeMap::from([("driver".to_owned(), volume.driver.clone())]);
        for (k, v) in extra {
            attrs.insert((*k).to_owned(), v.clone());
        }
        self.emit(Event::new("volume", action, &volume.name, attrs));
    }
}
