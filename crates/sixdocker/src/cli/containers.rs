//! The operands and flags of the container commands other than `run`/`create`.

use clap::Args;
use six_engine::filters::FilterArg;
use six_engine::types::{
    CpuSet, Cpus, DetachKeys, EnvVar, MemorySize, MemorySwap, RestartPolicy, Signal,
};

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default: running only).
    #[arg(short, long)]
    pub all: bool,
    /// Print IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate IDs and commands.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only containers that pass (KEY=VALUE; id, name, label, status, exited, ancestor,
    /// before, since, network, volume, publish, expose, health, is-task).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<FilterArg>,
    /// Show the N last created containers, in any state (-1: no limit).
    #[arg(short = 'n', long = "last", value_name = "N", default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Show the latest created container, in any state.
    #[arg(short, long)]
    pub latest: bool,
    /// Show the bytes each container wrote (and, as "virtual", with its image).
    #[arg(short, long)]
    pub size: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

// `--format`: a Go template ("table TEMPLATE" for a table, "json" for JSON lines).
#[derive(Debug, Args, Default)]
pub struct FormatArg {
    /// Format the output with a Go template: 'table' (the default), 'table TEMPLATE', 'json',
    /// or 'TEMPLATE' (see Docker's formatting docs).
    #[arg(long = "format", value_name = "TEMPLATE")]
    pub format: Option<String>,
}

// `-f/--format` of inspect-like commands: a Go template for each object.
#[derive(Debug, Args, Default)]
pub struct InspectFormatArg {
    /// Format the output with a Go template ('json' for one JSON object a line).
    #[arg(short = 'f', long = "format", value_name = "TEMPLATE")]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep following the output.
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines from the end ("all" for everything).
    #[arg(
        short = 'n',
        long,
        value_name = "N",
        default_value = "all",
        allow_hyphen_values = true,
        value_parser = parse_tail
    )]
    pub tail: Tail,
    /// Prefix each line with its time.
    #[arg(short, long)]
    pub timestamps: bool,
    /// Only what was written since (a time such as 2026-12-05T18:00:00Z, or 10m for ten
    /// minutes ago).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// Only what was written before (same forms).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Keep stdin open.
    #[arg(short, long)]
    pub interactive: bool,
    /// Give the command a terminal.
    #[arg(short, long)]
    pub tty: bool,
    /// Run in the background.
    #[arg(short, long)]
    pub detach: bool,
    /// Give the command every capability.
    #[arg(long)]
    pub privileged: bool,
    /// Set an environment variable.
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<EnvVar>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or UID[:GID]).
    #[arg(short, long, allow_hyphen_values = true, value_parser = super::values::parse_user)]
    pub user: Option<String>,
    pub container: String,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach to the container's output and wait for it.
    #[arg(short, long)]
    pub attach: bool,
    /// Attach the container's stdin.
    #[arg(short, long)]
    pub interactive: bool,
    /// The keys that detach the terminal and leave the container running (default
    /// ctrl-p,ctrl-q).
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<DetachKeys>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing (negative: wait for ever, as Docker; default: the
    /// container's --stop-timeout, else 10).
    #[arg(
        short = 't',
        long = "time",
        visible_alias = "timeout",
        value_name = "SECONDS",
        allow_hyphen_values = true,
        value_parser = super::values::parse_stop_timeout
    )]
    pub time: Option<super::values::StopTimeout>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// The signal (name like KILL or SIGTERM, or a number).
    #[arg(short, long, default_value = "KILL")]
    pub signal: Signal,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Kill and remove running containers.
    #[arg(short, long)]
    pub force: bool,
    /// Remove the container's anonymous volumes too.
    #[arg(short, long)]
    pub volumes: bool,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Do not attach stdin.
    #[arg(long)]
    pub no_stdin: bool,
    /// Forward the signals the CLI receives to the container (no terminal).
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub sig_proxy: bool,
    /// The keys that detach the terminal and leave the container running (default
    /// ctrl-p,ctrl-q).
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<DetachKeys>,
    pub container: String,
}

// `update`'s flags: what is not given stays as it is.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Memory limit (e.g. 100m).
    #[arg(short, long, allow_hyphen_values = true)]
    pub memory: Option<MemorySize>,
    /// Memory plus swap limit (e.g. 200m), or -1 for unlimited swap.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<MemorySwap>,
    /// CPU shares (relative weight).
    #[arg(short = 'c', long, value_name = "SHARES", allow_hyphen_values = true, value_parser = super::values::parse_cpu_shares)]
    pub cpu_shares: Option<u64>,
    /// Number of CPUs (e.g. 1.5).
    #[arg(long, allow_hyphen_values = true)]
    pub cpus: Option<Cpus>,
    /// CPU time per period, in microseconds (CFS quota; -1 for no limit).
    #[arg(long, value_name = "MICROSECONDS", allow_hyphen_values = true)]
    pub cpu_quota: Option<i64>,
    /// The CFS period, in microseconds.
    #[arg(long, value_name = "MICROSECONDS")]
    pub cpu_period: Option<u64>,
    /// CPUs the container may use (e.g. 0,1 or 0-3).
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<CpuSet>,
    /// Memory nodes the container may use.
    #[arg(long, value_name = "NODES")]
    pub cpuset_mems: Option<CpuSet>,
    /// Maximum number of processes (-1 for unlimited).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Restart policy: no, on-failure[:N], always or unless-stopped.
    #[arg(long, value_name = "POLICY")]
    pub restart: Option<RestartPolicy>,
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    pub container: String,
    /// Checked when the command runs: a bad name exits 1, as Docker's daemon refuses it.
    pub new_name: String,
}

#[derive(Debug, Args)]
pub struct ContainersArg {
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerArg {
    pub container: String,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub format: InspectFormatArg,
    /// Add SizeRw and SizeRootFs to a container's document.
    #[arg(short, long)]
    pub size: bool,
    /// Only this kind of object.
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    pub kind: Option<ObjectKind>,
    /// Containers, images or networks (names or ID prefixes).
    #[arg(required = true)]
    pub names: Vec<String>,
}

/// What `inspect --type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectKind {
    Container,
    Image,
    Network,
    Volume,
}

impl InspectArgs {
    /// The same request, for one kind of object only (`container inspect`, `image inspect`).
    pub fn only(mut self, kind: ObjectKind) -> InspectArgs {
        self.kind = Some(kind);
        self
    }
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers (default: running only).
    #[arg(short, long)]
    pub all: bool,
    /// Print one sample and exit.
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate IDs.
    #[arg(long)]
    pub no_trunc: bool,
    #[command(flatten)]
    pub format: FormatArg,
    /// Containers (default: all running).
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    pub container: String,
    /// Only this port: PORT[/PROTO].
    pub private_port: Option<String>,
}

/// `--tail`: all lines (None) or the last N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail(pub Option<usize>);

fn parse_tail(s: &str) -> Result<Tail, String> {
    // Docker's daemon shows every line for a negative count.
    if s == "all" || s.parse::<i64>().is_ok_and(|n| n < 0) {
        return Ok(Tail(None));
    }
    s.parse()
        .map(|n| Tail(Some(n)))
        .map_err(|_| format!("invalid line count {s:?}: expected a number of lines or \"all\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_parsers() {
        assert_eq!(parse_tail("all"), Ok(Tail(None)));
        assert_eq!(parse_tail("5"), Ok(Tail(Some(5))));
        assert_eq!(parse_tail("-1"), Ok(Tail(None)), "Docker: negative is all");
        assert!(parse_tail("x").is_err());
    }
}

// `cp`: one side is `CONTAINER:PATH`, the other a host path or `-` (a tar on stdin/stdout).
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Archive mode: what is copied into the container gets its user's ids.
    #[arg(short, long)]
    pub archive: bool,
    /// Follow a symlink named as the source.
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Print nothing about the copy.
    #[arg(short, long)]
    pub quiet: bool,
    /// CONTAINER:SRC_PATH, or a host path (- for a tar on stdin).
    #[arg(value_name = "SRC")]
    pub source: String,
    /// A host path (- for a tar on stdout), or CONTAINER:DEST_PATH.
    #[arg(value_name = "DEST")]
    pub destination: String,
}

// `diff CONTAINER`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    pub container: String,
}
