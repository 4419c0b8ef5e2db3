//! What callers hand the engine and what it hands back: run and exec requests, log options,
//! ps rows, top and stats. Plain data; the rules live in [`crate::types`].

use serde::{Deserialize, Serialize};

use crate::types::{
    ContainerName, CpuSet, Cpus, DetachKeys, DeviceMapping, EnvVar, ExposedPort, ExtraHost,
    LogConfig, MemorySize, MemorySwap, MountSpec, NamespaceMode, NetworkMode, PortSpec,
    RestartPolicy, Signal, TmpfsSpec, Ulimit, VolumeSpec, VolumesFrom,
};

/// `docker run`'s options. `RunRequest::default()` is `run busybox` with the image's command.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRequest {
    /// None: the default image, busybox.
    pub image: Option<String>,
    /// The command after the image (empty: the image's).
    pub cmd: Vec<String>,
    /// Some(vec![]) clears the image's entrypoint.
    pub entrypoint: Option<Vec<String>>,
    /// `--name` (None: a generated one).
    pub name: Option<ContainerName>,
    /// `-e` and `--env-file`, in order; later ones win.
    pub env: Vec<EnvVar>,
    /// `-v`: binds, named and anonymous volumes.
    pub volumes: Vec<VolumeSpec>,
    /// `--mount`: binds, volumes and tmpfs mounts.
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    /// `--tmpfs`.
    #[serde(default)]
    pub tmpfs: Vec<TmpfsSpec>,
    /// `--volumes-from`: every mount of these containers.
    #[serde(default)]
    pub volumes_from: Vec<VolumesFrom>,
    /// `-m`: the memory limit.
    pub memory: Option<MemorySize>,
    /// `--memory-swap`: memory plus swap (needs `-m`).
    pub memory_swap: Option<MemorySwap>,
    /// `--cpu-shares`: the relative CPU weight (2-262144).
    pub cpu_shares: Option<u64>,
    /// `--cpus`: the CPU quota, in CPUs.
    pub cpus: Option<Cpus>,
    /// `--cpuset-cpus`: the CPUs it may run on.
    pub cpuset_cpus: Option<CpuSet>,
    /// `--cpu-quota` (µs per period, -1 unlimited) and `--cpu-period` (µs), not with `cpus`.
    #[serde(default)]
    pub cpu_quota: Option<i64>,
    /// `--cpu-period`: the CFS period in µs (1000-1000000).
    #[serde(default)]
    pub cpu_period: Option<u64>,
    /// `--cpuset-mems`: the memory nodes it may use.
    #[serde(default)]
    pub cpuset_mems: Option<CpuSet>,
    /// `--pids-limit` (0 or less: unlimited).
    pub pids_limit: Option<i64>,
    /// `-w`: the working directory (None: the image's, else /).
    pub workdir: Option<String>,
    /// `uid[:gid]` or a user name from the image's /etc/passwd.
    pub user: Option<String>,
    /// `-h` (None: the ID's first 12 characters; the host's name with `--network host`).
    pub hostname: Option<String>,
    /// `--read-only`: the root file system is mounted read-only.
    pub read_only: bool,
    /// "NET_ADMIN", "CAP_NET_ADMIN" or "ALL".
    pub cap_add: Vec<String>,
    /// Capabilities taken out of Docker's default set (same forms).
    pub cap_drop: Vec<String>,
    /// `--restart`.
    pub restart: RestartPolicy,
    /// `--network`.
    pub network: NetworkMode,
    /// `--ip`: its address on the `--network` network (a user-defined one with a subnet
    /// given at its creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<std::net::Ipv4Addr>,
    /// `--network-alias`: more names it has on the `--network` network (user-defined).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_aliases: Vec<String>,
    /// `-p` published ports.
    pub ports: Vec<PortSpec>,
    /// `--expose`: ports it exposes without publishing them (`-P` publishes them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<ExposedPort>,
    /// `-P`: every port it exposes (the image's, `--expose`'s), on free host ports (those `-p`
    /// names as `-p` says).
    #[serde(default)]
    pub publish_all: bool,
    /// `--group-add`: more groups for its processes (names in the image's /etc/group, or
    /// gids).
    #[serde(default)]
    pub group_add: Vec<String>,
    /// `--ulimit`: resource limits of its process (none: the runtime's own).
    #[serde(default)]
    pub ulimits: Vec<Ulimit>,
    /// `--shm-size`: the size of its /dev/shm (None: 64 MB).
    #[serde(default)]
    pub shm_size: Option<MemorySize>,
    /// `--stop-signal`: what `stop` sends first (None: the image's STOPSIGNAL, else SIGTERM).
    #[serde(default)]
    pub stop_signal: Option<Signal>,
    /// `--stop-timeout`: seconds `stop` waits before SIGKILL when not given `-t` (None: 10;
    /// negative: for ever).
    #[serde(default)]
    pub stop_timeout: Option<i64>,
    /// `-l` and `--label-file` labels, on top of the image's (later ones win).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// `--add-host NAME:IP` lines for its /etc/hosts.
    #[serde(default)]
    pub add_hosts: Vec<ExtraHost>,
    /// `--dns`: its name servers (none: the host's).
    #[serde(default)]
    pub dns: Vec<std::net::IpAddr>,
    /// `--dns-search`: its search domains (none: the host's; `.`: no search domain).
    #[serde(default)]
    pub dns_search: Vec<String>,
    /// `--dns-option`: its resolver options (none: the host's).
    #[serde(default)]
    pub dns_options: Vec<String>,
    /// `-t`: a pty as its stdio.
    pub tty: bool,
    /// `-i`: its stdin stays open to the client.
    pub interactive: bool,
    /// `-d`: return once it runs.
    pub detach: bool,
    /// `--rm`: removed when it ends.
    pub auto_remove: bool,
    /// `--security-opt seccomp=unconfined`: no seccomp filter (default: Docker's profile).
    pub seccomp_unconfined: bool,
    /// `--security-opt seccomp=FILE`: the profile (Docker's format, compact JSON), instead of
    /// Docker's default one.
    #[serde(default)]
    pub seccomp_profile: Option<String>,
    /// `--init`: sixinit runs as its PID 1 and starts its command (forwarding signals,
    /// reaping zombies).
    #[serde(default)]
    pub init: bool,
    /// `--pid host`: the host's PID namespace.
    #[serde(default)]
    pub pid_mode: NamespaceMode,
    /// `--uts host`: the host's UTS namespace (its hostname).
    #[serde(default)]
    pub uts_mode: NamespaceMode,
    /// `--ipc host`: the host's IPC namespace (and /dev/shm).
    #[serde(default)]
    pub ipc_mode: NamespaceMode,
    /// `--cgroup-parent`: the cgroup its own is made in (below the engine's cgroup parent).
    #[serde(default)]
    pub cgroup_parent: Option<String>,
    /// `--health-*` and `--no-healthcheck` (Docker's HealthConfig; None: the image's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<crate::types::HealthConfig>,
    /// `--device`: host device nodes it gets, with their device cgroup permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceMapping>,
    /// `--privileged`: every capability and host device, no seccomp, nothing masked.
    #[serde(default)]
    pub privileged: bool,
    /// `--security-opt no-new-privileges`: its processes can gain no privileges (setuid).
    #[serde(default)]
    pub no_new_privileges: bool,
    /// `--log-driver` and `--log-opt` (default: json-file, 5 files of 20m). Records written
    /// before it existed get the default.
    #[serde(default)]
    pub log: LogConfig,
    /// `--detach-keys` of a foreground `run -it` (None: Ctrl-P Ctrl-Q). Not kept.
    #[serde(skip)]
    pub detach_keys: Option<DetachKeys>,
}

/// How a container joins one network (`--ip` and `--network-alias` for `--network`'s,
/// `network connect --ip --alias` for the others). Default: the lowest free address, no
/// aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointSettings {
    /// The address it asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<std::net::Ipv4Addr>,
    /// More names it has there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl EndpointSettings {
    /// No address asked for, no alias.
    pub fn is_empty(&self) -> bool {
        self.ip.is_none() && self.aliases.is_empty()
    }
}

/// What `run` gives back: the container's full ID and, in the foreground, its exit code
/// (None: detached, with `-d` or the detach keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The container's full ID.
    pub id: String,
    /// Its exit code (None when detached).
    pub exit_code: Option<i32>,
}

/// `docker update`'s options: None (or 0, as Docker reads it) leaves a value as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    /// `-m`: the memory limit.
    pub memory: Option<MemorySize>,
    /// `--memory-swap`: memory plus swap (-1 unlimited).
    pub memory_swap: Option<MemorySwap>,
    /// `-c`/`--cpu-shares`: the relative CPU weight.
    pub cpu_shares: Option<u64>,
    /// `--cpus`: the CPU quota, in CPUs.
    pub cpus: Option<Cpus>,
    /// `--cpu-quota`: µs per period (-1 unlimited).
    pub cpu_quota: Option<i64>,
    /// `--cpu-period`: the CFS period in µs.
    pub cpu_period: Option<u64>,
    /// `--cpuset-cpus`: the CPUs it may run on.
    pub cpuset_cpus: Option<CpuSet>,
    /// `--cpuset-mems`: the memory nodes it may use.
    pub cpuset_mems: Option<CpuSet>,
    /// `--pids-limit` (negative: unlimited).
    pub pids_limit: Option<i64>,
    /// `--restart`.
    pub restart: Option<RestartPolicy>,
}

impl UpdateRequest {
    /// Nothing to change (Docker: "you must provide one or more flags").
    pub fn is_empty(&self) -> bool {
        self.memory.is_none()
            && self.memory_swap.is_none()
            && self.cpu_shares.is_none()
            && self.cpus.is_none()
            && self.cpu_quota.is_none()
            && self.cpu_period.is_none()
            && self.cpuset_cpus.is_none()
            && self.cpuset_mems.is_none()
            && self.pids_limit.is_none()
            && self.restart.is_none()
    }
}

/// `docker exec`'s options.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    /// The command and its arguments.
    pub cmd: Vec<String>,
    /// `-e`: added to the container's environment (later ones win).
    pub env: Vec<EnvVar>,
    /// `-w` (None: the container's).
    pub workdir: Option<String>,
    /// `-u` (None: the container's user).
    pub user: Option<String>,
    /// `-t`: a pty.
    pub tty: bool,
    /// `-i`: the client's stdin is the process's.
    pub interactive: bool,
    /// `-d`: return at once, the process running.
    pub detach: bool,
    /// `--privileged`: every capability for this process.
    pub privileged: bool,
}

/// `docker logs`'s options.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// `-f`: keep following until the container ends.
    pub follow: bool,
    /// `--tail N`: only the last N lines (None: all).
    pub tail: Option<usize>,
    /// `-t`: each line prefixed with its time.
    pub timestamps: bool,
    /// `--since`: only entries written at or after this time.
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// `--until`: only entries written at or before this time; following stops once it has
    /// passed.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// One `docker ps` row, already in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSummary {
    /// The full 64-hex ID (the CLI shows 12).
    pub id: String,
    /// The image, as the user named it.
    pub image: String,
    /// The command quoted as docker ps shows it: `"top"`.
    pub command: String,
    /// "2 minutes ago".
    pub created: String,
    /// "Up 3 seconds", "Exited (137) 2 seconds ago", "Created".
    pub status: String,
    /// "0.0.0.0:8080->80/tcp".
    pub ports: String,
    /// Its name.
    pub names: String,
    /// The command line as run (entrypoint and arguments, unquoted).
    pub command_line: String,
    /// When it was created.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Docker's `State` word: created, running, restarting, exited, removing.
    pub state: String,
    /// The networks it is attached to, by name.
    pub networks: Vec<String>,
    /// What is mounted into it: a volume's name, a bind's source ("" for a tmpfs).
    pub mounts: Vec<String>,
    /// How many volumes it mounts (ps's `.LocalVolumes`).
    pub local_volumes: usize,
    /// Its labels (`Config.Labels`).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// `docker top`: column titles and one row per process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Top {
    /// UID PID PPID C STIME TTY TIME CMD.
    pub titles: Vec<String>,
    /// One row per process, a value per title.
    pub processes: Vec<Vec<String>>,
}

/// `docker stats --no-stream`: one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerStats {
    /// The container's full ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// CPU use over a 200 ms sample, in percent of one CPU.
    pub cpu_percent: f64,
    /// Memory in use, in bytes.
    pub memory_usage: u64,
    /// The limit, or the host's memory when there is none.
    pub memory_limit: u64,
    /// Memory use in percent of the limit.
    pub memory_percent: f64,
    /// Bytes received on its network interfaces.
    pub net_rx: u64,
    /// Bytes sent.
    pub net_tx: u64,
    /// Bytes read from block devices.
    pub block_read: u64,
    /// Bytes written to them.
    pub block_write: u64,
    /// Its processes.
    pub pids: u64,
}
