//! The container record as stored on disk: `container.json` (what was asked, fixed at
//! create) and `state.json` (what is happening, rewritten as it changes).
//!
//! Plain serde data; reading and writing them safely is [`crate::store`]'s job.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::request::RunRequest;
use crate::types::{ExposedPort, PortSpec};

/// Written at create time; later changed only under the container's lock
/// ([`crate::store::Store::update_config`]): its networks by `network connect`/`disconnect`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ContainerConfig {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    /// The image as the user named it ("busybox").
    pub image: String,
    pub image_id: String,
    /// The process as it runs: entrypoint + cmd merged.
    pub args: Vec<String>,
    /// The image's entrypoint and cmd after the request's overrides (for commit and inspect).
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    pub hostname: String,
    /// The request as given (HostConfig in inspect, restart and rebuilds).
    pub request: RunRequest,
    /// `Config.Labels`: the image's labels at create time with `-l`/`--label-file`'s over
    /// them (the `label` filters and events'
    /// attributes read them). Records made before it existed have none.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The networks it joins at every start, in order, as Docker keeps them: `--network`'s
    /// at create, then those `network connect` added (`network disconnect` removes any);
    /// "none" and "host" stand for those modes. None in records made before it existed:
    /// see [`ContainerConfig::networks`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub networks: Option<Vec<String>>,
    /// How it joins the networks `network connect` added with `--ip` or `--alias` (the
    /// `--network` network's are the request's `ip` and `network_aliases`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_settings: BTreeMap<String, crate::request::EndpointSettings>,
    /// Its binds, volumes and tmpfs mounts, resolved at create (anonymous volumes named).
    /// None in records made before they were kept: see `mount_points::of_record`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<crate::mount_points::MountPoint>>,
    /// What `stop` sends first: `--stop-signal`, else the image's STOPSIGNAL (None: SIGTERM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<crate::types::Signal>,
    /// Its health check: `--health-*` over the image's HEALTHCHECK (Docker's merge); None or
    /// a `NONE` test: no check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<crate::types::HealthConfig>,
    /// `Config.ExposedPorts`: the image's `EXPOSE`, `--expose` and the `-p` container ports,
    /// fixed at create (Docker's merge); what `-P` publishes. None in records made before it
    /// was kept: see [`ContainerConfig::exposed_ports`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<Vec<ExposedPort>>,
}

impl ContainerConfig {
    /// The signal `stop` sends first (Docker's default: SIGTERM).
    pub(crate) fn stop_signal(&self) -> i32 {
        self.stop_signal.map_or(libc::SIGTERM, |s| s.number())
    }

    /// The check the monitor runs: a `CMD` or `CMD-SHELL` test (None: no check).
    pub(crate) fn active_healthcheck(&self) -> Option<&crate::types::HealthConfig> {
        self.healthcheck.as_ref().filter(|h| {
            matches!(
                h.test.first().map(String::as_str),
                Some("CMD" | "CMD-SHELL")
            )
        })
    }

    /// How long `stop` waits before SIGKILL when not told: `--stop-timeout`, else 10 s
    /// (`Duration::MAX` for a negative one: for ever).
    pub(crate) fn stop_timeout(&self) -> std::time::Duration {
        match self.request.stop_timeout {
            Some(t) if t < 0 => std::time::Duration::MAX,
            Some(t) => std::time::Duration::from_secs(t as u64),
            None => std::time::Duration::from_secs(10),
        }
    }

    /// How it joins `network`: what `network connect` recorded, else for its `--network`
    /// network `--ip` and `--network-alias`.
    pub(crate) fn endpoint_settings(&self, network: &str) -> crate::request::EndpointSettings {
        if let Some(s) = self.endpoint_settings.get(network) {
            return s.clone();
        }
        match self.request.network.network_name() {
            Some(n) if n == network => crate::request::EndpointSettings {
                ip: self.request.ip,
                aliases: self.request.network_aliases.clone(),
            },
            _ => Default::default(),
        }
    }

    /// Its exposed ports, each once, by number then protocol; a record made before they
    /// were kept: its `-p` and `--expose` ports (its image's are read where `-P` needs them).
    pub(crate) fn exposed_ports(&self) -> Vec<ExposedPort> {
        match &self.exposed_ports {
            Some(p) => p.clone(),
            None => exposed_ports(&[], &self.request),
        }
    }

    /// The networks it joins at start ([`ContainerConfig::networks`], or `--network`'s).
    pub(crate) fn joined_networks(&self) -> Vec<String> {
        match &self.networks {
            Some(n) => n.clone(),
            None => vec![self.request.network.to_string()],
        }
    }
}

/// Docker's `Config.ExposedPorts` of a container made from an image exposing `image` (its
/// `EXPOSE` entries) with `req`: those, `--expose`'s and the `-p` container ports, each once,
/// by number then protocol.
pub(crate) fn exposed_ports(image: &[String], req: &RunRequest) -> Vec<ExposedPort> {
    let mut ports: Vec<ExposedPort> = image
        .iter()
        .filter_map(|p| ExposedPort::from_image(p))
        .chain(req.expose.iter().copied())
        .chain(req.ports.iter().map(|p| ExposedPort {
            port: p.container_port,
            proto: p.proto,
        }))
        .collect();
    ports.sort_by_key(ExposedPort::sort_key);
    ports.dedup();
    ports
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) enum Status {
    /// Being made by the process `State::owner`; removed by reconcile if that process died.
    #[default]
    Creating,
    Created,
    Running,
    /// Between two runs under a restart policy.
    Restarting,
    Exited,
    /// Being removed; reconcile finishes the job.
    Removing,
}

/// A process identified by PID and start time, so a reused PID is not mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ProcessId {
    pub pid: i32,
    /// Field 22 of `/proc/<pid>/stat`.
    pub start_time: u64,
}

impl ProcessId {
    /// The calling process.
    pub(crate) fn current() -> ProcessId {
        let pid = std::process::id() as i32;
        ProcessId {
            pid,
            start_time: six_sys::proc::stat(pid).map_or(0, |s| s.start_time),
        }
    }

    /// Whether this very process still exists (and is not a zombie).
    pub(crate) fn alive(&self) -> bool {
        six_sys::proc::is_alive(self.pid, self.start_time)
    }
}

/// The network side of a running container.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct NetworkState {
    pub network: String,
    pub ip: String,
    pub prefix: u8,
    pub gateway: String,
    pub mac: String,
    /// Published ports with the host port filled in.
    pub ports: Vec<PortSpec>,
}

/// Rewritten as the container changes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct State {
    pub status: Status,
    /// The process making (Creating) or removing (Removing) the container.
    pub owner: Option<ProcessId>,
    /// The monitor, while the container runs or restarts.
    pub monitor: Option<ProcessId>,
    /// The container's init, as the host sees it.
    pub pid: Option<i32>,
    pub exit_code: i32,
    /// The last run ended by the kernel's OOM killer in the container's memory cgroup.
    pub oom_killed: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub restart_count: u32,
    /// The user stopped the container (stop, kill, rm -f): its restart policy did not apply.
    /// Recorded by the monitor with the exit code (stopping itself writes nothing).
    pub stopped_by_user: bool,
    /// Whether the rootfs overlay is mounted (at `<dir>/merged`).
    pub rootfs_mounted: bool,
    pub networks: Vec<NetworkState>,
    /// Paused by the user (`pause`), recorded by its monitor.
    pub paused: bool,
    /// An error that kept the container from starting, for inspect.
    pub error: Option<String>,
    /// The log could not be written (a full disk): the first failure of the last monitor,
    /// recorded once; output since then is missing from the log. Shown by inspect.
    pub log_error: Option<String>,
    /// The process (a `commit` of an older version) that froze the container; reconcile
    /// thaws it if that died. Commits now hold their freeze through the monitor instead.
    pub paused_by: Option<ProcessId>,
    /// Its health (with a health check): written by its monitor alone, at each start and
    /// after each check.
    pub health: Option<Health>,
}

/// Docker's health states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub(crate) enum HealthStatus {
    /// Started; no check has passed yet.
    #[default]
    Starting,
    /// The last check passed.
    Healthy,
    /// `retries` checks in a row failed (or the checks stopped: the container ended or was
    /// paused, as Docker marks it).
    Unhealthy,
}

impl HealthStatus {
    /// Docker's word: starting, healthy, unhealthy.
    pub(crate) fn word(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// `State.Health`: the status, the failures in a row, the last 5 checks (oldest first).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct Health {
    pub status: HealthStatus,
    pub failing_streak: u32,
    pub log: Vec<HealthResult>,
}

/// One check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub(crate) struct HealthResult {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The command's exit code (-1: it could not run, or ran past its timeout).
    pub exit_code: i32,
    /// Its stdout and stderr, at most 4096 bytes ("..." after more).
    pub output: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_process_is_alive_and_a_wrong_start_time_is_not() {
        let me = ProcessId::current();
        assert!(me.alive());
        assert!(!ProcessId {
            pid: me.pid,
            start_time: me.start_time + 1
        }
        .alive());
        assert!(!ProcessId {
            pid: i32::MAX,
            start_time: 0
        }
        .alive());
    }
}
