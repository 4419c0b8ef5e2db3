//! Flat rootfs tars: `import` (a tar, plain or compressed → a one-layer image) and
//! `export` (a directory, such as a container's merged rootfs → a tar stream).
//! Never mounts anything; the caller hands `export` a directory it has prepared.

use std::io::{Read, Write};
use std::path::Path;

use chrono::{SecondsFormat, Utc};

use crate::config::{ConfigFile, History, ImageConfig};
use crate::error::Result;
use crate::layer;
use crate::pack::{pack_dir, PackMode};
use crate::progress::Progress;
use crate::reference::Reference;
use crate::register::Staged;
use crate::store::ImageStore;
use crate::Image;

/// The PATH an imported image gets, as Docker's default.
pub(crate) const DEFAULT_PATH: &str =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl ImageStore {
    /// Imports a flat rootfs tar (plain, gzip or zstd) as a one-layer image, named
    /// `reference` if given. Its config has only a default PATH.
    pub fn import(
        &self,
        rootfs_tar: &mut dyn Read,
        reference: Option<&str>,
        progress: &Progress,
    ) -> Result<Image> {
        let reference = reference.map(Reference::parse).transpose()?;
        let created = Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true);
        let config = ImageConfig {
            env: vec![DEFAULT_PATH.to_owned()],
            ..Default::default()
        };
        self.import_with(
            rootfs_tar,
            reference,
            &created,
            &config,
            "sixdocker import",
            progress,
        )
        .map_err(|e| e.on_store_disk(&self.paths.dir))
    }

    /// `import` with a chosen creation time, config and history line (used for the
    /// default images, whose IDs are reproducible).
    pub(crate) fn import_with(
        &self,
        rootfs_tar: &mut dyn Read,
        reference: Option<Reference>,
        created: &str,
        config: &ImageConfig,
        created_by: &str,
        progress: &Progress,
    ) -> Result<Image> {
        let what = match &reference {
            Some(r) => format!("rootfs tar for {r}"),
            None => "rootfs tar".to_owned(),
        };
        let bar = progress.bar("importing", None);
        let prepared = layer::prepare(&self.paths, &mut bar.reader(rootfs_tar), None, &what)?;
        bar.done();
        let history = vec![History {
            created: Some(created.to_owned()),
            created_by: Some(created_by.to_owned()),
            ..Default::default()
        }];
        let cfg = ConfigFile::new(created, config, vec![prepared.diff_id.clone()], history);
        let bytes = cfg.to_bytes();
        let mut staged = Staged::default();
        staged.add_layer(prepared);
        staged.add_image(cfg, bytes, reference.into_iter().collect());
        let img = self.register_one(staged)?;
        tracing::info!(id = %img.short_id(), "imported image");
        Ok(img)
    }

    /// Writes the tree at `rootfs` (for a container: its merged rootfs) as a tar stream.
    pub fn export(&self, rootfs: &Path, out: &mut dyn Write, progress: &Progress) -> Result<()> {
        let bar = progress.bar("exporting", None);
        let out = pack_dir(rootfs, out, PackMode::Rootfs, &bar)?;
        out.flush()
            .map_err(|e| crate::Error::io("flushing export stream", e))?;
        bar.done();
        Ok(())
    }
}
