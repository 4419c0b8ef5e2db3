//! `sixrun exec` into a running container, and terminals through `--console-socket`
//! (the pty master arrives by SCM_RIGHTS, as runc sends it), and user namespaces.

mod common;

use std::os::unix::net::UnixListener;

use common::*;

fn running(s: &Sixrun, edit: impl FnOnce(&mut serde_json::Value)) -> (String, Bundle) {
    let b = bundle(&["sleep", "1000"], edit);
    let id = s.new_id("exec");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    (id, b)
}

#[test]
fn exec_joins_the_container_and_returns_the_exit_code() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let out = s.run(&[
        "exec",
        &id,
        "sh",
        "-c",
        "hostname; cat /proc/1/comm; echo $$; exit 5",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "sixrun", "same uts namespace");
    assert_eq!(lines[1], "sleep", "same pid namespace: pid 1 is the init");
    assert_ne!(lines[2], "1");
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn exec_flags_override_the_process() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let out = s.ok(&[
        "exec",
        "--user",
        "1000:1000",
        "--cwd=/tmp",
        "-e",
        "FOO=bar",
        &id,
        "sh",
        "-c",
        "id -u; pwd; echo $FOO",
    ]);
    assert_eq!(out, "1000\n/tmp\nbar\n");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_from_a_process_file_and_detached_with_a_pid_file() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let pf = b.path().join("proc.json");
    std::fs::write(
        &pf,
        serde_json::json!({"args": ["sh", "-c", "echo from-file"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}).to_string(),
    )
    .unwrap();
    assert_eq!(
        s.ok(&["exec", "--process", pf.to_str().unwrap(), &id]),
        "from-file\n"
    );
    let pidfile = b.path().join("exec.pid");
    s.ok(&[
        "exec",
        "-d",
        "--pid-file",
        pidfile.to_str().unwrap(),
        &id,
        "sleep",
        "1000",
    ]);
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().parse().unwrap();
    assert!(is_running(pid));
    let pids: Vec<i32> = serde_json::from_str(&s.ok(&["ps", "-f", "json", &id])).unwrap();
    assert!(pids.contains(&pid), "{pids:?} {pid}");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn exec_refuses_process_fields_create_refuses() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let pf = b.path().join("proc.json");
    std::fs::write(
        &pf,
        serde_json::json!({"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0},
            "env": ["PATH=/bin"], "ioPriority": {"class": "IOPRIO_CLASS_IDLE", "priority": 0}})
        .to_string(),
    )
    .unwrap();
    let line = s.fails(&["exec", "--process", pf.to_str().unwrap(), &id]);
    assert!(line.contains("process.ioPriority"), "{line}");
    let pid = s.state(&id)["pid"].as_i64().unwrap() as i32;
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, Some(pid), b.path());
}

#[test]
fn an_unwritable_pid_file_fails_the_exec_and_ends_its_process() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let pidfile = b.path().join("no-such-dir/exec.pid");
    let line = s.fails(&[
        "exec",
        "-d",
        "--pid-file",
        pidfile.to_str().unwrap(),
        &id,
        "sleep",
        "1001",
    ]);
    assert!(line.contains("pid file"), "{line}");
    // Only the init is left (the exec'd process is ended, as runc ends it).
    let init = s.state(&id)["pid"].as_i64().unwrap() as i32;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let pids: Vec<i32> = serde_json::from_str(&s.ok(&["ps", "-f", "json", &id])).unwrap();
        if pids == [init] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the exec'd process is still running: {pids:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, Some(init), b.path());
}

#[test]
fn exec_into_a_stopped_container_is_refused() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("exec");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    s.wait_status(&id, "stopped");
    let line = s.fails(&["exec", &id, "true"]);
    assert!(line.contains("stopped"), "{line}");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn a_terminal_goes_to_the_console_socket() {
    let s = Sixrun::new();
    let b = bundle(
        &[
            "sh",
            "-c",
            "tty; test -t 0 && echo STDIN-IS-TTY; ls -l /dev/console",
        ],
        |c| {
            c["process"]["terminal"] = true.into();
        },
    );
    let sock = b.path().join("console.sock");
    let l = UnixListener::bind(&sock).unwrap();
    let id = s.new_id("tty");
    let t = std::thread::spawn(move || receive_fd(&l));
    s.ok(&[
        "create",
        "--console-socket",
        sock.to_str().unwrap(),
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    let master = t.join().unwrap();
    s.ok(&["start", &id]);
    let text = read_until(master, "console");
    assert!(text.contains("/dev/pts/0"), "{text}");
    assert!(text.contains("STDIN-IS-TTY"), "{text}");
    assert!(text.contains("136,"), "/dev/console is the pty: {text}");
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_with_a_tty_sends_its_pty_too() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let sock = b.path().join("exec.sock");
    let l = UnixListener::bind(&sock).unwrap();
    let t = std::thread::spawn(move || receive_fd(&l));
    s.ok(&[
        "exec",
        "-t",
        "-d",
        "--console-socket",
        sock.to_str().unwrap(),
        &id,
        "sh",
        "-c",
        "tty; echo done-tty",
    ]);
    let text = read_until(t.join().unwrap(), "done-tty");
    assert!(text.contains("/dev/pts/"), "{text}");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn a_user_namespace_maps_root_to_an_unprivileged_host_user() {
    let s = Sixrun::new();
    // The rootfs belongs to host root; a read-only root keeps that fine.
    let b = bundle(
        &["sh", "-c", "id -u; cat /proc/self/uid_map"],
        with_user_namespace,
    );
    let id = s.new_id("userns");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("0"));
    let map: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(map, ["0", "100000", "65536"]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_tty_without_a_console_socket_is_relayed_by_sixrun() {
    let s = Sixrun::new();
    let (id, b) = running(&s, |_| {});
    let out = s.run(&["exec", "--tty", &id, "sh", "-c", "tty; exit 6"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("/dev/pts/"), "{}", stdout(&out));
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, None, b.path());
}

/// HOME as runc sets it when the process's environment has none: the home of its uid in the
/// container's /etc/passwd, "/" for a uid without an entry; a HOME given is kept. For the
/// init and for exec'd processes (passes with RUNC=runc).
#[test]
fn home_is_the_users_home_in_the_containers_passwd() {
    let s = Sixrun::under_test();
    let (id, b) = running(&s, |_| {});
    let init_env = s.ok(&["exec", &id, "cat", "/proc/1/environ"]);
    assert!(
        init_env.split('\0').any(|e| e == "HOME=/root"),
        "{init_env:?}"
    );
    let home = |flags: &[&str]| {
        let mut args = vec!["exec"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[&id, "sh", "-c", "echo \"$HOME\""]);
        s.ok(&args)
    };
    assert_eq!(home(&[]), "/root\n");
    assert_eq!(home(&["--user", "1000:1000"]), "/home/user\n");
    assert_eq!(home(&["--user", "4321"]), "/\n");
    assert_eq!(home(&["--user", "1000", "-e", "HOME=/given"]), "/given\n");
    s.ok(&["delete", "-f", &id]);
    s.assert_gone(&id, None, b.path());
}
