//! Volumes on disk, as Docker's `local` driver keeps them: `<root>/volumes/<name>/_data` (what
//! containers mount) beside `<root>/volumes/<name>/volume.json` (driver, labels, options,
//! creation time). A volume appears whole: it is made in `.creating-<name>.<pid>` and renamed
//! into place (two CLIs making one name: one wins, the other finds it made), and it vanishes
//! whole: renamed to `.removing-<name>.<pid>`, then deleted.
//!
//! `<root>/volumes/.lock` serialises what must not interleave across processes: making,
//! removing, the in-use checks, and mounting or unmounting a volume with driver options.
//! This module never looks at containers (`lifecycle.rs` and `commands.rs` do).

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::file_lock::{lock_file, FileLock};
use crate::store::{write_atomic, Durable};

/// A volume as `volume inspect` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Its name (64 hex for an anonymous one).
    pub name: String,
    /// Always "local".
    pub driver: String,
    /// Its labels (`com.docker.volume.anonymous` on anonymous ones).
    pub labels: BTreeMap<String, String>,
    /// The `local` driver's options (`type`, `device`, `o`).
    pub options: BTreeMap<String, String>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// Where its content is on the host (`<root>/volumes/<name>/_data`).
    #[serde(skip)]
    pub mountpoint: PathBuf,
}

impl Volume {
    /// Made for one container (`-v /path`, an image `VOLUME`): `volume prune` removes it.
    pub fn is_anonymous(&self) -> bool {
        self.labels
            .contains_key(crate::mount_points::ANONYMOUS_LABEL)
    }

    /// `volume inspect`'s object (the API's too): empty labels and options are null, as
    /// Docker shows them.
    pub fn document(&self) -> serde_json::Value {
        let map_or_null = |m: &BTreeMap<String, String>| match m.is_empty() {
            true => serde_json::Value::Null,
            false => serde_json::json!(m),
        };
        serde_json::json!({
            "CreatedAt": self.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "Driver": self.driver,
            "Labels": map_or_null(&self.labels),
            "Mountpoint": self.mountpoint,
            "Name": self.name,
            "Options": map_or_null(&self.options),
            "Scope": "local",
        })
    }
}

const RECORD: &str = "volume.json";
const DATA: &str = "_data";
const CREATING: &str = ".creating-";
const REMOVING: &str = ".removing-";

#[derive(Debug, Clone)]
pub(crate) struct VolumeStore {
    dir: PathBuf,
}

impl VolumeStore {
    /// `<root>/volumes` (made on first use: a store without volumes costs nothing).
    pub(crate) fn new(root: &Path) -> VolumeStore {
        VolumeStore {
            dir: root.join("volumes"),
        }
    }

    pub(crate) fn data_dir(&self, name: &str) -> PathBuf {
        self.dir.join(name).join(DATA)
    }

    /// The store's lock, held across a check and what depends on it.
    pub(crate) fn lock(&self) -> Result<FileLock> {
        fs::create_dir_all(&self.dir).at("creating the volume store", &self.dir)?;
        lock_file(&self.dir.join(".lock"))
    }

    pub(crate) fn get(&self, name: &str) -> Result<Option<Volume>> {
        if super::check_name(name).is_err() {
            return Ok(None);
        }
        let path = self.dir.join(name).join(RECORD);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::at("reading", &path, e)),
        };
        let mut v: Volume = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Corrupt(format!("reading {}: {e}", path.display())))?;
        v.mountpoint = self.data_dir(name);
        Ok(Some(v))
    }

    /// Every volume, by name.
    pub(crate) fn list(&self) -> Result<Vec<Volume>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::at("listing volumes in", &self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.at("listing volumes in", &self.dir)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(v) = self.get(&name)? {
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Makes volume `name` unless it exists (whoever made it); true when this call made it.
    /// The caller holds [`VolumeStore::lock`] and has checked the name and options.
    pub(crate) fn create(
        &self,
        name: &str,
        labels: &BTreeMap<String, String>,
        options: &BTreeMap<String, String>,
    ) -> Result<(Volume, bool)> {
        if let Some(v) = self.get(name)? {
            return Ok((v, false));
        }
        self.remove_leftovers();
        let staging = self
            .dir
            .join(format!("{CREATING}{name}.{}", std::process::id()));
        let volume = Volume {
            name: name.to_owned(),
            driver: "local".to_owned(),
            labels: labels.clone(),
            options: options.clone(),
            created_at: Utc::now(),
            mountpoint: self.data_dir(name),
        };
        let made = fs::create_dir_all(staging.join(DATA))
            .at("creating the volume directory", &staging)
            .and_then(|()| write_atomic(&staging.join(RECORD), &volume, Durable::Yes))
            .and_then(|()| {
                fs::rename(&staging, self.dir.join(name)).at("placing the volume", &staging)
            });
        if let Err(e) = made {
            let _ = fs::remove_dir_all(&staging);
            return match self.get(name)? {
                Some(v) => Ok((v, false)),
                None => Err(e),
            };
        }
        Ok((volume, true))
    }

    /// Deletes volume `name` and its content. The caller holds the lock, has checked that
    /// no container uses it and unmounted what its options mounted.
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let dir = self.dir.join(name);
        let doomed = self
            .dir
            .join(format!("{REMOVING}{name}.{}", std::process::id()));
        match fs::rename(&dir, &doomed) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::at("removing the volume", &dir, e)),
        }
        fs::remove_dir_all(&doomed).at("removing the volume", &doomed)
    }

    /// Deletes what killed commands left half made or half removed.
    fn remove_leftovers(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(rest) = name
                .strip_prefix(CREATING)
                .or_else(|| name.strip_prefix(REMOVING))
            else {
                continue;
            };
            let pid = rest.rsplit('.').next().unwrap_or_default();
            if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
                let _ = fs::remove_dir_all(e.path());
            }
        }
    }

    /// Bytes of the regular files in a volume (hard links once), for `volume prune`.
    pub(crate) fn size(&self, name: &str) -> u64 {
        crate::info::tree_bytes(&self.data_dir(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_are_made_once_listed_and_removed() {
        let root = tempfile::tempdir().unwrap();
        let store = VolumeStore::new(root.path());
        assert!(store.list().unwrap().is_empty());
        let labels = BTreeMap::from([("a".to_owned(), "b".to_owned())]);
        let _lock = store.lock().unwrap();
        let (v, made) = store.create("data", &labels, &BTreeMap::new()).unwrap();
        assert!(made);
        assert_eq!(v.mountpoint, root.path().join("volumes/data/_data"));
        assert!(v.mountpoint.is_dir());
        let (again, made) = store
            .create("data", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        assert!(!made);
        assert_eq!(again.labels, labels, "the first making's labels stay");
        store
            .create("other", &BTreeMap::new(), &BTreeMap::new())
            .unwrap();
        let names: Vec<_> = store.list().unwrap().into_iter().map(|v| v.name).collect();
        assert_eq!(names, ["data", "other"]);
        std::fs::write(v.mountpoint.join("f"), "x").unwrap();
        assert_eq!(store.size("data"), 1);
        store.remove("data").unwrap();
        assert!(store.get("data").unwrap().is_none());
        store.remove("data").unwrap();
        assert!(
            store.get("../x").unwrap().is_none(),
            "names are checked before use"
        );
    }
}
