//! The Engine API's streams through `sixdocker system service`, as the docker CLI user types
//! them: `docker run` attached, `-i` with piped input, `-it` at a terminal (resized),
//! `--rm`; `docker exec` in its forms; `docker attach`, `docker logs -f --since --until`,
//! `docker wait`;
//! each with every docker CLI installed (Debian's 20.10, and a newer one where there is),
//! expecting the output and exit codes dockerd gives. Plus what the CLIs no longer send:
//! an older client's hijack without `Upgrade`, and the service's own detach-key handling.
//!
//! Each test has its own store, socket and service (`common::api`), stopped by PID before
//! the sandbox checks for leftovers.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use common::api::{clients, post, Service};
use common::pty::Terminal;
use common::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);

#[test]
fn docker_run_attached_gives_the_output_and_exit_codes_dockerd_gives() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    for cli in clients() {
        // Separate streams, the container's exit code, and --rm: gone afterwards.
        let got = svc.docker_with(
            cli,
            &[
                "run",
                "--rm",
                "busybox",
                "sh",
                "-c",
                "echo o; echo e >&2; exit 3",
            ],
            None,
        );
        assert_eq!(got, (3, "o\n".into(), "e\n".into()), "{cli}");
        // -i: piped input reaches the container, which sees its end (Docker's StdinOnce).
        let got = svc.docker_with(
            cli,
            &["run", "-i", "--rm", "busybox", "sh", "-c", "cat; exit 2"],
            Some("a\nb\n"),
        );
        assert_eq!((got.0, got.1.as_str()), (2, "a\nb\n"), "{cli}: {got:?}");
        // A command the image does not have: 127, as runc's "executable file not found".
        let (code, _, err) = svc.docker_with(cli, &["run", "--rm", "busybox", "nope"], None);
        assert_eq!(code, 127, "{cli}: {err}");
        // create, then start -a: attached before the start, all of the output.
        let name = common::unique_name("apistart");
        svc.docker_ok(&[
            "create",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "echo started; exit 4",
        ]);
        let got = svc.docker_with(cli, &["start", "-a", &name], None);
        assert_eq!((got.0, got.1.as_str()), (4, "started\n"), "{cli}: {got:?}");
        assert_eq!(
            svc.docker_ok(&["inspect", "-f", "{{.State.ExitCode}}", &name])
                .trim(),
            "4"
        );
        svc.docker_ok(&["rm", &name]);
    }
    let left = svc.docker_ok(&["ps", "-a", "-q"]);
    assert!(left.trim().is_empty(), "--rm left {left}");
}

#[test]
fn docker_run_it_and_exec_it_work_at_a_terminal() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apitty");
    svc.docker_ok(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]);
    for cli in clients() {
        for args in [
            vec!["run", "-it", "--rm", "busybox", "sh"],
            vec!["exec", "-it", &name, "sh"],
        ] {
            let mut t = Terminal::spawn(svc.command(cli, &args), 30, 100);
            t.expect("# ", DEADLINE);
            t.type_text("stty size; echo ok-$((6*7))\r");
            t.expect("ok-42", DEADLINE);
            // The docker CLI sends the window's size (POST .../resize) only once the start
            // has returned, so the shell may answer before it lands ("stty: standard input":
            // a 0x0 terminal), as it may with dockerd: ask again until the size shows.
            let until = Instant::now() + DEADLINE;
            while !t.screen().contains("30 100") {
                assert!(Instant::now() < until, "{cli} {args:?}: {}", t.screen());
                std::thread::sleep(Duration::from_millis(200));
                t.type_text("stty size\r");
            }
            // A resized window reaches the container's terminal (the CLI's resize calls).
            t.resize(40, 120);
            let until = Instant::now() + DEADLINE;
            while !t.screen().contains("40 120") {
                assert!(Instant::now() < until, "{cli} {args:?}: {}", t.screen());
                t.repeat_resize_signal();
                t.type_text("stty size\r");
                std::thread::sleep(Duration::from_millis(200));
            }
            t.type_text("exit 7\r");
            assert_eq!(t.wait(DEADLINE), 7, "{cli} {args:?}: {}", t.screen());
        }
    }
    // docker attach to a -it container; Ctrl-P Ctrl-Q leaves it running.
    let box_name = common::unique_name("apiattach");
    svc.docker_ok(&["run", "-dit", "--name", &box_name, "busybox", "sh"]);
    for cli in clients() {
        let mut t = Terminal::spawn(svc.command(cli, &["attach", &box_name]), 30, 100);
        // The shell's prompt was printed before we came: ask for output until it shows.
        let until = Instant::now() + DEADLINE;
        while !t.screen().contains("at-42") {
            assert!(Instant::now() < until, "{cli}: {}", t.screen());
            t.type_text("echo at-$((6*7))\r");
            std::thread::sleep(Duration::from_millis(200));
        }
        t.type_text("\x10\x11");
        t.wait(DEADLINE);
        let state = svc.docker_ok(&["inspect", "-f", "{{.State.Status}}", &box_name]);
        assert_eq!(state.trim(), "running", "{cli}: {}", t.screen());
    }
    svc.docker_ok(&["rm", "-f", &name, &box_name]);
}

#[test]
fn docker_exec_in_its_forms() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apiexec");
    svc.docker_ok(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]);
    for cli in clients() {
        let got = svc.docker_with(
            cli,
            &["exec", &name, "sh", "-c", "echo o; echo e >&2; exit 4"],
            None,
        );
        assert_eq!(got, (4, "o\n".into(), "e\n".into()), "{cli}");
        let got = svc.docker_with(
            cli,
            &["exec", "-i", &name, "sh", "-c", "cat; exit 5"],
            Some("hello\n"),
        );
        assert_eq!((got.0, got.1.as_str()), (5, "hello\n"), "{cli}: {got:?}");
        let got = svc.docker_with(
            cli,
            &[
                "exec",
                "-u",
                "1000:1000",
                "-w",
                "/tmp",
                "-e",
                "FOO=bar",
                &name,
                "sh",
                "-c",
                "id -u; pwd; echo $FOO",
            ],
            None,
        );
        assert_eq!(got, (0, "1000\n/tmp\nbar\n".into(), String::new()), "{cli}");
        // --privileged: every capability (CAP_SYS_ADMIN is bit 21), not without it.
        let caps = |extra: &[&str]| {
            let mut args = vec!["exec"];
            args.extend_from_slice(extra);
            args.extend_from_slice(&[&name, "grep", "CapEff", "/proc/self/status"]);
            let out = svc.docker_with(cli, &args, None).1;
            let hex = out.split_whitespace().nth(1).unwrap_or_default().to_owned();
            u64::from_str_radix(&hex, 16).unwrap_or_else(|_| panic!("{cli}: {out}"))
        };
        assert_eq!(caps(&[]) & (1 << 21), 0, "{cli}");
        assert_ne!(caps(&["--privileged"]) & (1 << 21), 0, "{cli}");
        // -d: returns at once; the process runs on.
        let (code, out, err) = svc.docker_with(
            cli,
            &["exec", "-d", &name, "sh", "-c", "echo d > /tmp/detached"],
            None,
        );
        assert_eq!((code, out.as_str()), (0, ""), "{cli}: {err}");
        sb.wait_for("the detached exec's file", DEADLINE, || {
            (svc.docker(&["exec", &name, "cat", "/tmp/detached"]).1 == "d\n").then_some(())
        });
        svc.docker_ok(&["exec", &name, "rm", "/tmp/detached"]);
        let (code, _, err) = svc.docker_with(cli, &["exec", &name, "nope"], None);
        assert_eq!(code, 127, "{cli}: {err}");
    }

    // The exec instance as Docker's API shows it; started once only.
    let created = svc.raw(&post(
        &format!("/v1.41/containers/{name}/exec"),
        br#"{"Cmd": ["sh", "-c", "exit 6"], "AttachStdout": true, "User": "0"}"#,
    ));
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let body = &created[created.find("\r\n\r\n").unwrap() + 4..];
    let exec_id = serde_json::from_str::<serde_json::Value>(body).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let inspect = || {
        let answer = svc.raw(
            format!(
                "GET /v1.41/exec/{exec_id}/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        let body = &answer[answer.find("\r\n\r\n").unwrap() + 4..];
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    };
    let before = inspect();
    assert_eq!(before["Running"], false);
    assert_eq!(before["ExitCode"], serde_json::Value::Null);
    assert_eq!(before["ProcessConfig"]["entrypoint"], "sh");
    assert_eq!(before["ProcessConfig"]["arguments"][1], "exit 6");
    assert_eq!(before["ContainerID"], sb.id_of(&name));
    let start = post(
        &format!("/v1.41/exec/{exec_id}/start"),
        br#"{"Detach": true}"#,
    );
    assert!(svc.raw(&start).starts_with("HTTP/1.1 200"));
    let after = sb.wait_for("the exec's exit code", DEADLINE, || {
        let doc = inspect();
        (doc["ExitCode"] == 6).then_some(doc)
    });
    assert_eq!(after["Running"], false);
    assert!(after["Pid"].as_i64().unwrap() > 0, "{after}");
    let again = svc.raw(&start);
    assert!(
        again.starts_with("HTTP/1.1 409") && again.contains("already run"),
        "{again}"
    );
    let missing =
        svc.raw(b"GET /v1.41/exec/nope/json HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n");
    assert!(
        missing.starts_with("HTTP/1.1 404") && missing.contains("No such exec instance: nope"),
        "{missing}"
    );
    svc.docker_ok(&["rm", "-f", &name]);
}

#[test]
fn docker_attach_and_logs_follow_the_running_container() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    for cli in clients() {
        // attach without a terminal: input in, both streams out, the exit code.
        let name = common::unique_name("apiatt");
        svc.docker_ok(&[
            "run",
            "-di",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "read line; echo got-$line; echo err >&2; exit 3",
        ]);
        let got = svc.docker_with(cli, &["attach", &name], Some("x\n"));
        assert_eq!(got, (3, "got-x\n".into(), "err\n".into()), "{cli}");

        // logs -f: what was there, then what comes, until the container ends.
        let name = common::unique_name("apilogs");
        svc.docker_ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "echo first; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo second",
        ]);
        let mut follow = svc
            .command(cli, &["logs", "-f", &name])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = follow.stdout.take().unwrap();
        let mut seen = Vec::new();
        let mut buf = [0u8; 256];
        while !seen.ends_with(b"first\n") {
            let n = out.read(&mut buf).unwrap();
            assert!(n > 0, "{cli}: logs -f ended early: {seen:?}");
            seen.extend_from_slice(&buf[..n]);
        }
        svc.docker_ok(&["exec", &name, "touch", "/tmp/go"]);
        out.read_to_end(&mut seen).unwrap();
        assert_eq!(String::from_utf8_lossy(&seen), "first\nsecond\n", "{cli}");
        assert!(follow.wait().unwrap().success());
        assert_eq!(svc.docker_ok(&["wait", &name]).trim(), "0");

        // --since and --until (the CLI sends unix times), -t, --tail; both ends included.
        let stamped = svc.docker_with(cli, &["logs", "-t", &name], None).1;
        let times: Vec<&str> = stamped
            .lines()
            .filter_map(|l| l.split(' ').next())
            .collect();
        assert_eq!(times.len(), 2, "{cli}: {stamped}");
        let logs = |extra: &[&str]| {
            let mut args = vec!["logs"];
            args.extend_from_slice(extra);
            args.push(&name);
            svc.docker_with(cli, &args, None).1
        };
        assert_eq!(logs(&["--since", times[1]]), "second\n", "{cli}");
        assert_eq!(logs(&["--until", times[0]]), "first\n", "{cli}");
        assert_eq!(
            logs(&["--since", times[0], "--until", times[1]]),
            "first\nsecond\n"
        );
        assert_eq!(
            logs(&["--tail", "1", "-t"]),
            format!("{} second\n", times[1])
        );
        // The sixdocker CLI takes the same flags.
        let own = sb.run(["logs", "--since", times[1], &name]);
        assert_eq!(own.ok(), "second\n");
        svc.docker_ok(&["rm", &name]);
    }
}

/// Sends `request` on a new connection: the connection and the answer's head.
fn send(svc: &Service, request: &[u8]) -> (UnixStream, String) {
    let mut s = UnixStream::connect(&svc.socket).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.write_all(request).unwrap();
    let head = read_head(&mut s);
    (s, head)
}

/// Reads an HTTP answer's head (to the blank line) from `s`.
fn read_head(s: &mut UnixStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            s.read(&mut b).unwrap(),
            1,
            "{:?}",
            String::from_utf8_lossy(&head)
        );
        head.push(b[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Docker's multiplexed frames → (stdout, stderr).
fn demux(mut data: &[u8]) -> (String, String) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while data.len() >= 8 {
        let len = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
        let payload = &data[8..8 + len];
        match data[0] {
            1 => out.extend_from_slice(payload),
            2 => err.extend_from_slice(payload),
            k => panic!("stream kind {k}"),
        }
        data = &data[8 + len..];
    }
    assert!(data.is_empty(), "a cut frame: {data:?}");
    (
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}

#[test]
fn older_clients_hijack_without_upgrade_and_detach_keys_end_the_stream() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apiold");
    svc.docker_ok(&["run", "-di", "--name", &name, "busybox", "sh"]);

    // A plain POST (no Upgrade): 200 and the raw stream on the same connection; frames.
    let req = format!(
        "POST /v1.24/containers/{name}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: d\r\n\r\necho old-$((6*7)); echo e >&2\n"
    );
    let (mut s, head) = send(&svc, req.as_bytes());
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("application/vnd.docker.raw-stream"), "{head}");
    s.write_all(b"exit 3\n").unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert_eq!(demux(&rest), ("old-42\n".into(), "e\n".into()));
    assert_eq!(svc.docker_ok(&["wait", &name]).trim(), "3");

    // An exec started the old way.
    svc.docker_ok(&["start", &name]);
    let created = svc.raw(&post(
        &format!("/containers/{name}/exec"),
        br#"{"Cmd": ["sh", "-c", "echo x-$((1+1)); exit 2"], "AttachStdout": true, "AttachStderr": true}"#,
    ));
    let body = &created[created.find("\r\n\r\n").unwrap() + 4..];
    let exec_id = serde_json::from_str::<serde_json::Value>(body).unwrap()["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (mut s, head) = send(&svc, &post(&format!("/exec/{exec_id}/start"), b"{}"));
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert_eq!(demux(&rest), ("x-2\n".into(), String::new()));

    // The detach keys (here ctrl-a,x) end a tty attach on the service's side; the
    // container runs on.
    let tty = common::unique_name("apiesc");
    svc.docker_ok(&["run", "-dit", "--name", &tty, "busybox", "sh"]);
    let req = format!(
        "POST /v1.41/containers/{tty}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,x HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: 0\r\n\r\n"
    );
    let (mut s, head) = send(&svc, req.as_bytes());
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s.write_all(b"echo esc-$((6*7))\r").unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 256];
    while !String::from_utf8_lossy(&seen).contains("esc-42") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "{:?}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    s.write_all(b"\x01x").unwrap();
    let _ = s.read_to_end(&mut seen);
    let state = svc.docker_ok(&["inspect", "-f", "{{.State.Status}}", &tty]);
    assert_eq!(state.trim(), "running");
    svc.docker_ok(&["rm", "-f", &name, &tty]);
}

#[test]
fn waits_for_next_exit_and_removal() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apiwait");
    sb.run(["create", "--name", &name, "busybox", "sh", "-c", "exit 5"])
        .ok();
    // A wait for the next exit of a created container, which the CLI (not the service)
    // then starts: the service still sees that exit.
    let wait = format!("/v1.41/containers/{name}/wait?condition=next-exit");
    let (mut waiting, head) = send(&svc, &post(&wait, b""));
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    sb.run(["start", &name]).ok();
    let mut answer = String::new();
    waiting.read_to_string(&mut answer).unwrap();
    assert!(answer.contains(r#""StatusCode":5"#), "{answer}");

    // not-running of a stopped container: at once.
    let now = svc.raw(&post(
        &format!("/v1.41/containers/{name}/wait?condition=not-running"),
        b"",
    ));
    assert!(now.contains(r#""StatusCode":5"#), "{now}");

    // removed: once it is gone, with the code of its end.
    let running = common::unique_name("apiwaitrm");
    svc.docker_ok(&["run", "-d", "--name", &running, "busybox", "sleep", "1000"]);
    let wait = format!("/v1.41/containers/{running}/wait?condition=removed");
    let (mut removed, _) = send(&svc, &post(&wait, b""));
    svc.docker_ok(&["rm", "-f", &running]);
    let mut answer = String::new();
    removed.read_to_string(&mut answer).unwrap();
    assert!(answer.contains(r#""StatusCode":137"#), "{answer}");
    let bad = svc.raw(&post(
        &format!("/v1.41/containers/{name}/wait?condition=sometime"),
        b"",
    ));
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");
    svc.docker_ok(&["rm", &name]);
}

#[test]
fn waits_whose_clients_left_hold_no_thread() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let name = common::unique_name("apiwaits");
    svc.docker_ok(&["run", "-d", "--name", &name, "busybox", "sleep", "1000"]);
    // More waits, one round after another, than the service has blocking threads (128):
    // each client hangs up before the next round.
    let wait = post(&format!("/v1.41/containers/{name}/wait"), b"");
    for _ in 0..3 {
        let held: Vec<UnixStream> = (0..64)
            .map(|_| {
                let (s, head) = send(&svc, &wait);
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                s
            })
            .collect();
        drop(held);
    }
    assert!(svc
        .docker_ok(&["ps", "-q"])
        .contains(&sb.id_of(&name)[..12]));
    svc.docker_ok(&["rm", "-f", &name]);
}
