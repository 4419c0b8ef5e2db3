//! The Dockerfile: text → directives, the `ARG`s before the first `FROM` (usable in `FROM`
//! lines), and stages, each a `FROM` and its instructions. Which stages a `--target` needs is
//! decided here too (`needed`): the target and, transitively, every stage it names in `FROM`
//! or `COPY --from`. Parsing only: nothing runs here.

pub(crate) mod instruction;
pub(crate) mod lines;
pub(crate) mod words;

use crate::error::{Error, Result};
pub(crate) use instruction::{Command, CopyArgs, Health, Instruction};
pub(crate) use lines::Heredoc;

/// One instruction with where it was and how it was written.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// 1-based line number.
    pub line: usize,
    /// As written: keyword and arguments, continuations joined (`RUN echo hi`).
    pub text: String,
    pub instruction: Instruction,
}

/// A `FROM` and what follows it up to the next `FROM`.
#[derive(Debug, Clone)]
pub(crate) struct Stage {
    /// Its position (stage 0 is the first `FROM`).
    pub index: usize,
    /// `AS name`, lower case.
    pub name: Option<String>,
    /// The base as written (may hold `$ARG`s).
    pub base: String,
    pub platform: Option<String>,
    /// The `FROM` step itself.
    pub from: Step,
    pub steps: Vec<Step>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone)]
pub(crate) struct Dockerfile {
    pub escape: char,
    pub syntax: Option<String>,
    /// `ARG`s before the first `FROM`.
    pub meta_args: Vec<Step>,
    pub stages: Vec<Stage>,
}

/// Parses a Dockerfile.
pub(crate) fn parse(text: &str) -> Result<Dockerfile> {
    let (directives, lines) = lines::split(text)?;
    let escape = directives.escape;
    let mut meta_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for line in &lines {
        let instruction = instruction::parse(line, escape)?;
        let step = Step {
            line: line.number,
            text: format!("{} {}", line.keyword, line.rest)
                .trim_end()
                .to_owned(),
            instruction,
        };
        match &step.instruction {
            Instruction::From {
                image,
                name,
                platform,
            } => {
                if let Some(n) = name {
                    if stages.iter().any(|s| s.name.as_deref() == Some(n.as_str())) {
                        return Err(Error::dockerfile(
                            step.line,
                            format!("duplicate name {n:?} for build stages"),
                        ));
                    }
                }
                stages.push(Stage {
                    index: stages.len(),
                    name: name.clone(),
                    base: image.clone(),
                    platform: platform.clone(),
                    from: step.clone(),
                    steps: Vec::new(),
                });
            }
            _ => match stages.last_mut() {
                Some(stage) => stage.steps.push(step),
                None if matches!(step.instruction, Instruction::Arg(_)) => meta_args.push(step),
                None => {
                    return Err(Error::dockerfile(
                        step.line,
                        format!(
                            "no build stage in current context: {} before the first FROM",
                            line.keyword
                        ),
                    ))
                }
            },
        }
    }
    if stages.is_empty() {
        return Err(Error::Dockerfile(
            "the Dockerfile has no FROM instruction (file with no instructions?)".into(),
        ));
    }
    Ok(Dockerfile {
        escape,
        syntax: directives.syntax,
        meta_args,
        stages,
    })
}

impl Dockerfile {
    /// The stage `--target` names (by name, or by index as Docker also takes it); the last
    /// stage without one.
    pub(crate) fn target(&self, target: Option<&str>) -> Result<usize> {
        let Some(t) = target else {
            return Ok(self.stages.len() - 1);
        };
        let lower = t.to_ascii_lowercase();
        self.stage_named(&lower)
            .ok_or_else(|| Error::Invalid(format!("target stage {t:?} could not be found")))
    }

    /// A stage by `AS` name or by number (`COPY --from=0`).
    pub(crate) fn stage_named(&self, name: &str) -> Option<usize> {
        if let Some(s) = self.stages.iter().find(|s| s.name.as_deref() == Some(name)) {
            return Some(s.index);
        }
        name.parse::<usize>()
            .ok()
            .filter(|i| *i < self.stages.len())
    }

    /// Whether each stage is needed to build `target`: the target, and every earlier stage
    /// that a needed stage names in `FROM` or `COPY --from` (as written, before expansion;
    /// a name made of variables is resolved when the step runs, and its stage is built then
    /// only if already marked).
    pub(crate) fn needed(&self, target: usize) -> Vec<bool> {
        let mut needed = vec![false; self.stages.len()];
        let mut todo = vec![target];
        while let Some(i) = todo.pop() {
            if needed[i] {
                continue;
            }
            needed[i] = true;
            let stage = &self.stages[i];
            let mut refs = vec![stage.base.to_ascii_lowercase()];
            for s in &stage.steps {
                if let Instruction::Copy(c) = &s.instruction {
                    if let Some(f) = &c.from {
                        refs.push(f.to_ascii_lowercase());
                    }
                }
            }
            for r in refs {
                if let Some(j) = self.stage_named(&r).filter(|j| *j < i) {
                    todo.push(j);
                }
            }
        }
        needed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MULTI: &str = "ARG BASE=busybox\nFROM $BASE AS one\nRUN a\nFROM busybox AS two\nRUN b\nFROM one AS three\nCOPY --from=two /x /x\nFROM busybox\nCOPY --from=0 /y /y\n";

    #[test]
    fn stages_and_meta_args() {
        let d = parse(MULTI).unwrap();
        assert_eq!(d.meta_args.len(), 1);
        assert_eq!(d.stages.len(), 4);
        assert_eq!(d.stages[0].base, "$BASE");
        assert_eq!(d.stages[2].steps[0].text, "COPY --from=two /x /x");
        assert!(parse("RUN x\nFROM y").is_err());
        assert!(parse("# nothing\n").is_err());
        assert!(parse("FROM a AS x\nFROM b AS x\n").is_err());
    }

    #[test]
    fn only_the_stages_a_target_needs() {
        let d = parse(MULTI).unwrap();
        assert_eq!(
            d.needed(d.target(Some("three")).unwrap()),
            [true, true, true, false]
        );
        assert_eq!(
            d.needed(d.target(None).unwrap()),
            [true, false, false, true]
        );
        assert_eq!(
            d.needed(d.target(Some("TWO")).unwrap()),
            [false, true, false, false]
        );
        assert!(d.target(Some("nope")).is_err());
    }
}
