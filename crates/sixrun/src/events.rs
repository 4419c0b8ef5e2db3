//! `events`: a container's events as runc prints them, one JSON object a line on stdout:
//! `{"type":"stats","id":ID,"data":{...}}` every `--interval` (or once with `--stats`, then
//! exit), and `{"type":"oom","id":ID}` each time the kernel's OOM killer strikes in the
//! container. It ends (exit 0) when the container is gone: its cgroup removed (cgroup v1) or
//! emptied (v2), as runc's does.
//!
//! One thread: poll(2) on the runtime's OOM watch with a timeout until the next tick.

use std::io::Write;
use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout};
use serde::Serialize;
use six_runtime::{OomEvent, Runtime, Status};

use crate::cli::EventsArgs;
use crate::log::Logger;
use crate::values;

/// One event as runc encodes it: `type`, `id`, then `data` when there is some.
#[derive(Serialize)]
struct Event<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<StatsData<'a>>,
}

/// runc's stats: the cgroup's counters, then the parts runc has and sixrun has not (no
/// Intel RDT, no network interface counters), empty as runc prints them without.
#[derive(Serialize)]
struct StatsData<'a> {
    #[serde(flatten)]
    cgroup: &'a six_runtime::FullStats,
    intel_rdt: serde_json::Map<String, serde_json::Value>,
    network_interfaces: Option<()>,
}

fn print(
    kind: &'static str,
    id: &str,
    stats: Option<&six_runtime::FullStats>,
) -> anyhow::Result<()> {
    let event = Event {
        kind,
        id,
        data: stats.map(|cgroup| StatsData {
            cgroup,
            intel_rdt: serde_json::Map::new(),
            network_interfaces: None,
        }),
    };
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, &event)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

pub fn events(rt: &Runtime, a: &EventsArgs, logger: &Logger) -> anyhow::Result<()> {
    let c = rt.load(&a.id)?;
    let ns = values::go_duration("interval", &a.interval)?;
    if ns <= 0 {
        anyhow::bail!("duration interval must be greater than 0");
    }
    let interval = Duration::from_nanos(u64::try_from(ns).unwrap_or(u64::MAX));
    if c.status() == Status::Stopped {
        anyhow::bail!("container with id {} is not running", c.id());
    }
    if a.stats {
        return print("stats", c.id(), Some(&c.full_stats()?));
    }
    let mut watch = c.watch_oom()?;
    let mut next_tick = Instant::now() + interval;
    loop {
        let wait = next_tick.saturating_duration_since(Instant::now());
        let timeout =
            PollTimeout::try_from(wait.as_millis().max(1) as u64).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(watch.as_fd(), PollFlags::POLLIN)];
        match nix::poll::poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(anyhow::Error::from(e).context("waiting for events")),
        }
        let readable = fds[0]
            .revents()
            .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLERR));
        if readable {
            match watch.read()? {
                OomEvent::Oom => print("oom", c.id(), None)?,
                OomEvent::Gone => return Ok(()),
                OomEvent::Nothing => {}
            }
        }
        if Instant::now() >= next_tick {
            next_tick += interval;
            // As runc: a failed read is logged and the next tick tries again.
            match c.full_stats() {
                Ok(s) => print("stats", c.id(), Some(&s))?,
                Err(e) => logger.error(&format!("{:#}", anyhow::Error::from(e))),
            }
        }
    }
}
