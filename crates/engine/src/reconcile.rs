//! Repairs what killed processes left behind, run each time the engine opens: a container
//! whose maker died half-way is removed (so is a record it had not placed yet); one whose
//! monitor died is marked exited (its init killed, its cgroup, network and mount undone) or
//! removed for `--rm`; a removal cut short is finished (a record renamed away for deletion
//! is deleted); a mount left on an exited container is undone.
//!
//! It reads every record's state (through the listing cache: a file that has not changed
//! since the last command is only `stat`ed) but touches only those whose owner or monitor
//! is dead.
//!
//! An engine opened to read (`Engine::open_to_read`: `ps`, `inspect`, `logs`) runs none of
//! this at open: a listing checks each record in the pass that reads it
//! ([`Engine::reconciled_records`]), `inspect` and `logs` the one container they show
//! ([`Engine::reconcile_one`]). Whatever they find to repair, they repair by this very
//! reconcile, so nothing is repaired differently.

use std::sync::atomic::Ordering;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::listing::ListedConfig;
use crate::record::{State, Status};

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
            } else if frozen_by_the_dead(&state) {
                self.thaw(&id);
            }
        }
        self.store.remove_leftovers();
        self.reconciled.store(true, Ordering::Relaxed);
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

    /// Every readable record as listings show it, each checked as [`Engine::reconcile`]
    /// checks it, in one pass: a record that needs a repair (or a thaw, or a stale directory
    /// without a state) has the whole store reconciled, and the records are read again. On
    /// an engine reconciled at open, the records as they are.
    pub(crate) fn reconciled_records(&self) -> Result<Vec<(ListedConfig, State)>> {
        if self.reconciled.load(Ordering::Relaxed) {
            return self.store.listed();
        }
        let _span = tracing::debug_span!("reconcile_listed").entered();
        let (entries, leftovers) = self.store.entries()?;
        if leftovers {
            self.store.remove_leftovers();
        }
        let mut records = Vec::with_capacity(entries.len());
        for (id, read) in entries {
            match read {
                Ok((config, state)) if !needs_attention(&state) => records.push((config, state)),
                Ok(_) => return self.reconciled_again(),
                Err(Error::NoSuchContainer(_)) if dir_is_stale(&self.container_dir(&id)) => {
                    return self.reconciled_again()
                }
                Err(_) => {}
            }
        }
        // Every record checked and none needed anything: as reconciled as `open` leaves it.
        self.reconciled.store(true, Ordering::Relaxed);
        Ok(records)
    }

    fn reconciled_again(&self) -> Result<Vec<(ListedConfig, State)>> {
        self.reconcile()?;
        self.store.listed()
    }

    /// Checks the one container `id` as [`Engine::reconcile`] checks each (for `inspect`
    /// and `logs` on an engine opened to read): when it needs anything, the whole store is
    /// reconciled. On an engine reconciled at open, nothing.
    pub(crate) fn reconcile_one(&self, id: &str) -> Result<()> {
        if self.reconciled.load(Ordering::Relaxed) {
            return Ok(());
        }
        let _span = tracing::debug_span!("reconcile_one").entered();
        let needs = match self.store.state(id) {
            Ok(state) => needs_attention(&state),
            // No state: a create of an older version killed before its first write.
            Err(Error::NoSuchContainer(_)) => dir_is_stale(&self.container_dir(id)),
            Err(_) => false,
        };
        if needs {
            self.reconcile()?;
        }
        Ok(())
    }

    /// Reconciles the whole store unless that was done (for what an engine opened to read
    /// shows of more than one container: a network's members).
    pub(crate) fn reconcile_all(&self) -> Result<()> {
        match self.reconciled.load(Ordering::Relaxed) {
            true => Ok(()),
            false => self.reconcile(),
        }
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
fn needs_repair(s: &State) -> bool {
    let holder_alive = s.owner.is_some_and(|p| p.alive()) || s.monitor.is_some_and(|p| p.alive());
    match s.status {
        Status::Creating | Status::Running | Status::Restarting | Status::Removing => !holder_alive,
        Status::Created | Status::Exited => s.rootfs_mounted && !holder_alive,
    }
}

/// Whether reconcile would repair or thaw this container.
fn needs_attention(s: &State) -> bool {
    needs_repair(s) || frozen_by_the_dead(s)
}

/// Frozen by a commit (of an older version) that is gone.
fn frozen_by_the_dead(s: &State) -> bool {
    s.paused_by.is_some_and(|p| !p.alive())
}

/// A directory older than a minute (a create in progress writes its state at once).
fn dir_is_stale(dir: &std::path::Path) -> bool {
    std::fs::metadata(dir)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|e| e.as_secs() > 60)
}
