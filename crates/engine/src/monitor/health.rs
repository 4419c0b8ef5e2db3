//! Health checks (`--health-cmd` and friends, an image's HEALTHCHECK), run by the monitor as
//! Docker's daemon runs them: one check at a time, the first `interval` after the start and
//! each next one `interval` after the last ended; the command exec'd in the container (the
//! container's user, environment and working directory; `CMD-SHELL` through `/bin/sh -c`)
//! with its stdout and stderr in one pipe, kept up to 4096 bytes; past `timeout` it is killed
//! and counts as a failure (exit -1, "Health check exceeded timeout (30s)"). A pass makes the
//! container healthy; `retries` failures in a row unhealthy, except failures in the
//! `start_period` before the first pass. The last 5 results, the status and the failures in a
//! row are in the state (`State.Health`); each change of status is a `health_status: …`
//! event. No checks while paused or frozen; at the container's end (and at a pause) the
//! status becomes unhealthy, as Docker marks it.
//!
//! Nothing here blocks: the output pipe is non-blocking and polled with the monitor's other
//! fds, the process is reaped with the monitor's other children, and the monitor is the
//! only writer of the health state, so there is no race with `ps` or `inspect` readers.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use six_sys::pidfd::Pidfd;

use super::{Monitor, Running};
use crate::record::{Health, HealthResult, HealthStatus};
use crate::types::{GoDuration, HealthConfig};

/// Docker's defaults and limits.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_RETRIES: u32 = 3;
const MAX_OUTPUT: usize = 4096;
const MAX_LOG: usize = 5;

/// The checks of one run of the container.
pub(super) struct Checker {
    argv: Vec<String>,
    interval: Duration,
    timeout: Duration,
    start_period: Duration,
    retries: u32,
    /// When this run started (the start period counts from it).
    started: DateTime<Utc>,
    /// When the next check starts (None: one is running).
    next: Option<Instant>,
    probe: Option<Probe>,
}

/// The check that is running.
struct Probe {
    pid: i32,
    /// Bound to the process while it is our unreaped child: a kill after the timeout can
    /// reach no other process.
    process: Pidfd,
    /// stdout and stderr (None once at end of file).
    output: Option<OwnedFd>,
    text: Vec<u8>,
    truncated: bool,
    start: DateTime<Utc>,
    deadline: Instant,
    /// Killed at its deadline; its result is the timeout's.
    timed_out: bool,
}

fn nanos(n: i64, default: Duration) -> Duration {
    match n {
        n if n > 0 => Duration::from_nanos(n as u64),
        _ => default,
    }
}

impl Checker {
    /// The checks `config` asks for (a `CMD` or `CMD-SHELL` test), from a run started at
    /// `started`.
    pub(super) fn new(config: &HealthConfig, started: DateTime<Utc>) -> Option<Checker> {
        let argv = match config.test.split_first() {
            Some((kind, rest)) if kind == "CMD" && !rest.is_empty() => rest.to_vec(),
            Some((kind, rest)) if kind == "CMD-SHELL" && !rest.is_empty() => {
                let mut argv = vec!["/bin/sh".to_owned(), "-c".to_owned()];
                argv.extend(rest.iter().cloned());
                argv
            }
            _ => return None,
        };
        let interval = nanos(config.interval, DEFAULT_INTERVAL);
        Some(Checker {
            argv,
            interval,
            timeout: nanos(config.timeout, DEFAULT_TIMEOUT),
            start_period: nanos(config.start_period, Duration::ZERO),
            retries: u32::try_from(config.retries)
                .ok()
                .filter(|r| *r > 0)
                .unwrap_or(DEFAULT_RETRIES),
            started,
            next: Some(Instant::now() + interval),
            probe: None,
        })
    }

    /// How long the monitor may sleep before a check is due or one must be killed (not
    /// called while the container is frozen: nothing is due then).
    pub(super) fn wake_in(&self) -> Duration {
        let at = match &self.probe {
            Some(p) if !p.timed_out => p.deadline,
            Some(_) => return Duration::MAX,
            None => self.next.unwrap_or_else(Instant::now),
        };
        at.saturating_duration_since(Instant::now())
    }

    /// The running check's output pipe, for the poll (-1: none).
    pub(super) fn output_fd(&self) -> RawFd {
        self.probe
            .as_ref()
            .and_then(|p| p.output.as_ref())
            .map_or(-1, |o| o.as_raw_fd())
    }

    /// Takes what the check wrote (up to the limit; the rest is read and dropped).
    pub(super) fn read_output(&mut self) {
        if let Some(p) = &mut self.probe {
            p.read_available();
        }
    }

    /// Kills a running check (the container is ending or pausing; it is reaped as any other
    /// child); the next one is an interval away.
    pub(super) fn abandon(&mut self) {
        if let Some(p) = self.probe.take() {
            let _ = p.process.send_signal(libc::SIGKILL);
        }
        self.next = Some(Instant::now() + self.interval);
    }
}

impl Probe {
    fn read_available(&mut self) {
        let Some(fd) = &self.output else { return };
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reading into our buffer from our own non-blocking pipe.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                let data = &buf[..n as usize];
                let room = MAX_OUTPUT - self.text.len().min(MAX_OUTPUT);
                self.text.extend_from_slice(&data[..data.len().min(room)]);
                self.truncated |= data.len() > room;
                continue;
            }
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n == 0 {
                self.output = None; // end of file
            }
            return; // EAGAIN: the rest later (or never, if a child of it keeps the pipe)
        }
    }

    fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.text).into_owned();
        if self.truncated {
            out.push_str("...");
        }
        out
    }
}

impl Monitor<'_> {
    /// At each start: the checks of this run, and the state's health reset to starting
    /// (its log kept, as Docker's).
    pub(super) fn start_health(&mut self) {
        let started = Utc::now();
        self.health = self
            .config
            .active_healthcheck()
            .and_then(|h| Checker::new(h, started));
        // no check, no state to write: a container's check is fixed at create
        if self.health.is_none() {
            return;
        }
        let _ = self.engine.store.update(self.id, |s| {
            s.health = Some(Health {
                status: HealthStatus::Starting,
                failing_streak: 0,
                log: s.health.take().map(|h| h.log).unwrap_or_default(),
            });
            Ok(())
        });
    }

    /// Starts a check that is due, kills one past its timeout. Not while paused or frozen.
    pub(super) fn health_tick(&mut self, r: &Running) {
        let frozen = self.paused || !self.freezers.is_empty();
        let Some(checker) = &mut self.health else {
            return;
        };
        let now = Instant::now();
        if let Some(p) = &mut checker.probe {
            if !p.timed_out && now >= p.deadline {
                let _ = p.process.send_signal(libc::SIGKILL);
                p.timed_out = true;
            }
            return;
        }
        if frozen || checker.next.is_some_and(|next| now < next) {
            return;
        }
        let start = Utc::now();
        match self.start_probe(r) {
            Ok(probe) => {
                if let Some(c) = &mut self.health {
                    c.next = None;
                    c.probe = Some(probe);
                }
            }
            Err(why) => {
                let result = HealthResult {
                    start,
                    end: Utc::now(),
                    exit_code: -1,
                    output: why,
                };
                self.record_health(result);
            }
        }
    }

    /// Execs the check in the container, its output into a pipe of ours.
    fn start_probe(&self, r: &Running) -> std::result::Result<Probe, String> {
        let Some(checker) = &self.health else {
            return Err("no health check".into());
        };
        let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
            .map_err(|e| format!("making the health check's pipe: {e}"))?;
        super::start::set_nonblocking(read.as_raw_fd());
        let null =
            std::fs::File::open("/dev/null").map_err(|e| format!("opening /dev/null: {e}"))?;
        let start = Utc::now();
        // The process as the runtime recorded it at the create (the monitor keeps no spec).
        let exec = |c: &six_runtime::Container| -> crate::Result<i32> {
            let mut process = c.spec().process().clone().ok_or_else(|| {
                crate::Error::Internal("the container's spec has no process".to_owned())
            })?;
            process.set_args(Some(checker.argv.clone()));
            process.set_terminal(Some(false));
            process.set_console_size(None);
            let opts = six_runtime::ExecOptions {
                process,
                stdio: Some([null.as_raw_fd(), write.as_raw_fd(), write.as_raw_fd()]),
                ..Default::default()
            };
            Ok(c.exec(opts)?)
        };
        let pid = r
            .with_container(self.engine, self.id, exec)
            .map_err(|e| crate::Chain(&e).to_string())?;
        drop(write);
        // our child, not reaped yet (only the monitor's loop reaps): the pidfd is its own
        let process = Pidfd::open(pid).map_err(|e| format!("watching the health check: {e}"))?;
        Ok(Probe {
            pid,
            process,
            output: Some(read),
            text: Vec::new(),
            truncated: false,
            start,
            deadline: Instant::now() + checker.timeout,
            timed_out: false,
        })
    }

    /// A child was reaped: if it was the running check, its result is recorded and the next
    /// check scheduled.
    pub(super) fn health_reaped(&mut self, pid: i32, code: i32) {
        let Some(checker) = &mut self.health else {
            return;
        };
        if checker.probe.as_ref().is_none_or(|p| p.pid != pid) {
            return;
        }
        let Some(mut probe) = checker.probe.take() else {
            return;
        };
        probe.read_available();
        let output = match (probe.timed_out, probe.text()) {
            (false, text) => text,
            (true, text) if text.is_empty() => {
                format!("Health check exceeded timeout ({})", go(checker.timeout))
            }
            (true, text) => format!(
                "Health check exceeded timeout ({}): {text}",
                go(checker.timeout)
            ),
        };
        let result = HealthResult {
            start: probe.start,
            end: Utc::now(),
            exit_code: if probe.timed_out { -1 } else { code },
            output,
        };
        self.record_health(result);
    }

    /// Docker's `handleProbeResult`: the log (last 5), the status, the failures in a row,
    /// and a `health_status` event when the status changed.
    fn record_health(&mut self, result: HealthResult) {
        let Some(checker) = &mut self.health else {
            return;
        };
        checker.next = Some(Instant::now() + checker.interval);
        let (retries, grace_until) = (
            checker.retries,
            checker.started + chrono::Duration::from_std(checker.start_period).unwrap_or_default(),
        );
        let changed = self.engine.store.update(self.id, |s| {
            let h = s.health.get_or_insert_with(Health::default);
            let old = h.status;
            let in_grace = h.status == HealthStatus::Starting && result.start < grace_until;
            if result.exit_code == 0 {
                h.failing_streak = 0;
                h.status = HealthStatus::Healthy;
            } else if !in_grace {
                h.failing_streak += 1;
                if h.failing_streak >= retries {
                    h.status = HealthStatus::Unhealthy;
                }
            }
            h.log.push(result);
            if h.log.len() > MAX_LOG {
                h.log.drain(..h.log.len() - MAX_LOG);
            }
            Ok((old != h.status).then_some(h.status))
        });
        if let Ok(Some(status)) = changed {
            self.emit_health(status);
        }
    }

    /// The checks stop (the container ended, or was paused): a running one is killed and
    /// the status is unhealthy, as Docker marks it.
    pub(super) fn stop_health(&mut self) {
        let Some(checker) = &mut self.health else {
            return;
        };
        checker.abandon();
        let changed = self.engine.store.update(self.id, |s| {
            let Some(h) = &mut s.health else {
                return Ok(false);
            };
            let changed = h.status != HealthStatus::Unhealthy;
            h.status = HealthStatus::Unhealthy;
            Ok(changed)
        });
        if changed.unwrap_or(false) {
            self.emit_health(HealthStatus::Unhealthy);
        }
    }

    /// `pause` stops the checks (unhealthy, as Docker); `unpause` starts them again, the
    /// first an interval later.
    pub(super) fn pause_health(&mut self, paused: bool) {
        if paused {
            self.stop_health();
        } else if let Some(checker) = &mut self.health {
            checker.next = Some(Instant::now() + checker.interval);
        }
    }

    /// How long the loop may wait for the checks (None: as long as it likes).
    pub(super) fn health_wake_in(&self) -> Option<Duration> {
        let frozen = self.paused || !self.freezers.is_empty();
        self.health
            .as_ref()
            .filter(|_| !frozen)
            .map(Checker::wake_in)
    }

    fn emit_health(&self, status: HealthStatus) {
        let action = format!("health_status: {}", status.word());
        self.engine.emit_container(&self.config, &action, &[]);
    }
}

fn go(d: Duration) -> GoDuration {
    GoDuration(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_forms_and_dockers_defaults() {
        let now = Utc::now();
        let shell = HealthConfig {
            test: vec!["CMD-SHELL".into(), "test -f /ok".into()],
            ..Default::default()
        };
        let c = Checker::new(&shell, now).unwrap();
        assert_eq!(c.argv, ["/bin/sh", "-c", "test -f /ok"]);
        assert_eq!(
            (c.interval, c.timeout, c.start_period, c.retries),
            (DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Duration::ZERO, 3)
        );
        let cmd = HealthConfig {
            test: vec!["CMD".into(), "/check".into(), "-q".into()],
            interval: 1_000_000_000,
            retries: 1,
            ..Default::default()
        };
        let c = Checker::new(&cmd, now).unwrap();
        assert_eq!(c.argv, ["/check", "-q"]);
        assert_eq!((c.interval, c.retries), (Duration::from_secs(1), 1));
        assert!(c.wake_in() <= Duration::from_secs(1));
        for none in [vec!["NONE".to_owned()], vec![], vec!["CMD".to_owned()]] {
            let h = HealthConfig {
                test: none,
                ..Default::default()
            };
            assert!(Checker::new(&h, now).is_none());
        }
    }
}
