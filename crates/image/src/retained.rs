//! Images removed (`rmi -f`) while only stopped containers use them. As Docker, such an
//! image is gone for everyone — no name, not listed, not found by ID — but not for those
//! containers: its record moves to `images/retained/<id>.json` (garbage collection counts
//! it), so they still start and commit, and its layers stay until the last of them is
//! removed and the engine calls [`ImageStore::release_retained`].
//! Never looks at containers itself: the caller says how an image is used.

use std::fs;
use std::io::ErrorKind;

use crate::error::{Error, IoContext, Result};
use crate::fsutil::{ensure_dir, remove_any};
use crate::gc::Intent;
use crate::index::NameIndex;
use crate::store::{is_hex, read_record_at, to_image, ImageStore};
use crate::Image;

/// How containers use an image: what `remove` may do with it (Docker's rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageUse {
    /// By no container: `rmi` deletes it.
    Unused,
    /// Only by containers that do not run: `rmi -f` deletes it for everyone but them.
    Stopped,
    /// By a running container: `rmi -f` only takes its names.
    Running,
}

impl ImageStore {
    /// Moves the record of image `id` out of sight, for the containers that use it.
    /// Call with the store lock held.
    pub(crate) fn retain(&self, id: &str) -> Result<()> {
        self.forget_repo_digests(id)?;
        ensure_dir(&self.paths.retained)?;
        let from = self.paths.record(id);
        let to = self.paths.retained_record(id);
        fs::rename(&from, &to).ctx("retaining the image record", &from)
    }

    /// The image a container was made from, by its full ID: a listed one, or one retained
    /// for containers after an `rmi -f`.
    pub fn container_image(&self, id: &str) -> Result<Image> {
        let index = NameIndex::read(&self.paths.index)?;
        if let Some(rec) = self.read_record(id)? {
            return Ok(to_image(rec, &index));
        }
        match read_record_at(&self.paths.retained_record(id))? {
            Some(rec) => Ok(to_image(rec, &index)),
            None => Err(Error::NotFound(id.to_owned())),
        }
    }

    /// Whether image `id` (64 hex) is retained for containers (one `stat`).
    pub fn is_retained(&self, id: &str) -> bool {
        is_hex(id) && self.paths.retained_record(id).exists()
    }

    /// Deletes the retained image `id` unless `in_use` (called under the store lock) says a
    /// container still uses it, with the layers nothing else uses. True when deleted.
    pub fn release_retained(&self, id: &str, in_use: &dyn Fn(&str) -> bool) -> Result<bool> {
        if !self.is_retained(id) {
            return Ok(false);
        }
        let _lock = self.lock()?;
        if !self.is_retained(id) || in_use(id) {
            return Ok(false);
        }
        let intent = Intent::begin(&self.paths, "remove")?;
        remove_any(&self.paths.retained_record(id))?;
        self.collect_garbage()?;
        intent.done();
        Ok(true)
    }

    /// IDs of the retained records.
    pub(crate) fn retained_ids(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.paths.retained) {
            Ok(e) => e,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e).ctx("reading", &self.paths.retained),
        };
        Ok(entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name();
                let id = name.to_str()?.strip_suffix(".json")?.to_owned();
                (id.len() == 64 && is_hex(&id)).then_some(id)
            })
            .collect())
    }
}
