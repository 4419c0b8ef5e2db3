//! Attaching clients other than the caller's own stdio: the Engine API's hijacked
//! connections (`POST /containers/{id}/attach`, and the `start` that follows one). The same
//! monitor protocol and the same relay as `sixdocker attach` and `start -a` (`relay.rs`);
//! only the ends differ: the client's socket for input, a [`StreamSink`] for output (which
//! frames it as the client wants), a client that hangs up ends the relay.
//!
//! Docker's refusals are here (a paused or restarting container); the wire format is not.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use crate::attach::{self, Message, KIND_STDERR};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;
use crate::relay::{relay_ends, Ends, RelayEnd};
use crate::types::{DetachKeys, DetachScanner};

/// Which of the container's streams a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputStream {
    /// Its stdout (or its terminal, with a tty).
    Stdout,
    /// Its stderr.
    Stderr,
}

/// Where an attached client's output goes.
pub trait StreamSink {
    /// Hands the client `data` from `stream`; Err when the client is gone (the relay ends).
    fn output(&mut self, stream: OutputStream, data: &[u8]) -> std::io::Result<()>;
}

/// A connection to a container's monitor, as an attached client (output, then the exit code,
/// arrive on it). Dropped: the client is gone, the container runs on.
#[derive(Debug)]
pub struct AttachChannel(OwnedFd);

impl AttachChannel {
    /// A channel passed from another process (the API's start worker hands it over).
    pub fn from_fd(fd: OwnedFd) -> AttachChannel {
        AttachChannel(fd)
    }

    /// The descriptor, to pass to another process.
    pub fn as_fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.0.as_fd()
    }

    /// The descriptor itself.
    pub fn into_fd(self) -> OwnedFd {
        self.0
    }

    /// Sends the container's terminal this window size.
    pub fn resize(&self, rows: u16, cols: u16) -> Result<()> {
        attach::send(self.0.as_raw_fd(), &Message::Resize { rows, cols })
            .map_err(|e| Error::io("resizing the container's terminal", e))
    }

    /// Reads (and drops) the container's output until it ends: its exit code (None when the
    /// monitor went away without one).
    pub fn wait_exit(&self) -> Option<i32> {
        crate::lifecycle::wait_for_end(&self.0, None).flatten()
    }

    /// [`AttachChannel::wait_exit`], giving up (Err) once `give_up` says so (asked every
    /// quarter of a second): a waiter whose client left holds no thread for the container's
    /// life.
    pub fn wait_exit_unless(&self, give_up: &dyn Fn() -> bool) -> Result<Option<i32>, GaveUp> {
        loop {
            let slice = std::time::Duration::from_millis(250);
            if let Some(end) = crate::lifecycle::wait_for_end(&self.0, Some(slice)) {
                return Ok(end);
            }
            if give_up() {
                return Err(GaveUp);
            }
        }
    }
}

/// A wait given up by its caller ([`AttachChannel::wait_exit_unless`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaveUp;

/// What an attaching client is told about the container.
#[derive(Debug, Clone)]
pub struct AttachTarget {
    /// Its full ID.
    pub id: String,
    /// It has a terminal: its output is one raw stream.
    pub tty: bool,
    /// It was created with `-i` (`OpenStdin`): clients may send it input.
    pub open_stdin: bool,
    /// Its stdin closes when the attached client's input ends (Docker's `StdinOnce`).
    pub stdin_once: bool,
    /// It runs now (else an attach waits for its next start).
    pub running: bool,
}

/// How one client's streams are relayed.
pub struct ClientStream<'a> {
    /// The client's input (None: it sends none); a socket, whose hangup ends the relay.
    pub input: Option<BorrowedFd<'a>>,
    /// Input the client sent that was already read from its socket.
    pub first_input: Vec<u8>,
    /// At the end of the client's input the container's stdin is closed.
    pub close_stdin_at_end: bool,
    /// With a terminal: typed on the input, they end the relay (the container runs on).
    pub detach_keys: Option<DetachKeys>,
    /// Where the output goes.
    pub sink: &'a mut dyn StreamSink,
    /// Pass on stdout, stderr.
    pub stdout: bool,
    /// See `stdout`.
    pub stderr: bool,
}

/// How a client's relay ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The container exited with this code.
    Exited(i32),
    /// The client typed the detach keys.
    Detached,
    /// The client hung up, or takes no more output.
    ClientGone,
}

/// Relays `client` to the container at `channel` until one of the [`StreamEnd`]s.
pub fn relay_client(channel: &AttachChannel, client: ClientStream) -> Result<StreamEnd> {
    let ClientStream {
        input,
        first_input,
        close_stdin_at_end,
        detach_keys,
        sink,
        stdout,
        stderr,
    } = client;
    let mut output = |kind: u8, data: &[u8]| {
        let (stream, wanted) = if kind == KIND_STDERR {
            (OutputStream::Stderr, stderr)
        } else {
            (OutputStream::Stdout, stdout)
        };
        if wanted {
            sink.output(stream, data)
        } else {
            Ok(())
        }
    };
    let ends = Ends {
        input: input.map(|i| i.as_raw_fd()),
        first_input,
        input_is_socket: true,
        close_stdin_at_end,
        detach: detach_keys.map(DetachScanner::new),
        signals: None,
        output: &mut output,
    };
    Ok(match relay_ends(&channel.0, ends)? {
        RelayEnd::Exited(code) => StreamEnd::Exited(code),
        RelayEnd::Detached => StreamEnd::Detached,
        RelayEnd::ClientGone => StreamEnd::ClientGone,
    })
}

impl Engine {
    /// A client is about to attach to container `c`: what it needs to know, and Docker's
    /// attach event. Refused (Conflict) while the container is paused or restarting, as
    /// Docker's attach; a stopped container is fine (the attach waits for its next start).
    pub fn attach_begin(&self, c: &str) -> Result<AttachTarget> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        if state.paused {
            return Err(Error::Conflict(format!(
                "container {} is paused, unpause the container before attach",
                config.name
            )));
        }
        if state.status == Status::Restarting {
            return Err(Error::Conflict(format!(
                "container {} is restarting, wait until the container is running",
                config.name
            )));
        }
        self.emit_container(&config, "attach", &[]);
        let req = &config.request;
        Ok(AttachTarget {
            id,
            tty: req.tty,
            open_stdin: req.interactive,
            stdin_once: req.interactive && !req.detach,
            running: state.status == Status::Running,
        })
    }

    /// Connects to the monitor of the running container `c` as one more client; Conflict
    /// when it does not run.
    pub fn attach_channel(&self, c: &str) -> Result<AttachChannel> {
        let id = self.resolve(c)?;
        let name = || {
            self.store
                .config(&id)
                .map_or_else(|_| id.clone(), |c| c.name)
        };
        if !matches!(
            self.store.state(&id)?.status,
            Status::Running | Status::Restarting
        ) {
            return Err(Error::NotRunning { name: name() });
        }
        attach::connect(&self.attach_socket(&id))
            .map(AttachChannel)
            .map_err(|_| Error::NotRunning { name: name() })
    }

    /// Starts the created or exited container `c` and returns the channel of the client its
    /// monitor waits for (Docker's attached start): all its output from the first byte, and
    /// its exit code. Conflict when it runs already.
    pub fn start_attached(&self, c: &str) -> Result<AttachChannel> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        match self.store.state(&id)?.status {
            Status::Created | Status::Exited => {}
            Status::Running | Status::Restarting => {
                return Err(Error::Conflict(format!(
                    "container {} is already running",
                    config.name
                )))
            }
            Status::Creating | Status::Removing => {
                return Err(Error::Conflict(format!(
                    "container {} is being created or removed; try again",
                    config.name
                )))
            }
        }
        self.start_stopped(&id, &config, false).map(AttachChannel)
    }

    /// Sets the window size of the running container `c`'s terminal (nothing without one).
    pub fn resize(&self, c: &str, rows: u16, cols: u16) -> Result<()> {
        let channel = self.attach_channel(c)?;
        channel.resize(rows, cols)
    }
}
