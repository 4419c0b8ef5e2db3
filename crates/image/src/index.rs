//! The name index: `repositories.json`, a map from "repo:tag" to image ID (64 hex).
//! Read without a lock (it is replaced atomically), written only under the store lock.
//! Never looks at image records or layers.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fsutil::write_atomic;
use crate::reference::Reference;

/// The reference → image ID map, as read from disk.
#[derive(Default, Debug, Clone)]
pub(crate) struct NameIndex {
    path: PathBuf,
    names: BTreeMap<String, String>,
}

impl NameIndex {
    /// Reads the index; a missing file is an empty index.
    pub(crate) fn read(path: &Path) -> Result<NameIndex> {
        let names = match fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::damaged(path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Ok(NameIndex {
            path: path.to_owned(),
            names,
        })
    }

    /// Writes the index atomically. Call with the store lock held.
    pub(crate) fn write(&self) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(&self.names).unwrap_or_default();
        write_atomic(&self.path, &bytes)
    }

    pub(crate) fn get(&self, r: &Reference) -> Option<&str> {
        self.names.get(&r.to_string()).map(String::as_str)
    }

    /// Points `r` at `id`; returns the ID it pointed at before, if another.
    pub(crate) fn set(&mut self, r: &Reference, id: &str) -> Option<String> {
        self.names
            .insert(r.to_string(), id.to_owned())
            .filter(|old| old != id)
    }

    pub(crate) fn remove(&mut self, r: &Reference) -> Option<String> {
        self.names.remove(&r.to_string())
    }

    /// All references that point at `id`, sorted.
    pub(crate) fn names_of(&self, id: &str) -> Vec<String> {
        self.names
            .iter()
            .filter(|(_, v)| v.as_str() == id)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Removes every reference to `id`; returns them.
    pub(crate) fn remove_id(&mut self, id: &str) -> Vec<String> {
        let names = self.names_of(id);
        for n in &names {
            self.names.remove(n);
        }
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_remove_and_persist() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("repositories.json");
        let mut idx = NameIndex::read(&p).unwrap();
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(idx.set(&r, "aa"), None);
        assert_eq!(idx.set(&r, "bb").as_deref(), Some("aa"));
        idx.set(&Reference::parse("bb:v2").unwrap(), "bb");
        idx.write().unwrap();
        let idx = NameIndex::read(&p).unwrap();
        assert_eq!(idx.get(&r), Some("bb"));
        assert_eq!(idx.names_of("bb"), ["bb:v2", "busybox:latest"]);
    }

    #[test]
    fn damaged_index_is_reported_with_its_path() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("repositories.json");
        fs::write(&p, b"{not json").unwrap();
        let e = NameIndex::read(&p).unwrap_err().to_string();
        assert!(e.contains("repositories.json"), "{e}");
    }
}
