//! sixdocker: the Docker-style container engine CLI.
//!
//! The path of a command: argv is normalised (the original sixDocker's `-name`, `-cpushare`
//! ... become `--name`, `--cpu-shares`; see `argv`), clap parses it into typed values (`cli`),
//! one function in `commands` calls the engine, and `output` prints Docker's way.
//! Every failure ends here as ONE line on stderr, `sixdocker: <what went wrong>`, and Docker's
//! exit code: 125 for bad flags and engine errors of `run`/`create`, 126/127 for a command that
//! cannot be run or found (`run`, `exec`, `start -a`), the container's own code for `run`,
//! `exec` and `start -a`, and 1 for other failed commands.
//!
//! This crate never touches containers itself; six-engine does.

// The doc comments of the CLI's argument structs are clap's help text, written in the
// usage notation users know (`NAME[:TAG]`, `uid[:gid]`), not rustdoc links.
#![allow(rustdoc::broken_intra_doc_links)]
// The C `main` below, not std's runtime start: see `main`.
#![cfg_attr(not(test), no_main)]

mod argv;
mod cli;
mod commands;
mod output;

/// The process's entry, called by libc: std's runtime start (`lang_start`) is skipped.
/// Every command is a short process (`ps` with 100 containers takes ~4 ms), and each
/// container's monitor is one too; std's start would look up the main thread's stack bounds
/// for its stack-overflow guard (`pthread_getattr_np`, which reads and parses
/// `/proc/self/maps`) and map an alternate signal stack. What else it does is done here
/// the same way: the standard fds are made valid, SIGPIPE is ignored (writes to a closed
/// pipe fail with EPIPE; children get it back at their `exec`, as std's `Command` does),
/// and stdout is flushed at the end. `std::env::args` still works (glibc hands std the
/// arguments through `.init_array`). A stack overflow is then a plain SIGSEGV, without
/// std's message.
#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(_argc: libc::c_int, _argv: *const *const libc::c_char) -> libc::c_int {
    start_as_std_does();
    let code = run();
    let _ = std::io::Write::flush(&mut std::io::stdout());
    code
}

/// What std's runtime does before `main` that `sixdocker` needs: fds 0, 1 and 2 open (on
/// `/dev/null` when closed, so that no file we open takes their place), SIGPIPE ignored.
#[cfg(not(test))]
fn start_as_std_does() {
    let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
        fd,
        events: 0,
        revents: 0,
    });
    let polled = loop {
        // SAFETY: `fds` is a valid array of three pollfd; a zero timeout does not block.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), 3, 0) };
        if n != -1 || std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            break n;
        }
    };
    for pollfd in &fds {
        let closed = match polled {
            // SAFETY: F_GETFD only reads the fd's flags.
            -1 => unsafe { libc::fcntl(pollfd.fd, libc::F_GETFD) == -1 },
            _ => pollfd.revents & libc::POLLNVAL != 0,
        };
        // SAFETY: a constant C string; the fd is kept open for the process's life.
        if closed && unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) } == -1 {
            std::process::abort();
        }
    }
    // SAFETY: installs the ignore disposition, as std's start does.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// The command, to its exit code.
#[cfg_attr(test, allow(dead_code))]
fn run() -> i32 {
    // A container's monitor: this binary exec'd by the engine (see `commands::open_engine`).
    if let Some(code) = six_engine::run_monitor_if_asked() {
        return exit_code(code);
    }
    if let Err(code) = seal_if_starting_a_container() {
        return code;
    }
    let cli = match cli::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(e) => return exit_code(commands::clap_failure(e)),
    };
    if let Some(refusal) = needs_root(&cli) {
        return exit_code(commands::report(refusal));
    }
    init_tracing(cli.debug);
    if let Some(word) = cli.trace.as_deref() {
        six_trace::start(six_trace::Format::from_word(word));
    }
    let code = match commands::dispatch(cli) {
        Ok(code) => code,
        Err(failure) => commands::report(failure),
    };
    // A monitor this command talked to (stop, kill, rm, commit) traced into our socket
    // until we hung up: its last steps, to its end of file.
    six_trace::children_end(std::time::Duration::from_secs(5));
    six_trace::finish();
    exit_code(code)
}

/// Every command works on the store and the kernel as root; run by another user it stops
/// here, with one line, before it touches anything (rather than at the first file it may
/// not make). Docker's 125 for `run` and `create`, 1 for the others.
fn needs_root(cli: &cli::Cli) -> Option<commands::Failure> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return None;
    }
    let run = matches!(cli.command, cli::Command::Run(_) | cli::Command::Create(_));
    Some(commands::Failure {
        message: "sixdocker needs root (run it as root or with sudo); rootless mode is not \
                  supported yet"
            .to_owned(),
        code: if run { 125 } else { 1 },
    })
}

/// `exec` and `build` (also as `container exec`, `image build` ...; and `api-worker`, the API
/// service's starts) clone processes into containers from this process or a fork of it: they
/// first re-execute this program from a sealed view of its binary (CVE-2019-5736;
/// six-runtime's `sealed_exe`). `run`, `start` and `restart` do not: only the container's
/// monitor clones into it, and the engine execs the monitor from a sealed view of this binary
/// (`monitor/process.rs`), which saves them one exec of the whole binary. Decided from the raw
/// arguments, before they are parsed, so that only one process parses them; a command line
/// this misjudges is refused by the runtime's own check, never run unsealed.
fn seal_if_starting_a_container() -> Result<(), i32> {
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(()); // refused once parsed (`needs_root`): nothing to seal for
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let value_flags = ["--root", "--runroot", "-root", "-runroot"];
    let (mut command, runroot) = six_engine::sealed_exe::prescan(&args, &value_flags, "--runroot");
    let mut runroot =
        runroot.or_else(|| six_engine::sealed_exe::prescan(&args, &value_flags, "-runroot").1);
    // `container run` is `run` (and `image build` is `build`): the command is the group's
    // first operand.
    if let Some(group @ ("container" | "image")) = command {
        let after = args
            .iter()
            .position(|a| a == group)
            .map_or(&args[..0], |i| &args[i + 1..]);
        let (sub, sub_runroot) = six_engine::sealed_exe::prescan(after, &value_flags, "--runroot");
        command = sub;
        runroot = runroot.or(sub_runroot);
    }
    if !matches!(command, Some("exec" | "api-worker" | "build")) {
        return Ok(());
    }
    // `--trace` before the command word: the sealing below is traced too.
    let at = args.iter().position(|a| a.to_str() == command);
    six_trace::start_from_flags(&args[..at.unwrap_or(args.len())]);
    let runroot = runroot.map_or_else(
        || std::path::PathBuf::from("/run/sixdocker"),
        std::path::PathBuf::from,
    );
    six_engine::sealed_exe::reexec_sealed(&runroot.join("runtime")).map_err(|e| {
        eprintln!("sixdocker: {e}");
        exit_code(if command == Some("exec") { 1 } else { 125 })
    })
}

/// A process exit status from a container-style code (only the low 8 bits survive, as in Docker).
fn exit_code(code: i32) -> i32 {
    code & 0xff
}

/// `--debug`: spans of the engine's steps with their durations, on stderr.
fn init_tracing(debug: bool) {
    if !debug {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}
