//! Repairs what killed processes left behind, run each time the engine opens: a container
//! whose maker died half-way is removed (so is a record it had not placed yet); one whose
//! monitor died is marked exited (its init killed, its cgroup, network and mount undone) or
//! removed for `--rm`; a removal cut short is finished (a record renamed away for deletion
//! is deleted); a mount left on an exited container is undone.
//!
//! It reads every record's state (through the listing cache: a file that has not changed
//! since the last command is only `stat`ed) but touches only those whose owner or monitor
//! is dead.

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;

impl Engine {
    pub(crate) fn reconcile(&self) -> Result<()> {
        let _span = tracing::debug_span!("reconcile").entered();
        let mut repaired = false;
        for (id, state) in self.store.states()? {
            let state = match state {
                Ok(state) => state,
                // No state at all: a create of an older version killed before its first write
                // (records are placed whole now). A state that cannot be read is left alone.
                Err(Error::NoSuchContainer(_)) => {
                    if dir_is_stale(&self.container_dir(&id)) {
                        self.discard(&id);
                        repaired = true;
                    }
                    continue;
                }
                Err(_) => continue,
            };
            if needs_repair(&state) {
                self.repair(&id);
                repaired = true;
            } else if state.paused_by.is_some_and(|p| !p.alive()) {
                self.thaw(&id);
            }
        }
        self.store.remove_leftovers();
        if repaired {
            self.store.remove_dangling_names();
            if let Ok(n) = self.networks() {
                // Listed under the network store's lock: a container started meanwhile has
                // its monitor recorded before its endpoint, and must not lose its network.
                let live = || {
                    let states = self.store.states().ok()?;
                    let live = states
                        .into_iter()
                        .filter(|(_, s)| s.as_ref().is_ok_and(|s| s.monitor.is_some()))
                        .map(|(id, _)| id);
                    Some(live.collect())
                };
                if let Err(e) = n.reconcile_with(live) {
                    let error = &e as &dyn std::error::Error;
                    tracing::warn!(error, "reconciling networks");
                }
            }
        }
        Ok(())
    }

    /// Deletes the runtime's container (killing what is left of it). When the runtime has no
    /// readable record (a create killed half-way), removes its state directory and the
    /// cgroup it may have made.
    pub(crate) fn delete_runtime_container(&self, id: &str) {
        // The runtime owns its cleanup: recorded, half-made, or only a cgroup left.
        if let Err(e) = self.runtime.purge(id) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "deleting runtime container {id}");
        }
    }

    /// Resumes a container frozen by a commit of an older version that was killed half-way
    /// (commits now hold their freeze through the monitor, which thaws on its own).
    fn thaw(&self, id: &str) {
        tracing::info!("resuming container {id}: the commit that paused it is gone");
        if let Ok(c) = self.runtime.load(id) {
            let _ = c.resume();
        }
        let _ = self.store.update(id, |s| {
            s.paused_by = None;
            Ok(())
        });
    }

    /// Brings one container whose owner or monitor is dead to a consistent state.
    pub(crate) fn repair(&self, id: &str) {
        let Ok(_lock) = self.store.lock(id) else {
            return;
        };
        let Ok(mut state) = self.store.state(id) else {
            return;
        };
        if !needs_repair(&state) {
            return;
        }
        tracing::info!(
            "repairing container {id} ({:?}, its owner or monitor is gone)",
            state.status
        );
        let config = self.store.config(id).ok();
        let auto_remove = config.as_ref().is_some_and(|c| c.request.auto_remove);
        // A create cut short before its spec was built has nothing worth keeping.
        let half_made = config.as_ref().is_none_or(|c| c.args.is_empty());
        self.delete_runtime_container(id);
        for n in &state.networks {
            self.detach_network(&n.network, id, false);
        }
        self.release_shm(id);
        let mount = self.rootfs_mount(id);
        let unmounted = !mount.is_mounted() || mount.unmount().is_ok();
        let remove = state.status == Status::Removing
            || auto_remove
            || (state.status == Status::Creating && half_made);
        let _ = std::fs::remove_file(self.attach_socket(id));
        let _ = std::fs::remove_dir(self.run_dir(id));
        if remove && unmounted {
            drop(_lock);
            if self.store.remove(id).is_ok() {
                if let Some(c) = &config {
                    self.release_image(&c.image_id);
                    self.release_volumes(c);
                    if auto_remove {
                        self.remove_anonymous_volumes(c);
                    }
                }
            }
            return;
        }
        if matches!(state.status, Status::Running | Status::Restarting) {
            state.exit_code = 137;
            state.finished_at = Some(chrono::Utc::now());
            // A monitor that panicked said why (`monitor/abort.rs`): keep that.
            state
                .error
                .get_or_insert_with(|| "the container's monitor died".into());
        }
        state.status = match state.status {
            Status::Creating if state.started_at.is_none() => Status::Created,
            Status::Created => Status::Created,
            _ => Status::Exited,
        };
        state.owner = None;
        state.monitor = None;
        state.pid = None;
        state.networks.clear();
        state.rootfs_mounted = !unmounted;
        let _ = self.store.write_state_locked(id, &state);
        drop(_lock);
        if let Some(c) = &config {
            self.release_volumes(c);
        }
    }
}

/// Whether the process responsible for this record is gone while it is mid-way.
fn needs_repair(s: &crate::record::State) -> bool {
    let holder_alive = s.owner.is_some_and(|p| p.alive()) || s.monitor.is_some_and(|p| p.alive());
    match s.status {
        Status::Creating | Status::Running | Status::Restarting | Status::Removing => !holder_alive,
        Status::Created | Status::Exited => s.rootfs_mounted && !holder_alive,
    }
}

/// A directory older than a minute (a create in progress writes its state at once).
fn dir_is_stale(dir: &std::path::Path) -> bool {
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e.as_secs() > 60)
}
