//! One logical line as a typed instruction: its flags (`--from=`, `--chown=`, ...), JSON (exec)
//! or shell form, `key=value` pairs (and the old `ENV key value` form), as Docker's parser
//! reads them. Values are kept as written: variables are expanded when the step runs, with
//! the stage's environment and build arguments of that moment (see words.rs).

use super::lines::{raw_words, Heredoc, Line};
use crate::error::{Error, Result};

/// A command in exec (JSON) or shell form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `["prog", "arg"]`: run as is.
    Exec(Vec<String>),
    /// `prog arg`: given to the stage's `SHELL`.
    Shell(String),
}

/// `COPY` and `ADD`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyArgs {
    /// Sources as written (context paths, globs, URLs for ADD, here-document names).
    pub sources: Vec<String>,
    /// The destination as written.
    pub dest: String,
    /// `--from=STAGE|IMAGE`.
    pub from: Option<String>,
    /// `--chown=USER[:GROUP]`.
    pub chown: Option<String>,
    /// `--chmod=OCTAL`.
    pub chmod: Option<String>,
    /// `--checksum=sha256:...` (ADD of a URL).
    pub checksum: Option<String>,
    /// The here-documents that `sources` may name.
    pub heredocs: Vec<Heredoc>,
}

/// `HEALTHCHECK`'s options and command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Health {
    /// `CMD` in exec or shell form.
    pub test: Option<Command>,
    /// Durations as written (`30s`, `1m30s`).
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    pub start_interval: Option<String>,
    pub retries: Option<String>,
}

/// One Dockerfile instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    /// `FROM [--platform=P] IMAGE [AS NAME]`.
    From {
        image: String,
        name: Option<String>,
        platform: Option<String>,
    },
    /// `RUN [--network=MODE] COMMAND`.
    Run {
        cmd: Command,
        network: Option<String>,
        heredocs: Vec<Heredoc>,
    },
    Cmd(Command),
    Entrypoint(Command),
    Copy(CopyArgs),
    Add(CopyArgs),
    /// `ENV k=v ...` (raw words).
    Env(Vec<(String, String)>),
    Label(Vec<(String, String)>),
    /// `ARG name[=default] ...`.
    Arg(Vec<(String, Option<String>)>),
    Workdir(String),
    User(String),
    Expose(Vec<String>),
    Volume(Vec<String>),
    StopSignal(String),
    /// None: `HEALTHCHECK NONE`.
    Healthcheck(Option<Health>),
    Shell(Vec<String>),
    /// The trigger as written after `ONBUILD`.
    OnBuild(String),
    Maintainer(String),
}

/// Parses one logical line.
pub fn parse(line: &Line, escape: char) -> Result<Instruction> {
    let n = line.number;
    let rest = line.rest.as_str();
    let kw = line.keyword.as_str();
    let need_args = |what: &str| -> Result<()> {
        if rest.is_empty() {
            return Err(Error::dockerfile(
                n,
                format!("{what} requires at least one argument"),
            ));
        }
        Ok(())
    };
    match kw {
        "FROM" => {
            let (flags, words) = flags(rest, n, &["platform"])?;
            let platform = flag(&flags, "platform");
            match words.as_slice() {
                [image] => Ok(Instruction::From {
                    image: image.clone(),
                    name: None,
                    platform,
                }),
                [image, as_, name] if as_.eq_ignore_ascii_case("as") => {
                    let name = name.to_ascii_lowercase();
                    check_stage_name(&name, n)?;
                    Ok(Instruction::From {
                        image: image.clone(),
                        name: Some(name),
                        platform,
                    })
                }
                _ => Err(Error::dockerfile(
                    n,
                    "FROM requires either one argument, or three: FROM <source> [AS <name>]",
                )),
            }
        }
        "RUN" => {
            let (flags, args) = leading_flags(rest, n, &["network", "mount", "security"])?;
            if flags.iter().any(|(k, _)| k == "mount") {
                return Err(Error::dockerfile(
                    n,
                    "RUN --mount is not supported by this builder",
                ));
            }
            if flags.iter().any(|(k, _)| k == "security") {
                return Err(Error::dockerfile(
                    n,
                    "RUN --security is not supported by this builder",
                ));
            }
            if args.is_empty() {
                return Err(Error::dockerfile(n, "RUN requires at least one argument"));
            }
            Ok(Instruction::Run {
                cmd: command(args),
                network: flag(&flags, "network"),
                heredocs: line.heredocs.clone(),
            })
        }
        "CMD" => {
            need_args("CMD")?;
            Ok(Instruction::Cmd(command(rest)))
        }
        "ENTRYPOINT" => {
            need_args("ENTRYPOINT")?;
            Ok(Instruction::Entrypoint(command(rest)))
        }
        "COPY" | "ADD" => {
            let allowed: &[&str] = if kw == "COPY" {
                &["from", "chown", "chmod", "link", "parents"]
            } else {
                &["chown", "chmod", "checksum", "link", "keep-git-dir"]
            };
            let (flags, args) = leading_flags(rest, n, allowed)?;
            let mut list = match json_array(args) {
                Some(l) => l,
                None => args.split_whitespace().map(str::to_owned).collect(),
            };
            if list.len() < 2 {
                return Err(Error::dockerfile(n, format!("{kw} requires at least two arguments, but only one was provided. Destination could not be determined")));
            }
            let dest = list.pop().unwrap_or_default();
            let a = CopyArgs {
                sources: list,
                dest,
                from: flag(&flags, "from"),
                chown: flag(&flags, "chown"),
                chmod: flag(&flags, "chmod"),
                checksum: flag(&flags, "checksum"),
                heredocs: line.heredocs.clone(),
            };
            Ok(if kw == "COPY" {
                Instruction::Copy(a)
            } else {
                Instruction::Add(a)
            })
        }
        "ENV" => Ok(Instruction::Env(name_values(rest, n, "ENV", escape)?)),
        "LABEL" => Ok(Instruction::Label(name_values(rest, n, "LABEL", escape)?)),
        "ARG" => {
            need_args("ARG")?;
            let mut out = Vec::new();
            for w in raw_words(rest, escape) {
                match w.split_once('=') {
                    Some((k, v)) => out.push((k.to_owned(), Some(v.to_owned()))),
                    None => out.push((w, None)),
                }
            }
            for (k, _) in &out {
                if k.is_empty() {
                    return Err(Error::dockerfile(n, "ARG names can not be blank"));
                }
            }
            Ok(Instruction::Arg(out))
        }
        "WORKDIR" => {
            need_args("WORKDIR")?;
            Ok(Instruction::Workdir(rest.to_owned()))
        }
        "USER" => {
            need_args("USER")?;
            Ok(Instruction::User(rest.to_owned()))
        }
        "EXPOSE" => {
            need_args("EXPOSE")?;
            Ok(Instruction::Expose(raw_words(rest, escape)))
        }
        "VOLUME" => {
            need_args("VOLUME")?;
            let list = json_array(rest).unwrap_or_else(|| raw_words(rest, escape));
            if list.iter().any(|v| v.trim().is_empty()) {
                return Err(Error::dockerfile(
                    n,
                    "VOLUME specified can not be an empty string",
                ));
            }
            Ok(Instruction::Volume(list))
        }
        "STOPSIGNAL" => {
            need_args("STOPSIGNAL")?;
            Ok(Instruction::StopSignal(rest.to_owned()))
        }
        "HEALTHCHECK" => healthcheck(rest, n),
        "SHELL" => match json_array(rest) {
            Some(l) if !l.is_empty() => Ok(Instruction::Shell(l)),
            _ => Err(Error::dockerfile(
                n,
                "SHELL requires the arguments to be in JSON form",
            )),
        },
        "ONBUILD" => {
            need_args("ONBUILD")?;
            let trigger = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match trigger.as_str() {
                "ONBUILD" => Err(Error::dockerfile(
                    n,
                    "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
                )),
                "FROM" | "MAINTAINER" => Err(Error::dockerfile(
                    n,
                    format!("{trigger} isn't allowed as an ONBUILD trigger"),
                )),
                _ => {
                    // The trigger must itself parse.
                    let inner = trigger_line(rest, n);
                    parse(&inner, escape)?;
                    Ok(Instruction::OnBuild(rest.to_owned()))
                }
            }
        }
        "MAINTAINER" => {
            need_args("MAINTAINER")?;
            Ok(Instruction::Maintainer(rest.to_owned()))
        }
        other => Err(Error::dockerfile(
            n,
            format!("unknown instruction: {other}"),
        )),
    }
}

/// An `ONBUILD` trigger (or a stored `OnBuild` entry) as a line of its own.
pub fn trigger_line(text: &str, number: usize) -> Line {
    let text = text.trim();
    let (kw, rest) = match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], text[at..].trim()),
        None => (text, ""),
    };
    Line {
        number,
        keyword: kw.to_ascii_uppercase(),
        rest: rest.to_owned(),
        heredocs: Vec::new(),
    }
}

fn check_stage_name(name: &str, n: usize) -> Result<()> {
    let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::dockerfile(n, format!("invalid name for build stage: {name:?}, name can't start with a number or contain symbols")))
    }
}

/// Exec form when `s` is a JSON array of strings, else shell form.
fn command(s: &str) -> Command {
    match json_array(s) {
        Some(l) => Command::Exec(l),
        None => Command::Shell(s.to_owned()),
    }
}

/// `s` as a JSON array of strings, if it is one.
fn json_array(s: &str) -> Option<Vec<String>> {
    let t = s.trim();
    if !t.starts_with('[') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(t).ok()
}

type Flags = Vec<(String, Option<String>)>;

/// `--name=value` and `--name` words at the start of `rest`, then what follows them.
fn leading_flags<'a>(rest: &'a str, n: usize, allowed: &[&str]) -> Result<(Flags, &'a str)> {
    let mut flags = Vec::new();
    let mut s = rest.trim_start();
    while let Some(body) = s.strip_prefix("--") {
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        let (name, value) = match word.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (word, None),
        };
        if !allowed.contains(&name) {
            return Err(Error::dockerfile(n, format!("unknown flag: --{name}")));
        }
        flags.push((name.to_owned(), value));
        s = body[end..].trim_start();
    }
    Ok((flags, s))
}

/// Leading flags, then the remaining words.
fn flags(rest: &str, n: usize, allowed: &[&str]) -> Result<(Flags, Vec<String>)> {
    let (f, tail) = leading_flags(rest, n, allowed)?;
    Ok((f, tail.split_whitespace().map(str::to_owned).collect()))
}

fn flag(flags: &Flags, name: &str) -> Option<String> {
    flags
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone().unwrap_or_else(|| "true".to_owned()))
}

/// `k=v k2="v 2"` pairs, or the old `KEY value rest of line` form (Docker's parseNameVal).
fn name_values(rest: &str, n: usize, kw: &str, escape: char) -> Result<Vec<(String, String)>> {
    let words = raw_words(rest, escape);
    let Some(first) = words.first() else {
        return Err(Error::dockerfile(
            n,
            format!("{kw} requires at least one argument"),
        ));
    };
    if !first.contains('=') {
        let mut parts = rest.splitn(2, char::is_whitespace);
        let key = parts.next().unwrap_or_default();
        let value = parts.next().map(str::trim_start).unwrap_or_default();
        if value.is_empty() {
            return Err(Error::dockerfile(
                n,
                format!("{kw} must have two arguments"),
            ));
        }
        return Ok(vec![(key.to_owned(), value.to_owned())]);
    }
    let mut out = Vec::new();
    for w in words {
        let Some((k, v)) = w.split_once('=') else {
            return Err(Error::dockerfile(
                n,
                format!("Syntax error - can't find = in {w:?}. Must be of the form: name=value"),
            ));
        };
        if k.is_empty() {
            return Err(Error::dockerfile(n, format!("{kw} names can not be blank")));
        }
        out.push((k.to_owned(), v.to_owned()));
    }
    Ok(out)
}

fn healthcheck(rest: &str, n: usize) -> Result<Instruction> {
    let allowed = [
        "interval",
        "timeout",
        "start-period",
        "start-interval",
        "retries",
    ];
    let (flags, tail) = leading_flags(rest, n, &allowed)?;
    let (word, cmd) = match tail.find(char::is_whitespace) {
        Some(at) => (&tail[..at], tail[at..].trim()),
        None => (tail, ""),
    };
    match word.to_ascii_uppercase().as_str() {
        "NONE" => {
            if !cmd.is_empty() || !flags.is_empty() {
                return Err(Error::dockerfile(n, "HEALTHCHECK NONE takes no arguments"));
            }
            Ok(Instruction::Healthcheck(None))
        }
        "CMD" if !cmd.is_empty() => Ok(Instruction::Healthcheck(Some(Health {
            test: Some(command(cmd)),
            interval: flag(&flags, "interval"),
            timeout: flag(&flags, "timeout"),
            start_period: flag(&flags, "start-period"),
            start_interval: flag(&flags, "start-interval"),
            retries: flag(&flags, "retries"),
        }))),
        _ => Err(Error::dockerfile(
            n,
            "HEALTHCHECK expects NONE or CMD <command>",
        )),
    }
}

#[cfg(test)]
#[path = "instruction_tests.rs"]
mod tests;
