//! Build steps (`sixdocker build`, crates/build): a new image on a parent image (or on
//! nothing: `FROM scratch`) with the whole run-time config the builder computed, one history
//! entry naming the Dockerfile instruction, and either one new layer (the changes a step made
//! in a directory: a container's overlay upper dir, or a scratch tree) or none (a
//! metadata-only step: `ENV`, `LABEL`, `CMD`...). The new image records its parent, as
//! Docker's classic builder does, so that `images` hides it while something is built on it and
//! `rmi` of the last image removes the untagged steps below it.
//!
//! Only reads `Changes::dir`; never mounts (the caller prepared the directory).

use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::Path;

use chrono::{SecondsFormat, Utc};

use crate::config::{ConfigFile, History, ImageConfig, RunConfig};
use crate::error::{Error, IoContext, Result};
use crate::layer;
use crate::pack::{pack_dir_skipping, PackMode};
use crate::progress::Progress;
use crate::register::Staged;
use crate::store::ImageStore;
use crate::Image;

/// The changes of one step, as a directory: an overlay upper dir (whiteouts become deletions)
/// or a plain tree.
#[derive(Debug, Clone, Copy)]
pub struct Changes<'a> {
    /// The directory whose content becomes the new layer.
    pub dir: &'a Path,
    /// Paths relative to `dir` left out of the layer (the mount points a container gets,
    /// such as `etc/hosts`), with everything below them.
    pub skip: &'a [&'a Path],
}

/// One step of a build: what [`ImageStore::add_step`] makes an image of.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    /// The image the step ran on; None for `FROM scratch`.
    pub parent: Option<&'a Image>,
    /// The new image's whole run-time config: Docker's `config` object (`Env`, `Cmd`,
    /// `Entrypoint`, `WorkingDir`, `User`, `ExposedPorts`, `Volumes`, `Labels`, `StopSignal`,
    /// `Healthcheck`, `Shell`, `OnBuild`, ...). It replaces the parent's.
    pub config: serde_json::Map<String, serde_json::Value>,
    /// The history line: the instruction as Docker writes it (`RUN /bin/sh -c make`,
    /// `ENV A=1`, `COPY file:<hash> in /app`).
    pub created_by: String,
    /// `MAINTAINER`: the image's `author` (None keeps the parent's).
    pub author: Option<String>,
    /// The step's layer; None: a metadata-only step (an `empty_layer` history entry).
    pub changes: Option<Changes<'a>>,
}

impl ImageStore {
    /// Adds the image of one build step and returns it (untagged; see [`ImageStore::tag`]).
    pub fn add_step(&self, step: Step<'_>) -> Result<Image> {
        let _span = tracing::debug_span!("add_step", by = %step.created_by).entered();
        let created = Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true);
        let mut config = match step.parent {
            Some(parent) => {
                let bytes = self.config_bytes(parent)?;
                serde_json::from_slice::<ConfigFile>(&bytes)
                    .map_err(|e| Error::damaged(&self.paths.blobs.join(&parent.id), e))?
            }
            None => ConfigFile::new(&created, &ImageConfig::default(), Vec::new(), Vec::new()),
        };
        config.config = Some(
            serde_json::from_value::<RunConfig>(serde_json::Value::Object(step.config))
                .map_err(|e| Error::corrupt("build step config", e))?,
        );
        config.created = Some(created.clone());
        if let Some(author) = step.author {
            config
                .extra
                .insert("author".to_owned(), serde_json::Value::String(author));
        }
        let mut staged = Staged::default();
        if let Some(changes) = step.changes {
            let prepared = self
                .prepare_changes(changes)
                .map_err(|e| e.on_store_disk(&self.paths.dir))?;
            config.rootfs.diff_ids.push(prepared.diff_id.clone());
            staged.add_layer(prepared);
        }
        config.history.push(History {
            created: Some(created),
            created_by: Some(step.created_by),
            comment: None,
            empty_layer: step.changes.is_none(),
        });
        let bytes = config.to_bytes();
        match step.parent {
            Some(p) => staged.add_child_image(config, bytes, &p.id),
            None => staged.add_image(config, bytes, Vec::new()),
        }
        self.register_one(staged)
            .map_err(|e| e.on_store_disk(&self.paths.dir))
    }

    /// The changes as a layer tar, unpacked in a temp dir of the store.
    fn prepare_changes(&self, changes: Changes<'_>) -> Result<layer::PreparedLayer> {
        let bar = Progress::hidden().bar("building", None);
        let mut tmp = layer::temp_file(&self.paths)?;
        let tmp_path = tmp.path().to_owned();
        {
            let mut w = pack_dir_skipping(
                changes.dir,
                BufWriter::new(tmp.as_file_mut()),
                PackMode::LayerDiff,
                changes.skip,
                &bar,
            )?;
            w.flush().ctx("writing", &tmp_path)?;
        }
        tmp.as_file_mut().rewind().ctx("rewinding", &tmp_path)?;
        layer::prepare(
            &self.paths,
            &mut BufReader::new(tmp.as_file_mut()),
            None,
            "build step layer",
        )
    }
}
