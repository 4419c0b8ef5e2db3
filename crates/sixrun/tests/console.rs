//! The container's terminal as runc sets it up: the pty belongs to the process's user (its
//! uid; the group stays what devpts gave it), for `run` and for `exec --tty`, so a non-root
//! user can use its own terminal; `process.consoleSize` is the terminal's size (the config's
//! for `exec --tty` too, a process file's own for `exec -p`).
//!
//! `RUNC=runc cargo test -p sixrun --test console` runs the same against runc.

mod common;

use std::os::unix::net::UnixListener;

use common::*;

/// Prints the owner uid of the terminal, its size, and `done`.
const SCRIPT: &str = "echo owner=$(stat -c %u $(tty)) size=$(stty size | tr ' ' x); echo done";

/// Runs `cmd`, then `--console-socket` (a fresh socket in `b`), `id` and `rest`; for
/// `create`, also starts the container. Returns what the process wrote to its terminal.
fn on_terminal(s: &Sixrun, b: &Bundle, cmd: &[&str], id: &str, rest: &[&str]) -> String {
    let sock = b.path().join(format!("{}.sock", unique_name("c")));
    let l = UnixListener::bind(&sock).unwrap();
    let t = std::thread::spawn(move || receive_fd(&l));
    let sock = sock.to_str().unwrap().to_owned();
    let mut args: Vec<&str> = cmd.to_vec();
    args.extend(["--console-socket", &sock, id]);
    args.extend(rest);
    s.ok(&args);
    let master = t.join().unwrap();
    if cmd[0] == "create" {
        s.ok(&["start", id]);
    }
    read_until(master, "done")
}

fn field<'a>(text: &'a str, name: &str) -> &'a str {
    text.split_whitespace()
        .find_map(|w| w.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in {text:?}"))
}

#[test]
fn the_terminal_belongs_to_the_user_and_has_the_configured_size() {
    let s = Sixrun::under_test();
    let b = bundle(&["sh", "-c", SCRIPT], |c| {
        c["process"]["terminal"] = true.into();
        c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
        c["process"]["consoleSize"] = serde_json::json!({"height": 30, "width": 100});
    });
    let id = s.new_id("tty");
    let dir = b.path().to_str().unwrap().to_owned();
    let text = on_terminal(&s, &b, &["create", "--bundle", &dir], &id, &[]);
    assert_eq!(field(&text, "owner="), "1000", "{text}");
    assert_eq!(field(&text, "size="), "30x100", "{text}");
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
}

#[test]
fn exec_tty_gives_the_user_its_terminal_and_a_process_files_size() {
    let s = Sixrun::under_test();
    // The config's consoleSize is the size of an exec's terminal too (without a process file).
    let b = bundle(&["sleep", "100"], |c| {
        c["process"]["consoleSize"] = serde_json::json!({"height": 40, "width": 120});
    });
    let id = s.new_id("ttyexec");
    s.create(&id, &b);
    s.ok(&["start", &id]);
    let exec = ["exec", "-t", "-d", "--user", "1000:1000"];
    let text = on_terminal(&s, &b, &exec, &id, &["sh", "-c", SCRIPT]);
    assert_eq!(field(&text, "owner="), "1000", "{text}");
    assert_eq!(field(&text, "size="), "40x120", "{text}");
    let process = b.path().join("process.json");
    std::fs::write(
        &process,
        serde_json::json!({
            "args": ["sh", "-c", SCRIPT], "cwd": "/", "terminal": true,
            "user": {"uid": 1001, "gid": 1001}, "env": ["PATH=/bin"],
            "consoleSize": {"height": 20, "width": 60}
        })
        .to_string(),
    )
    .unwrap();
    let exec = ["exec", "-d", "-p", process.to_str().unwrap()];
    let text = on_terminal(&s, &b, &exec, &id, &[]);
    assert_eq!(field(&text, "owner="), "1001", "{text}");
    assert_eq!(field(&text, "size="), "20x60", "{text}");
    s.ok(&["kill", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
}
