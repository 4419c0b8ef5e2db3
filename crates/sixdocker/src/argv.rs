//! Rewrites the original sixDocker's single-dash long flags into clap's form before parsing.
//!
//! The original (Go, urfave/cli) accepted `-name web`, `-cpushare 512`, `-cpuset 0,1`,
//! `-image nginx`, `-network docker0`, `-driver bridge`, `-subnet 10.0.0.0/24`. Clap reads a
//! single dash as a cluster of short flags, so `-name` would mean `-n -a -m -e`. This module
//! walks argv with the real clap [`Command`] tree and turns `-WORD` into `--LONG` only when
//! WORD is a long flag of the subcommand being read (or one of the original's spellings in
//! [`RENAMED`]). Short clusters such as `-ti`, `-it`, `-d` and `-m100m` are left alone, and so is
//! everything after `--` or after the first positional of a command that takes a trailing
//! command line (`run IMAGE ls -name` keeps `-name` for `ls`). A `--` before `run`'s first
//! operand is marked with [`COMMAND_FOLLOWS`] so the original's `run -- CMD` form survives.
//!
//! It never decides what an argument means; clap does that afterwards, and reports errors.

use std::ffi::OsString;

use clap::{Arg, Command};

/// The original's flag names that differ from ours: (original, ours).
pub const RENAMED: &[(&str, &str)] = &[
    ("cpushare", "cpu-shares"),
    ("cpuset", "cpuset-cpus"),
    ("net", "network"),
];

/// A hidden flag of `run` and `create`, added in front of a `--` that comes before any
/// operand: the original's `run [FLAGS] -- CMD...` (no IMAGE operand), which clap alone
/// could not tell from Docker's `run IMAGE [CMD...]`.
pub const COMMAND_FOLLOWS: &str = "command-follows";

/// Returns argv with the original's single-dash long flags spelled `--long`.
///
/// `cmd` is the command tree, built or not: the CLI's subcommands defer making their
/// arguments until they are used (building every command of the tree costs more than most
/// commands' own work), so only the one subcommand argv names is built here, a copy of it,
/// and the root's global flags are looked up on the root. `argv[0]` (the program name) is
/// passed through.
pub fn normalise(cmd: &Command, argv: Vec<OsString>) -> Vec<OsString> {
    // Only `--` and single-dash words of more than one letter are ever rewritten: a command
    // line with neither is its own normal form, and needs no command built to tell.
    if !argv
        .iter()
        .skip(1)
        .any(|a| a.to_str().is_some_and(may_be_rewritten))
    {
        return argv;
    }
    let mut out = Vec::with_capacity(argv.len());
    let mut args = argv.into_iter();
    if let Some(program) = args.next() {
        out.push(program);
    }
    let mut current = Level::new(cmd, cmd);
    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if text == "--" {
            if current.find_long(COMMAND_FOLLOWS).is_some() {
                out.push(OsString::from(format!("--{COMMAND_FOLLOWS}")));
            }
            out.push(arg);
            break;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, value) = split_value(long);
            let wants_next = value.is_none() && current.find_long(name).is_some_and(takes_value);
            out.push(arg);
            if wants_next {
                out.extend(args.next());
            }
            continue;
        }
        if let Some(word) = text.strip_prefix('-').filter(|w| !w.is_empty()) {
            let (name, value) = split_value(word);
            let ours = RENAMED
                .iter()
                .find(|(original, _)| *original == name)
                .map_or(name, |(_, ours)| *ours);
            if name.chars().count() > 1 {
                if let Some(flag) = current.find_long(ours) {
                    let wants_value = takes_value(flag);
                    out.push(match value {
                        Some(v) => OsString::from(format!("--{ours}={v}")),
                        None => OsString::from(format!("--{ours}")),
                    });
                    if wants_value && value.is_none() {
                        out.extend(args.next());
                    }
                    continue;
                }
            }
            out.push(arg.clone());
            if current.short_cluster_wants_next(word) {
                out.extend(args.next());
            }
            continue;
        }
        // A positional: a subcommand name, or an operand of the current command.
        if let Some(sub) = current.node.find_subcommand(text) {
            current = Level::new(cmd, sub);
            out.push(arg);
            continue;
        }
        out.push(arg);
        if current
            .command()
            .get_positionals()
            .any(Arg::is_trailing_var_arg_set)
        {
            break;
        }
    }
    out.extend(args);
    out
}

/// Whether [`normalise`] may rewrite the argument `text` (or add one before it): `--`, or a
/// single-dash word of more than one letter (`-name`, `-it`, `-a=b`).
fn may_be_rewritten(text: &str) -> bool {
    text == "--"
        || text
            .strip_prefix('-')
            .is_some_and(|word| !word.starts_with('-') && word.chars().count() > 1)
}

/// `name=value` → (`name`, Some(`value`)); `name` → (`name`, None).
fn split_value(word: &str) -> (&str, Option<&str>) {
    match word.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (word, None),
    }
}

/// The command argv has reached: its node in the tree (to find its subcommands), a built
/// copy of it when it takes arguments itself (a leaf: its deferred arguments made), and the
/// root (whose global flags every level takes).
struct Level<'a> {
    root: &'a Command,
    node: &'a Command,
    built: Option<Command>,
}

impl<'a> Level<'a> {
    fn new(root: &'a Command, node: &'a Command) -> Level<'a> {
        // A group (`container`, `network`...) has only subcommands: building it would build
        // all of them. A leaf is built, a copy, so the tree itself is left for clap to build.
        let built = (!node.has_subcommands()).then(|| {
            let mut leaf = node.clone();
            leaf.build();
            leaf
        });
        Level { root, node, built }
    }

    fn command(&self) -> &Command {
        self.built.as_ref().unwrap_or(self.node)
    }

    /// The arguments at this level: its own, then the root's global ones.
    fn arguments(&self) -> impl Iterator<Item = &Arg> {
        let globals = self.root.get_arguments().filter(|a| a.is_global_set());
        self.command().get_arguments().chain(globals)
    }

    fn find_long(&self, name: &str) -> Option<&Arg> {
        self.arguments().find(|a| {
            a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
        })
    }

    fn find_short(&self, c: char) -> Option<&Arg> {
        self.arguments().find(|a| {
            a.get_short() == Some(c) || a.get_all_short_aliases().is_some_and(|al| al.contains(&c))
        })
    }

    /// Whether a short cluster such as `-tim` ends in a flag whose value is the next
    /// argument. `-m100m` carries its value; `-ti` takes none; `-tm` wants the next one.
    fn short_cluster_wants_next(&self, cluster: &str) -> bool {
        let mut chars = cluster.chars().peekable();
        while let Some(c) = chars.next() {
            match self.find_short(c) {
                Some(flag) if takes_value(flag) => return chars.peek().is_none(),
                Some(_) => {}
                None => return false,
            }
        }
        false
    }
}

fn takes_value(arg: &Arg) -> bool {
    // A flag whose value must follow `=` (`--trace=json`) never takes the next argument.
    arg.get_action().takes_values() && !arg.is_require_equals_set()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{ArgAction, CommandFactory};

    fn cli() -> Command {
        let mut c = crate::cli::Cli::command();
        c.build();
        c
    }

    fn norm(line: &str) -> Vec<String> {
        let argv = std::iter::once("sixdocker")
            .chain(line.split(' '))
            .map(OsString::from)
            .collect();
        normalise(&cli(), argv)
            .into_iter()
            .skip(1)
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn only_double_dash_and_single_dash_words_are_ever_rewritten() {
        for text in ["--", "-name", "-it", "-a=b", "-cpushare"] {
            assert!(may_be_rewritten(text), "{text}");
        }
        for text in ["-", "-a", "--name", "--name=x", "ps", "a-b", ""] {
            assert!(!may_be_rewritten(text), "{text}");
        }
        assert_eq!(
            norm("ps -a --format {{.Names}} -q"),
            ["ps", "-a", "--format", "{{.Names}}", "-q"]
        );
        assert_eq!(norm("ps -a -name x"), ["ps", "-a", "-name", "x"]);
        assert_eq!(
            norm("run -name x busybox"),
            ["run", "--name", "x", "busybox"]
        );
    }

    #[test]
    fn original_run_lines_become_long_flags() {
        assert_eq!(
            norm("run -ti --name mycontainer -- /bin/sh"),
            [
                "run",
                "-ti",
                "--name",
                "mycontainer",
                "--command-follows",
                "--",
                "/bin/sh"
            ]
        );
        assert_eq!(
            norm("run -ti -cpushare 512 -name test -- /bin/sh"),
            [
                "run",
                "-ti",
                "--cpu-shares",
                "512",
                "--name",
                "test",
                "--command-follows",
                "--",
                "/bin/sh"
            ]
        );
        assert_eq!(
            norm("run -ti -cpuset 0,1 -name test -- /bin/sh"),
            [
                "run",
                "-ti",
                "--cpuset-cpus",
                "0,1",
                "--name",
                "test",
                "--command-follows",
                "--",
                "/bin/sh"
            ]
        );
        assert_eq!(
            norm("run -ti -image nginx -name web -- nginx -g x"),
            [
                "run",
                "-ti",
                "--image",
                "nginx",
                "--name",
                "web",
                "--command-follows",
                "--",
                "nginx",
                "-g",
                "x"
            ]
        );
        assert_eq!(
            norm("run -d -name web -network docker0 -p 80:80 -- nginx"),
            [
                "run",
                "-d",
                "--name",
                "web",
                "--network",
                "docker0",
                "-p",
                "80:80",
                "--command-follows",
                "--",
                "nginx"
            ]
        );
    }

    #[test]
    fn short_flags_and_clusters_are_untouched() {
        for line in [
            "run -it busybox sh",
            "run -ti busybox sh",
            "run -d -m 100m -v /a:/b -e K=V busybox",
            "run -m100m busybox",
            "exec -it c sh",
        ] {
            assert_eq!(norm(line), line.split(' ').collect::<Vec<_>>(), "{line}");
        }
    }

    #[test]
    fn equals_form_is_kept() {
        assert_eq!(
            norm("run -name=web busybox"),
            ["run", "--name=web", "busybox"]
        );
        assert_eq!(
            norm("run -cpushare=2 busybox"),
            ["run", "--cpu-shares=2", "busybox"]
        );
    }

    #[test]
    fn the_container_command_is_never_rewritten() {
        assert_eq!(
            norm("run busybox ls -name -d"),
            ["run", "busybox", "ls", "-name", "-d"]
        );
        assert_eq!(
            norm("run -- ls -name"),
            ["run", "--command-follows", "--", "ls", "-name"]
        );
        assert_eq!(norm("exec -- c ls"), ["exec", "--", "c", "ls"]);
        assert_eq!(norm("exec c ls -name"), ["exec", "c", "ls", "-name"]);
    }

    #[test]
    fn a_flag_value_that_looks_like_a_flag_is_not_rewritten() {
        assert_eq!(
            norm("run --name -image busybox"),
            ["run", "--name", "-image", "busybox"]
        );
        assert_eq!(
            norm("run -e -name busybox"),
            ["run", "-e", "-name", "busybox"]
        );
    }

    #[test]
    fn nested_network_commands_and_globals() {
        assert_eq!(
            norm("network create -driver bridge -subnet 172.18.0.0/16 docker0"),
            [
                "network",
                "create",
                "--driver",
                "bridge",
                "--subnet",
                "172.18.0.0/16",
                "docker0"
            ]
        );
        assert_eq!(
            norm("--root /r network list"),
            ["--root", "/r", "network", "list"]
        );
        assert_eq!(
            norm("-root /r -runroot /s ps -a"),
            ["--root", "/r", "--runroot", "/s", "ps", "-a"]
        );
    }

    #[test]
    fn log_flags_in_the_originals_spelling() {
        assert_eq!(
            norm("run -log-driver local -log-opt max-size=1m -log-opt=max-file=2 -- echo"),
            [
                "run",
                "--log-driver",
                "local",
                "--log-opt",
                "max-size=1m",
                "--log-opt=max-file=2",
                "--command-follows",
                "--",
                "echo"
            ]
        );
    }

    #[test]
    fn unknown_single_dash_words_are_left_for_clap_to_reject() {
        assert_eq!(norm("run -bogus busybox"), ["run", "-bogus", "busybox"]);
    }

    #[test]
    fn commit_original_form() {
        assert_eq!(
            norm("commit -n c -t img"),
            ["commit", "-n", "c", "-t", "img"]
        );
    }

    #[test]
    fn works_on_any_command_tree() {
        let mut c = Command::new("x").subcommand(
            Command::new("go")
                .arg(Arg::new("speed").long("speed").short('s'))
                .arg(Arg::new("quiet").short('q').action(ArgAction::SetTrue)),
        );
        c.build();
        let argv = ["x", "go", "-speed", "3", "-qs", "4", "-q"]
            .map(OsString::from)
            .to_vec();
        let out: Vec<_> = normalise(&c, argv)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        assert_eq!(out, ["x", "go", "--speed", "3", "-qs", "4", "-q"]);
    }
}
