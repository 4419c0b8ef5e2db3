//! `attach` and the detach keys, typed on a terminal as a user would (issue 11): Ctrl-P
//! Ctrl-Q (or `--detach-keys`) leave `run -it`, `start -ai` and `attach` and the container
//! runs on; `attach` follows the container to its end and returns its exit code. Exit codes
//! and messages as Docker 20.10's: `run -it` and `start -ai` detach with 0, `attach` with 1
//! and "read escape sequence". A terminal with stdin attached needs a terminal to read:
//! `run -it`, `exec -it` and `attach` of a container with one refuse any other stdin as
//! Docker's CLI does ("the input device is not a TTY", exit 1), before anything is made.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::pty::Terminal;
use common::{unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);
const CTRL_P_CTRL_Q: &str = "\x10\x11";

/// Whether `ps` shows the container up.
fn is_up(sb: &Sandbox, name: &str) -> bool {
    sb.ps_row(name).is_some_and(|r| r.contains(" Up "))
}

#[test]
fn ctrl_p_ctrl_q_detaches_run_it_and_attach_and_the_container_runs_on() {
    let sb = Sandbox::new();
    let name = unique_name("detach");
    let mut term = Terminal::spawn(
        sb.command(["run", "-it", "--name", &name, "busybox", "sh"]),
        24,
        80,
    );
    // the prompt's answer proves the relay (and its raw mode) is up before the keys
    term.type_text("echo run-$((40+2))\r");
    term.expect("run-42", LONG);
    term.type_text(CTRL_P_CTRL_Q);
    assert_eq!(term.wait(LONG), 0, "screen: {}", term.screen());
    assert!(is_up(&sb, &name));

    let mut term = Terminal::spawn(sb.command(["attach", &name]), 24, 80);
    term.type_text("echo attached-$((6*7))\r");
    term.expect("attached-42", LONG);
    term.type_text(CTRL_P_CTRL_Q);
    assert_eq!(term.wait(LONG), 1, "screen: {}", term.screen());
    assert!(term.screen().contains("read escape sequence"));
    assert!(is_up(&sb, &name));

    // other keys: the default ones then pass through to the shell
    let mut term = Terminal::spawn(
        sb.command(["attach", "--detach-keys", "ctrl-a,x", &name]),
        24,
        80,
    );
    term.type_text("echo keys-$((1+1))\r");
    term.expect("keys-2", LONG);
    term.type_text("\x01x");
    assert_eq!(term.wait(LONG), 1, "screen: {}", term.screen());
    assert!(is_up(&sb, &name));

    // attached to its end: its exit code
    let mut term = Terminal::spawn(sb.command(["attach", &name]), 24, 80);
    term.type_text("echo last\r");
    term.expect("last", LONG);
    term.type_text("exit 5\r");
    assert_eq!(term.wait(LONG), 5, "screen: {}", term.screen());
    assert!(sb.ps_row(&name).unwrap().contains("Exited (5)"));
    sb.run(["attach", &name]).fails(
        1,
        "you cannot attach to a stopped container, start it first",
    );
}

#[test]
fn start_ai_detaches_with_zero() {
    let sb = Sandbox::new();
    let name = unique_name("startai");
    sb.run(["create", "-it", "--name", &name, "busybox", "sh"])
        .ok();
    let mut term = Terminal::spawn(sb.command(["start", "-ai", &name]), 24, 80);
    term.type_text("echo started-$((2*3))\r");
    term.expect("started-6", LONG);
    term.type_text(CTRL_P_CTRL_Q);
    assert_eq!(term.wait(LONG), 0, "screen: {}", term.screen());
    assert!(is_up(&sb, &name));
    sb.run(["attach", "--detach-keys", "ctrl-foo", &name])
        .fails(125, "invalid detach keys \"ctrl-foo\"");
    sb.run(["pause", &name]).ok();
    sb.run(["attach", &name]).fails(
        1,
        "you cannot attach to a paused container, unpause it first",
    );
}

/// Without a terminal: the output from the moment of attaching, then the exit code.
#[test]
fn attach_follows_output_to_the_exit_code() {
    let sb = Sandbox::new();
    let name = unique_name("follow");
    let script = "i=0; while [ ! -e /tmp/go ]; do i=$((i+1)); echo tick$i; sleep 0.05; done; \
                  echo done; exit 4";
    sb.run(common::detached_args(&name, &["sh", "-c", script]))
        .ok();
    let mut attach = sb
        .command(["attach", &name])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(attach.stdout.take().unwrap()).lines();
    // a tick proves it is attached; then the container is let finish
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("tick"), "{first}");
    sb.run(["exec", &name, "touch", "/tmp/go"]).ok();
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest.last().map(String::as_str), Some("done"), "{rest:?}");
    assert_eq!(attach.wait().unwrap().code(), Some(4));
}

#[test]
fn a_terminal_with_stdin_attached_needs_a_terminal_as_docker() {
    let sb = Sandbox::new();
    // the Sandbox's commands have stdin closed (/dev/null): not a terminal
    let name = unique_name("notty");
    for args in [
        vec!["run", "-it", "--name", &name, "busybox", "true"],
        vec!["run", "-i", "-t", "--rm", "busybox", "true"],
    ] {
        sb.run(&args).fails(1, "the input device is not a TTY");
    }
    assert!(sb.ps_row(&name).is_none(), "nothing is made");
    assert!(sb.run(["ps", "-a", "-q"]).ok().trim().is_empty());

    // -t alone, or -i -t detached, read no stdin: as Docker, they run
    sb.run(["run", "-t", "--rm", "busybox", "true"]).ok();
    let tty = unique_name("tty");
    sb.run(["run", "-itd", "--name", &tty, "busybox", "sh"])
        .ok();
    sb.run(["exec", "-it", &tty, "true"])
        .fails(1, "the input device is not a TTY");
    sb.run(["exec", "-t", &tty, "true"]).ok();
    sb.run(["exec", "-i", &tty, "true"]).ok();
    sb.run(["attach", &tty])
        .fails(1, "the input device is not a TTY");
    assert!(is_up(&sb, &tty), "the refused attach left it running");
    sb.run(["rm", "-f", &tty]).ok();
}
