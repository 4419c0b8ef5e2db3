//! Adding images to the store, all or nothing. `load`, `import` and `commit` first stage
//! their work in `tmp/` without the store lock ([`Staged`]: unpacked layers, configs, names;
//! dropping it removes the staged layers), then [`ImageStore::register`] adds every staged
//! image under the lock: layers installed, config blobs and image records written, and the
//! names index written last. That index write is the commit point: a failure before it
//! removes what this call added (new image records, then whatever no record refers to), so a
//! load whose last image fails to install adds no image, name, layer or blob.
//!
//! The intent marker of a register lists the image records it creates; if the process is
//! killed before naming them, the next `open` removes those that no name points at
//! (gc.rs), so a killed `load` or `commit` leaves no nameless image behind.
//! Never reads an archive or unpacks a layer (archive.rs, layer.rs do).

use crate::config::ConfigFile;
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::fsutil::remove_any;
use crate::gc::Intent;
use crate::index::NameIndex;
use crate::layer::PreparedLayer;
use crate::reference::Reference;
use crate::store::{to_image, ImageStore};
use crate::Image;

/// One image ready to add: its config (raw bytes, whose digest is the image ID) and names.
struct StagedImage {
    config: ConfigFile,
    config_bytes: Vec<u8>,
    references: Vec<Reference>,
    /// The image a build step made this one on.
    parent: Option<String>,
}

/// Images and the layers they need that the store does not have yet, prepared in `tmp/`.
#[derive(Default)]
pub(crate) struct Staged {
    layers: Vec<PreparedLayer>,
    images: Vec<StagedImage>,
}

impl Staged {
    /// Whether a layer with this diff-id is staged already (images of one archive share).
    pub(crate) fn has_layer(&self, diff_id: &Digest) -> bool {
        self.layers.iter().any(|l| &l.diff_id == diff_id)
    }

    /// Stages a layer; a second copy of a staged diff-id is dropped (and its temp dir with it).
    pub(crate) fn add_layer(&mut self, layer: PreparedLayer) {
        if !self.has_layer(&layer.diff_id) {
            self.layers.push(layer);
        }
    }

    pub(crate) fn add_image(
        &mut self,
        config: ConfigFile,
        config_bytes: Vec<u8>,
        references: Vec<Reference>,
    ) {
        self.images.push(StagedImage {
            config,
            config_bytes,
            references,
            parent: None,
        });
    }

    /// Stages the image a build step made on `parent` (64 hex).
    pub(crate) fn add_child_image(
        &mut self,
        config: ConfigFile,
        config_bytes: Vec<u8>,
        parent: &str,
    ) {
        self.images.push(StagedImage {
            config,
            config_bytes,
            references: Vec::new(),
            parent: Some(parent.to_owned()),
        });
    }
}

impl ImageStore {
    /// Adds every staged image, in order, or none of them. Returns them as the store now
    /// knows them.
    pub(crate) fn register(&self, staged: Staged) -> Result<Vec<Image>> {
        let _lock = self.lock()?;
        let mut index = NameIndex::read(&self.paths.index)?;
        let mut new_records: Vec<String> = Vec::new();
        for img in &staged.images {
            let id = Digest::of(&img.config_bytes).hex().to_owned();
            if !self.paths.record(&id).exists() && !new_records.contains(&id) {
                new_records.push(id);
            }
        }
        let intent = Intent::begin_adding(&self.paths, &new_records)?;
        match self.add_staged(staged, &mut index) {
            Ok(images) => {
                intent.done();
                Ok(images)
            }
            Err(e) => {
                match self.undo_added(&new_records) {
                    Ok(()) => intent.done(),
                    Err(undo) => tracing::warn!(
                        error = %undo,
                        "could not undo a failed register; the next open of the store will"
                    ),
                }
                Err(e)
            }
        }
    }

    /// [`ImageStore::register`] of the one image that `staged` holds.
    pub(crate) fn register_one(&self, staged: Staged) -> Result<Image> {
        self.register(staged)?
            .pop()
            .ok_or_else(|| Error::corrupt("image", "nothing to register"))
    }

    fn add_staged(&self, staged: Staged, index: &mut NameIndex) -> Result<Vec<Image>> {
        for l in staged.layers {
            l.install(&self.paths)?;
        }
        let mut records = Vec::new();
        for img in &staged.images {
            let rec = self.write_record(&img.config, &img.config_bytes, img.parent.as_deref())?;
            for r in &img.references {
                index.set(r, &rec.id);
            }
            records.push(rec);
        }
        // The commit point: until the names are written, the new images can be undone.
        index.write()?;
        Ok(records.into_iter().map(|r| to_image(r, index)).collect())
    }

    /// Undoes a register cut short: removes the image records in `new_records` that no
    /// name points at, then everything no remaining record refers to (layers, blobs,
    /// short links). Call with the store lock held.
    pub(crate) fn undo_added(&self, new_records: &[String]) -> Result<()> {
        let index = NameIndex::read(&self.paths.index)?;
        for id in new_records {
            if Digest::is_hex64(id) && index.names_of(id).is_empty() {
                remove_any(&self.paths.record(id))?;
            }
        }
        self.collect_garbage()
    }
}
