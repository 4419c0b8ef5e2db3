//! `docker rm [-f]`: refuses a running container without force; with force, kills it
//! first. Removal is marked in the record first, so a removal cut short by a killed CLI
//! is finished by the next command's reconcile.
//!
//! It races with everything that ends a container: its own `--rm` monitor, another `rm`,
//! a `run` still creating it. The container being gone, whoever removed it, is success. A
//! container still being created or removed by a live process is waited for (bounded),
//! never reported as "running".

use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::attach::{self, Message};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::lifecycle::wait_for_end;
use crate::record::{ProcessId, State, Status};

/// How long `rm` waits for a create, start or removal by another live process to settle.
const SETTLE: Duration = Duration::from_secs(30);
/// How often it looks again while it waits.
const RECHECK: Duration = Duration::from_millis(10);

/// Where a record stands for a removal.
#[derive(Debug, PartialEq, Eq)]
enum Standing {
    /// Created or exited: it may be removed.
    Settled,
    /// Running (or restarting) under a live monitor.
    Running,
    /// Being created, started or removed by a live process.
    Busy,
    /// Mid-way, and the process responsible for it is gone: reconcile's repair applies.
    Orphaned,
}

fn standing(s: &State) -> Standing {
    let holder_alive = s.owner.is_some_and(|p| p.alive()) || s.monitor.is_some_and(|p| p.alive());
    match s.status {
        Status::Created | Status::Exited => Standing::Settled,
        _ if !holder_alive => Standing::Orphaned,
        Status::Running | Status::Restarting => Standing::Running,
        Status::Creating | Status::Removing => Standing::Busy,
    }
}

impl Engine {
    /// `NoSuchContainer` only when `c` names nothing at the start (the CLI's `rm -f` takes
    /// that as success, as Docker's); a container that vanishes during the call was removed.
    pub fn remove(&self, c: &str, force: bool) -> Result<()> {
        self.remove_with(c, force, false)
    }

    /// [`Engine::remove`]; with `volumes` (`rm -v`) its anonymous volumes go too, unless
    /// another container uses them (named volumes always stay, as Docker's).
    pub fn remove_with(&self, c: &str, force: bool, volumes: bool) -> Result<()> {
        let id = self.resolve(c)?;
        let config = match volumes {
            true => Some(self.store.config(&id)?),
            false => None,
        };
        let removed = match self.remove_id(&id, force) {
            // Removed meanwhile (its --rm, another rm): what was asked is done.
            Err(Error::NoSuchContainer(_)) => Ok(()),
            other => other,
        };
        if let (Ok(()), Some(config)) = (&removed, config) {
            self.remove_anonymous_volumes(&config);
        }
        removed
    }

    fn remove_id(&self, id: &str, force: bool) -> Result<()> {
        let name = self.store.config(id)?.name;
        let deadline = Instant::now() + SETTLE;
        let me = ProcessId::current();
        loop {
            let state = self.store.state(id)?;
            match standing(&state) {
                Standing::Settled => {
                    let marked = self.store.update(id, |s| {
                        let settled = standing(s) == Standing::Settled;
                        if settled {
                            s.status = Status::Removing;
                            s.owner = Some(me);
                        }
                        Ok(settled)
                    })?;
                    if marked {
                        return self.finish_removal(id);
                    }
                }
                Standing::Orphaned => {
                    self.repair(id);
                    std::thread::sleep(RECHECK);
                }
                Standing::Running | Standing::Busy
                    if !force && state.status != Status::Removing =>
                {
                    return Err(Error::Running { name });
                }
                Standing::Running | Standing::Busy => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if !self.kill_for_removal(id, &state, left) {
                        std::thread::sleep(RECHECK);
                    }
                }
            }
            if Instant::now() >= deadline {
                let status = self.store.state(id)?.status;
                return Err(Error::Conflict(format!(
                    "container {name} is still {status:?} after {}s (another command is working on it); try again",
                    SETTLE.as_secs()
                )));
            }
        }
    }

    /// Stops the container with SIGKILL through its monitor (a `Stop`: its restart policy no
    /// longer applies; nothing is written first, so a full disk cannot prevent it) and waits
    /// (at most `wait`) until the monitor reports the end. False when there is no monitor to
    /// ask yet (a create in progress) or someone else is removing it: wait for those.
    fn kill_for_removal(&self, id: &str, state: &State, wait: Duration) -> bool {
        if state.status == Status::Removing || state.monitor.is_none() {
            return false;
        }
        let Ok(channel) = attach::connect(&self.attach_socket(id)) else {
            return false;
        };
        self.emit_container_id(id, "kill", &[("signal", libc::SIGKILL.to_string())]);
        if attach::send(channel.as_raw_fd(), &Message::Stop(libc::SIGKILL)).is_err() {
            return false;
        }
        wait_for_end(&channel, Some(wait));
        true
    }

    /// Undoes whatever is left (runtime state, network, mount) and deletes the record.
    pub(crate) fn finish_removal(&self, id: &str) -> Result<()> {
        let _span = tracing::debug_span!("remove", id).entered();
        let state = self.store.state(id)?;
        let config = self.store.config(id)?;
        self.delete_runtime_container(id);
        for n in &state.networks {
            self.detach_network(&n.network, id, false);
        }
        self.release_shm(id);
        let mount = self.rootfs_mount(id);
        if mount.is_mounted() {
            mount.unmount().map_err(|e| {
                Error::from(e).context(format!("unmounting the rootfs of container {id}"))
            })?;
        }
        self.store.remove(id)?;
        self.release_image(&config.image_id);
        self.emit_container(&config, "destroy", &[]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: Status, owner: Option<ProcessId>, monitor: Option<ProcessId>) -> State {
        State {
            status,
            owner,
            monitor,
            ..State::default()
        }
    }

    #[test]
    fn a_record_stands_by_its_status_and_whether_its_holder_lives() {
        let me = Some(ProcessId::current());
        let dead = Some(ProcessId {
            pid: i32::MAX,
            start_time: 0,
        });
        assert_eq!(
            standing(&state(Status::Exited, None, None)),
            Standing::Settled
        );
        assert_eq!(
            standing(&state(Status::Created, None, None)),
            Standing::Settled
        );
        assert_eq!(
            standing(&state(Status::Running, None, me)),
            Standing::Running
        );
        assert_eq!(
            standing(&state(Status::Restarting, None, me)),
            Standing::Running
        );
        assert_eq!(standing(&state(Status::Creating, me, None)), Standing::Busy);
        assert_eq!(standing(&state(Status::Creating, None, me)), Standing::Busy);
        assert_eq!(standing(&state(Status::Removing, me, None)), Standing::Busy);
        assert_eq!(
            standing(&state(Status::Running, None, dead)),
            Standing::Orphaned
        );
        assert_eq!(
            standing(&state(Status::Creating, dead, None)),
            Standing::Orphaned
        );
        assert_eq!(
            standing(&state(Status::Removing, dead, dead)),
            Standing::Orphaned
        );
        assert_eq!(standing(&state(Status::Creating, dead, me)), Standing::Busy);
    }
}
