//! Which images containers were made from, so `rmi` can refuse to remove one in use (Docker
//! counts every container, running or not). Reads container records only; never removes.

use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// IDs (64 hex) of the images that containers, running or not, were made from.
    pub fn image_ids_in_use(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for id in self.store.ids()? {
            // a record a concurrent `rm` just removed is not in use
            if let Ok(config) = self.store.config(&id) {
                ids.push(config.image_id);
            }
        }
        Ok(ids)
    }
}
