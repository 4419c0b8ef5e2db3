//! `docker rename` as the networks see it: the container's name in its endpoint on every
//! network it is attached to, and in the hosts files that name it (its own, and on
//! user-defined networks those of the other containers there), rewritten in place under
//! the store lock as an attach would.

use crate::error::Result;
use crate::{hosts, Networks};

impl Networks {
    /// Gives container `container_id`'s endpoints the name `name`. A container attached
    /// nowhere is fine.
    pub fn rename_endpoint(&self, container_id: &str, name: &str) -> Result<()> {
        let _lock = self.store.lock()?;
        let mut changed = Vec::new();
        for mut net in self.store.list()? {
            let Some(e) = net.endpoints.iter_mut().find(|e| e.id == container_id) else {
                continue;
            };
            e.name = name.to_owned();
            let endpoint = e.clone();
            self.store.write(&net)?;
            changed.push((net.name.clone(), endpoint));
        }
        let all = self.store.list()?;
        for (network, endpoint) in &changed {
            hosts::update(&all, network, endpoint)?;
        }
        Ok(())
    }
}
