//! `pause` and `unpause`: the user's freeze of the container (the cgroup freezer, through
//! six-runtime's pause and resume), held by the monitor until an `unpause` — unlike a
//! commit's freeze (`freeze.rs`), which lasts as long as its connection. Both share the one
//! frozen cgroup: it is frozen while either holds it. The state records `paused` for `ps`
//! and `inspect`. As Docker, a signal for the container (`kill`, `stop`, `rm -f`; only its
//! stop signal and SIGKILL when it has a `--stop-signal`) unpauses it, so that the signal is
//! delivered.

use super::clients::Outgoing;
use super::{Monitor, Running};
use crate::attach::Message;

impl Monitor<'_> {
    /// Client `i` asked for `pause` (`pause: true`) or `unpause`; answers it.
    pub(super) fn pause_request(&mut self, i: usize, r: &Running, pause: bool) {
        let done = if pause {
            self.pause(r)
        } else {
            self.unpause(r)
        };
        let answer = match done {
            Ok(()) if pause => Message::Frozen,
            Ok(()) => Message::Thawed,
            Err(why) => Message::Failed(1, why),
        };
        if !self.clients[i].send(&mut Outgoing::new(&answer.encode(), &[])) {
            self.clients.remove(i);
        }
    }

    fn pause(&mut self, r: &Running) -> Result<(), String> {
        let name = &self.config.name;
        if self.paused {
            return Err(format!("container {name} is already paused"));
        }
        // A commit's freeze may hold it frozen already.
        if self.freezers.is_empty() {
            r.with_container(self.engine, self.id, |c| c.pause())
                .map_err(|e| {
                    let e = crate::Error::from(e).context(format!("pausing container {name}"));
                    crate::Chain(&e).to_string()
                })?;
        }
        self.set_paused(true);
        Ok(())
    }

    fn unpause(&mut self, r: &Running) -> Result<(), String> {
        if !self.paused {
            return Err(format!("container {} is not paused", self.config.name));
        }
        self.thaw(r);
        Ok(())
    }

    /// After signal `sig` was sent to the init: a paused container is thawed, so that the
    /// signal is delivered — Docker's rule: any signal, or with a `--stop-signal` (or image
    /// STOPSIGNAL) only that one and SIGKILL.
    pub(super) fn unpause_for_signal(&mut self, r: &Running, sig: i32) {
        let thaws = match self.config.stop_signal {
            Some(stop) => sig == stop.number() || sig == libc::SIGKILL,
            None => true,
        };
        if self.paused && thaws {
            self.thaw(r);
        }
    }

    /// Ends the user's pause; the cgroup stays frozen while a commit holds a freeze.
    fn thaw(&mut self, r: &Running) {
        if self.freezers.is_empty() {
            if let Err(e) = r.with_container(self.engine, self.id, |c| c.resume()) {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "unpausing container {}", self.id);
            }
        }
        self.set_paused(false);
    }

    fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
        self.pause_health(paused);
        let _ = self.engine.store.update(self.id, |s| {
            s.paused = paused;
            Ok(())
        });
    }
}
