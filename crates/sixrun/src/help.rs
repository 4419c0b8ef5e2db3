//! Help and version text in runc's shape (urfave/cli's templates): `NAME:`, `USAGE:`,
//! `VERSION:`, `COMMANDS:`, `GLOBAL OPTIONS:` for the runtime; `NAME:`, `USAGE:`,
//! `DESCRIPTION:`, `OPTIONS:` for a command; flags as `--name value, -n value  usage
//! (default: x)` in columns. The words are sixrun's, taken from the clap definitions in
//! `cli.rs`, so a new flag or command shows up here by itself.
//!
//! It only renders text; `parse.rs` decides when to print it.

use std::fmt::Write as _;

use clap::{Arg, ArgAction, Command, CommandFactory};

use crate::cli::Cli;

/// The lines of `--version`, in runc's order: `sixrun version X`, `commit:` (when the build
/// knew it), `spec:`, then the compiler, as runc's `go:` line. No `libseccomp:` line: sixrun
/// compiles seccomp filters itself (six-seccomp) and links no libseccomp.
pub fn version() -> String {
    let mut v = format!("sixrun version {}\n", env!("CARGO_PKG_VERSION"));
    if let Some(commit) = option_env!("SIXRUN_COMMIT").filter(|c| !c.is_empty()) {
        let _ = writeln!(v, "commit: {commit}");
    }
    let _ = writeln!(v, "spec: {}", crate::SPEC_VERSION);
    let _ = writeln!(v, "rust: {}", env!("SIXRUN_RUSTC"));
    v
}

/// The runtime's help (`sixrun --help`, `sixrun help`, `sixrun` alone).
pub fn app() -> String {
    let cli = Cli::command();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "NAME:\n   sixrun - Open Container Initiative runtime\n"
    );
    let _ = writeln!(
        out,
        "sixrun is a command line client for running applications packaged according to the
Open Container Initiative (OCI) format, a drop-in for runc: the same commands, flags,
output and state of a container. Each container is a directory (a bundle) with a
\"config.json\" and a root filesystem.

To start a new instance of a container:

    # sixrun run [ -b bundle ] <container-id>
"
    );
    let _ = writeln!(
        out,
        "USAGE:\n   sixrun [global options] command [command options] [arguments...]\n"
    );
    let (first, rest) = version()
        .split_once('\n')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .unwrap_or_default();
    let number = first.trim_start_matches("sixrun version ");
    let _ = writeln!(out, "VERSION:\n   {number}\n{}", rest.trim_end());
    let _ = writeln!(out, "\nCOMMANDS:");
    let mut commands: Vec<(String, String)> = cli
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| (c.get_name().to_owned(), about(c)))
        .collect();
    commands.sort();
    commands.push((
        "help, h".into(),
        "Shows a list of commands or help for one command".into(),
    ));
    let lines: Vec<String> = commands
        .iter()
        .map(|(name, about)| format!("   {name}\t{about}"))
        .collect();
    out.push_str(&columns(&lines.join("\n")));
    let _ = writeln!(out, "\n\nGLOBAL OPTIONS:");
    let mut flags: Vec<String> = cli
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !is_help_or_version(a) && !a.is_positional())
        .map(|a| format!("   {}", flag(a)))
        .collect();
    flags.push("   --help, -h\tshow help".into());
    flags.push("   --version, -v\tprint the version".into());
    out.push_str(&columns(&flags.join("\n")));
    out.push('\n');
    out
}

/// The help of command `name` (`sixrun NAME --help`, `sixrun help NAME`), or None.
pub fn command(name: &str) -> Option<String> {
    let cli = Cli::command();
    let c = cli
        .get_subcommands()
        .find(|c| c.get_name() == name || c.get_all_aliases().any(|a| a == name))?;
    // Its flags and arguments are added when it is built (`cli.rs`: the subcommands are
    // deferred); its name and about come from the enum's variant, as before it is built.
    let mut built = c.clone();
    built.build();
    let mut out = format!(
        "NAME:\n   sixrun {} - {}\n\nUSAGE:\n   sixrun {}",
        c.get_name(),
        about(c),
        c.get_name()
    );
    let flags: Vec<&Arg> = built
        .get_arguments()
        .filter(|a| {
            !a.is_hide_set() && !a.is_global_set() && !is_help_or_version(a) && !a.is_positional()
        })
        .collect();
    if !flags.is_empty() {
        out.push_str(" [command options]");
    }
    let _ = writeln!(out, " {}", args_usage(&built));
    if let Some(long) = c.get_long_about().map(ToString::to_string) {
        if long.trim() != about(c) {
            let _ = write!(out, "\nDESCRIPTION:\n   {}\n", long.trim());
        }
    }
    if !flags.is_empty() {
        out.push_str("\nOPTIONS:\n");
        let lines: Vec<String> = flags.iter().map(|a| format!("   {}", flag(a))).collect();
        out.push_str(&columns(&lines.join("\n")));
        out.push_str("\n   \n");
    }
    Some(out)
}

/// A command's one-line usage: its about text without the final period.
fn about(c: &Command) -> String {
    let text = c.get_about().map(ToString::to_string).unwrap_or_default();
    text.lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_owned()
}

fn is_help_or_version(a: &Arg) -> bool {
    matches!(a.get_id().as_str(), "help" | "version")
        || matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
}

/// runc's ArgsUsage from the positional arguments: `<container-id> [signal]`.
fn args_usage(c: &Command) -> String {
    let words: Vec<String> = c
        .get_positionals()
        .map(|a| {
            let name = match a.get_id().as_str() {
                "id_and_ps_options" => return "<container-id> [ps options]".to_owned(),
                "id" => "container-id".to_owned(),
                "args" => "command".to_owned(),
                other => other.replace('_', "-"),
            };
            let many = a.get_num_args().is_some_and(|n| n.max_values() > 1);
            let dots = if many { "..." } else { "" };
            if a.is_required_set() {
                format!("<{name}>{dots}")
            } else {
                format!("[{name}{dots}]")
            }
        })
        .collect();
    if words.is_empty() {
        "[arguments...]".into()
    } else {
        words.join(" ")
    }
}

/// One flag as urfave prints it: `--name value, -n value` then a tab and the usage, with
/// the default where there is one.
fn flag(a: &Arg) -> String {
    let takes_value = !matches!(
        a.get_action(),
        ArgAction::SetTrue | ArgAction::SetFalse | ArgAction::Count
    );
    let placeholder = if takes_value { " value" } else { "" };
    let mut names = Vec::new();
    if let Some(long) = a.get_long() {
        names.push(format!("--{long}{placeholder}"));
    }
    if let Some(short) = a.get_short() {
        names.push(format!("-{short}{placeholder}"));
    }
    let mut usage = a
        .get_help()
        .map(ToString::to_string)
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_owned();
    let default = a
        .get_default_values()
        .first()
        .map(|v| v.to_string_lossy().into_owned());
    if let Some(d) = default.filter(|_| takes_value && !usage.contains("default")) {
        if d.parse::<i64>().is_ok() {
            let _ = write!(usage, " (default: {d})");
        } else {
            let _ = write!(usage, " (default: {d:?})");
        }
    }
    format!("{}\t{usage}", names.join(", "))
}

/// Go's tabwriter as urfave uses it: in each run of lines that hold a tab, the text before
/// the tab padded to the widest in the run plus two spaces.
fn columns(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].contains('\t') {
            out.push(lines[i].to_owned());
            i += 1;
            continue;
        }
        let run_end = (i..lines.len())
            .find(|&j| !lines[j].contains('\t'))
            .unwrap_or(lines.len());
        let width = lines[i..run_end]
            .iter()
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, _)| a.chars().count())
            .max()
            .unwrap_or(0);
        for l in &lines[i..run_end] {
            let (a, b) = l.split_once('\t').unwrap_or((l, ""));
            out.push(format!("{a:<w$}{b}", w = width + 2));
        }
        i = run_end;
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_pad_each_run_of_tabbed_lines() {
        assert_eq!(
            columns("   --all, -a\tall\n   --x val\tx\nplain\n   --long-one\ty"),
            "   --all, -a  all\n   --x val    x\nplain\n   --long-one  y"
        );
    }

    #[test]
    fn the_runtime_help_has_runcs_sections() {
        let h = app();
        for section in [
            "NAME:\n   sixrun - ",
            "USAGE:\n   sixrun [global options] command [command options] [arguments...]",
            "VERSION:\n   ",
            "COMMANDS:\n",
            "GLOBAL OPTIONS:\n",
        ] {
            assert!(h.contains(section), "no {section:?} in:\n{h}");
        }
        assert!(h.contains("\n   kill "), "{h}");
        assert!(h.contains("\n   help, h "), "{h}");
        assert!(h.contains("--log-format value "), "{h}");
        assert!(h.contains("(default: \"/run/sixrun\")"), "{h}");
        assert!(h.contains("\n   --version, -v "), "{h}");
    }

    #[test]
    fn a_commands_help_has_runcs_sections() {
        let h = command("kill").unwrap();
        assert!(h.starts_with("NAME:\n   sixrun kill - "), "{h}");
        assert!(
            h.contains("USAGE:\n   sixrun kill [command options] <container-id> [signal]\n"),
            "{h}"
        );
        assert!(h.contains("OPTIONS:\n   --all, -a  "), "{h}");
        assert!(h.ends_with("\n   \n"), "{h:?}");
        let h = command("state").unwrap();
        assert!(
            h.contains("USAGE:\n   sixrun state <container-id>\n"),
            "{h}"
        );
        assert!(!h.contains("OPTIONS:"), "{h}");
        assert!(command("bogus").is_none());
    }

    #[test]
    fn version_lines_are_runcs() {
        let v = version();
        let lines: Vec<&str> = v.lines().collect();
        assert!(lines[0].starts_with("sixrun version "), "{v}");
        assert!(lines.iter().any(|l| l.starts_with("spec: 1.")), "{v}");
        assert!(lines.iter().any(|l| l.starts_with("rust: rustc ")), "{v}");
        // Docker's parser takes the runtime's name and version from the one line that says
        // "version".
        assert_eq!(
            lines.iter().filter(|l| l.contains("version")).count(),
            1,
            "{v}"
        );
    }
}
