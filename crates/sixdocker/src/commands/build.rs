//! `build`: the context and Dockerfile named on the command line handed to six-build, its
//! steps shown as `--progress` says (plain lines, a live terminal view, or with `-q` only the
//! image ID at the end). Ctrl-C (SIGINT, SIGTERM, SIGHUP) cancels: six-build kills and
//! removes the running step's container and names nothing.

use std::io::{IsTerminal, Read};
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use six_build::{BuildOptions, ContextSource, DockerfileSource, Plain, Progress, Silent, Tty};
use six_engine::{Engine, SignalPipe};

use super::{say, Failure, Outcome};
use crate::cli::BuildArgs;

pub fn build(engine: &Engine, a: BuildArgs) -> Outcome {
    let dockerfile = match a.file.as_deref() {
        None => DockerfileSource::Default,
        Some("-") if a.context == "-" => {
            return Err(Failure::usage(
                "-f -: stdin cannot be both the build context and the Dockerfile",
            ))
        }
        Some("-") => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| Failure::other(format!("reading the Dockerfile from stdin: {e}")))?;
            DockerfileSource::Text(text)
        }
        Some(f) => DockerfileSource::Path(PathBuf::from(f)),
    };
    let context = match a.context.as_str() {
        "-" => ContextSource::Tar(Box::new(std::io::stdin())),
        path if Path::new(path).is_file() => {
            let f = std::fs::File::open(path)
                .map_err(|e| Failure::other(format!("opening the build context {path}: {e}")))?;
            ContextSource::Tar(Box::new(f))
        }
        path => ContextSource::Dir(PathBuf::from(path)),
    };
    let opts = BuildOptions {
        dockerfile,
        tags: a.tags,
        build_args: a.build_args,
        target: a.target,
        no_cache: a.no_cache,
        pull: a.pull,
        network: a.network,
        labels: a.labels.into_iter().map(|l| (l.key, l.value)).collect(),
        platform: a.platform,
    };
    let signals = SignalPipe::catch(&[libc::SIGINT, libc::SIGTERM, libc::SIGHUP])?;
    // SAFETY: the pipe's read end stays open while `signals` lives, past the build.
    let cancel = unsafe { BorrowedFd::borrow_raw(signals.fd()) };
    let stdout = std::io::stdout();
    let tty = match a.progress.as_str() {
        "tty" => true,
        "plain" => false,
        _ => stdout.is_terminal(),
    };
    let mut progress: Box<dyn Progress> = match (a.quiet, tty) {
        (true, _) => Box::new(Silent),
        (false, true) => Box::new(Tty::new(stdout.lock(), terminal_width())),
        (false, false) => Box::new(Plain::new(stdout.lock())),
    };
    let result = six_build::build(engine, context, &opts, &mut *progress, Some(cancel));
    drop(progress);
    match result {
        Ok(image) => {
            let id = format!("sha256:{}", image.id);
            if let Some(path) = &a.iidfile {
                std::fs::write(path, &id)
                    .map_err(|e| Failure::other(format!("--iidfile {}: {e}", path.display())))?;
            }
            if a.quiet {
                say(id)?;
            }
            Ok(0)
        }
        Err(six_build::Error::Cancelled) => Err(Failure {
            message: "build canceled".into(),
            code: 130,
        }),
        Err(e) => Err(Failure::of_error(&e)),
    }
}

/// Columns of the terminal on stdout (80 when it cannot say).
fn terminal_width() -> usize {
    // SAFETY: winsize is plain integers; all zeroes is valid and the ioctl overwrites it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ on fd 1 writes a winsize into `ws`, which outlives the call.
    let ok = unsafe { libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        ws.ws_col as usize
    } else {
        80
    }
}
