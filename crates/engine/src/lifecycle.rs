//! The lifecycle of a container as the CLI drives it: run, start, stop, kill, restart, wait.
//! Signals travel through the monitor (over its attach socket), which knows the init's pid
//! for certain; waiting is reading that socket until the monitor says the container ended.
//! Stopping and killing write nothing to the store first: a full disk cannot keep a user
//! from stopping a container (the monitor records the end afterwards).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::attach::{self, Message};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, ProcessId, Status};
use crate::relay::{relay, RelayEnd, RelayOptions};
use crate::request::{RunOutcome, RunRequest};
use crate::types::{DetachKeys, Signal};

impl Engine {
    /// `docker run`. Detached: returns once the container runs. Foreground: relays the
    /// caller's stdio (or terminal) and returns the container's exit code.
    pub fn run(&self, req: RunRequest) -> Result<RunOutcome> {
        let _span = tracing::debug_span!("run").entered();
        let prepared = self.prepare(&req)?;
        let id = prepared.id;
        let mut spec = prepared.spec;
        let merged = self.rootfs_mount(&id).merged;
        if let Err(e) = self.mount_volumes(&prepared.config, &merged) {
            self.discard(&id);
            return Err(e);
        }
        if req.tty {
            set_console_size(&mut spec);
        }
        if !req.detach {
            self.emit_container_id(&id, "attach", &[]);
        }
        let channel = self.launch_or_repair(&id, spec)?;
        if req.detach {
            return Ok(RunOutcome {
                id,
                exit_code: None,
            });
        }
        // The monitor's clean-up at the container's end is traced too.
        attach::hand_trace(channel.as_raw_fd());
        let options = RelayOptions {
            detach_keys: req.detach_keys.clone().unwrap_or_default(),
            ..RelayOptions::foreground(req.tty, req.interactive)
        };
        let exit_code = match relay(channel, options)? {
            RelayEnd::Exited(code) => Some(code),
            RelayEnd::Detached | RelayEnd::ClientGone => None,
        };
        Ok(RunOutcome { id, exit_code })
    }

    /// Forks the monitor; if it could not report at all, repairs the record.
    fn launch_or_repair(&self, id: &str, spec: oci_spec::runtime::Spec) -> Result<OwnedFd> {
        match self.launch(id, spec) {
            Ok(c) => Ok(c),
            Err(e @ Error::StartFailed { .. }) => Err(e),
            Err(e) => {
                self.repair(id);
                Err(e)
            }
        }
    }

    /// `docker start [-a] [-i] [--detach-keys]`. With `attach`, relays until the container
    /// ends and returns its exit code (None when detached with the keys; `detach_keys` None:
    /// Ctrl-P Ctrl-Q). Starting a running container only attaches (or does nothing).
    pub fn start(
        &self,
        c: &str,
        attach: bool,
        interactive: bool,
        detach_keys: Option<DetachKeys>,
    ) -> Result<Option<i32>> {
        let relay_to_end = |channel, tty, stdin| {
            let options = RelayOptions {
                detach_keys: detach_keys.clone().unwrap_or_default(),
                ..RelayOptions::foreground(tty, stdin)
            };
            relay(channel, options).map(|end| match end {
                RelayEnd::Exited(code) => Some(code),
                RelayEnd::Detached | RelayEnd::ClientGone => None,
            })
        };
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let stdin = interactive && config.request.interactive;
        match state.status {
            Status::Running | Status::Restarting => {
                if !attach {
                    return Ok(None);
                }
                let channel = attach::connect(&self.attach_socket(&id))?;
                return relay_to_end(channel, config.request.tty, stdin);
            }
            Status::Creating | Status::Removing => {
                return Err(Error::Conflict(format!(
                    "container {} is being created or removed; try again",
                    config.name
                )))
            }
            Status::Created | Status::Exited => {}
        }
        let channel = self.start_stopped(&id, &config, attach)?;
        if !attach {
            return Ok(None);
        }
        attach::hand_trace(channel.as_raw_fd());
        relay_to_end(channel, config.request.tty, stdin)
    }

    /// Starts a created or exited container (`Status::Created | Exited`, checked again under
    /// its lock): mounts its rootfs and volumes, forks its monitor. Returns the channel of
    /// the monitor's primary client (output, then the exit code, follow on it; dropped: the
    /// container runs on). `attach`: Docker's attach event first.
    pub(crate) fn start_stopped(
        &self,
        id: &str,
        config: &ContainerConfig,
        attach: bool,
    ) -> Result<OwnedFd> {
        let image = self.images.container_image(&config.image_id)?;
        let dir = self.container_dir(id);
        let me = ProcessId::current();
        self.store.update(id, |s| {
            if matches!(
                s.status,
                Status::Running | Status::Restarting | Status::Creating
            ) {
                return Err(Error::Conflict(format!(
                    "container {} is already being started",
                    config.name
                )));
            }
            s.status = Status::Creating;
            s.owner = Some(me);
            s.stopped_by_user = false;
            s.oom_killed = false;
            Ok(())
        })?;
        let mounted = self
            .images
            .mount_rootfs_as(&image, &dir, crate::create::durability(config))
            .map_err(Error::from);
        let spec = mounted.and_then(|_| {
            self.store.update(id, |s| {
                s.rootfs_mounted = true;
                Ok(())
            })?;
            let text = std::fs::read(Engine::spec_path(&dir))
                .map_err(|e| Error::at("reading", &Engine::spec_path(&dir), e))?;
            serde_json::from_slice::<oci_spec::runtime::Spec>(&text).map_err(|e| {
                Error::Corrupt(format!(
                    "reading the spec of container {}: {e}",
                    config.name
                ))
            })
        });
        let spec = spec.and_then(|spec| {
            self.mount_volumes(config, &self.rootfs_mount(id).merged)?;
            Ok(spec)
        });
        let mut spec = match spec {
            Ok(s) => s,
            Err(e) => {
                self.repair(id);
                return Err(e);
            }
        };
        if config.request.tty {
            set_console_size(&mut spec);
        }
        if attach {
            self.emit_container(config, "attach", &[]);
        }
        self.launch_or_repair(id, spec)
    }

    /// `docker stop`: the container's stop signal (`--stop-signal`, the image's STOPSIGNAL,
    /// else SIGTERM), then SIGKILL after `timeout` (None: its `--stop-timeout`, else 10 s;
    /// `Duration::MAX`: never, as Docker's negative `-t`). A stopped container is fine.
    /// Nothing is written before the signals (see [`Message::Stop`]).
    pub fn stop(&self, c: &str, timeout: Option<Duration>) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let Some(channel) = self.connect_if_running(&id)? else {
            return Ok(());
        };
        let timeout = timeout.unwrap_or_else(|| config.stop_timeout());
        let signal = config.stop_signal();
        // Each kill event before its signal, as Docker (before the die it causes); a journal
        // that cannot be written (a full disk) fails at once and costs only the event.
        self.emit_container(&config, "kill", &[("signal", signal.to_string())]);
        let _ = attach::send(channel.as_raw_fd(), &Message::Stop(signal));
        if wait_for_end(&channel, Some(timeout)).is_none() {
            self.emit_container_id(&id, "kill", &[("signal", libc::SIGKILL.to_string())]);
            let _ = attach::send(channel.as_raw_fd(), &Message::Stop(libc::SIGKILL));
            wait_for_end(&channel, None);
        }
        self.emit_container_id(&id, "stop", &[]);
        Ok(())
    }

    /// `docker restart`: stop (`timeout` as [`Engine::stop`]'s), then start.
    pub fn restart(&self, c: &str, timeout: Option<Duration>) -> Result<()> {
        self.stop(c, timeout)?;
        self.start(c, false, false, None).map(|_| ())
    }

    /// `docker kill [-s SIGNAL]`. SIGKILL waits until the container has ended.
    pub fn kill(&self, c: &str, signal: Signal) -> Result<()> {
        let id = self.resolve(c)?;
        let state = self.store.state(&id)?;
        let name = || {
            self.store
                .config(&id)
                .map(|c| c.name)
                .unwrap_or_else(|_| id.clone())
        };
        if state.status != Status::Running {
            return Err(Error::NotRunning { name: name() });
        }
        let Some(channel) = attach::connect(&self.attach_socket(&id)).ok() else {
            return Err(Error::NotRunning { name: name() });
        };
        // SIGKILL, SIGTERM and its stop signal stop the container for good (Docker: no
        // restart after them).
        let stop_signal = self
            .store
            .config(&id)
            .map_or(libc::SIGTERM, |c| c.stop_signal());
        let message = match signal.number() {
            n if n == libc::SIGKILL || n == libc::SIGTERM || n == stop_signal => Message::Stop(n),
            n => Message::Signal(n),
        };
        self.emit_container_id(&id, "kill", &[("signal", signal.number().to_string())]);
        attach::send(channel.as_raw_fd(), &message)
            .map_err(|e| Error::io(format!("signalling container {}", name()), e))?;
        if signal.number() == libc::SIGKILL {
            wait_for_end(&channel, None);
        }
        Ok(())
    }

    /// `docker wait`: blocks until the container ends; its exit code.
    pub fn wait(&self, c: &str) -> Result<i32> {
        let id = self.resolve(c)?;
        let state = self.store.state(&id)?;
        if matches!(
            state.status,
            Status::Running | Status::Restarting | Status::Creating
        ) {
            if let Ok(channel) = attach::connect(&self.attach_socket(&id)) {
                if let Some(Some(code)) = wait_for_end(&channel, None) {
                    return Ok(code);
                }
            }
        }
        match self.store.state(&id) {
            Ok(s) => Ok(s.exit_code),
            Err(e) => Err(e),
        }
    }

    /// Connects to the monitor of a running (or restarting) container; None if it does not run.
    fn connect_if_running(&self, id: &str) -> Result<Option<OwnedFd>> {
        let state = self.store.state(id)?;
        if !matches!(state.status, Status::Running | Status::Restarting) {
            return Ok(None);
        }
        Ok(attach::connect(&self.attach_socket(id)).ok())
    }
}

/// Reads the monitor's messages until it reports the end. Some(code) when it did (None
/// inside when the monitor closed without a code, or the channel cannot be waited on);
/// None when `timeout` passed first.
pub(crate) fn wait_for_end(channel: &OwnedFd, timeout: Option<Duration>) -> Option<Option<i32>> {
    wait_for_end_with(channel, timeout, poll_input)
}

/// Waits (at most `ms`, -1: forever) for input on `fd`: Ok(false) on a timeout or signal.
fn poll_input(fd: RawFd, ms: i32) -> std::io::Result<bool> {
    let mut fds = [libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }];
    // SAFETY: a valid pollfd array of one.
    match unsafe { libc::poll(fds.as_mut_ptr(), 1, ms) } {
        n if n > 0 => Ok(true),
        0 => Ok(false),
        _ => {
            let e = std::io::Error::last_os_error();
            match e.kind() {
                std::io::ErrorKind::Interrupted => Ok(false),
                _ => Err(e),
            }
        }
    }
}

/// [`wait_for_end`] with its `poll` given: a poll that fails ends the wait (it would fail
/// again at once: retrying is a busy loop).
fn wait_for_end_with(
    channel: &OwnedFd,
    timeout: Option<Duration>,
    mut poll: impl FnMut(RawFd, i32) -> std::io::Result<bool>,
) -> Option<Option<i32>> {
    // A timeout too long to add (Duration::MAX: `stop -t -1`) is no deadline at all.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let mut buf = vec![0u8; attach::MAX_MESSAGE + 64];
    loop {
        let wait_ms = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return None;
                }
                left.as_millis().min(i32::MAX as u128) as i32
            }
            None => -1,
        };
        match poll(channel.as_raw_fd(), wait_ms) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!("waiting for the container's monitor: {e}");
                return Some(None);
            }
        }
        match attach::recv(channel.as_raw_fd(), &mut buf) {
            Ok(Some(Message::Exited(code))) | Ok(Some(Message::Failed(code, _))) => {
                return Some(Some(code))
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return Some(None),
        }
    }
}

/// The caller's window size as the init's initial console size.
fn set_console_size(spec: &mut oci_spec::runtime::Spec) {
    let Some((rows, cols)) = crate::tty::window_size(0).or_else(|| crate::tty::window_size(1))
    else {
        return;
    };
    if let Some(p) = spec.process_mut() {
        let size = oci_spec::runtime::BoxBuilder::default()
            .height(rows as u64)
            .width(cols as u64)
            .build()
            .ok();
        if let Some(size) = size {
            p.set_console_size(Some(size));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_without_a_deadline_is_duration_max() {
        let (monitor, cli) = attach::pair().unwrap();
        attach::send(monitor.as_raw_fd(), &Message::Exited(7)).unwrap();
        // `stop -t -1`: Duration::MAX must mean "no deadline", not an overflow.
        assert_eq!(wait_for_end(&cli, Some(Duration::MAX)), Some(Some(7)));
        drop(monitor);
        assert_eq!(wait_for_end(&cli, Some(Duration::MAX)), Some(None));
        assert_eq!(wait_for_end(&cli, Some(Duration::ZERO)), None);
    }

    #[test]
    fn a_poll_that_keeps_failing_ends_the_wait_instead_of_spinning() {
        let (_monitor, cli) = attach::pair().unwrap();
        let mut calls = 0;
        let failing = |_: RawFd, _: i32| {
            calls += 1;
            assert!(calls < 100, "wait_for_end spins on a failing poll");
            Err(std::io::Error::from_raw_os_error(libc::ENOMEM))
        };
        assert_eq!(wait_for_end_with(&cli, None, failing), Some(None));
        assert_eq!(calls, 1);
    }
}
