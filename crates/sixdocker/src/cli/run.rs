//! The flags of `run` and `create` (Docker's, plus the original's `-image`), parsed into
//! `six_engine::types` values.

use std::path::PathBuf;

use clap::{ArgAction, Args};

use super::values::{parse_cpu_shares, parse_user};
use six_engine::types::{
    parse_dns_option, parse_dns_search, parse_dns_server, parse_ipc_mode, parse_ipv4,
    parse_network_alias, parse_pid_mode, parse_uts_mode, ContainerName, CpuSet, Cpus, DetachKeys,
    DeviceMapping, EnvVar, ExposedPorts, ExtraHost, GoDuration, Label, LogDriver, MemorySize,
    MemorySwap, MountSpec, NamespaceMode, NetworkMode, PortSpecs, RestartPolicy, Signal, TmpfsSpec,
    Ulimit, VolumeSpec, VolumesFrom,
};

// The flags of `run` and `create`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the container a terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Run in the background and print the container ID.
    #[arg(short, long)]
    pub detach: bool,
    /// The keys that detach the terminal and leave the container running (default
    /// ctrl-p,ctrl-q).
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<DetachKeys>,
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// The container's name.
    #[arg(long)]
    pub name: Option<ContainerName>,
    /// The image (the original's `-image`; Docker's form is the first operand).
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
    /// Set an environment variable (KEY=VALUE, or KEY to pass the caller's).
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<EnvVar>,
    /// Read environment variables from a file (KEY=VALUE lines, # comments).
    #[arg(long, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Bind a host path or mount a volume: /host/path:/path[:MODE], NAME:/path[:MODE], or
    /// /path (a new anonymous volume). MODE: ro|rw, z|Z, nocopy, a propagation.
    #[arg(short, long = "volume", value_name = "SOURCE:DEST[:MODE]")]
    pub volume: Vec<VolumeSpec>,
    /// Mount a bind, volume or tmpfs: type=bind|volume|tmpfs,source=...,target=...[,readonly]
    /// [,bind-propagation=...][,volume-nocopy][,tmpfs-size=...][,tmpfs-mode=...].
    #[arg(long, value_name = "KEY=VALUE,...")]
    pub mount: Vec<MountSpec>,
    /// Mount a new tmpfs: /path[:OPTIONS] (size=..., mode=..., uid=..., ro, exec...).
    #[arg(long, value_name = "PATH[:OPTIONS]")]
    pub tmpfs: Vec<TmpfsSpec>,
    /// Mount every volume and bind of another container: NAME[:ro|rw].
    #[arg(long, value_name = "CONTAINER[:ro|rw]")]
    pub volumes_from: Vec<VolumesFrom>,
    /// Memory limit (e.g. 100m).
    #[arg(short, long, allow_hyphen_values = true)]
    pub memory: Option<MemorySize>,
    /// Memory plus swap limit (e.g. 200m), or -1 for unlimited swap.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<MemorySwap>,
    /// CPU shares (relative weight; the original's -cpushare).
    #[arg(long, value_name = "SHARES", allow_hyphen_values = true, value_parser = parse_cpu_shares)]
    pub cpu_shares: Option<u64>,
    /// Number of CPUs (e.g. 1.5).
    #[arg(long, allow_hyphen_values = true)]
    pub cpus: Option<Cpus>,
    /// CPUs the container may use (e.g. 0,1 or 0-3; the original's -cpuset).
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<CpuSet>,
    /// Memory nodes the container may use (e.g. 0 or 0-1).
    #[arg(long, value_name = "NODES")]
    pub cpuset_mems: Option<CpuSet>,
    /// CPU time per period, in microseconds (CFS quota; -1 for no limit; not with --cpus).
    #[arg(long, value_name = "MICROSECONDS", allow_hyphen_values = true)]
    pub cpu_quota: Option<i64>,
    /// The CFS period, in microseconds (1000-1000000; not with --cpus).
    #[arg(long, value_name = "MICROSECONDS")]
    pub cpu_period: Option<u64>,
    /// Maximum number of processes (-1 for unlimited).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or UID[:GID]).
    #[arg(short, long, allow_hyphen_values = true, value_parser = parse_user)]
    pub user: Option<String>,
    /// The container's hostname.
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Override the image's entrypoint.
    #[arg(long, value_name = "CMD")]
    pub entrypoint: Option<String>,
    /// Mount the container's root filesystem read-only.
    #[arg(long)]
    pub read_only: bool,
    /// Add a Linux capability (e.g. NET_ADMIN).
    #[arg(long, value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability (e.g. CHOWN, or ALL).
    #[arg(long, value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Run a small init (sixinit) as PID 1: it forwards signals and reaps zombies.
    #[arg(long)]
    pub init: bool,
    /// The PID namespace: host (the host's) or container:NAME (another container's; default:
    /// one of its own).
    #[arg(long, value_name = "MODE", value_parser = parse_pid_mode)]
    pub pid: Option<NamespaceMode>,
    /// The UTS namespace: host (the host's name; default: one of its own).
    #[arg(long, value_name = "MODE", value_parser = parse_uts_mode)]
    pub uts: Option<NamespaceMode>,
    /// The IPC namespace: private (the default), shareable (its own, which others may join),
    /// none (its own, no /dev/shm), host (the host's, with its /dev/shm) or container:NAME (a
    /// shareable container's, with its /dev/shm).
    #[arg(long, value_name = "MODE", value_parser = parse_ipc_mode)]
    pub ipc: Option<NamespaceMode>,
    /// The cgroup the container's own cgroup is made in (below sixdocker's own cgroup).
    #[arg(long, value_name = "CGROUP")]
    pub cgroup_parent: Option<String>,
    /// Give the container a host device: HOST[:CONTAINER][:PERMISSIONS] (PERMISSIONS: what
    /// the device cgroup allows, some of r, w, m; default rwm).
    #[arg(long, value_name = "HOST[:CONTAINER][:rwm]")]
    pub device: Vec<DeviceMapping>,
    /// Give the container every capability and the host's devices, without seccomp.
    #[arg(long)]
    pub privileged: bool,
    /// Security options: no-new-privileges[=true|false], seccomp=unconfined (no filter) or
    /// seccomp=PROFILE.json (a profile in Docker's format).
    #[arg(long, value_name = "OPT", value_parser = parse_security_opt)]
    pub security_opt: Vec<SecurityOpt>,
    /// Restart policy: no, on-failure[:N] or always.
    #[arg(long, value_name = "POLICY", default_value = "no")]
    pub restart: RestartPolicy,
    /// Network: bridge (default), none, host or a network's name (the original's -network).
    #[arg(long, alias = "net", value_name = "NETWORK", default_value = "bridge")]
    pub network: NetworkMode,
    /// Its IPv4 address on the --network network (a user-defined one whose subnet was given
    /// at network create).
    #[arg(long, value_name = "ADDRESS", value_parser = parse_ipv4)]
    pub ip: Option<std::net::Ipv4Addr>,
    /// Another name the containers of the --network network (user-defined) resolve to it.
    #[arg(long, value_name = "NAME", value_parser = parse_network_alias)]
    pub network_alias: Vec<String>,
    /// Publish a port: [IP:][HOSTPORT:]CPORT[/tcp|udp].
    #[arg(
        short,
        long = "publish",
        value_name = "PORT",
        allow_hyphen_values = true
    )]
    pub publish: Vec<PortSpecs>,
    /// Publish every port the container exposes (the image's and --expose's) on a free host
    /// port.
    #[arg(short = 'P', long)]
    pub publish_all: bool,
    /// Expose a port or a range without publishing it: PORT[-LAST][/tcp|udp] (-P publishes it).
    #[arg(long, value_name = "PORT")]
    pub expose: Vec<ExposedPorts>,
    /// Another group for the container's processes (a name in the image's /etc/group, or a GID).
    #[arg(long, value_name = "GROUP")]
    pub group_add: Vec<String>,
    /// A resource limit: NAME=SOFT[:HARD] (like nofile=1024:2048; -1 unlimited).
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    pub ulimit: Vec<Ulimit>,
    /// The size of /dev/shm (default 64m).
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub shm_size: Option<MemorySize>,
    /// The signal `stop` sends first (default: the image's STOPSIGNAL, else SIGTERM).
    #[arg(long, value_name = "SIGNAL")]
    pub stop_signal: Option<Signal>,
    /// Seconds `stop` waits before SIGKILL when not given -t (default 10; negative: for ever).
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true)]
    pub stop_timeout: Option<i64>,
    /// A command that checks the container's health (run with /bin/sh -c in the container).
    #[arg(long, value_name = "COMMAND")]
    pub health_cmd: Option<String>,
    /// Time between two health checks (default 30s; Go durations: 1m30s, 500ms...).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub health_interval: Option<GoDuration>,
    /// How long one health check may run (default 30s).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub health_timeout: Option<GoDuration>,
    /// Failed checks in this time after the start do not count (default 0s).
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub health_start_period: Option<GoDuration>,
    /// Failed checks in a row that make the container unhealthy (default 3).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub health_retries: Option<i64>,
    /// No health check, not even the image's HEALTHCHECK.
    #[arg(long)]
    pub no_healthcheck: bool,
    /// Set a label on the container: KEY=VALUE (or KEY for an empty value).
    #[arg(short = 'l', long = "label", value_name = "KEY=VALUE")]
    pub label: Vec<Label>,
    /// Read labels from a file (KEY=VALUE lines, # comments).
    #[arg(long, value_name = "FILE")]
    pub label_file: Vec<PathBuf>,
    /// Add a line to /etc/hosts: NAME:IP (or NAME:host-gateway for the host).
    #[arg(long, value_name = "NAME:IP")]
    pub add_host: Vec<ExtraHost>,
    /// A DNS server for the container (instead of the host's).
    #[arg(long, value_name = "IP", value_parser = parse_dns_server)]
    pub dns: Vec<std::net::IpAddr>,
    /// A DNS search domain (instead of the host's; "." for none).
    #[arg(long, value_name = "DOMAIN", value_parser = parse_dns_search)]
    pub dns_search: Vec<String>,
    /// A DNS resolver option, like ndots:2 (instead of the host's).
    #[arg(long, value_name = "OPTION", value_parser = parse_dns_option)]
    pub dns_option: Vec<String>,
    /// Logging driver: json-file (default), local or none (no log; `logs` cannot read it).
    #[arg(long, value_name = "DRIVER")]
    pub log_driver: Option<LogDriver>,
    /// Log driver option: max-size=SIZE (k, m, g: powers of 1000), max-file=N,
    /// compress=false. The log is rotated into N files of SIZE each. Default: json-file with
    /// max-size=20m max-file=5 (Docker's json-file has no limit); local: 5 files of 20 MiB.
    #[arg(long, value_name = "KEY=VALUE")]
    pub log_opt: Vec<String>,
    /// Pull the image before running: missing (default), always or never.
    #[arg(long, value_name = "POLICY", default_value = "missing")]
    pub pull: six_engine::PullPolicy,
    /// The platform of the image to pull (os/arch[/variant]).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<six_registry::Platform>,
    /// Set by `argv::normalise` for the original's `run [FLAGS] -- CMD...`: the operands are
    /// the command, to run on the default (or -image) image.
    #[arg(long = crate::argv::COMMAND_FOLLOWS, hide = true)]
    pub command_follows: bool,
    /// IMAGE, then the command and its arguments.
    #[arg(value_name = "IMAGE [CMD]", trailing_var_arg = true)]
    pub operands: Vec<String>,
}

/// One `--security-opt`, as Docker's CLI reads it (`KEY=VALUE` or `KEY:VALUE`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecurityOpt {
    /// `seccomp=unconfined`: no filter.
    SeccompUnconfined,
    /// `seccomp=FILE`: the profile in it (Docker's format), read here and kept compacted.
    Seccomp(String),
    /// `no-new-privileges[=true|false]`.
    NoNewPrivileges(bool),
}

fn parse_security_opt(s: &str) -> Result<SecurityOpt, String> {
    let (key, value) = match s.split_once('=').or_else(|| s.split_once(':')) {
        Some((k, v)) => (k, Some(v)),
        None => (s, None),
    };
    match (key, value) {
        ("no-new-privileges", None) => Ok(SecurityOpt::NoNewPrivileges(true)),
        ("no-new-privileges", Some(v)) => {
            v.parse().map(SecurityOpt::NoNewPrivileges).map_err(|_| {
                format!("invalid security option \"{s}\": no-new-privileges takes true or false")
            })
        }
        ("seccomp", Some("unconfined")) => Ok(SecurityOpt::SeccompUnconfined),
        ("seccomp", Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("opening seccomp profile ({path}) failed: {e}"))?;
            let json: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("seccomp profile ({path}) is not JSON: {e}"))?;
            Ok(SecurityOpt::Seccomp(json.to_string()))
        }
        _ => Err(format!(
            "invalid security option \"{s}\": expected no-new-privileges[=true|false], \
             seccomp=unconfined or seccomp=PROFILE.json"
        )),
    }
}
