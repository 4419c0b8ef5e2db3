//! The command line, declared with clap's derive: every subcommand, flag and operand of
//! `sixdocker`, with Docker's names and the original sixDocker's spellings.
//!
//! The argument structs carry plain `//` comments, not doc comments: clap would make an
//! `Args` struct's doc comment the help line of every command that takes it, over the line
//! the command's own variant gives (the subcommands are deferred: see [`Cli`]).
//!
//! Values with rules are parsed here, once, into `six_engine::types` (bad input stops at the
//! edge with a one-line message). This file declares; it never does anything — the
//! `commands` modules do.

mod about;
mod containers;
mod groups;
mod images;
mod network;
mod registry;
mod run;
mod system;
mod values;
mod volume;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use containers::*;
pub use groups::*;
pub use images::*;
pub use network::*;
pub use registry::*;
pub use run::*;
pub use system::*;
pub use volume::*;

/// `system` subcommands.
#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum SystemCommand {
    #[command(about = about::INFO)]
    Info(InspectFormatArg),
    #[command(about = about::EVENTS)]
    Events(EventsArgs),
    /// Remove stopped containers, unused networks and untagged images (-a: every unused image).
    Prune(SystemPruneArgs),
    /// Show what images and containers take on disk.
    Df(DfArgs),
    /// Serve the Docker Engine API on a unix socket, for the docker CLI, compose and SDKs.
    Service(ServiceArgs),
    /// Remove every container, network (the default one, its bridge and firewall chains
    /// included), volume and image of this store, as `podman system reset`.
    Reset {
        /// Do it (required: there is no undo).
        #[arg(short, long)]
        force: bool,
    },
}

// Every subcommand enum is `defer = true`: a subcommand's arguments are made only when it
// is parsed (or its help shown, or the whole tree built for completions and manual pages).
// Making all of them costs about a millisecond, more than `ps` itself should. (A plain
// comment: the doc comment below is the `--help` text.)
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
    /// Print every step that touches the kernel on stderr, from every process involved (this
    /// command, the container's monitor and init, network setup), with its time and source
    /// line, then the time per phase; `--trace=json`: one JSON object a line.
    #[arg(long, global = true, value_name = "json", num_args = 0..=1, require_equals = true,
          default_missing_value = "text", value_parser = ["text", "json"])]
    pub trace: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    #[command(about = about::RUN)]
    Run(RunArgs),
    #[command(about = about::CREATE)]
    Create(RunArgs),
    #[command(about = about::PS)]
    Ps(PsArgs),
    #[command(about = about::LOGS)]
    Logs(LogsArgs),
    #[command(about = about::EXEC)]
    Exec(ExecArgs),
    #[command(about = about::START)]
    Start(StartArgs),
    #[command(about = about::ATTACH)]
    Attach(AttachArgs),
    #[command(about = about::STOP)]
    Stop(StopArgs),
    #[command(about = about::RESTART)]
    Restart(StopArgs),
    #[command(about = about::KILL)]
    Kill(KillArgs),
    #[command(about = about::PAUSE)]
    Pause(ContainersArg),
    #[command(about = about::UNPAUSE)]
    Unpause(ContainersArg),
    #[command(about = about::RENAME)]
    Rename(RenameArgs),
    #[command(about = about::UPDATE)]
    Update(UpdateArgs),
    #[command(about = about::RM)]
    Rm(RmArgs),
    #[command(about = about::WAIT)]
    Wait(ContainersArg),
    /// Print low-level information on containers or images as JSON.
    Inspect(InspectArgs),
    #[command(about = about::TOP)]
    Top(ContainerArg),
    #[command(about = about::STATS)]
    Stats(StatsArgs),
    #[command(about = about::COMMIT)]
    Commit(CommitArgs),
    #[command(about = about::BUILD)]
    Build(BuildArgs),
    #[command(about = about::IMAGES)]
    Images(ImagesArgs),
    #[command(about = about::RMI)]
    Rmi(RmiArgs),
    #[command(about = about::TAG)]
    Tag(TagArgs),
    #[command(about = about::IMPORT)]
    Import(ImportArgs),
    #[command(about = about::EXPORT)]
    Export(ExportArgs),
    #[command(about = about::CP)]
    Cp(CpArgs),
    #[command(about = about::DIFF)]
    Diff(DiffArgs),
    #[command(about = about::LOAD)]
    Load(LoadArgs),
    #[command(about = about::SAVE)]
    Save(SaveArgs),
    #[command(about = about::PULL)]
    Pull(PullArgs),
    #[command(about = about::PUSH)]
    Push(PushArgs),
    /// Log in to a registry (credentials kept in Docker's config.json).
    Login(LoginArgs),
    /// Log out from a registry.
    Logout(LogoutArgs),
    /// Show the version.
    Version(InspectFormatArg),
    #[command(about = about::INFO)]
    Info(InspectFormatArg),
    #[command(about = about::HISTORY)]
    History(HistoryArgs),
    /// Manage containers.
    #[command(subcommand)]
    Container(ContainerCommand),
    /// Manage images.
    #[command(subcommand)]
    Image(ImageCommand),
    #[command(about = about::EVENTS)]
    Events(EventsArgs),
    /// Manage networks.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// Manage the store as a whole.
    #[command(subcommand)]
    System(SystemCommand),
    /// One step of the API service that needs its own process (container starts).
    #[command(name = "api-worker", hide = true)]
    ApiWorker {
        /// The step: start, start-attached, restart, exec-start, or serve (forks one process
        /// per step asked on stdin).
        op: String,
        /// Its operands.
        args: Vec<String>,
    },
    #[command(about = about::PORT)]
    Port(PortArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell), made from this
    /// command line's definition: `source <(sixdocker completion bash)`.
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write the manual pages (sixdocker.1 and one per command) into DIR.
    #[command(name = "man-pages")]
    ManPages {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// Parses a command line (`argv[0]` first) as `main` does: the original sixDocker's
/// single-dash flags normalised (`argv`), then clap, which builds only the commands named.
pub fn parse(argv: Vec<std::ffi::OsString>) -> Result<Cli, clap::Error> {
    use clap::{CommandFactory, FromArgMatches};
    let command = Cli::command();
    let argv = crate::argv::normalise(&command, argv);
    Cli::from_arg_matches(&command.try_get_matches_from(argv)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    /// Each command's help line is its variant's, also once its deferred arguments are made.
    #[test]
    fn building_a_command_keeps_its_help_line() {
        fn walk(unbuilt: &clap::Command, built: &clap::Command, path: &str, seen: &mut usize) {
            for sub in unbuilt.get_subcommands() {
                let name = format!("{path} {}", sub.get_name());
                let after = built.find_subcommand(sub.get_name()).unwrap();
                let about = |c: &clap::Command| c.get_about().map(|a| a.to_string());
                assert!(about(sub).is_some(), "{name} has no help line");
                assert_eq!(about(after), about(sub), "{name}");
                assert_eq!(after.get_long_about(), None, "{name}");
                *seen += 1;
                walk(sub, after, &name, seen);
            }
        }
        let mut built = Cli::command();
        built.build();
        let mut seen = 0;
        walk(&Cli::command(), &built, "sixdocker", &mut seen);
        assert!(seen > 90, "{seen}");
    }

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        let argv = std::iter::once("sixdocker")
            .chain(line.split(' '))
            .map(std::ffi::OsString::from);
        super::parse(argv.collect())
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
            "run --pull sometimes busybox",
            "pull --platform plan9/amd64 busybox",
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
            "events --since 10m --until 2026-12-05T18:00:00Z -f type=container --format {{json.}}",
            "system events --since 0",
            "container prune -f --filter until=1h --filter label!=keep",
            "image prune -a -f --filter label=x",
            "network prune -f",
            "system prune -a --volumes -f --filter until=10m",
            "system df -v",
            "system service --time 0 unix:///tmp/x.sock",
            "ps -a --filter name=web -f status=exited --filter label=a=b",
            "images -f dangling=true --filter reference=bus*",
            "network ls -f driver=bridge --filter name=x",
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
            "volume create",
            "volume create -d local --label a=b --label c -o type=tmpfs -o device=tmpfs v",
            "volume ls -q -f dangling=true --format {{.Name}}",
            "volume list",
            "volume inspect -f {{.Name}} a b",
            "volume rm -f a b",
            "volume remove a",
            "volume prune -a -f --filter label=a",
            "rm -v -f a",
            "cp -a -L -q c:/x /tmp/y",
            "cp - c:/x",
            "container cp c:/x -",
            "diff c",
            "container diff c",
            "run --mount type=bind,src=/h,dst=/c,readonly --tmpfs /t:size=1m --volumes-from a:ro -v v:/d:nocopy busybox",
            "port c",
            "port c 80/tcp",
            "--root /r --runroot /s --debug ps",
            "system reset -f",
            "pull busybox",
            "push -q localhost:5000/x:1",
            "push -a localhost:5000/x",
            "login -u me --password-stdin localhost:5000",
            "login",
            "logout localhost:5000",
            "logout",
            "pull -q -a --platform linux/arm64 localhost:5000/x",
            "run --pull never --platform linux/amd64 busybox",
            "run --security-opt seccomp=unconfined busybox",
            "ps -n 3 -l -s --format {{.ID}}",
            "images -a --digests --no-trunc --format json",
            "inspect -s --type container -f {{.Id}} a",
            "container ls -a",
            "container ps -q",
            "container list",
            "container run -ti --name x busybox sh",
            "container rm -f a",
            "container remove a",
            "container inspect -f {{.Id}} a",
            "image ls",
            "image list",
            "image rm a",
            "image rmi a",
            "image history --no-trunc a",
            "history -H=false -q a",
            "system info -f {{.Containers}}",
            "stats -a --no-trunc --format json",
            "network ls --no-trunc --format {{.Name}}",
            "network inspect -f {{.Id}} n",
            "completion bash",
            "completion zsh",
            "completion fish",
            "man-pages /tmp/x",
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
}
