//! The runtime's command line in runc 1.1.5's shape: help for the runtime, each command and
//! an unknown one (with runc's exit codes 0, 3 and 1), `--version`, usage errors, and the
//! log: `--debug` lines with runc's fields on stderr or in `--log FILE`, text or json, for
//! `run` and `exec`. Each test passes with RUNC=runc too: the shape is the runtime's own
//! name's (`runc kill - ...`, `sixrun kill - ...`).

mod common;

use common::*;

/// The runtime's name as its help spells it: `runc` or `sixrun`.
fn name() -> String {
    runtime_binary()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

const COMMANDS: [&str; 15] = [
    "create", "start", "run", "state", "kill", "delete", "exec", "ps", "list", "spec", "features",
    "pause", "resume", "update", "events",
];

#[test]
fn help_for_the_runtime_each_command_and_an_unknown_one() {
    let s = Sixrun::under_test();
    let n = name();
    for args in [&["--help"][..], &["-h"], &["help"], &["h"], &[]] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(
            text.starts_with(&format!("NAME:\n   {n} - ")),
            "{args:?}: {text}"
        );
        for section in [
            format!("\nUSAGE:\n   {n} [global options] command [command options] [arguments...]\n"),
            "\nVERSION:\n   ".into(),
            "\nCOMMANDS:\n".into(),
            "\nGLOBAL OPTIONS:\n".into(),
            "\n   --version, -v ".into(),
        ] {
            assert!(
                text.contains(&section),
                "{args:?}: no {section:?} in {text}"
            );
        }
        for c in COMMANDS {
            assert!(
                text.contains(&format!("\n   {c} ")),
                "{args:?}: {c} not listed"
            );
        }
    }
    for c in COMMANDS {
        for args in [&[c, "--help"][..], &[c, "-h"], &["help", c]] {
            let out = s.run(args);
            assert_eq!(out.status.code(), Some(0), "{args:?}");
            let text = stdout(&out);
            assert!(
                text.starts_with(&format!("NAME:\n   {n} {c} - ")),
                "{args:?}: {text}"
            );
            assert!(
                text.contains(&format!("\nUSAGE:\n   {n} {c}")),
                "{args:?}: {text}"
            );
        }
    }
    let kill = stdout(&s.run(&["kill", "--help"]));
    assert!(
        kill.contains(&format!(
            "\nUSAGE:\n   {n} kill [command options] <container-id> [signal]"
        )),
        "{kill}"
    );
    assert!(kill.contains("\nOPTIONS:\n   --all, -a  "), "{kill}");
    for args in [&["bogus"][..], &["help", "bogus"], &["version"]] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let topic = args.last().unwrap();
        assert!(
            stderr(&out).contains(&format!("No help topic for '{topic}'")),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn version_has_runcs_lines() {
    let s = Sixrun::under_test();
    let n = name();
    let text = s.ok(&["--version"]);
    assert_eq!(s.ok(&["-v"]), text);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with(&format!("{n} version ")), "{text}");
    // Docker reads the name and version from the one line that says "version", and the
    // commit from "commit:".
    assert_eq!(
        lines.iter().filter(|l| l.contains("version")).count(),
        1,
        "{text}"
    );
    if let Some(at) = lines.iter().position(|l| l.starts_with("commit: ")) {
        assert_eq!(at, 1, "{text}");
    }
    assert!(lines.iter().any(|l| l.starts_with("spec: 1.")), "{text}");
    // The compiler, as runc's "go: go1.19.8".
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("go: go1.") || l.starts_with("rust: rustc ")),
        "{text}"
    );
}

#[test]
fn usage_errors_print_the_help_and_exit_1() {
    let s = Sixrun::under_test();
    let n = name();
    for (args, error) in [
        (&["kill"][..], "requires a minimum of 1 argument(s)"),
        (&["state"], "requires exactly 1 argument(s)"),
        (&["state", "a", "b"], "requires exactly 1 argument(s)"),
        (&["list", "x"], "requires exactly 0 argument(s)"),
        (&["exec"], "requires a minimum of 1 argument(s)"),
    ] {
        // runc: `msg="runc: \"kill\" requires ..."` (logrus escapes the quotes).
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out).replace("\\\"", "\"");
        assert!(
            err.contains(&format!("\"{}\" {error}", args[0])),
            "{args:?}: {err}"
        );
        let text = stdout(&out);
        let c = args[0];
        assert!(
            text.starts_with(&format!("Incorrect Usage.\n\nNAME:\n   {n} {c} - ")),
            "{args:?}: {text}"
        );
    }
    let out = s.run(&["kill", "--bogus", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("flag provided but not defined: -"),
        "{}",
        stderr(&out)
    );
    assert!(
        stdout(&out).starts_with("Incorrect Usage: flag provided but not defined: -"),
        "{}",
        stdout(&out)
    );
    let out = s.run(&["--bogus", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).starts_with("Incorrect Usage. flag provided but not defined: -"));
    let out = s.run(&["--log-format", "xml", "list"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("invalid log-format: xml"),
        "{}",
        stderr(&out)
    );
}

/// Each line is `time="…" level=L msg=…` (logrus' text format).
fn assert_text_lines(text: &str, what: &str) {
    assert!(!text.trim().is_empty(), "{what}: no lines");
    for l in text.lines() {
        let rest = l
            .strip_prefix("time=\"")
            .and_then(|r| r.split_once("\" level="))
            .unwrap_or_else(|| panic!("{what}: not runc's text format: {l}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(rest.0).is_ok(),
            "{what}: time {l}"
        );
        let (level, msg) = rest.1.split_once(' ').unwrap_or((rest.1, ""));
        assert!(
            ["debug", "info", "warning", "error"].contains(&level),
            "{what}: level {l}"
        );
        assert!(msg.starts_with("msg="), "{what}: msg {l}");
    }
}

#[test]
fn debug_logs_with_runcs_fields_to_stderr_or_the_log_file() {
    let s = Sixrun::under_test();
    let b = bundle(&["true"], |_| {});
    let bundle_path = b.path().to_str().unwrap();

    let id = s.new_id("dbg");
    let out = s.run(&["--debug", "run", "--bundle", bundle_path, &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_text_lines(&stderr(&out), "run --debug on stderr");
    assert!(
        stderr(&out).contains(" level=debug msg="),
        "{}",
        stderr(&out)
    );

    let log = b.path().join("debug.json");
    let id = s.new_id("dbg");
    let out = s.run(&[
        "--debug",
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "run",
        "--bundle",
        bundle_path,
        &id,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "with --log, nothing on stderr");
    let text = std::fs::read_to_string(&log).unwrap();
    let mut debug = 0;
    for l in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"));
        for key in ["level", "msg", "time"] {
            assert!(v[key].is_string(), "no {key} in {l}");
        }
        debug += usize::from(v["level"] == "debug");
    }
    assert!(debug > 0, "no debug line in {text}");

    // exec too, in text to a file.
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("dbg");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    let log = b.path().join("exec.log");
    let out = s.run(&[
        "--debug",
        "--log",
        log.to_str().unwrap(),
        "exec",
        &id,
        "true",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&log).unwrap();
    assert_text_lines(&text, "exec --debug --log");
    assert!(text.contains(" level=debug msg="), "{text}");
    let out = s.run(&["--debug", "exec", &id, "true"]);
    assert!(out.status.success());
    assert_text_lines(&stderr(&out), "exec --debug on stderr");
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn without_a_log_file_json_errors_go_to_stderr() {
    let s = Sixrun::under_test();
    let out = s.run(&["--log-format", "json", "state", "nosuch"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let v: serde_json::Value = serde_json::from_str(err.trim())
        .unwrap_or_else(|e| panic!("one JSON line expected: {err}: {e}"));
    assert_eq!(v["level"], "error");
    assert!(
        v["msg"].as_str().unwrap().contains("does not exist"),
        "{err}"
    );
}
