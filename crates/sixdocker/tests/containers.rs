//! Docker's container commands through the real binary: run/create/start/stop/restart/kill/
//! rm/wait, ps, logs, exec, inspect, top, stats, port, names and ID prefixes, version, info.

mod common;

use std::time::Duration;

use common::{detached_args, unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);

#[test]
fn run_rm_prints_output_and_exits_with_the_containers_code() {
    let sb = Sandbox::new();
    assert_eq!(sb.sh("run --rm busybox echo hello").ok(), "hello\n");
    let r = sb.run([
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 7",
    ]);
    assert_eq!(
        (r.code, r.stdout.as_str(), r.stderr.as_str()),
        (7, "out\n", "err\n")
    );
    assert!(sb.container_ids().is_empty(), "--rm removed them");
}

#[test]
fn stdin_is_passed_with_i() {
    let sb = Sandbox::new();
    let mut child = sb
        .command([
            "run",
            "--rm",
            "-i",
            "busybox",
            "sh",
            "-c",
            "read line; echo got:$line",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"typed\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "got:typed\n");
}

#[test]
fn create_start_attach_wait_and_ps_states() {
    let sb = Sandbox::new();
    let name = unique_name("c");
    let id = sb
        .run([
            "create",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "echo started; exit 5",
        ])
        .ok()
        .trim()
        .to_owned();
    assert_eq!(id.len(), 64);
    assert!(sb.ps_row(&name).unwrap().contains("Created"));
    assert!(
        !sb.sh("ps").ok().contains(&name),
        "ps without -a shows running ones only"
    );
    let r = sb.run(["start", "-a", &name]);
    assert_eq!((r.code, r.stdout.as_str()), (5, "started\n"));
    let row = sb.ps_row(&name).unwrap();
    assert!(row.contains("Exited (5)") && row.contains(" ago"), "{row}");
    assert_eq!(sb.run(["start", &name]).ok().trim(), name);
    assert_eq!(sb.run(["wait", &name]).ok().trim(), "5");
    let quiet = sb.sh("ps -a -q");
    assert_eq!(quiet.ok().trim(), &id[..12]);
}

#[test]
fn logs_tail_timestamps_follow_and_id_prefixes() {
    let sb = Sandbox::new();
    let name = unique_name("l");
    let id = sb
        .run([
            "run",
            "-d",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "for i in 1 2 3; do echo line$i; done; sleep 1; echo last",
        ])
        .ok()
        .trim()
        .to_owned();
    // -f follows until the container exits.
    let all = sb.run(["logs", "-f", &id[..6]]);
    assert_eq!(all.ok(), "line1\nline2\nline3\nlast\n");
    assert_eq!(sb.run(["logs", "--tail", "2", &name]).ok(), "line3\nlast\n");
    let stamped = sb.run(["logs", "-t", "--tail", "1", &name]);
    let line = stamped.ok().trim();
    assert!(line.ends_with(" last") && line.starts_with("20"), "{line}");
}

#[test]
fn debug_output_never_reaches_the_container_log() {
    let sb = Sandbox::new();
    let name = unique_name("dbg");
    // The CLI's own --debug lines go to its stderr; the container's init must print none.
    let ran = sb.run([
        "--debug",
        "run",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains("DEBUG"),
        "--debug printed nothing: {ran:?}"
    );
    let logs = sb.run(["logs", &name]);
    assert_eq!(logs.ok(), "out\n");
    assert_eq!(logs.stderr, "err\n");
}

#[test]
fn exec_env_workdir_user_and_detach() {
    let sb = Sandbox::new();
    let name = unique_name("x");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    let out = sb.run([
        "exec",
        "-e",
        "A=from-exec",
        "-w",
        "/tmp",
        "-u",
        "1000",
        &name,
        "sh",
        "-c",
        "echo $A; pwd; id -u",
    ]);
    assert_eq!(out.ok(), "from-exec\n/tmp\n1000\n");
    assert_eq!(sb.run(["exec", &name, "sh", "-c", "exit 9"]).code, 9);
    sb.run(["exec", "-d", &name, "sh", "-c", "echo detached > /tmp/d"])
        .ok();
    let seen = sb.wait_for("the detached exec's file", LONG, || {
        let r = sb.run(["exec", &name, "cat", "/tmp/d"]);
        (r.code == 0).then_some(r.stdout)
    });
    assert_eq!(seen, "detached\n");
    sb.run(["exec", &name, "nonexistent-cmd"])
        .fails(127, "nonexistent-cmd");
}

#[test]
fn stop_restart_kill_signals_and_rm() {
    let sb = Sandbox::new();
    let name = unique_name("k");
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "busybox",
        "sh",
        "-c",
        "trap 'exit 5' TERM; echo ready; while true; do sleep 0.2; done",
    ])
    .ok();
    sb.wait_for_log(&name, "ready");
    assert_eq!(sb.run(["kill", "-s", "TERM", &name]).ok().trim(), name);
    assert_eq!(sb.run(["wait", &name]).ok().trim(), "5");
    assert_eq!(sb.run(["restart", "-t", "1", &name]).ok().trim(), name);
    assert!(sb.ps_row(&name).unwrap().contains("Up "));
    sb.run(["rm", &name]).fails(1, "running");
    assert_eq!(sb.run(["stop", "-t", "5", &name]).ok().trim(), name);
    assert!(sb.ps_row(&name).unwrap().contains("Exited (5)"));
    assert_eq!(sb.run(["rm", &name]).ok().trim(), name);
}

#[test]
fn inspect_top_stats_port() {
    let sb = Sandbox::new();
    let name = unique_name("i");
    let id = sb
        .run([
            "run",
            "-d",
            "--name",
            &name,
            "-m",
            "64m",
            "--hostname",
            "box",
            "busybox",
            "sleep",
            "600",
        ])
        .ok()
        .trim()
        .to_owned();
    let v: serde_json::Value = serde_json::from_str(sb.run(["inspect", &name]).ok()).unwrap();
    assert!(v.is_array() && v[0]["Id"] == id.as_str(), "{v}");
    assert_eq!(v[0]["Config"]["Hostname"], "box");
    let top = sb.run(["top", &name]);
    assert!(top.ok().lines().next().unwrap().contains("PID"), "{top:?}");
    assert!(top.stdout.contains("sleep 600"), "{top:?}");
    let stats = sb.run(["stats", "--no-stream", &name]);
    let row = stats.ok().lines().nth(1).unwrap().to_owned();
    assert!(
        row.starts_with(&id[..12]) && row.contains(&name) && row.contains("/ 64MiB"),
        "{row}"
    );
    assert_eq!(sb.run(["port", &name]).ok(), "");
    let images: serde_json::Value =
        serde_json::from_str(sb.run(["inspect", "busybox"]).ok()).unwrap();
    assert!(images[0]["Id"].as_str().unwrap().starts_with("sha256:"));
    let both = sb.run(["inspect", &name, "no-such-thing"]);
    assert_eq!(both.code, 1);
    assert!(both.stderr.contains("no-such-thing"));
}

#[test]
fn resource_flags_reach_the_container() {
    let sb = Sandbox::new();
    let out = sb.run([
        "run",
        "--rm",
        "--pids-limit",
        "50",
        "--cpus",
        "0.5",
        "-m",
        "64m",
        "--memory-swap",
        "-1",
        "-w",
        "/tmp",
        "-u",
        "1000:1000",
        "--hostname",
        "h1",
        "--read-only",
        "--cap-drop",
        "ALL",
        "--entrypoint",
        "sh",
        "busybox",
        "-c",
        "pwd; id -u; hostname; touch /x 2>/dev/null || echo ro; grep CapEff /proc/self/status",
    ]);
    assert_eq!(out.ok(), "/tmp\n1000\nh1\nro\nCapEff:\t0000000000000000\n");
}

/// Without a terminal, SIGINT to the CLI is forwarded to the container. (Its init is PID 1,
/// which ignores signals it has no handler for, as under Docker: so the shell traps it.)
#[test]
fn sigint_to_the_cli_reaches_the_container() {
    let sb = Sandbox::new();
    let name = unique_name("int");
    let mut child = sb
        .command([
            "run",
            "--name",
            &name,
            "busybox",
            "sh",
            "-c",
            "trap 'exit 42' INT; echo ready; while :; do sleep 0.1; done",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    sb.wait_for_log(&name, "ready");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let status = sb.wait_for("the CLI to exit", LONG, || child.try_wait().unwrap());
    assert_eq!(status.code(), Some(42));
    assert!(sb.ps_row(&name).unwrap().contains("Exited (42)"));
}

/// SIGTERM to an `exec` CLI reaches the exec'd process (through the pidfd its keeper hands
/// the CLI), and the CLI exits with the process's code.
#[test]
fn sigterm_to_an_exec_cli_reaches_the_execd_process() {
    let sb = Sandbox::new();
    let name = unique_name("xt");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    let mut child = sb
        .command([
            "exec",
            &name,
            "sh",
            "-c",
            "trap 'exit 43' TERM; touch /ready; while :; do sleep 0.1; done",
        ])
        .spawn()
        .unwrap();
    sb.wait_for("the exec'd process to run", LONG, || {
        (sb.run(["exec", &name, "test", "-e", "/ready"]).code == 0).then_some(())
    });
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = sb.wait_for("the exec CLI to exit", LONG, || child.try_wait().unwrap());
    assert_eq!(status.code(), Some(43));
    sb.run(["rm", "-f", &name]).ok();
}

/// Many CLIs at once: every `run -d` succeeds with its own ID and name.
#[test]
fn parallel_runs_get_distinct_ids() {
    let sb = Sandbox::new();
    let names: Vec<String> = (0..12).map(|_| unique_name("par")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|n| {
            sb.command(["run", "-d", "--name", n, "busybox", "sleep", "600"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ids: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{out:?}");
            String::from_utf8(out.stdout).unwrap().trim().to_owned()
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), names.len());
    let ps = sb.sh("ps");
    for n in &names {
        assert!(
            ps.ok().contains(n.as_str()),
            "{n} missing from {}",
            ps.stdout
        );
    }
}

/// `--env-file` and `-e` (later wins), `--network none` and `host`.
#[test]
fn env_file_and_network_modes() {
    let sb = Sandbox::new();
    let file = sb.dir.path().join("env.list");
    std::fs::write(&file, "# settings\nFROM_FILE=1\nBOTH=file\n\n").unwrap();
    let out = sb.run([
        "run",
        "--rm",
        "--env-file",
        file.to_str().unwrap(),
        "-e",
        "BOTH=flag",
        "busybox",
        "sh",
        "-c",
        "echo $FROM_FILE $BOTH",
    ]);
    assert_eq!(out.ok(), "1 flag\n");
    let none = sb.sh("run --rm --network none busybox ip -o link");
    assert_eq!(none.ok().lines().count(), 1, "only lo: {}", none.stdout);
    let host = sb.sh("run --rm --network host busybox hostname");
    assert_eq!(
        host.ok().trim(),
        nix::unistd::gethostname().unwrap().to_string_lossy()
    );
    let missing = sb.dir.path().join("missing.env");
    sb.run([
        "run",
        "--rm",
        "--env-file",
        missing.to_str().unwrap(),
        "busybox",
        "true",
    ])
    .fails(125, "missing.env");
}

/// As Docker, a working directory that does not exist yet is made.
#[test]
fn a_missing_workdir_is_created() {
    let sb = Sandbox::new();
    assert_eq!(sb.sh("run --rm -w /new/dir busybox pwd").ok(), "/new/dir\n");
}

#[test]
fn restart_policy_on_failure_restarts() {
    let sb = Sandbox::new();
    let name = unique_name("r");
    let marker = sb.dir.path().join("count");
    std::fs::create_dir(&marker).unwrap();
    let spec = format!("{}:/c", marker.display());
    sb.run([
        "run",
        "-d",
        "--name",
        &name,
        "--restart",
        "on-failure:2",
        "-v",
        &spec,
        "busybox",
        "sh",
        "-c",
        "echo x >> /c/runs; exit 1",
    ])
    .ok();
    sb.wait_for("three runs (one and two restarts)", LONG, || {
        let runs = std::fs::read_to_string(marker.join("runs")).unwrap_or_default();
        (runs.lines().count() == 3 && sb.ps_row(&name).is_some_and(|r| r.contains("Exited (1)")))
            .then_some(())
    });
}

#[test]
fn version_and_info() {
    let sb = Sandbox::new();
    assert!(sb.sh("version").ok().contains("Version:"));
    let info = sb.sh("info");
    assert!(
        info.ok().contains("Containers: 0") && info.stdout.contains("Storage Driver: overlay"),
        "{info:?}"
    );
    assert!(info
        .stdout
        .contains(&format!("Docker Root Dir: {}", sb.root().display())));
}

/// The super options of the overlay mounted at `path`.
fn overlay_options(path: &str) -> String {
    six_testkit::super_options(std::path::Path::new(path))
        .unwrap_or_else(|| panic!("{path} is not mounted"))
}

/// `--rm` containers' changes are thrown away, so their overlay skips syncing the upper
/// filesystem (`volatile`, as Podman mounts `--rm` containers); kept containers' is synced.
#[test]
fn only_a_container_removed_at_its_end_has_a_volatile_rootfs() {
    let sb = Sandbox::new();
    let (gone, kept) = (unique_name("vol-rm"), unique_name("vol-kept"));
    let mut removed_at_end = detached_args(&gone, &["sleep", "60"]);
    removed_at_end.insert(2, "--rm");
    sb.run(removed_at_end).ok();
    sb.run(detached_args(&kept, &["sleep", "60"])).ok();
    let merged = |name: &str| {
        sb.inspect(name)["GraphDriver"]["Data"]["MergedDir"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (gone_opts, kept_opts) = (
        overlay_options(&merged(&gone)),
        overlay_options(&merged(&kept)),
    );
    sb.run(["rm", "-f", &gone, &kept]).ok();
    // Linux 6.x shows the option as `fsync=volatile`.
    let volatile = |opts: &str| {
        opts.split(',')
            .any(|o| o == "volatile" || o == "fsync=volatile")
    };
    assert!(volatile(&gone_opts), "{gone_opts}");
    assert!(!volatile(&kept_opts), "{kept_opts}");
}
