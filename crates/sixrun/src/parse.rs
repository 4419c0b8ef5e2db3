//! From the command line to a [`Cli`] to run, or to what runc does instead, with runc's exit
//! codes: help (`--help`, `-h`, `help [command]`, `h`, no command at all: stdout, exit 0), the
//! version (`--version`, `-v`: exit 0), an unknown command or help topic (`No help topic for
//! 'x'`, exit 3), a usage error (an unknown flag, a wrong number of arguments: `Incorrect
//! Usage` and the help on stdout, one line on stderr, exit 1). clap does the parsing; this
//! file turns its verdicts into runc's.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::Parser;

use crate::cli::Cli;
use crate::help;

/// Global flags that take a value (for finding the command word before clap parses).
const VALUE_FLAGS: [&str; 4] = ["--root", "--log", "--log-format", "--criu"];

pub enum Outcome {
    Run(Box<Cli>),
    /// Print `stdout`, then `stderr` as one error line, and exit with `code`.
    Exit {
        stdout: String,
        stderr: Option<String>,
        code: i32,
    },
}

fn exit(stdout: String, stderr: Option<String>, code: i32) -> Outcome {
    Outcome::Exit {
        stdout,
        stderr,
        code,
    }
}

/// Where the command word is in `args` (the arguments after the program name), and it.
fn command_word(args: &[OsString]) -> Option<(usize, &str)> {
    let mut i = 0;
    while i < args.len() {
        let a = args[i].to_str()?;
        if a == "--" {
            return Some((i + 1, args.get(i + 1)?.to_str()?));
        }
        if !a.starts_with('-') || a == "-" {
            return Some((i, a));
        }
        if VALUE_FLAGS.contains(&a) {
            i += 1;
        }
        i += 1;
    }
    None
}

pub fn parse(args: &[OsString]) -> Outcome {
    let word = command_word(args);
    if let Some((at, "help" | "h")) = word {
        let topic = args[at + 1..]
            .iter()
            .filter_map(|a| a.to_str())
            .find(|a| !a.starts_with('-'));
        return match topic {
            None => exit(help::app(), None, 0),
            Some(t) => match help::command(t) {
                Some(h) => exit(h, None, 0),
                None => exit(String::new(), Some(format!("No help topic for '{t}'")), 3),
            },
        };
    }
    let argv = std::iter::once(OsString::from("sixrun")).chain(args.iter().cloned());
    match Cli::try_parse_from(argv) {
        Ok(cli) if cli.version => exit(help::version(), None, 0),
        Ok(cli) if cli.command.is_none() => exit(help::app(), None, 0),
        Ok(cli) => Outcome::Run(Box::new(cli)),
        Err(e) => refusal(&e, args, word),
    }
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        other => Some(other.to_string()),
    }
}

/// Whether a flag spelt `flag` comes before the command word (a global one).
fn before_command(args: &[OsString], word: Option<(usize, &str)>, flag: &str) -> bool {
    let Some((at, _)) = word else { return true };
    let flag_at = args.iter().position(|a| {
        a.to_str()
            .is_some_and(|a| a == flag || a.split('=').next() == Some(flag))
    });
    flag_at.is_none_or(|f| f < at)
}

fn refusal(e: &clap::Error, args: &[OsString], word: Option<(usize, &str)>) -> Outcome {
    let command = word.map(|(_, w)| w).filter(|w| help::command(w).is_some());
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let global = ["-h", "--help"].iter().any(|f| {
                args.iter().any(|a| a.to_str() == Some(f)) && before_command(args, word, f)
            });
            match command.filter(|_| !global).and_then(help::command) {
                Some(h) => exit(h, None, 0),
                None => exit(help::app(), None, 0),
            }
        }
        ErrorKind::InvalidSubcommand => {
            let name = context(e, ContextKind::InvalidSubcommand)
                .or_else(|| word.map(|(_, w)| w.to_owned()))
                .unwrap_or_default();
            exit(
                String::new(),
                Some(format!("No help topic for '{name}'")),
                3,
            )
        }
        ErrorKind::UnknownArgument => {
            let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
            if arg.starts_with('-') {
                let msg = format!("flag provided but not defined: {arg}");
                match command.filter(|_| !before_command(args, word, &arg)) {
                    Some(c) => usage(c, &format!("Incorrect Usage: {msg}"), msg.clone()),
                    None => exit(
                        format!("Incorrect Usage. {msg}\n\n{}", help::app()),
                        Some(msg),
                        1,
                    ),
                }
            } else {
                count_error(command, true)
            }
        }
        ErrorKind::MissingRequiredArgument => count_error(command, false),
        _ => {
            let text = e.to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            exit(String::new(), Some(first.to_owned()), 1)
        }
    }
}

/// runc's "Incorrect Usage" for command `c`: `head` and the command's help on stdout.
fn usage(c: &str, head: &str, error: String) -> Outcome {
    let help = help::command(c).unwrap_or_default();
    exit(format!("{head}\n\n{help}"), Some(error), 1)
}

/// runc's check of the number of arguments (checkArgs): exactly one container ID for most
/// commands, at least one for exec and ps, one or two for kill, none for list, spec and
/// features.
fn count_error(command: Option<&str>, too_many: bool) -> Outcome {
    let Some(c) = command else {
        return exit(help::app(), Some("invalid arguments".into()), 1);
    };
    let rule = match (c, too_many) {
        ("kill", true) => "a maximum of 2",
        ("exec" | "ps" | "kill", _) => "a minimum of 1",
        ("list" | "ls" | "spec" | "features", _) => "exactly 0",
        _ => "exactly 1",
    };
    usage(
        c,
        "Incorrect Usage.",
        format!("{c:?} requires {rule} argument(s)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(line: &str) -> (String, Option<String>, i32) {
        let args: Vec<OsString> = line.split_whitespace().map(Into::into).collect();
        match parse(&args) {
            Outcome::Run(_) => ("run".into(), None, -1),
            Outcome::Exit {
                stdout,
                stderr,
                code,
            } => (stdout, stderr, code),
        }
    }

    #[test]
    fn help_version_and_refusals_have_runcs_exit_codes() {
        for line in ["", "--help", "-h", "help", "h", "--root /x", "--help kill"] {
            let (out, err, code) = outcome(line);
            assert_eq!((code, err), (0, None), "{line:?}");
            assert!(out.contains("GLOBAL OPTIONS:"), "{line:?}: {out}");
        }
        for line in [
            "kill --help",
            "kill -h",
            "help kill",
            "h kill",
            "--debug kill -h",
        ] {
            let (out, _, code) = outcome(line);
            assert_eq!(code, 0, "{line:?}");
            assert!(
                out.starts_with("NAME:\n   sixrun kill - "),
                "{line:?}: {out}"
            );
        }
        let (out, _, code) = outcome("--version");
        assert_eq!(code, 0);
        assert!(out.starts_with("sixrun version "), "{out}");
        assert_eq!(outcome("-v").0, out);
        for line in ["bogus", "version", "help bogus"] {
            let (out, err, code) = outcome(line);
            assert_eq!(code, 3, "{line:?}");
            assert!(out.is_empty());
            assert!(err.unwrap().starts_with("No help topic for '"), "{line:?}");
        }
        let (out, err, code) = outcome("kill --bogus x");
        assert_eq!(code, 1);
        assert_eq!(err.unwrap(), "flag provided but not defined: --bogus");
        assert!(
            out.starts_with(
                "Incorrect Usage: flag provided but not defined: --bogus\n\nNAME:\n   sixrun kill"
            ),
            "{out}"
        );
        let (out, err, code) = outcome("--bogus state x");
        assert_eq!(
            (code, err.as_deref()),
            (1, Some("flag provided but not defined: --bogus"))
        );
        assert!(out.starts_with("Incorrect Usage. flag provided"), "{out}");
        for (line, err) in [
            ("kill", "\"kill\" requires a minimum of 1 argument(s)"),
            ("kill a b c", "\"kill\" requires a maximum of 2 argument(s)"),
            ("state", "\"state\" requires exactly 1 argument(s)"),
            ("state a b", "\"state\" requires exactly 1 argument(s)"),
            ("list x", "\"list\" requires exactly 0 argument(s)"),
            ("exec", "\"exec\" requires a minimum of 1 argument(s)"),
        ] {
            let (out, e, code) = outcome(line);
            assert_eq!((code, e.as_deref()), (1, Some(err)), "{line:?}");
            assert!(
                out.starts_with("Incorrect Usage.\n\nNAME:"),
                "{line:?}: {out}"
            );
        }
        assert_eq!(outcome("state x").0, "run");
        assert_eq!(outcome("exec x sh --help").0, "run");
    }
}
