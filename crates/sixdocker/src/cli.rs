//! The command line, declared with clap's derive: every subcommand, flag and operand of
//! `sixdocker`, with Docker's names and the original sixDocker's spellings.
//!
//! Values with rules are parsed here, once, into `six_engine::types` (bad input stops at the
//! edge with a one-line message). This file declares; it never does anything — the
//! `commands` modules do.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand};
use six_engine::types::{
    ContainerName, CpuSet, Cpus, EnvVar, MemorySize, MemorySwap, NetworkMode, PortSpec,
    RestartPolicy, Signal, VolumeSpec,
};
use six_network::Subnet;

/// A daemonless container engine with Docker's command line.
#[derive(Debug, Parser)]
#[command(name = "sixdocker", version, disable_help_subcommand = true)]
pub struct Cli {
    /// Where images, containers and networks are kept.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/var/lib/sixdocker"
    )]
    pub root: PathBuf,
    /// Where runtime state (locks, sockets, running containers) is kept.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "/run/sixdocker"
    )]
    pub runroot: PathBuf,
    /// Print where time goes (tracing spans) on stderr.
    #[arg(long, short = 'D', global = true)]
    pub debug: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and start a container (`run IMAGE [CMD...]`, or `run [FLAGS] -- CMD...` on the default image).
    Run(RunArgs),
    /// Create a container without starting it.
    Create(RunArgs),
    /// List containers.
    Ps(PsArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// Run a command in a running container (without -i, -t or -d and at a terminal, it is
    /// attached to the terminal, as the original sixDocker's `exec CONTAINER /bin/sh` was).
    Exec(ExecArgs),
    /// Start stopped containers.
    Start(StartArgs),
    /// Stop running containers (SIGTERM, then SIGKILL after the timeout).
    Stop(StopArgs),
    /// Restart containers.
    Restart(StopArgs),
    /// Send a signal to running containers.
    Kill(KillArgs),
    /// Remove containers.
    Rm(RmArgs),
    /// Wait for containers to stop and print their exit codes.
    Wait(ContainersArg),
    /// Print low-level information on containers or images as JSON.
    Inspect(InspectArgs),
    /// Show the processes of a container.
    Top(ContainerArg),
    /// Show resource usage of containers.
    Stats(StatsArgs),
    /// Make an image from a container's changes (`commit CONTAINER [REPO[:TAG]]` or `commit -n CONTAINER -t IMAGE`).
    Commit(CommitArgs),
    /// List images.
    Images(ImagesArgs),
    /// Remove images.
    Rmi(RmiArgs),
    /// Give an image another name.
    Tag(TagArgs),
    /// Make an image from a root filesystem tarball (a file, or - for stdin).
    Import(ImportArgs),
    /// Write a container's filesystem as a tar archive.
    Export(ExportArgs),
    /// Load images from a docker-archive or OCI archive.
    Load(LoadArgs),
    /// Save images to a docker-archive.
    Save(SaveArgs),
    /// Show the version.
    Version,
    /// Show system-wide information.
    Info,
    /// Manage networks.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// List a container's published ports.
    Port(PortArgs),
}

/// The flags of `run` and `create`.
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
    /// Bind a host directory: /host/path:/container/path[:ro|rw].
    #[arg(short, long = "volume", value_name = "HOST:CONTAINER[:ro|rw]")]
    pub volume: Vec<VolumeSpec>,
    /// Memory limit (e.g. 100m).
    #[arg(short, long)]
    pub memory: Option<MemorySize>,
    /// Memory plus swap limit (e.g. 200m), or -1 for unlimited swap.
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub memory_swap: Option<MemorySwap>,
    /// CPU shares (relative weight; the original's -cpushare).
    #[arg(long, value_name = "SHARES")]
    pub cpu_shares: Option<u64>,
    /// Number of CPUs (e.g. 1.5).
    #[arg(long, allow_hyphen_values = true)]
    pub cpus: Option<Cpus>,
    /// CPUs the container may use (e.g. 0,1 or 0-3; the original's -cpuset).
    #[arg(long, value_name = "CPUS")]
    pub cpuset_cpus: Option<CpuSet>,
    /// Maximum number of processes (-1 for unlimited).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub pids_limit: Option<i64>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or UID[:GID]).
    #[arg(short, long)]
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
    /// Security options: only seccomp=unconfined (no seccomp filter).
    #[arg(long, value_name = "OPT", value_parser = parse_security_opt)]
    pub security_opt: Vec<SecurityOpt>,
    /// Restart policy: no, on-failure[:N] or always.
    #[arg(long, value_name = "POLICY", default_value = "no")]
    pub restart: RestartPolicy,
    /// Network: bridge (default), none, host or a network's name (the original's -network).
    #[arg(long, alias = "net", value_name = "NETWORK", default_value = "bridge")]
    pub network: NetworkMode,
    /// Publish a port: [IP:][HOSTPORT:]CPORT[/tcp|udp].
    #[arg(short, long = "publish", value_name = "PORT")]
    pub publish: Vec<PortSpec>,
    /// Set by `argv::normalise` for the original's `run [FLAGS] -- CMD...`: the operands are
    /// the command, to run on the default (or -image) image.
    #[arg(long = crate::argv::COMMAND_FOLLOWS, hide = true)]
    pub command_follows: bool,
    /// IMAGE, then the command and its arguments.
    #[arg(value_name = "IMAGE [CMD]", trailing_var_arg = true)]
    pub operands: Vec<String>,
}

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
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Keep following the output.
    #[arg(short, long)]
    pub follow: bool,
    /// Number of lines from the end ("all" for everything).
    #[arg(short = 'n', long, value_name = "N", default_value = "all", value_parser = parse_tail)]
    pub tail: Tail,
    /// Prefix each line with its time.
    #[arg(short, long)]
    pub timestamps: bool,
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
    /// Set an environment variable.
    #[arg(short, long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<EnvVar>,
    /// Working directory inside the container.
    #[arg(short, long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// User (name or UID[:GID]).
    #[arg(short, long)]
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
    #[arg(required = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing.
    #[arg(short = 't', long = "time", default_value_t = 10)]
    pub time: u64,
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
    #[arg(required = true)]
    pub containers: Vec<String>,
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
    /// Containers or images (names or ID prefixes).
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Print one sample and exit.
    #[arg(long)]
    pub no_stream: bool,
    /// Containers (default: all running).
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// The container (the original's `-n`).
    #[arg(short = 'n', long = "container", value_name = "CONTAINER")]
    pub container_flag: Option<String>,
    /// The new image's name (the original's `-t`).
    #[arg(short = 't', long = "tag", value_name = "IMAGE")]
    pub tag_flag: Option<String>,
    pub container: Option<String>,
    /// REPOSITORY[:TAG] for the new image.
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Print image IDs only.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove even when tagged more than once or used by stopped containers.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub source: String,
    pub target: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A rootfs tarball, or - for stdin.
    pub file: String,
    /// REPOSITORY[:TAG] for the new image.
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from this file instead of stdin.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct PortArgs {
    pub container: String,
    /// Only this port: PORT[/PROTO].
    pub private_port: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create a network.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(alias = "list")]
    Ls(NetworkLsArgs),
    /// Remove networks.
    #[command(alias = "remove")]
    Rm(NamesArg),
    /// Print networks as JSON.
    Inspect(NamesArg),
    /// Connect a container to a network.
    Connect(NetworkContainerArgs),
    /// Disconnect a container from a network.
    Disconnect(NetworkContainerArgs),
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// The driver (only bridge).
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// The subnet in CIDR form (e.g. 172.18.0.0/16; default: a free one).
    #[arg(long)]
    pub subnet: Option<Subnet>,
    /// The gateway address (default: the first address of the subnet).
    #[arg(long, value_parser = parse_gateway)]
    pub gateway: Option<Ipv4Addr>,
    /// No route to the outside.
    #[arg(long)]
    pub internal: bool,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Print network IDs only.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct NamesArg {
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkContainerArgs {
    pub network: String,
    pub container: String,
}

/// One `--security-opt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityOpt {
    SeccompUnconfined,
}

fn parse_security_opt(s: &str) -> Result<SecurityOpt, String> {
    match s {
        "seccomp=unconfined" | "seccomp:unconfined" => Ok(SecurityOpt::SeccompUnconfined),
        _ => Err(format!(
            "unsupported security option \"{s}\": only seccomp=unconfined is supported"
        )),
    }
}

/// `--gateway`: an IPv4 address.
fn parse_gateway(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|_| {
        format!("invalid gateway \"{s}\": expected an IPv4 address such as 172.18.0.1")
    })
}

/// `--tail`: all lines (None) or the last N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail(pub Option<usize>);

fn parse_tail(s: &str) -> Result<Tail, String> {
    if s == "all" {
        return Ok(Tail(None));
    }
    s.parse()
        .map(|n| Tail(Some(n)))
        .map_err(|_| format!("invalid --tail {s:?}: expected a number of lines or \"all\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        let argv = std::iter::once("sixdocker")
            .chain(line.split(' '))
            .map(std::ffi::OsString::from);
        let mut cmd = Cli::command();
        cmd.build();
        let argv = crate::argv::normalise(&cmd, argv.collect());
        <Cli as clap::FromArgMatches>::from_arg_matches(&cmd.try_get_matches_from(argv)?)
    }

    fn run(line: &str) -> RunArgs {
        match parse(line).unwrap().command {
            Command::Run(r) => r,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn docker_run_form() {
        let r = run("run -it --rm --name web busybox sh -c true");
        assert!(r.interactive && r.tty && r.rm);
        assert_eq!(r.name.map(|n| n.to_string()).as_deref(), Some("web"));
        assert_eq!(r.operands, ["busybox", "sh", "-c", "true"]);
        assert!(!r.command_follows);
    }

    #[test]
    fn original_run_form() {
        let r = run("run -ti -m 100m -cpushare 512 -cpuset 0,1 -name test -- /bin/sh -c x");
        assert!(r.interactive && r.tty);
        assert!(r.command_follows);
        assert_eq!(r.operands, ["/bin/sh", "-c", "x"]);
        assert_eq!(r.cpu_shares, Some(512));
        assert!(r.memory.is_some() && r.cpuset_cpus.is_some());
        let r = run("run -ti -image nginx --name web -- nginx -g daemon");
        assert_eq!(r.image.as_deref(), Some("nginx"));
        assert_eq!(r.operands, ["nginx", "-g", "daemon"]);
    }

    #[test]
    fn h_is_the_hostname_in_run() {
        assert_eq!(run("run -h box busybox").hostname.as_deref(), Some("box"));
    }

    #[test]
    fn bad_values_are_refused_while_parsing() {
        for line in [
            "run --bogus busybox",
            "run -m 10x busybox",
            "run -cpuset 0- busybox",
            "run -v nocolon busybox",
            "run --cpus -1 busybox",
            "run -p 99999 busybox",
        ] {
            assert!(parse(line).is_err(), "{line}");
        }
    }

    #[test]
    fn every_subcommand_parses_into_its_types() {
        for line in [
            "run busybox",
            "create --name x busybox true",
            "ps -a -q --no-trunc",
            "logs -f --tail 3 -t c",
            "logs c",
            "exec -it -e A=b -w /tmp -u 1000 -d c sh -c x",
            "start -a -i c",
            "start a b",
            "stop -t 3 a b",
            "restart c",
            "kill -s TERM c",
            "kill c",
            "rm -f a b",
            "wait a",
            "inspect a b",
            "top c",
            "stats --no-stream",
            "stats a",
            "commit c",
            "commit c r:t",
            "commit -n c -t r",
            "images -q",
            "rmi -f a",
            "tag a b:c",
            "import - r",
            "import f",
            "export -o f c",
            "export c",
            "load -i f",
            "load",
            "save -o f a b",
            "save a",
            "version",
            "info",
            "network create -driver bridge -subnet 10.0.0.0/24 --gateway 10.0.0.1 --internal n",
            "network ls -q",
            "network list",
            "network rm n",
            "network remove n",
            "network inspect n",
            "network connect n c",
            "network disconnect n c",
            "port c",
            "port c 80/tcp",
            "--root /r --runroot /s --debug ps",
            "run --security-opt seccomp=unconfined busybox",
        ] {
            if let Err(e) = parse(line) {
                panic!("{line}: {e}");
            }
        }
    }

    #[test]
    fn network_aliases() {
        assert!(matches!(
            parse("network list").unwrap().command,
            Command::Network(NetworkCommand::Ls(_))
        ));
        assert!(matches!(
            parse("network remove x").unwrap().command,
            Command::Network(NetworkCommand::Rm(_))
        ));
    }

    #[test]
    fn commit_both_forms() {
        let Command::Commit(c) = parse("commit -n box -t img").unwrap().command else {
            panic!()
        };
        assert_eq!(
            (c.container_flag.as_deref(), c.tag_flag.as_deref()),
            (Some("box"), Some("img"))
        );
        let Command::Commit(c) = parse("commit box img:v1").unwrap().command else {
            panic!()
        };
        assert_eq!(
            (c.container.as_deref(), c.reference.as_deref()),
            (Some("box"), Some("img:v1"))
        );
    }

    #[test]
    fn small_parsers() {
        assert_eq!(parse_tail("all"), Ok(Tail(None)));
        assert_eq!(parse_tail("5"), Ok(Tail(Some(5))));
        assert!(parse_tail("x").is_err());
    }
}
