//! The command line of `sixrun`, as runc spells it: global flags, subcommands and their
//! flags (clap derive). It only describes; `main.rs` and the command files act.
//!
//! Every flag takes `--flag value` and `--flag=value`; an unknown flag is an error.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Help and version are rendered in runc's shape by `help.rs`, and `help`/`h` handled by
/// `parse.rs`: clap's own are off (clap's `-h`/`--help` flags stay, to say help was asked).
#[derive(Parser, Debug)]
#[command(
    name = "sixrun",
    about = "sixrun: a runc-compatible OCI runtime",
    disable_version_flag = true,
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Root directory for storage of container state (this should be located in tmpfs).
    #[arg(long, global = true, default_value = six_runtime::DEFAULT_ROOT)]
    pub root: PathBuf,
    /// Set the log file to write sixrun's logs to (default is stderr).
    #[arg(long, global = true)]
    pub log: Option<PathBuf>,
    /// Set the log format ('text' (default), or 'json').
    #[arg(long = "log-format", global = true, default_value = "text")]
    pub log_format: String,
    /// Enable debug logging: every step of the start path with its timing.
    #[arg(long, global = true)]
    pub debug: bool,
    /// Print every step that touches the kernel on stderr, from every process involved, with
    /// its time and source line, then the time per phase ('--trace=json': JSON lines).
    #[arg(long, global = true, value_name = "json", num_args = 0..=1, require_equals = true,
          default_missing_value = "text", value_parser = ["text", "json"])]
    pub trace: Option<String>,
    /// Use systemd for cgroups (not supported: a clear error).
    #[arg(long = "systemd-cgroup", global = true)]
    pub systemd_cgroup: bool,
    /// Accepted for runc compatibility (checkpoint/restore is not supported).
    #[arg(long, global = true, value_name = "PATH")]
    pub criu: Option<String>,
    /// runc's rootless mode: only "false" or "auto" (sixrun runs as root).
    #[arg(long, global = true, value_name = "true|false|auto", num_args = 0..=1, default_missing_value = "true")]
    pub rootless: Option<String>,
    /// Print the version.
    #[arg(short = 'v', long)]
    pub version: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl Cli {
    /// `--log-format`, refused with runc's words when it is neither text nor json.
    pub fn log_format(&self) -> Result<LogFormat, String> {
        match self.log_format.as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("invalid log-format: {other}")),
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

// Each subcommand's flags are added when it is the one parsed (`defer`), not all eighteen at
// every start: building the whole tree was most of the heap of every sixrun process (~250 kB
// of `sixrun state`'s 300) and of its parsing time (docs/performance.md). (A plain comment: a
// doc comment here would become the parent command's about text.)
#[derive(Subcommand, Debug)]
#[command(defer = true)]
pub enum Command {
    /// Create a container (its init waits for `start`).
    Create(CreateArgs),
    /// Start a created container.
    Start { id: String },
    /// Create and start a container; wait for it unless --detach.
    Run(RunArgs),
    /// Print the state of a container as JSON.
    State { id: String },
    /// Send a signal (default TERM) to the container's init, or with --all to all its processes.
    Kill(KillArgs),
    /// Delete a container (and with --force, kill it first).
    Delete(DeleteArgs),
    /// Run a new process inside a container.
    Exec(ExecArgs),
    /// List the processes of a container.
    Ps(PsArgs),
    /// List containers.
    #[command(alias = "ls")]
    List(ListArgs),
    /// Write a default config.json.
    Spec(SpecArgs),
    /// Print the features of this runtime as JSON.
    Features,
    /// Suspend every process of a container (cgroup freezer).
    Pause { id: String },
    /// Resume a paused container.
    Resume { id: String },
    /// Not supported: runc checkpoints with CRIU, sixrun has no CRIU support (a clear error).
    Checkpoint(CriuArgs),
    /// Not supported: runc restores with CRIU, sixrun has no CRIU support (a clear error).
    Restore(CriuArgs),
    /// Change the resource limits of a container.
    Update(Box<UpdateArgs>),
    /// Print a container's events as JSON lines: stats every interval, OOM kills.
    Events(EventsArgs),
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Path to the bundle (config.json and rootfs).
    #[arg(short = 'b', long, default_value = ".")]
    pub bundle: PathBuf,
    /// Unix socket that receives the pty master (process.terminal).
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// File to write the init's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Use MS_MOVE + chroot instead of pivot_root.
    #[arg(long = "no-pivot")]
    pub no_pivot: bool,
    /// Do not create a new session keyring.
    #[arg(long = "no-new-keyring")]
    pub no_new_keyring: bool,
    /// Pass fds 3 .. 3+N to the container.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    pub id: String,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub create: CreateArgs,
    /// Return after start instead of waiting for the container.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keep the container after it exits (do not delete it).
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Signal every process of the container, not only its init.
    #[arg(short = 'a', long)]
    pub all: bool,
    pub id: String,
    /// Name (TERM, SIGKILL) or number; default TERM.
    pub signal: Option<String>,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Kill the container first if it is running.
    #[arg(short = 'f', long)]
    pub force: bool,
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// A JSON file with the OCI process to run (instead of ARGS).
    #[arg(short = 'p', long)]
    pub process: Option<PathBuf>,
    /// Allocate a pty.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Unix socket that receives the pty master.
    #[arg(long = "console-socket")]
    pub console_socket: Option<PathBuf>,
    /// Return at once instead of waiting for the process.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// File to write the process's pid to.
    #[arg(long = "pid-file")]
    pub pid_file: Option<PathBuf>,
    /// Working directory in the container.
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Environment variable KEY=VALUE (repeatable).
    #[arg(short = 'e', long)]
    pub env: Vec<String>,
    /// uid[:gid].
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Additional gids (repeatable).
    #[arg(short = 'g', long = "additional-gids")]
    pub additional_gids: Vec<u32>,
    /// Add a capability (repeatable).
    #[arg(short = 'c', long = "cap")]
    pub cap: Vec<String>,
    /// Set no_new_privs.
    #[arg(long = "no-new-privs")]
    pub no_new_privs: bool,
    /// Pass fds 3 .. 3+N to the process.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    pub preserve_fds: u32,
    /// run the process in an (existing) sub-cgroup(s). Format is [<controller>:]<cgroup>.
    #[arg(long = "cgroup")]
    pub cgroup: Vec<String>,
    /// allow exec in a paused container
    #[arg(long = "ignore-paused")]
    pub ignore_paused: bool,
    pub id: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// select one of: table or json
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The container ID, then options for ps(1) (default -ef): as in runc, everything after
    /// the ID goes to ps, `-f` and `--format` too (one positional, so that clap does not
    /// take them as ours).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub id_and_ps_options: Vec<String>,
}

/// `checkpoint`/`restore`: runc's flags are taken only to refuse the command clearly.
#[derive(Args, Debug)]
pub struct CriuArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// select one of: table or json
    #[arg(short = 'f', long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// display only container IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Where to write config.json.
    #[arg(short = 'b', long, default_value = ".")]
    pub bundle: PathBuf,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// How often to print the container's stats (a Go duration: 5s, 100ms, 1m30s).
    #[arg(long, default_value = "5s", allow_hyphen_values = true)]
    pub interval: String,
    /// Print the container's stats once, then exit.
    #[arg(long)]
    pub stats: bool,
    pub id: String,
}

/// runc's `update` flags. Each value is kept as written and read as runc reads it
/// (`values.rs`), so negative values are values (`--cpu-quota -1`) and an empty one is as if
/// not given. With `--resources`, the other limit flags are ignored, as in runc.
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// A JSON file with linux.resources ("-" for stdin); the other limit flags are then ignored.
    #[arg(short = 'r', long, value_name = "FILE|-")]
    pub resources: Option<String>,
    /// Per cgroup block I/O weight, 10 to 1000.
    #[arg(long = "blkio-weight", allow_hyphen_values = true)]
    pub blkio_weight: Option<String>,
    /// CPU CFS period (microseconds); 0: the system default.
    #[arg(long = "cpu-period", allow_hyphen_values = true)]
    pub cpu_period: Option<String>,
    /// CPU CFS quota (microseconds) per period; -1: unlimited.
    #[arg(long = "cpu-quota", allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// CPU CFS burst (microseconds) a period may add from unused quota.
    #[arg(long = "cpu-burst", allow_hyphen_values = true)]
    pub cpu_burst: Option<String>,
    /// CPU shares (relative weight against other containers).
    #[arg(long = "cpu-share", alias = "cpu-shares", allow_hyphen_values = true)]
    pub cpu_share: Option<String>,
    /// CPU realtime period (microseconds); 0: the system default.
    #[arg(long = "cpu-rt-period", allow_hyphen_values = true)]
    pub cpu_rt_period: Option<String>,
    /// CPU realtime runtime (microseconds) per realtime period.
    #[arg(long = "cpu-rt-runtime", allow_hyphen_values = true)]
    pub cpu_rt_runtime: Option<String>,
    /// CPUs to use (cpuset, such as 0-2,4).
    #[arg(long = "cpuset-cpus", allow_hyphen_values = true)]
    pub cpuset_cpus: Option<String>,
    /// Memory nodes to use (cpuset).
    #[arg(long = "cpuset-mems", allow_hyphen_values = true)]
    pub cpuset_mems: Option<String>,
    /// 1: the cgroup's tasks get SCHED_IDLE; 0: the default.
    #[arg(long = "cpu-idle", allow_hyphen_values = true)]
    pub cpu_idle: Option<String>,
    /// Obsolete: ignored with a warning, as in runc.
    #[arg(long = "kernel-memory", hide = true, allow_hyphen_values = true)]
    pub kernel_memory: Option<String>,
    /// Obsolete: ignored with a warning, as in runc.
    #[arg(long = "kernel-memory-tcp", hide = true, allow_hyphen_values = true)]
    pub kernel_memory_tcp: Option<String>,
    /// Memory limit (bytes, or 100m, 1g...; -1: unlimited).
    #[arg(long, allow_hyphen_values = true)]
    pub memory: Option<String>,
    /// Memory reservation, the soft limit (bytes, or 100m...).
    #[arg(long = "memory-reservation", allow_hyphen_values = true)]
    pub memory_reservation: Option<String>,
    /// Memory + swap limit (bytes, or 100m...; -1: unlimited swap).
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Maximum number of processes (-1: unlimited; 0: unchanged).
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
    /// Intel RDT/CAT L3 cache schema (needs resctrl).
    #[arg(long = "l3-cache-schema", allow_hyphen_values = true)]
    pub l3_cache_schema: Option<String>,
    /// Intel RDT/MBA memory bandwidth schema (needs resctrl).
    #[arg(long = "mem-bw-schema", allow_hyphen_values = true)]
    pub mem_bw_schema: Option<String>,
    pub id: String,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// The subcommands' flags are added only to the one parsed (`#[command(defer = true)]`):
    /// building all of them was most of the heap of every sixrun process.
    #[test]
    fn a_subcommands_flags_are_built_only_when_it_is_used() {
        let cli = Cli::command();
        let create = cli
            .find_subcommand("create")
            .expect("create is a subcommand");
        assert_eq!(create.get_arguments().count(), 0);
        let mut built = create.clone();
        built.build();
        assert!(built.get_arguments().any(|a| a.get_id() == "bundle"));
    }
}
