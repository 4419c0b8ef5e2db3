//! `history`: an image's steps, newest first, from its config's `history` (one entry per
//! layer when the config has none), each with the size of the layer it made and the ID of a
//! stored image that ends at that step (`<missing>` when none does, as Docker shows pulled
//! images' steps).
//!
//! Read-only: it reads the config blob and the layers' recorded sizes.

use chrono::{DateTime, Utc};

use crate::config::ConfigFile;
use crate::error::{Error, Result};
use crate::layer;
use crate::store::ImageStore;
use crate::{Digest, Image};

/// One step of an image's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    /// "sha256:<64 hex>" of a stored image ending at this step, or "&lt;missing&gt;".
    pub id: String,
    /// When the step was made, if the image says.
    pub created: Option<DateTime<Utc>>,
    /// The command that made it (a Dockerfile line, a commit's command).
    pub created_by: String,
    /// The step's comment (a commit message).
    pub comment: String,
    /// Bytes of the layer this step made (0 for a step that made none).
    pub size: u64,
}

impl ImageStore {
    /// The steps of `image`, newest first.
    pub fn history(&self, image: &Image) -> Result<Vec<HistoryEntry>> {
        let bytes = self.config_bytes(image)?;
        let config: ConfigFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::corrupt(format!("config of image {}", image.id), e))?;
        let diff_ids = &config.rootfs.diff_ids;
        let others = self.list()?;
        // The stored image made of exactly these layers and created then (a commit's parent).
        let image_at = |layers: &[Digest], created: Option<DateTime<Utc>>| {
            others
                .iter()
                .find(|o| {
                    o.layers.len() == layers.len()
                        && o.layers
                            .iter()
                            .zip(layers)
                            .all(|(a, b)| *a == b.to_string())
                        && Some(o.created) == created
                })
                .map(|o| format!("sha256:{}", o.id))
        };
        let parse_time = |t: &Option<String>| {
            t.as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let mut entries = Vec::new();
        let mut layers_so_far = 0;
        if config.history.is_empty() {
            for (i, d) in diff_ids.iter().enumerate() {
                entries.push(HistoryEntry {
                    id: image_at(&diff_ids[..=i], Some(image.created))
                        .unwrap_or_else(|| "<missing>".into()),
                    created: Some(image.created),
                    created_by: String::new(),
                    comment: String::new(),
                    size: layer::installed_size(&self.paths, d).unwrap_or(0),
                });
            }
        }
        for h in &config.history {
            let created = parse_time(&h.created);
            let size = match (h.empty_layer, diff_ids.get(layers_so_far)) {
                (false, Some(d)) => {
                    layers_so_far += 1;
                    layer::installed_size(&self.paths, d).unwrap_or(0)
                }
                _ => 0,
            };
            entries.push(HistoryEntry {
                id: image_at(&diff_ids[..layers_so_far], created)
                    .unwrap_or_else(|| "<missing>".into()),
                created,
                created_by: h.created_by.clone().unwrap_or_default(),
                comment: h.comment.clone().unwrap_or_default(),
                size,
            });
        }
        if let Some(top) = entries.last_mut() {
            top.id = format!("sha256:{}", image.id);
        }
        entries.reverse();
        Ok(entries)
    }
}
