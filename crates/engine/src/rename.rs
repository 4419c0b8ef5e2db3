//! `docker rename CONTAINER NEW_NAME`: the record's name (claimed as at create, the old one
//! freed; `store.rs`), the name other containers resolve on its networks (six-network
//! rewrites the hosts files that show it), then the `rename` event. The hostname stays, as
//! under Docker. A running container's monitor reads the new name before it records its end.

use crate::engine::Engine;
use crate::error::Result;
use crate::types::ContainerName;

impl Engine {
    /// Renames container `c` to `name`.
    pub fn rename(&self, c: &str, name: &ContainerName) -> Result<()> {
        let id = self.resolve(c)?;
        let old = self.store.rename(&id, name.as_str())?;
        if !self.store.state(&id)?.networks.is_empty() {
            self.networks()?.rename_endpoint(&id, name.as_str())?;
        }
        self.emit_container_id(&id, "rename", &[("oldName", format!("/{old}"))]);
        Ok(())
    }
}
