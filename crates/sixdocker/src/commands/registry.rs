//! `pull`, and `run`/`create`'s pull of a missing image: call the
//! engine's registry functions and print as Docker does ("Using default tag: latest", the
//! layer lines, "Digest: …", "Status: …", and the full reference last; only that with -q).
//! Failures exit 1 (125 when they stop a `run`/`create`).

use six_engine::registry::{PullPolicy, RunImage};
use six_engine::Engine;
use six_registry::{PullOptions, Reference};

use super::{Failure, Outcome};
use crate::cli::PullArgs;
use crate::output::transfer::TransferView;

impl From<six_registry::Error> for Failure {
    fn from(e: six_registry::Error) -> Failure {
        Failure::other(e)
    }
}

pub fn pull(engine: &Engine, args: PullArgs) -> Outcome {
    let reference = Reference::parse(&args.name).map_err(Failure::other)?;
    let view = TransferView::for_stdout(args.quiet);
    if !args.all_tags && reference.tag().is_none() && reference.digest().is_none() {
        view.line("Using default tag: latest");
    }
    let opts = PullOptions {
        platform: args.platform,
        all_tags: args.all_tags,
    };
    let pulled = engine.pull(&args.name, &opts, &view)?;
    if args.all_tags {
        if !args.quiet {
            super::say(reference.name())?;
        }
        return Ok(0);
    }
    for p in pulled {
        super::say(p.reference)?;
    }
    Ok(0)
}

/// The image `run`/`create` will use, pulled first when `--pull` says so. Progress goes to
/// stderr's terminal only: a `run`'s stdout is the container's.
pub fn image_for_run(
    engine: &Engine,
    image: Option<&str>,
    policy: PullPolicy,
    platform: Option<six_registry::Platform>,
) -> Result<(), Failure> {
    let Some(name) = image else {
        return Ok(());
    };
    let view = TransferView::for_stderr();
    let announce = |r: &str| eprintln!("Unable to find image '{r}' locally");
    let announce_always = |_: &str| {};
    let before: &dyn Fn(&str) = match policy {
        PullPolicy::Always => &announce_always,
        _ => &announce,
    };
    match engine.image_for_run(name, policy, platform, before, &view) {
        Ok(RunImage::Local(_)) => Ok(()),
        Ok(RunImage::Pulled(_)) => Ok(()),
        Err(e) => Err(Failure::usage(e.to_string())),
    }
}
