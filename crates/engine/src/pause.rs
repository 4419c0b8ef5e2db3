//! `docker pause` and `unpause`: asked of the container's monitor, which holds the pause
//! (`monitor/pause.rs`) and records it, then the `pause`/`unpause` event. Docker's
//! refusals: not running, already paused, not paused, restarting.

use std::os::fd::AsRawFd;
use std::time::Duration;

use crate::attach::{self, Message};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;

/// How long `pause` and `unpause` wait for the monitor's answer (the freezer's own wait is
/// bounded well below it).
const ANSWER: Duration = Duration::from_secs(30);

impl Engine {
    /// `docker pause`: freezes every process of the container until `unpause`.
    pub fn pause(&self, c: &str) -> Result<()> {
        self.ask_monitor_to_pause(c, true)
    }

    /// `docker unpause`.
    pub fn unpause(&self, c: &str) -> Result<()> {
        self.ask_monitor_to_pause(c, false)
    }

    fn ask_monitor_to_pause(&self, c: &str, pause: bool) -> Result<()> {
        let id = self.resolve(c)?;
        let name = self.store.config(&id)?.name;
        let state = self.store.state(&id)?;
        match state.status {
            Status::Running => {}
            Status::Restarting => {
                return Err(Error::Conflict(format!(
                    "container {name} is restarting, wait until the container is running"
                )))
            }
            _ if pause => return Err(Error::NotRunning { name }),
            _ => return Err(Error::Conflict(format!("container {name} is not paused"))),
        }
        let channel = attach::connect(&self.attach_socket(&id))
            .map_err(|_| Error::NotRunning { name: name.clone() })?;
        let (ask, done) = if pause {
            (Message::Pause, Message::Frozen)
        } else {
            (Message::Unpause, Message::Thawed)
        };
        attach::send(channel.as_raw_fd(), &ask)
            .map_err(|e| Error::io(format!("asking the monitor of container {name}"), e))?;
        match attach::answer(&channel, |m| *m == done, ANSWER) {
            Ok(()) => {
                self.emit_container_id(&id, if pause { "pause" } else { "unpause" }, &[]);
                Ok(())
            }
            Err(Some(why)) => Err(Error::Conflict(why)),
            Err(None) => Err(Error::Internal(format!(
                "the monitor of container {name} did not answer"
            ))),
        }
    }
}
