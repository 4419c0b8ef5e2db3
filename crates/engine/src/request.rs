//! What callers hand the engine and what it hands back: run and exec requests, log options,
//! ps rows, top and stats. Plain data; the rules live in [`crate::types`].

use serde::{Deserialize, Serialize};

use crate::types::{
    ContainerName, CpuSet, Cpus, DetachKeys, EnvVar, LogConfig, MemorySize, MemorySwap,
    NetworkMode, PortSpec, RestartPolicy, VolumeSpec,
};

/// `docker run`'s options. `RunRequest::default()` is `run busybox` with the image's command.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRequest {
    /// None: the default image, busybox.
    pub image: Option<String>,
    pub cmd: Vec<String>,
    /// Some(vec![]) clears the image's entrypoint.
    pub entrypoint: Option<Vec<String>>,
    pub name: Option<ContainerName>,
    /// `-e` and `--env-file`, in order; later ones win.
    pub env: Vec<EnvVar>,
    pub volumes: Vec<VolumeSpec>,
    pub memory: Option<MemorySize>,
    pub memory_swap: Option<MemorySwap>,
    pub cpu_shares: Option<u64>,
    pub cpus: Option<Cpus>,
    pub cpuset_cpus: Option<CpuSet>,
    pub pids_limit: Option<i64>,
    pub workdir: Option<String>,
    /// `uid[:gid]` or a user name from the image's /etc/passwd.
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub read_only: bool,
    /// "NET_ADMIN", "CAP_NET_ADMIN" or "ALL".
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub restart: RestartPolicy,
    pub network: NetworkMode,
    pub ports: Vec<PortSpec>,
    pub tty: bool,
    pub interactive: bool,
    pub detach: bool,
    pub auto_remove: bool,
    /// `--security-opt seccomp=unconfined`: no seccomp filter (default: Docker's profile).
    pub seccomp_unconfined: bool,
    /// `--log-driver` and `--log-opt` (default: json-file, 5 files of 20m). Records written
    /// before it existed get the default.
    #[serde(default)]
    pub log: LogConfig,
    /// `--detach-keys` of a foreground `run -it` (None: Ctrl-P Ctrl-Q). Not kept.
    #[serde(skip)]
    pub detach_keys: Option<DetachKeys>,
}

/// What `run` gives back: the container's full ID and, in the foreground, its exit code
/// (None: detached, with `-d` or the detach keys).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub id: String,
    pub exit_code: Option<i32>,
}

/// `docker exec`'s options.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    pub cmd: Vec<String>,
    pub env: Vec<EnvVar>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub interactive: bool,
    pub detach: bool,
}

/// `docker logs`'s options.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub tail: Option<usize>,
    pub timestamps: bool,
}

/// One `docker ps` row, already in Docker's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerSummary {
    /// The full 64-hex ID (the CLI shows 12).
    pub id: String,
    pub image: String,
    /// The command quoted as docker ps shows it: `"top"`.
    pub command: String,
    /// "2 minutes ago".
    pub created: String,
    /// "Up 3 seconds", "Exited (137) 2 seconds ago", "Created".
    pub status: String,
    /// "0.0.0.0:8080->80/tcp".
    pub ports: String,
    pub names: String,
    /// The command line as run (entrypoint and arguments, unquoted).
    pub command_line: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Docker's `State` word: created, running, restarting, exited, removing.
    pub state: String,
    /// The networks it is attached to, by name.
    pub networks: Vec<String>,
    /// What is mounted into it: bind sources (Docker shows a volume's name instead).
    pub mounts: Vec<String>,
    /// Its labels (`Config.Labels`).
    pub labels: std::collections::BTreeMap<String, String>,
}

/// `docker top`: column titles and one row per process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Top {
    pub titles: Vec<String>,
    pub processes: Vec<Vec<String>>,
}

/// `docker stats --no-stream`: one sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerStats {
    pub id: String,
    pub name: String,
    pub cpu_percent: f64,
    pub memory_usage: u64,
    /// The limit, or the host's memory when there is none.
    pub memory_limit: u64,
    pub memory_percent: f64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}
