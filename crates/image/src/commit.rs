//! `commit`: a container's overlay upper dir becomes ONE new layer on top of its image's
//! layers (overlay whiteouts → `.wh.NAME`, opaque dirs → `.wh..wh..opq`), with the base's
//! config kept and updated by the caller's change, and a history entry. The upper dir is
//! only read. A commit killed at any moment leaves nothing the next `open` does not
//! remove: its temp tar and layer carry its PID, and an image it had not named yet is
//! listed in its register marker (register.rs). Never pauses or otherwise touches the
//! container (the engine's job).

use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::Path;

use chrono::{SecondsFormat, Utc};

use crate::config::{ConfigFile, History, ImageConfig};
use crate::error::{Error, IoContext, Result};
use crate::layer;
use crate::pack::{pack_dir, PackMode};
use crate::progress::Progress;
use crate::reference::Reference;
use crate::register::Staged;
use crate::store::ImageStore;
use crate::Image;

impl ImageStore {
    /// Commits without progress bars; see [`ImageStore::commit_with_progress`].
    pub fn commit(
        &self,
        base: &Image,
        upper_dir: &Path,
        config: ImageConfig,
        reference: Option<&str>,
    ) -> Result<Image> {
        self.commit_with_progress(base, upper_dir, config, reference, &Progress::hidden())
    }

    /// Makes a new image: `base`'s layers plus one layer holding the changes in
    /// `upper_dir`; `base`'s config updated by `change` (see [`ImageConfig::merged`]).
    pub fn commit_with_progress(
        &self,
        base: &Image,
        upper_dir: &Path,
        change: ImageConfig,
        reference: Option<&str>,
        progress: &Progress,
    ) -> Result<Image> {
        let _span = tracing::info_span!("commit", base = %base.short_id()).entered();
        let reference = reference.map(Reference::parse).transpose()?;
        let base_bytes = self.config_bytes(base)?;
        let mut config: ConfigFile = serde_json::from_slice(&base_bytes)
            .map_err(|e| Error::damaged(&self.dir().join("blobs/sha256").join(&base.id), e))?;
        let prepared = self
            .prepare_upper(upper_dir, progress)
            .map_err(|e| e.on_store_disk(&self.paths.dir))?;

        let created = Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true);
        let merged = config.image_config().merged(&change);
        config.set_image_config(&merged);
        config.created = Some(created.clone());
        config.rootfs.diff_ids.push(prepared.diff_id.clone());
        config.history.push(History {
            created: Some(created),
            created_by: Some("sixdocker commit".to_owned()),
            comment: reference.as_ref().map(|r| format!("committed as {r}")),
            empty_layer: false,
        });
        let bytes = config.to_bytes();
        let mut staged = Staged::default();
        staged.add_layer(prepared);
        staged.add_image(config, bytes, reference.into_iter().collect());
        let img = self
            .register_one(staged)
            .map_err(|e| e.on_store_disk(&self.paths.dir))?;
        tracing::info!(id = %img.short_id(), layers = img.layers.len(), "committed image");
        Ok(img)
    }

    /// The changes in `upper_dir` as a layer tar, unpacked in a temp dir of the store.
    fn prepare_upper(&self, upper_dir: &Path, progress: &Progress) -> Result<layer::PreparedLayer> {
        let bar = progress.bar("committing", None);
        let mut tmp = layer::temp_file(&self.paths)?;
        let tmp_path = tmp.path().to_owned();
        {
            let mut w = pack_dir(
                upper_dir,
                BufWriter::new(tmp.as_file_mut()),
                PackMode::LayerDiff,
                &bar,
            )?;
            w.flush().ctx("writing", &tmp_path)?;
        }
        bar.done();
        tmp.as_file_mut().rewind().ctx("rewinding", &tmp_path)?;
        layer::prepare(
            &self.paths,
            &mut BufReader::new(tmp.as_file_mut()),
            None,
            "committed layer",
        )
    }
}
