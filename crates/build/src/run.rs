//! `RUN`: the command in a container of the stage's image, as a `run` would start it, with
//! the stage's env (plus the `ARG`s in scope, which the image does not keep), workdir, user
//! and `SHELL`, on the build's network (`--network`, or `RUN --network=`); its output goes to
//! the build's progress; on exit 0 its changes are committed as one layer. The container is
//! removed whatever happens (its anonymous volumes too): a failed, cancelled or committed
//! step leaves no container behind.

use six_engine::types::{EnvVar, NetworkMode};
use six_engine::{Engine, RunRequest, StepEnd, StepOutput};

use crate::builder::{Builder, StepName};
use crate::dockerfile::{Command, Heredoc};
use crate::error::{Error, Result};
use crate::progress::Event;
use crate::stage::{Stage, PROXY_ARGS};

/// Removes the step's container when dropped.
struct Container<'a> {
    engine: &'a Engine,
    id: String,
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.engine.remove_with(&self.id, true, true) {
            tracing::warn!(error = &e as &dyn std::error::Error, id = %self.id, "removing a build container");
        }
    }
}

impl Builder<'_> {
    /// One `RUN`; true for a cache hit.
    pub(crate) fn run_step(
        &mut self,
        stage: &mut Stage,
        cmd: &Command,
        network: Option<&str>,
        heredocs: &[Heredoc],
        step: &StepName,
    ) -> Result<bool> {
        let argv = match cmd {
            Command::Exec(v) => v.clone(),
            Command::Shell(s) => {
                let mut v = stage.config.shell();
                v.push(script(s, heredocs));
                v
            }
        };
        let network = self.network(network)?;
        let args = stage.run_args(&self.args.given);
        let shown_args: Vec<String> = args
            .iter()
            .filter(|(k, _)| !PROXY_ARGS.contains(&k.as_str()))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let created_by = match shown_args.len() {
            0 => format!("RUN {}", argv.join(" ")),
            n => format!("RUN |{n} {} {}", shown_args.join(" "), argv.join(" ")),
        };
        let content = serde_json::to_string(&(&argv, &shown_args)).unwrap_or_default();
        let config = stage.config.clone();
        let id = step.id;
        self.cached_or(
            stage,
            &created_by,
            Some(content.as_str()),
            config,
            &mut |b, stage| b.run_container(stage, &argv, &args, &network, &created_by, id),
        )
    }

    /// The network a `RUN` gets: its `--network=`, else the build's.
    fn network(&self, flag: Option<&str>) -> Result<NetworkMode> {
        match flag {
            None | Some("default") => Ok(self.opts.network.clone().unwrap_or_default()),
            Some(m @ ("none" | "host")) => Ok(m.parse().unwrap_or_default()),
            Some(other) => Err(Error::Invalid(format!(
                "RUN --network={other}: expected default, none or host"
            ))),
        }
    }

    fn run_container(
        &mut self,
        stage: &Stage,
        argv: &[String],
        args: &[(String, String)],
        network: &NetworkMode,
        created_by: &str,
        step_id: usize,
    ) -> Result<six_image::Image> {
        let image = match &stage.image {
            Some(i) if !i.layers.is_empty() => i,
            _ => {
                return Err(Error::Invalid(
                    "RUN in a stage with no files yet (FROM scratch): there is nothing to run"
                        .into(),
                ))
            }
        };
        let req = RunRequest {
            image: Some(image.id.clone()),
            cmd: argv.to_vec(),
            entrypoint: Some(Vec::new()),
            env: args
                .iter()
                .map(|(k, v)| EnvVar {
                    key: k.clone(),
                    value: Some(v.clone()),
                })
                .collect(),
            workdir: Some(stage.config.workdir().to_owned()),
            user: stage.config.user.clone().filter(|u| !u.is_empty()),
            network: network.clone(),
            ..Default::default()
        };
        let engine = self.engine;
        let container = Container {
            engine,
            id: engine.create(req)?,
        };
        let progress = &mut *self.progress;
        let end = engine.run_step(&container.id, self.cancel, &mut |o| match o {
            StepOutput::Stdout(d) | StepOutput::Stderr(d) => progress.event(Event::Output {
                id: step_id,
                data: d,
            }),
            StepOutput::Tick => progress.event(Event::Tick),
        })?;
        match end {
            StepEnd::Exited(0) => Ok(engine.commit_step(
                &container.id,
                six_image::Step {
                    parent: Some(image),
                    config: stage.config.to_map(),
                    created_by: created_by.to_owned(),
                    author: None,
                    changes: None,
                },
            )?),
            StepEnd::Exited(code) => Err(Error::RunFailed {
                command: argv.join(" "),
                code,
            }),
            StepEnd::Cancelled => Err(Error::Cancelled),
        }
    }
}

/// A shell-form command with its here-documents: `RUN <<EOF` alone runs the document as the
/// script; otherwise the documents follow the command line, for the shell to read.
fn script(s: &str, heredocs: &[Heredoc]) -> String {
    if heredocs.is_empty() {
        return s.to_owned();
    }
    let words: Vec<&str> = s.split_whitespace().collect();
    if let ([word], [h]) = (words.as_slice(), heredocs) {
        if word.starts_with("<<") {
            return h.content.clone();
        }
    }
    let mut out = s.to_owned();
    out.push('\n');
    for h in heredocs {
        out.push_str(&h.content);
        out.push_str(&h.name);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredoc_scripts() {
        let h = |name: &str, content: &str| Heredoc {
            name: name.into(),
            content: content.into(),
            expand: true,
        };
        assert_eq!(script("echo hi", &[]), "echo hi");
        assert_eq!(script("<<EOF", &[h("EOF", "a\nb\n")]), "a\nb\n");
        assert_eq!(
            script("cat > /f <<EOF", &[h("EOF", "x\n")]),
            "cat > /f <<EOF\nx\nEOF\n"
        );
    }
}
