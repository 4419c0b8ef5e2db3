//! Which images containers were made from, for `rmi` (Docker's rules: any container blocks a
//! plain `rmi`; with `-f`, a running one keeps the image, untagged; stopped ones keep it only
//! for themselves, see six-image's `retained.rs`), and the release of such a retained image
//! once the last container that used it is removed. Reads container records; removes none.

use std::collections::HashMap;

use six_image::ImageUse;

use crate::engine::Engine;
use crate::error::Result;
use crate::record::Status;

impl Engine {
    /// How containers use each image (64-hex ID) they were made from: `Running` when one of
    /// them runs (or is being started or restarting), else `Stopped`.
    pub fn image_uses(&self) -> Result<HashMap<String, ImageUse>> {
        let mut uses = HashMap::new();
        for id in self.store.ids()? {
            // a record a concurrent `rm` just removed is not in use
            let Ok(config) = self.store.config(&id) else {
                continue;
            };
            let running = self.store.state(&id).is_ok_and(|s| {
                matches!(
                    s.status,
                    Status::Running | Status::Restarting | Status::Creating
                )
            });
            let usage = uses.entry(config.image_id).or_insert(ImageUse::Stopped);
            if running {
                *usage = ImageUse::Running;
            }
        }
        Ok(uses)
    }

    /// After the removal of a container made from `image_id`: an image `rmi -f` retained for
    /// containers goes once none uses it. One `stat` when it is not retained.
    pub(crate) fn release_image(&self, image_id: &str) {
        if !self.images.is_retained(image_id) {
            return;
        }
        let in_use = |id: &str| {
            self.store.ids().map_or(true, |ids| {
                ids.iter().any(|c| {
                    self.store
                        .config(c)
                        .is_ok_and(|config| config.image_id == id)
                })
            })
        };
        if let Err(e) = self.images.release_retained(image_id, &in_use) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "releasing image {image_id}");
        }
    }
}
