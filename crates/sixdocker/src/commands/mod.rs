//! One function per subcommand: take the parsed arguments, call the engine, print.
//! Also how failures become one line and an exit code ([`Failure`], [`report`]).
//!
//! Nothing here parses strings (clap and `six_engine::types` did) or formats tables
//! (`output` does).

mod build;
mod container;
mod cp;
mod df;
mod docs;
mod events;
mod image;
mod inspect;
mod line;
mod network;
mod prune;
mod ps;
mod registry;
mod run;
mod stats;
mod system;
mod volume;

use std::fmt;

use crate::cli::{Cli, Command, ContainerCommand, ImageCommand, SystemCommand};
use six_engine::{Chain, Engine, EngineOptions};

/// A failed command: the one line to print and Docker's exit code for it.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: i32,
}

impl Failure {
    /// A failure of `run` or `create`: 125, or 126/127 for a command that cannot be
    /// executed or found in the image.
    pub fn of_run(e: six_engine::Error) -> Failure {
        Failure {
            code: e.exit_code(),
            message: Chain(&e).to_string(),
        }
    }

    /// A failure of `exec` or `start -a`: 126/127 for a command that cannot be executed or
    /// found, 1 for anything else (as Docker's; only `run` and `create` use 125).
    pub fn of_command(e: six_engine::Error) -> Failure {
        match e.exit_code() {
            125 => Failure::of_error(&e),
            code => Failure {
                code,
                message: Chain(&e).to_string(),
            },
        }
    }

    /// A failed command's error, from any crate: the error and each of its causes once, on
    /// one line ("unmounting the rootfs of container x: unmounting /r/x/rootfs: EBUSY: ...");
    /// exit 1, as Docker's CLI.
    pub fn of_error(e: &dyn std::error::Error) -> Failure {
        Failure::other(Chain(e).to_string())
    }

    /// A failure of any other command, said in our own words: exit 1, as Docker's CLI.
    pub fn other(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    /// Bad command-line input caught after parsing (125, like a flag error).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 125,
        }
    }
}

impl From<six_engine::Error> for Failure {
    fn from(e: six_engine::Error) -> Failure {
        Failure::of_error(&e)
    }
}

impl From<six_image::Error> for Failure {
    fn from(e: six_image::Error) -> Failure {
        Failure::of_error(&e)
    }
}

impl From<six_network::Error> for Failure {
    fn from(e: six_network::Error) -> Failure {
        Failure::of_error(&e)
    }
}

/// A failed write to stdout. A closed pipe (`sixdocker inspect x | head`) ends the command
/// quietly with 141, as a SIGPIPE would, without a message. (SIGPIPE itself stays ignored:
/// the engine forks monitors from this process, and they must survive a reader going away.)
impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Failure {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure {
                message: String::new(),
                code: 141,
            };
        }
        Failure::other(format!("writing output: {e}"))
    }
}

/// Prints one line on stdout (`println!` would panic on a closed pipe).
pub fn say(line: impl fmt::Display) -> Result<(), Failure> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}")?;
    Ok(())
}

pub type Outcome = Result<i32, Failure>;

use line::one_line;

/// Prints a failure as one line on stderr (folded, control characters escaped, capped: see
/// `line.rs`) and returns its exit code.
pub fn report(failure: Failure) -> i32 {
    if !failure.message.is_empty() {
        eprintln!("sixdocker: {}", one_line(&failure.message));
    }
    failure.code
}

/// Turns clap's error into our one line (help and version are printed as clap wrote them).
pub fn clap_failure(e: clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            return 0;
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // `sixdocker` or `sixdocker network` alone: the help, as Docker prints it.
            let _ = e.print();
            return 0;
        }
        _ => {}
    }
    let message = match std::error::Error::source(&e) {
        Some(source) if e.kind() == ErrorKind::ValueValidation => {
            invalid_value_message(&e, &source.to_string())
        }
        _ => {
            let rendered = e.render().to_string();
            let before_usage = rendered.split("\nUsage:").next().unwrap_or_default();
            let without_tips: Vec<&str> = before_usage
                .lines()
                .filter(|l| !l.trim_start().starts_with("tip:"))
                .collect();
            let text = without_tips.join(" ");
            text.trim_start_matches("error: ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    report(Failure::usage(message))
}

/// A refused value, with the flag in front: our types' messages already name the value and
/// what was expected ("invalid memory size \"-1\": expected ..."); std's ("invalid digit
/// found in string") get the value too.
fn invalid_value_message(e: &clap::Error, reason: &str) -> String {
    use clap::error::{ContextKind, ContextValue};
    let text = |kind| match e.get(kind) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    let flag = text(ContextKind::InvalidArg).map(|arg| flag_names(&arg));
    match (text(ContextKind::InvalidValue), flag) {
        (Some(value), Some(flag)) if reason.contains(&format!("{value:?}")) => {
            format!("{flag}: {reason}")
        }
        (Some(value), Some(flag)) => format!("{flag}: invalid value {value:?}: {reason}"),
        _ => reason.to_owned(),
    }
}

/// `-m, --memory <MEMORY>` (clap's display of a flag) -> `-m/--memory`.
fn flag_names(arg: &str) -> String {
    let names = arg.split(" <").next().unwrap_or(arg);
    names.split(", ").collect::<Vec<_>>().join("/")
}

/// The engine on these roots. Each container's monitor is this very binary, exec'd afresh
/// (`main` hands it to the engine first), from a sealed view of it: `/proc/self/exe` itself
/// when this command re-executed itself sealed (`exec`, `build`), else one the engine makes.
/// `ps`, `inspect` and `logs` only read: they check just what they show instead of every
/// record ([`Engine::open_to_read`]).
fn open_engine(
    root: std::path::PathBuf,
    runroot: std::path::PathBuf,
    command: &Command,
) -> six_engine::Result<Engine> {
    let mut opts = EngineOptions::new(Some(root), Some(runroot));
    opts.monitor_program = Some("/proc/self/exe".into());
    match command {
        Command::Ps(_) | Command::Inspect(_) | Command::Logs(_) => Engine::open_to_read(opts),
        _ => Engine::open(opts),
    }
}

/// Runs the parsed command.
pub fn dispatch(mut cli: Cli) -> Outcome {
    cli.command = cli.command.ungrouped();
    // Commands that need no store.
    match &cli.command {
        Command::Version(a) => return system::version(a.format.as_deref()),
        Command::Completion { shell } => return docs::completion(*shell),
        Command::ManPages { dir } => return docs::man_pages(dir),
        Command::System(SystemCommand::Service(a)) => {
            return system::service(a, &cli.root, &cli.runroot)
        }
        _ => {}
    }
    let run_like = matches!(cli.command, Command::Run(_) | Command::Create(_));
    let reads_only = matches!(
        cli.command,
        Command::Ps(_) | Command::Inspect(_) | Command::Logs(_)
    );
    let engine = open_engine(cli.root, cli.runroot, &cli.command).map_err(|e| match run_like {
        true => Failure::of_run(e),
        false => Failure::of_error(&e),
    })?;
    let outcome = match cli.command {
        Command::Run(a) => run::run(&engine, a),
        Command::Create(a) => run::create(&engine, a),
        Command::Start(a) => run::start(&engine, a),
        Command::Exec(a) => run::exec(&engine, a),
        Command::Ps(a) => ps::ps(&engine, a),
        Command::Logs(a) => container::logs(&engine, a),
        Command::Stop(a) => container::stop(&engine, a, false),
        Command::Restart(a) => container::stop(&engine, a, true),
        Command::Kill(a) => container::kill(&engine, a),
        Command::Rename(a) => container::rename(&engine, a),
        Command::Update(a) => container::update(&engine, a),
        Command::Attach(a) => run::attach(&engine, a),
        Command::Pause(a) => container::pause(&engine, a, true),
        Command::Unpause(a) => container::pause(&engine, a, false),
        Command::Rm(a) => container::rm(&engine, a),
        Command::Wait(a) => container::wait(&engine, a),
        Command::Inspect(a) => inspect::inspect(&engine, a),
        Command::Top(a) => container::top(&engine, a),
        Command::Stats(a) => stats::stats(&engine, a),
        Command::Port(a) => container::port(&engine, a),
        Command::Export(a) => container::export(&engine, a),
        Command::Cp(a) => cp::cp(&engine, a),
        Command::Diff(a) => {
            for change in engine.changes(&a.container)? {
                say(change)?;
            }
            Ok(0)
        }
        Command::Commit(a) => image::commit(&engine, a),
        Command::Build(a) => build::build(&engine, a),
        Command::Images(a) => image::images(&engine, a),
        Command::Rmi(a) => image::rmi(&engine, a),
        Command::Tag(a) => image::tag(&engine, a),
        Command::Import(a) => image::import(&engine, a),
        Command::Load(a) => image::load(&engine, a),
        Command::Save(a) => image::save(&engine, a),
        Command::Pull(a) => registry::pull(&engine, a),
        Command::Push(a) => registry::push(&engine, a),
        Command::Login(a) => registry::login(&engine, a),
        Command::Logout(a) => registry::logout(&engine, a),
        Command::Info(a) => system::info(&engine, a.format.as_deref()),
        Command::Events(a) => events::events(&engine, a),
        Command::Network(n) => network::network(&engine, n),
        Command::Volume(v) => volume::volume(&engine, v),
        Command::System(SystemCommand::Reset { force }) => system::reset(&engine, force),
        Command::History(a) => image::history(&engine, a),
        Command::ApiWorker { op, args } => Ok(six_api::worker::run(&engine, &op, &args)),
        // ungrouped() turned these into their top-level commands.
        Command::Container(ContainerCommand::Prune(a)) => prune::containers(&engine, a),
        Command::Image(ImageCommand::Prune(a)) => prune::images(&engine, a),
        Command::System(SystemCommand::Prune(a)) => prune::system(&engine, a),
        Command::System(SystemCommand::Df(a)) => df::df(&engine, a),
        Command::Container(_)
        | Command::Image(_)
        | Command::System(
            SystemCommand::Info(_) | SystemCommand::Events(_) | SystemCommand::Service(_),
        ) => Err(Failure::other(
            "a command group was not resolved (a bug in sixdocker)",
        )),
        Command::Version(a) => system::version(a.format.as_deref()),
        Command::Completion { shell } => docs::completion(shell),
        Command::ManPages { dir } => docs::man_pages(&dir),
    };
    if reads_only {
        // The process ends with the command: its memory goes with it, unfreed (the
        // engine holds nothing else that needs closing).
        std::mem::forget(engine);
    }
    outcome
}

/// Runs `action` for every name at once, as Docker's CLI does for `stop`, `kill` and `rm`
/// (each in a thread of its own, at most [`PARALLEL`] at a time): three containers stopped
/// with `-t 2` take 2 s, not 6. The results come back in the order of `names`. One name
/// needs no thread.
pub fn in_parallel<T: Send>(names: &[String], action: impl Fn(&str) -> T + Sync) -> Vec<T> {
    if let [one] = names {
        return vec![action(one)];
    }
    let action = &action;
    std::thread::scope(|scope| {
        let mut results = Vec::with_capacity(names.len());
        for batch in names.chunks(PARALLEL) {
            let running: Vec<_> = batch
                .iter()
                .map(|name| scope.spawn(move || action(name)))
                .collect();
            for thread in running {
                match thread.join() {
                    Ok(result) => results.push(result),
                    // A panic has printed its message; the release profile aborts anyway.
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        }
        results
    })
}

/// How many containers `in_parallel` handles at once (Docker's CLI: 50).
const PARALLEL: usize = 50;

/// [`for_each`] for every name at once ([`in_parallel`]), printing in the order given.
pub fn for_each_parallel(
    names: &[String],
    action: impl Fn(&str) -> Result<(), Failure> + Sync,
) -> Outcome {
    let mut code = 0;
    for (name, result) in names.iter().zip(in_parallel(names, action)) {
        match result {
            Ok(()) => say(name)?,
            Err(f) => code = report(f).max(code),
        }
    }
    Ok(code)
}

/// Applies `action` to each name, printing the name on success and one line per failure
/// (like `docker rm a b`); exit 1 if any failed.
pub fn for_each(names: &[String], mut action: impl FnMut(&str) -> Result<(), Failure>) -> Outcome {
    let mut code = 0;
    for name in names {
        match action(name) {
            Ok(()) => say(name)?,
            Err(f) => code = report(f).max(code),
        }
    }
    Ok(code)
}
