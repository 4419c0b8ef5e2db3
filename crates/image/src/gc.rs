//! Garbage collection: removes layers, blobs and short links that no image record refers
//! to. A command killed between its steps (after installing a layer, before writing the
//! record; or halfway through removing an image) leaves exactly such things; the next
//! `remove` sweeps them, with stale temp files of atomic writes. Runs under the store lock, where every install is complete, so it
//! never races with an image being added. Never touches records or names.

use std::collections::HashSet;
use std::fs;

use crate::digest::Digest;
use crate::error::{IoContext, Result};
use crate::fsutil::remove_any;
use crate::layer;
use crate::store::ImageStore;

impl ImageStore {
    /// Removes what no image refers to. Call with the store lock held.
    pub(crate) fn collect_garbage(&self) -> Result<()> {
        let mut layers_used = HashSet::new();
        let mut blobs_used = HashSet::new();
        for (id, layers) in self.records_and_layers()? {
            blobs_used.insert(id);
            for l in layers {
                blobs_used.insert(l.hex().to_owned());
                layers_used.insert(l.hex().to_owned());
            }
        }
        let p = &self.paths;
        for name in names_in(&p.layers)? {
            if !layers_used.contains(&name) {
                if let Ok(d) = Digest::parse(&name) {
                    tracing::debug!(layer = %name, "removing unused layer");
                    layer::remove(p, &d)?;
                }
            }
        }
        for name in names_in(&p.blobs)? {
            if !blobs_used.contains(&name) {
                remove_any(&p.blobs.join(&name))?;
            }
        }
        // Temp files of atomic writes: every such write happens under the lock we hold.
        for dir in [&p.dir, &p.images, &p.blobs] {
            for e in fs::read_dir(dir).ctx("reading", dir)?.flatten() {
                if e.file_name().to_string_lossy().starts_with(".tmp-") {
                    remove_any(&e.path())?;
                }
            }
        }
        for name in names_in(&p.links)? {
            let link = p.links.join(&name);
            if fs::metadata(&link).is_err() {
                remove_any(&link)?;
            }
        }
        Ok(())
    }
}

fn names_in(dir: &std::path::Path) -> Result<Vec<String>> {
    let rd = fs::read_dir(dir).ctx("reading", dir)?;
    Ok(rd
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect())
}
