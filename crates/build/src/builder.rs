//! The build: parse the Dockerfile, work out the stages the target needs, then run each
//! stage's steps in order — `FROM` resolves (or pulls) the base and runs its `ONBUILD`
//! triggers, every other instruction is one step that is looked up in the cache and made
//! (steps.rs: metadata; run.rs: `RUN`; copy.rs: `COPY`, `ADD`, `WORKDIR`) if it is not
//! there — and name the target's last image. Each step reports its start, cache hit, output
//! and end to the caller's [`Progress`].

use std::os::fd::BorrowedFd;
use std::path::PathBuf;
use std::time::Instant;

use six_engine::Engine;
use six_image::Image;

use crate::cache::{Cache, KeyParts};
use crate::context::Context;
use crate::dockerfile::{self, Dockerfile, Instruction, Step};
use crate::error::{Error, Result};
use crate::progress::{Event, Progress};
use crate::runconfig::RunConfig;
use crate::stage::{platform_args, BuildArgs, Stage};
use crate::BuildOptions;

/// Everything one build works with.
pub(crate) struct Builder<'a> {
    pub engine: &'a Engine,
    pub opts: &'a BuildOptions,
    pub context: &'a Context,
    pub file: Dockerfile,
    pub cache: Cache,
    pub progress: &'a mut dyn Progress,
    pub cancel: Option<BorrowedFd<'a>>,
    /// This build's work directory (step rootfs mounts, downloads).
    pub work: PathBuf,
    pub args: BuildArgs,
    /// The last image of each stage built so far (None: not built, or `FROM scratch`
    /// with nothing).
    pub results: Vec<Option<Option<Image>>>,
    /// Steps reported so far.
    pub counter: usize,
}

/// How a step is shown and keyed.
pub(crate) struct StepName {
    pub id: usize,
    pub shown: String,
    pub began: Instant,
}

impl<'a> Builder<'a> {
    /// Whether Ctrl-C (or SIGTERM) arrived.
    pub(crate) fn cancelled(&self) -> bool {
        crate::cancelled(self.cancel)
    }

    /// Reports a new step and returns its name.
    pub(crate) fn start(&mut self, shown: String) -> StepName {
        self.counter += 1;
        self.progress.event(Event::Start {
            id: self.counter,
            name: &shown,
        });
        StepName {
            id: self.counter,
            shown,
            began: Instant::now(),
        }
    }

    /// Reports a step's end (or failure) and passes the result on.
    pub(crate) fn end<T>(&mut self, step: &StepName, r: Result<T>) -> Result<T> {
        match r {
            Ok(v) => {
                self.progress.event(Event::Done {
                    id: step.id,
                    elapsed: step.began.elapsed(),
                });
                Ok(v)
            }
            Err(e) => {
                Err(crate::failed(&mut *self.progress, step.id, step.began, e).in_step(&step.shown))
            }
        }
    }

    /// Runs the whole build; returns the target stage's image.
    pub(crate) fn run(&mut self) -> Result<Image> {
        if let Some(s) = &self.file.syntax {
            if !s.starts_with("docker/dockerfile") {
                let w =
                    format!("# syntax={s} is not used: this builder reads the Dockerfile itself");
                self.progress.event(Event::Warning(&w));
            }
        }
        self.global_args()?;
        let target = self.file.target(self.opts.target.as_deref())?;
        let needed = self.needed(target)?;
        self.results = vec![None; self.file.stages.len()];
        for (i, _) in needed.iter().enumerate().filter(|(_, n)| **n) {
            self.build_stage(i, i == target)?;
        }
        let unused = self.args.unused();
        if !unused.is_empty() {
            let w = format!(
                "one or more build-args [{}] were not consumed",
                unused.join(" ")
            );
            self.progress.event(Event::Warning(&w));
        }
        match self.results[target].clone().flatten() {
            Some(image) => Ok(image),
            None => Err(Error::Invalid(
                "no image was generated: the target stage is FROM scratch with no step".into(),
            )),
        }
    }

    /// The global `ARG`s (before the first `FROM`), with the platform arguments.
    fn global_args(&mut self) -> Result<()> {
        for (k, v) in platform_args() {
            self.args.global.insert(k, Some(v));
        }
        for step in self.file.meta_args.clone() {
            let Instruction::Arg(list) = &step.instruction else {
                continue;
            };
            for (name, default) in list {
                self.args.declared.insert(name.clone());
                let value = match self.args.given.get(name) {
                    Some(v) => Some(v.clone()),
                    None => match default {
                        Some(d) => {
                            let global = &self.args.global;
                            let lookup = |n: &str| global.get(n).cloned().flatten();
                            Some(
                                dockerfile::words::word(d, self.file.escape, &lookup)
                                    .map_err(|e| at_line(step.line, e))?,
                            )
                        }
                        None => None,
                    },
                };
                self.args.global.insert(name.clone(), value);
            }
        }
        Ok(())
    }

    /// A stage's `FROM` base, expanded with the global arguments.
    fn base_of(&self, i: usize) -> Result<String> {
        let stage = &self.file.stages[i];
        let global = &self.args.global;
        let lookup = |n: &str| global.get(n).cloned().flatten();
        let base = dockerfile::words::word(&stage.base, self.file.escape, &lookup)
            .map_err(|e| at_line(stage.from.line, e))?;
        if base.is_empty() {
            return Err(Error::dockerfile(
                stage.from.line,
                "base name (FROM) should not be blank",
            ));
        }
        Ok(base)
    }

    /// The stages the target needs, with `FROM` names expanded.
    fn needed(&self, target: usize) -> Result<Vec<bool>> {
        let mut file = self.file.clone();
        for i in 0..file.stages.len() {
            file.stages[i].base = self.base_of(i)?;
        }
        Ok(file.needed(target))
    }

    /// `[name i/n]` for the steps of stage `i`.
    fn label(&self, i: usize, n: usize, total: usize) -> String {
        let stage = &self.file.stages[i];
        if self.file.stages.len() == 1 {
            return format!("[{n}/{total}]");
        }
        let name = stage.name.clone().unwrap_or_else(|| format!("stage-{i}"));
        format!("[{name} {n}/{total}]")
    }

    fn build_stage(&mut self, i: usize, is_target: bool) -> Result<()> {
        let mut steps: Vec<Step> = self.file.stages[i].steps.clone();
        if is_target && !self.opts.labels.is_empty() {
            steps.push(self.label_step());
        }
        let total = steps.len() + 1;
        let from = self.file.stages[i].from.clone();
        let shown = format!("{} {}", self.label(i, 1, total), from.text);
        let step = self.start(shown);
        let base = {
            let _span = tracing::debug_span!("build_from", stage = i).entered();
            self.from(i)
        };
        let mut stage = self.end(&step, base)?;
        let triggers = stage.config.on_build.take().unwrap_or_default();
        for (t, trigger) in triggers.iter().enumerate() {
            let line = dockerfile::instruction::trigger_line(trigger, from.line);
            let instruction = dockerfile::instruction::parse(&line, self.file.escape)
                .map_err(|e| e.in_step(&format!("ONBUILD trigger {}: {trigger}", t + 1)))?;
            let s = Step {
                line: from.line,
                text: format!("{} {}", line.keyword, line.rest),
                instruction,
            };
            let shown = format!("{} ONBUILD {}", self.label(i, 1, total), s.text);
            self.step(&mut stage, &s, shown)?;
        }
        for (n, s) in steps.iter().enumerate() {
            if self.cancelled() {
                return Err(Error::Cancelled);
            }
            let shown = format!("{} {}", self.label(i, n + 2, total), s.text);
            self.step(&mut stage, s, shown)?;
        }
        self.results[i] = Some(stage.image);
        Ok(())
    }

    /// `--label`s as one last `LABEL` of the target stage.
    fn label_step(&self) -> Step {
        let esc = self.file.escape;
        let quote = |s: &str| {
            let mut q = String::from("\"");
            for c in s.chars() {
                if c == '"' || c == '$' || c == esc {
                    q.push(esc);
                }
                q.push(c);
            }
            q.push('"');
            q
        };
        let pairs: Vec<(String, String)> = self
            .opts
            .labels
            .iter()
            .map(|(k, v)| (quote(k), quote(v)))
            .collect();
        let text = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        Step {
            line: 0,
            text: format!("LABEL {text}"),
            instruction: Instruction::Label(pairs),
        }
    }

    /// One step, cancelled, failed or done, reported.
    fn step(&mut self, stage: &mut Stage, s: &Step, shown: String) -> Result<()> {
        let _span = tracing::debug_span!("build_step", step = %shown).entered();
        let step = self.start(shown);
        let r = self.dispatch(stage, s, &step).map_err(|e| match e {
            Error::Expand(m) if s.line > 0 => Error::dockerfile(s.line, m),
            e => e,
        });
        match r {
            Ok(true) => {
                self.progress.event(Event::Cached { id: step.id });
                Ok(())
            }
            Ok(false) => self.end(&step, Ok(())),
            Err(e) => self.end(&step, Err(e)),
        }
    }

    /// Makes (or finds in the cache) the step's image and makes it the stage's; true for a
    /// cache hit.
    fn dispatch(&mut self, stage: &mut Stage, s: &Step, step: &StepName) -> Result<bool> {
        match &s.instruction {
            Instruction::Run {
                cmd,
                network,
                heredocs,
            } => self.run_step(stage, cmd, network.as_deref(), heredocs, step),
            Instruction::Copy(c) => self.copy_step(stage, c, false),
            Instruction::Add(c) => self.copy_step(stage, c, true),
            Instruction::Workdir(w) => self.workdir_step(stage, w),
            Instruction::From { .. } => Err(Error::Invalid("FROM inside a stage".into())),
            other => self.metadata_step(stage, other),
        }
    }

    /// A step's image: from the cache when a step with this parent (the stage's image),
    /// history line and content made one (true), else made by `make` and remembered. It
    /// becomes the stage's image, with `config`.
    pub(crate) fn cached_or(
        &mut self,
        stage: &mut Stage,
        created_by: &str,
        content: Option<&str>,
        config: RunConfig,
        make: &mut dyn FnMut(&mut Self, &Stage) -> Result<Image>,
    ) -> Result<bool> {
        let key = KeyParts {
            parent: stage.image.as_ref().map(|i| i.id.as_str()),
            created_by,
            content,
        }
        .key();
        let found = match self.opts.no_cache {
            true => None,
            false => self.cache.lookup(&key, self.engine.images())?,
        };
        if let Some(image) = found {
            stage.image = Some(image);
            stage.config = config;
            return Ok(true);
        }
        let image = make(self, stage)?;
        self.cache.store(&key, &image.id)?;
        stage.image = Some(image);
        stage.config = config;
        Ok(false)
    }

    /// `FROM`: the base image (a stage's result, scratch, or an image of the store, pulled
    /// if missing or with `--pull`).
    fn from(&mut self, i: usize) -> Result<Stage> {
        let stage = &self.file.stages[i];
        if let Some(p) = &stage.platform {
            let global = &self.args.global;
            let lookup = |n: &str| global.get(n).cloned().flatten();
            let p = dockerfile::words::word(p, self.file.escape, &lookup)?;
            crate::check_platform(&p)?;
        }
        let base = self.base_of(i)?;
        let lower = base.to_ascii_lowercase();
        let image = if let Some(j) = self.file.stage_named(&lower).filter(|j| *j < i) {
            match self.results[j].clone() {
                Some(image) => image,
                None => return Err(Error::Invalid(format!("stage {base} was not built"))),
            }
        } else if lower == "scratch" {
            None
        } else {
            Some(self.pull(&base)?)
        };
        let config = match &image {
            Some(img) => RunConfig::from_image_json(&self.engine.images().image_config_json(img)?)?,
            None => {
                let mut c = RunConfig::default();
                c.set_env(
                    "PATH",
                    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                );
                c
            }
        };
        Ok(Stage {
            image,
            config,
            args: Vec::new(),
            cmd_set: false,
        })
    }

    /// An image by name: in the store, else (or with `--pull`) from its registry.
    pub(crate) fn pull(&mut self, name: &str) -> Result<Image> {
        let policy = if self.opts.pull {
            six_engine::PullPolicy::Always
        } else {
            six_engine::PullPolicy::Missing
        };
        let pulled =
            self.engine
                .image_for_run(name, policy, None, &|_| {}, &six_registry::Silent)?;
        Ok(match pulled {
            six_engine::RunImage::Local(image) => image,
            six_engine::RunImage::Pulled(p) => p.image,
        })
    }
}

/// An expansion error as a Dockerfile error at `line`.
fn at_line(line: usize, e: Error) -> Error {
    match e {
        Error::Expand(m) => Error::dockerfile(line, m),
        e => e,
    }
}
