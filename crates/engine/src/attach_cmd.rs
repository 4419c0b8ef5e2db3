//! `docker attach`: a running container's output (and, if it was started with `-i`, the
//! caller's stdin) through its monitor, until it ends — its exit code — or the detach keys
//! are typed at the terminal (the container runs on). Docker's refusals: a stopped or paused
//! container.

use crate::attach;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;
use crate::relay::{relay, RelayEnd, RelayOptions};
use crate::types::DetachKeys;

/// What Docker's CLI says when asked for a terminal on a stdin that is not one.
pub const NOT_A_TTY: &str = "the input device is not a TTY";

/// `attach`'s flags.
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// `--no-stdin`: output only.
    pub no_stdin: bool,
    /// `--sig-proxy` (default true): the CLI's signals go to the container (no terminal).
    pub sig_proxy: bool,
    /// `--detach-keys` (default Ctrl-P Ctrl-Q).
    pub detach_keys: DetachKeys,
    /// Whether the caller's stdin is a terminal: a container with one is not attached to
    /// from anything else, stdin attached ("the input device is not a TTY", as Docker's CLI).
    pub stdin_is_terminal: bool,
}

impl Default for AttachOptions {
    fn default() -> AttachOptions {
        AttachOptions {
            no_stdin: false,
            sig_proxy: true,
            detach_keys: DetachKeys::default(),
            stdin_is_terminal: true,
        }
    }
}

impl Engine {
    /// Relays until the container ends (Some(its exit code)) or the detach keys (None).
    pub fn attach(&self, c: &str, o: &AttachOptions) -> Result<Option<i32>> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        if !matches!(state.status, Status::Running | Status::Restarting) {
            return Err(Error::Conflict(
                "you cannot attach to a stopped container, start it first".into(),
            ));
        }
        if state.paused {
            return Err(Error::Conflict(
                "you cannot attach to a paused container, unpause it first".into(),
            ));
        }
        if config.request.tty && !o.no_stdin && !o.stdin_is_terminal {
            return Err(Error::Conflict(NOT_A_TTY.into()));
        }
        let channel = attach::connect(&self.attach_socket(&id)).map_err(|_| {
            Error::Conflict("you cannot attach to a stopped container, start it first".into())
        })?;
        self.emit_container(&config, "attach", &[]);
        let options = RelayOptions {
            tty: config.request.tty,
            stdin: config.request.interactive && !o.no_stdin,
            sig_proxy: o.sig_proxy,
            detach_keys: o.detach_keys.clone(),
        };
        Ok(match relay(channel, options)? {
            RelayEnd::Exited(code) => Some(code),
            RelayEnd::Detached | RelayEnd::ClientGone => None,
        })
    }
}
