//! sixrun: a runc-compatible OCI runtime CLI over six-runtime.
//!
//! This file parses the command line, sets up logging, refuses what is unsupported, and hands
//! each subcommand to its file (`lifecycle.rs`, `run.rs`, `exec.rs`, `info.rs`, `ps.rs`,
//! `update.rs`, `events.rs`).
//! It never touches the kernel itself: the runtime library does.

// The doc comments of the CLI's argument structs are clap's help text, written in the
// usage notation users know (`NAME[:TAG]`, `uid[:gid]`, `[<controller>:]<cgroup>`), not
// rustdoc links or HTML.
#![allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]

mod cli;
mod events;
mod exec;
mod help;
mod info;
mod lifecycle;
mod log;
mod parse;
mod ps;
mod run;
mod update;
mod values;

use cli::{Cli, Command};
use log::Logger;

/// The version of the OCI runtime spec we implement.
pub const SPEC_VERSION: &str = six_runtime::features::OCI_VERSION_MAX;

fn main() {
    seal_if_entering_a_container();
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let code = run(&args);
    six_trace::finish();
    std::process::exit(code);
}

/// Parses, sets up the log (and the trace), dispatches; the exit code.
fn run(args: &[std::ffi::OsString]) -> i32 {
    let cli = match parse::parse(args) {
        parse::Outcome::Run(cli) => cli,
        parse::Outcome::Exit {
            stdout,
            stderr,
            code,
        } => {
            print!("{stdout}");
            if let Some(e) = stderr {
                eprintln!("sixrun: {e}");
            }
            return code;
        }
    };
    if let Some(word) = cli.trace.as_deref() {
        six_trace::start(six_trace::Format::from_word(word));
    }
    let logger = match cli
        .log_format()
        .map_err(anyhow::Error::msg)
        .and_then(|format| Logger::open(cli.log.as_deref(), format, preserved_fds(&cli)))
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sixrun: {e:#}");
            return 1;
        }
    };
    if let Err(e) = logger.install(cli.log.as_deref(), cli.debug) {
        logger.error(&one_line(&e));
        return 1;
    }
    match dispatch(&cli, &logger) {
        Ok(code) => code,
        Err(e) => {
            logger.error(&one_line(&e));
            1
        }
    }
}

/// The command's `--preserve-fds`: the descriptors 3 .. 3+N the log must keep clear of.
fn preserved_fds(cli: &Cli) -> u32 {
    match &cli.command {
        Some(Command::Create(a)) => a.preserve_fds,
        Some(Command::Run(a)) => a.create.preserve_fds,
        Some(Command::Exec(a)) => a.preserve_fds,
        _ => 0,
    }
}

/// `create`, `run` and `exec` clone into a container: they first re-execute this program
/// from a sealed view of its binary (CVE-2019-5736; see six-runtime's `sealed_exe`). Decided
/// from the raw arguments, before they are parsed, so that only one process parses them. A
/// command line this misjudges is refused by the runtime's own check, never run unsealed.
fn seal_if_entering_a_container() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let value_flags = ["--root", "--log", "--log-format", "--criu"];
    let (command, root) = six_runtime::sealed_exe::prescan(&args, &value_flags, "--root");
    if !matches!(command, Some("create" | "run" | "exec")) {
        return;
    }
    // `--trace` before the command word: the sealing below is traced too.
    let at = args.iter().position(|a| a.to_str() == command);
    six_trace::start_from_flags(&args[..at.unwrap_or(args.len())]);
    let root = root.map_or_else(
        || std::path::PathBuf::from(six_runtime::DEFAULT_ROOT),
        std::path::PathBuf::from,
    );
    if let Err(e) = six_runtime::sealed_exe::reexec_sealed(&root) {
        eprintln!("sixrun: {e}");
        std::process::exit(1);
    }
}

/// The error and its causes on one line, each once: no message repeats its source
/// (docs/contracts.md, "Errors across crates"), so anyhow's chain is the line.
fn one_line(e: &anyhow::Error) -> String {
    format!("{e:#}")
}

/// The runtime over `--root`. Container cgroups go where runc puts them (an absolute
/// linux.cgroupsPath from the root of each hierarchy) unless SIX_CGROUP_PARENT names a parent
/// to nest every one below (`.`: sixrun's own cgroup).
fn runtime(cli: &Cli) -> six_runtime::Runtime {
    let parent = std::env::var("SIX_CGROUP_PARENT").ok();
    let nesting = six_runtime::Nesting::from_parent_var(parent.as_deref()).unwrap_or_default();
    six_runtime::Runtime::new(&cli.root).with_cgroup_nesting(nesting)
}

fn dispatch(cli: &Cli, logger: &Logger) -> anyhow::Result<i32> {
    if cli.systemd_cgroup {
        anyhow::bail!("--systemd-cgroup is not supported: sixrun manages cgroupfs directly (leave the flag out)");
    }
    match cli.rootless.as_deref() {
        None | Some("false") | Some("auto") => {}
        Some(other) => anyhow::bail!(
            "--rootless={other} is not supported: sixrun runs as root (use false or auto)"
        ),
    }
    let Some(cmd) = &cli.command else {
        anyhow::bail!("no command given");
    };
    let rt = runtime(cli);
    match cmd {
        Command::Create(a) => lifecycle::create(&rt, a, logger).map(|_| 0),
        Command::Start { id } => lifecycle::start(&rt, id).map(|_| 0),
        Command::Run(a) => run::run(&rt, a, logger),
        Command::State { id } => info::state(&rt, id).map(|_| 0),
        Command::Kill(a) => lifecycle::kill(&rt, a).map(|_| 0),
        Command::Delete(a) => lifecycle::delete(&rt, a).map(|_| 0),
        // runc: "exec failed: ..." and 255 for any error of the runtime's own.
        Command::Exec(a) => exec::exec(&rt, a).or_else(|e| {
            logger.error(&one_line(&e.context("exec failed")));
            Ok(exec::EXEC_FAILED)
        }),
        Command::Ps(a) => ps::ps(&rt, a).map(|_| 0),
        Command::List(a) => info::list(&rt, a).map(|_| 0),
        Command::Spec(a) => info::spec(a).map(|_| 0),
        Command::Features => info::features().map(|_| 0),
        Command::Pause { id } => rt.load(id)?.pause().map(|_| 0).map_err(Into::into),
        Command::Resume { id } => rt.load(id)?.resume().map(|_| 0).map_err(Into::into),
        Command::Update(a) => update::update(&rt, a).map(|_| 0),
        Command::Events(a) => events::events(&rt, a, logger).map(|_| 0),
        Command::Checkpoint(_) | Command::Restore(_) => anyhow::bail!(
            "checkpoint and restore are not supported: runc does them with CRIU, and sixrun has no CRIU support"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn each_cause_is_said_once() {
        let runtime = six_runtime::Error::Io {
            what: "reading state",
            path: "/x/state.json".into(),
            source: std::io::Error::from_raw_os_error(libc::ENOENT),
        };
        let e = anyhow::Error::from(runtime).context("container c1");
        assert_eq!(
            one_line(&e),
            "container c1: reading state /x/state.json: No such file or directory (os error 2)"
        );
    }
}
