//! The worker's side of `POST /build` (`api-worker build REQUEST`): the context tar on stdin
//! handed to six-build, its events written on stdout as Docker's classic builder writes them
//! (`{"stream": ...}` lines, then `{"aux": {"ID": ...}}` and `Successfully built/tagged`, or
//! one `{"error", "errorDetail"}`). SIGTERM (the client left) cancels the build.

use std::io::Write;
use std::os::fd::BorrowedFd;

use serde_json::json;
use six_build::{BuildOptions, ContextSource, DockerfileSource, Event, Progress};
use six_engine::Engine;

use crate::build::BuildRequest;

/// Runs the build; the process's exit code (0 built, 1 not).
pub(crate) fn run(engine: &Engine, operand: &str) -> i32 {
    let mut out = Stream {
        out: std::io::stdout().lock(),
        quiet: false,
    };
    match build(engine, operand, &mut out) {
        Ok(()) => 0,
        Err(Failed { message, code }) => {
            // With the RUN's exit code, which the docker CLI exits with, as with dockerd.
            let detail = match code {
                Some(c) => json!({"message": message, "code": c}),
                None => json!({ "message": message }),
            };
            out.write(&json!({"errorDetail": detail, "error": message}));
            1
        }
    }
}

/// Why a build failed: one line, and a `RUN`'s exit code.
struct Failed {
    message: String,
    code: Option<i32>,
}

impl From<String> for Failed {
    fn from(message: String) -> Failed {
        Failed {
            message,
            code: None,
        }
    }
}

impl From<six_build::Error> for Failed {
    fn from(e: six_build::Error) -> Failed {
        let mut cause = &e;
        while let six_build::Error::Step { source, .. } = cause {
            cause = source;
        }
        match cause {
            six_build::Error::RunFailed { command, code } => Failed {
                message: format!("The command '{command}' returned a non-zero code: {code}"),
                code: Some(*code),
            },
            _ => six_engine::Chain(&e).to_string().into(),
        }
    }
}

fn build(engine: &Engine, operand: &str, out: &mut Stream<'_>) -> Result<(), Failed> {
    let request: BuildRequest =
        serde_json::from_str(operand).map_err(|e| format!("the build request: {e}"))?;
    out.quiet = request.quiet;
    let network = request
        .network
        .as_deref()
        .map(|n| {
            n.parse()
                .map_err(|e: six_engine::types::TypeError| e.to_string())
        })
        .transpose()?;
    let opts = BuildOptions {
        dockerfile: request.dockerfile.map_or(DockerfileSource::Default, |d| {
            DockerfileSource::Path(d.into())
        }),
        tags: request.tags.clone(),
        build_args: request.build_args,
        target: request.target,
        no_cache: request.no_cache,
        pull: request.pull,
        network,
        labels: request.labels,
        platform: request.platform,
    };
    let signals = six_engine::SignalPipe::catch(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP])
        .map_err(|e| e.to_string())?;
    // SAFETY: the pipe's read end stays open while `signals` lives, past the build.
    let cancel = unsafe { BorrowedFd::borrow_raw(signals.fd()) };
    let context = ContextSource::Tar(Box::new(std::io::stdin()));
    let image = six_build::build(engine, context, &opts, out, Some(cancel))?;
    let id = format!("sha256:{}", image.id);
    out.write(&json!({"aux": {"ID": id}}));
    if out.quiet {
        // dockerd's quiet build says only the ID, which the docker CLI prints.
        out.write(&json!({ "stream": format!("{id}\n") }));
    }
    out.say(&format!("Successfully built {}\n", image.short_id()));
    for t in &request.tags {
        let shown = six_registry::Reference::parse(t)
            .map(|r| r.with_default_tag().familiar_string())
            .unwrap_or_else(|_| t.clone());
        out.say(&format!("Successfully tagged {shown}\n"));
    }
    Ok(())
}

/// Docker's JSON messages on stdout, one a line, flushed at once.
struct Stream<'a> {
    out: std::io::StdoutLock<'a>,
    quiet: bool,
}

impl Stream<'_> {
    fn write(&mut self, doc: &serde_json::Value) {
        // The service reads to the end; a broken pipe means it is gone: nothing to tell.
        let _ = writeln!(self.out, "{doc}");
        let _ = self.out.flush();
    }

    /// A `{"stream": text}` message (none when quiet).
    fn say(&mut self, text: &str) {
        if !self.quiet {
            self.write(&json!({ "stream": text }));
        }
    }
}

impl Progress for Stream<'_> {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start { name, .. } => {
                if let Some(step) = classic_step(name) {
                    self.say(&step);
                }
            }
            Event::Cached { .. } => self.say(" ---> Using cache\n"),
            Event::Output { data, .. } => self.say(&String::from_utf8_lossy(data)),
            Event::Note { text, .. } => self.say(&format!(" ---> {text}\n")),
            Event::Warning(w) => self.say(&format!("[Warning] {w}\n")),
            Event::Done { .. } | Event::Failed { .. } | Event::Tick => {}
        }
    }
}

/// `[2/5] RUN make` (or `[build 2/5] RUN make`) as the classic builder's `Step 2/5 : RUN
/// make`; the builder's own steps (`[internal] ...`, `exporting to image`) are not shown.
fn classic_step(name: &str) -> Option<String> {
    let rest = name.strip_prefix('[')?;
    let (bracket, instruction) = rest.split_once("] ")?;
    let count = bracket.rsplit(' ').next()?;
    let (n, of) = count.split_once('/')?;
    if n.parse::<u32>().is_err() || of.parse::<u32>().is_err() {
        return None;
    }
    Some(format!("Step {n}/{of} : {instruction}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_as_the_classic_builder_names_them() {
        assert_eq!(
            classic_step("[2/5] RUN make").as_deref(),
            Some("Step 2/5 : RUN make\n")
        );
        assert_eq!(
            classic_step("[build 1/3] FROM busybox AS build").as_deref(),
            Some("Step 1/3 : FROM busybox AS build\n")
        );
        assert_eq!(classic_step("[internal] load build definition"), None);
        assert_eq!(classic_step("exporting to image"), None);
    }
}
