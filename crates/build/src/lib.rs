//! six-build: `sixdocker build`, Dockerfiles into images through the engine. It parses the
//! Dockerfile (`dockerfile/`: directives, continuations, here-documents, JSON and shell
//! forms, Docker's `${VAR:-x}` expansion), reads the build context (`context.rs`, with
//! `.dockerignore` in `ignore.rs`), builds only the stages the target needs, and runs each
//! step as Docker's classic builder does: `RUN` in a container the engine starts
//! (`run.rs`), `COPY`/`ADD` into the step's rootfs (`copy.rs`, `sources.rs`, `place.rs`),
//! the other instructions as config changes (`steps.rs`); every step's result is an image
//! of the store, found again through the layer cache (`cache.rs`) when its parent,
//! instruction and copied files are the same.
//!
//! Start reading at [`build`], then `builder.rs`. It never parses command lines (the CLI
//! does) and never prints (it reports [`Event`]s; `output.rs` has Docker's two ways of
//! showing them).

#![deny(missing_docs)]

mod builder;
mod cache;
mod context;
mod copy;
mod dockerfile;
mod error;
mod glob;
mod ignore;
mod output;
mod owner;
mod place;
mod progress;
mod rootfs;
mod run;
mod runconfig;
mod sources;
mod stage;
mod steps;

use std::collections::BTreeMap;
use std::os::fd::BorrowedFd;

use six_engine::types::NetworkMode;
use six_engine::Engine;
use six_image::Image;

pub use context::{ContextSource, DockerfileSource};
pub use error::{Error, Result};
pub use output::{Plain, Tty};
pub use progress::{Event, Progress, Silent};

/// `docker build`'s options (all but the context).
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `-f`: where the Dockerfile is.
    pub dockerfile: DockerfileSource,
    /// `-t`: names for the image (`name[:tag]`), each checked before the build starts.
    pub tags: Vec<String>,
    /// `--build-arg K=V` (or `K`: its value from this process's environment, left out if it
    /// has none).
    pub build_args: Vec<String>,
    /// `--target`: the stage to build (default: the last).
    pub target: Option<String>,
    /// `--no-cache`: make every step again (the new images still become the cache).
    pub no_cache: bool,
    /// `--pull`: pull every `FROM` image, even one the store has.
    pub pull: bool,
    /// `--network`: the network of `RUN` containers (default: the default bridge).
    pub network: Option<NetworkMode>,
    /// `--label`: labels of the final image (a last `LABEL` step).
    pub labels: BTreeMap<String, String>,
    /// `--platform`: only this host's (`linux/amd64` on an amd64 host).
    pub platform: Option<String>,
}

/// Builds an image from `context` as `opts` say, reporting to `progress`; returns it (named
/// as `opts.tags` say). `cancel`: a descriptor that becomes readable to stop the build (the
/// caller's Ctrl-C pipe): the running step's container is killed and removed, nothing is
/// named, and [`Error::Cancelled`] comes back. A failed build names nothing either, and
/// leaves no container.
pub fn build(
    engine: &Engine,
    context: ContextSource,
    opts: &BuildOptions,
    progress: &mut dyn Progress,
    cancel: Option<BorrowedFd<'_>>,
) -> Result<Image> {
    for t in &opts.tags {
        six_registry::Reference::parse(t)
            .map_err(|e| Error::Invalid(format!("invalid tag {t:?}: {e}")))?;
    }
    if let Some(p) = &opts.platform {
        check_platform(p)?;
    }
    let _span = tracing::debug_span!("build").entered();
    let given = parse_build_args(&opts.build_args)?;
    let build_dir = engine.options().root.join("build");
    let tmp = build_dir.join("tmp");
    let work = rootfs::work_dir(&tmp)?;
    let cache = cache::Cache::open(&build_dir)?;

    let mut counter = 1;
    progress.event(Event::Start {
        id: counter,
        name: "[internal] load build definition and context",
    });
    let began = std::time::Instant::now();
    let loaded = context::Context::open(context, &tmp).and_then(|ctx| {
        let _span = tracing::debug_span!("build_definition").entered();
        let text = ctx.dockerfile(&opts.dockerfile)?;
        let file = dockerfile::parse(&text)?;
        Ok((ctx, file))
    });
    let (ctx, file) = match loaded {
        Ok(x) => {
            progress.event(Event::Done {
                id: counter,
                elapsed: began.elapsed(),
            });
            x
        }
        Err(e) => return Err(failed(progress, counter, began, e)),
    };
    let image = {
        let mut b = builder::Builder {
            engine,
            opts,
            context: &ctx,
            file,
            cache,
            progress: &mut *progress,
            cancel,
            work: work.path().to_owned(),
            args: stage::BuildArgs {
                given,
                ..Default::default()
            },
            results: Vec::new(),
            counter,
        };
        let image = b.run()?;
        counter = b.counter;
        image
    };
    if cancelled(cancel) {
        return Err(Error::Cancelled);
    }
    counter += 1;
    progress.event(Event::Start {
        id: counter,
        name: "exporting to image",
    });
    let began = std::time::Instant::now();
    let note = format!("writing image sha256:{} done", image.id);
    progress.event(Event::Note {
        id: counter,
        text: &note,
    });
    for t in &opts.tags {
        // A rebuild that made the image the name points at already writes nothing.
        let named =
            six_image::Reference::parse(t).is_ok_and(|r| image.repo_tags.contains(&r.to_string()));
        if !named {
            if let Err(e) = engine.tag_image(&image.id, t) {
                return Err(failed(progress, counter, began, e.into()));
            }
        }
        let full = six_registry::Reference::parse(t)
            .map(|r| r.with_default_tag().to_string())
            .unwrap_or_else(|_| t.clone());
        let note = format!("naming to {full} done");
        progress.event(Event::Note {
            id: counter,
            text: &note,
        });
    }
    progress.event(Event::Done {
        id: counter,
        elapsed: began.elapsed(),
    });
    let image = engine.images().find_image(&image.id)?.unwrap_or(image);
    Ok(image)
}

/// Reports step `id` failed with `e`, and returns `e`.
fn failed(progress: &mut dyn Progress, id: usize, began: std::time::Instant, e: Error) -> Error {
    let message = six_engine::Chain(&e).to_string();
    progress.event(Event::Failed {
        id,
        elapsed: began.elapsed(),
        message: &message,
    });
    e
}

/// `--build-arg` values: `K=V`, or `K` with this process's value of `K` (none: left out).
fn parse_build_args(list: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for a in list {
        match a.split_once('=') {
            Some(("", _)) => {
                return Err(Error::Invalid(format!(
                    "--build-arg {a:?}: expected KEY=VALUE"
                )))
            }
            Some((k, v)) => {
                out.insert(k.to_owned(), v.to_owned());
            }
            None if a.is_empty() => {
                return Err(Error::Invalid(
                    "--build-arg \"\": expected KEY=VALUE".into(),
                ))
            }
            None => {
                if let Ok(v) = std::env::var(a) {
                    out.insert(a.clone(), v);
                }
            }
        }
    }
    Ok(out)
}

/// `--platform` (and `FROM --platform`): only this host's platform is built.
pub(crate) fn check_platform(p: &str) -> Result<()> {
    let host = stage::platform_args()
        .into_iter()
        .find(|(k, _)| k == "TARGETPLATFORM")
        .map(|(_, v)| v)
        .unwrap_or_default();
    let wanted = p.trim().to_ascii_lowercase();
    if wanted == host || wanted.starts_with(&format!("{host}/")) || wanted == "$buildplatform" {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "platform {p:?} is not supported: this builder builds for its host's platform only ({host})"
    )))
}

/// Whether the cancel descriptor is readable (Ctrl-C arrived).
pub(crate) fn cancelled(cancel: Option<BorrowedFd<'_>>) -> bool {
    let Some(fd) = cancel else {
        return false;
    };
    let mut p = libc::pollfd {
        fd: std::os::fd::AsRawFd::as_raw_fd(&fd),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    unsafe { libc::poll(&mut p, 1, 0) > 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_and_platforms() {
        let a = parse_build_args(&[
            "A=1".into(),
            "B=".into(),
            "PATH".into(),
            "NOT_SET_ANYWHERE_X".into(),
        ])
        .unwrap();
        assert_eq!(a["A"], "1");
        assert_eq!(a["B"], "");
        assert!(a.contains_key("PATH"));
        assert!(!a.contains_key("NOT_SET_ANYWHERE_X"));
        assert!(parse_build_args(&["=x".into()]).is_err());
        let host = stage::platform_args()
            .into_iter()
            .find(|(k, _)| k == "TARGETPLATFORM")
            .unwrap()
            .1;
        assert!(check_platform(&host).is_ok());
        assert!(check_platform("linux/s390x")
            .unwrap_err()
            .to_string()
            .contains("not supported"));
    }
}
