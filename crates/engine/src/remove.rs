//! `docker rm [-f]`: refuses a running container without force; with force, kills it
//! first. Removal is marked in the record first, so a removal cut short by a killed CLI
//! is finished by the next command's reconcile.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ProcessId, Status};
use crate::types::Signal;

impl Engine {
    pub fn remove(&self, c: &str, force: bool) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let live = |s: &crate::record::State| {
            matches!(s.status, Status::Running | Status::Restarting)
                || (s.status == Status::Creating
                    && s.owner.or(s.monitor).is_some_and(|p| p.alive()))
        };
        if live(&state) {
            if !force {
                return Err(Error::Running { name: config.name });
            }
            match self.kill(&id, Signal::KILL) {
                Ok(()) | Err(Error::NotRunning { .. }) => {}
                Err(e) => return Err(e),
            }
            if config.request.auto_remove {
                // Its monitor removes it; wait for that by taking the record's lock.
                let _ = self.store.lock(&id);
            }
        }
        let me = ProcessId::current();
        let marked = self.store.update(&id, |s| {
            if live(s) {
                return Err(Error::Running {
                    name: config.name.clone(),
                });
            }
            s.status = Status::Removing;
            s.owner = Some(me);
            Ok(())
        });
        match marked {
            Ok(()) => {}
            Err(Error::NoSuchContainer(_)) => return Ok(()), // --rm got there first
            Err(e) => return Err(e),
        }
        self.finish_removal(&id)
    }

    /// Undoes whatever is left (runtime state, network, mount) and deletes the record.
    pub(crate) fn finish_removal(&self, id: &str) -> Result<()> {
        let _span = tracing::debug_span!("remove", id).entered();
        let state = self.store.state(id)?;
        self.delete_runtime_container(id);
        for n in &state.networks {
            self.detach_network(&n.network, id, false);
        }
        let mount = self.rootfs_mount(id);
        if mount.is_mounted() {
            mount.unmount().map_err(|e| {
                Error::Image(format!("unmounting the rootfs of container {id}: {e}"))
            })?;
        }
        self.store.remove(id)
    }
}
