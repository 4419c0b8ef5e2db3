//! `sixdocker system service` killed with SIGKILL in the middle of Docker's commands, then
//! started again: `docker ps -a` says what the store holds (the same as `sixdocker ps -a`),
//! running containers run on under their monitors, the service's zygote ends with it, and
//! nothing is left behind (the sandbox's drop checks mounts, cgroups and processes of every
//! container it saw).

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::api::Service;
use common::Sandbox;

const DEADLINE: Duration = Duration::from_secs(60);

/// `ps -a` through the service and through the CLI, the same rows.
#[track_caller]
fn ps_agrees(sb: &Sandbox, svc: &Service) -> String {
    let format = "{{.Names}} {{.State}}";
    let api = svc.docker_ok(&["ps", "-a", "--format", format]);
    let cli = sb.run(["ps", "-a", "--format", format]).ok().to_owned();
    let sorted = |s: &str| {
        let mut rows: Vec<String> = s.lines().map(str::to_owned).collect();
        rows.sort();
        rows
    };
    assert_eq!(sorted(&api), sorted(&cli));
    api
}

/// The children of the service that are `sixdocker ... api-worker serve` (the monitors
/// forked from its children share that command line, but not that parent).
fn zygotes(sb: &Sandbox, service: u32) -> Vec<i32> {
    let dir = sb.dir.path().to_str().unwrap();
    common::processes_mentioning(dir, &[])
        .into_iter()
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let words: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let ppid = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().nth(1));
            words
                .windows(2)
                .any(|w| w == [&b"api-worker"[..], &b"serve"[..]])
                && ppid == Some(&service.to_string())
        })
        .collect()
}

#[test]
fn the_service_killed_mid_run_loses_nothing_and_leaks_nothing() {
    let sb = Sandbox::new();

    // 1. `docker run -d` with the service killed half-way through the create (its rootfs
    // mounted, its record not complete).
    let mut svc = Service::start_with_env(&sb, &[("SIX_TEST_PAUSE_AT", "rootfs-mounted")]);
    let half = common::unique_name("apihalf");
    let mut run = svc
        .command(
            "docker",
            &["run", "-d", "--name", &half, "busybox", "sleep", "1000"],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    sb.wait_for("the service to pause in the create", DEADLINE, || {
        let log = std::fs::read_to_string(Service::stderr_path(&sb)).unwrap_or_default();
        log.contains("six-test: paused at rootfs-mounted")
            .then_some(())
    });
    svc.kill9();
    assert!(
        !run.wait().unwrap().success(),
        "docker run -d cannot succeed"
    );
    drop(svc);
    let mut svc = Service::start(&sb);
    let ps = ps_agrees(&sb, &svc);
    assert!(
        !ps.contains(&half),
        "the half-made container is listed: {ps}"
    );
    // Its name is free again.
    svc.docker_ok(&["run", "-d", "--name", &half, "busybox", "sleep", "1000"]);

    // 2. An attached `docker run` (and one with --rm) when the service is killed: the CLIs
    // lose their connection, the containers run on.
    let kept = common::unique_name("apikept");
    let gone = common::unique_name("apirm");
    let mut attached = Vec::new();
    for (name, rm) in [(&kept, false), (&gone, true)] {
        let mut args = vec!["run", "--name", name];
        if rm {
            args.push("--rm");
        }
        args.extend(["busybox", "sh", "-c", "echo up; exec sleep 1000"]);
        let mut child = svc
            .command("docker", &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        let mut seen = [0u8; 3];
        out.read_exact(&mut seen).unwrap();
        assert_eq!(&seen, b"up\n");
        attached.push((child, out));
    }
    // The service's zygote (`api-worker serve`, which forks the starts) goes with it.
    let zygote = zygotes(&sb, svc.pid());
    assert_eq!(
        zygote.len(),
        1,
        "one zygote while the service runs: {zygote:?}"
    );
    svc.kill9();
    sb.wait_for("the zygote to end with the service", DEADLINE, || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", zygote[0]));
        // Gone, or a zombie its new parent has not reaped yet.
        stat.map_or(true, |s| {
            s.rsplit(')')
                .next()
                .is_some_and(|r| r.trim_start().starts_with('Z'))
        })
        .then_some(())
    });
    for (mut child, mut out) in attached {
        let mut rest = Vec::new();
        let _ = out.read_to_end(&mut rest);
        assert!(!child.wait().unwrap().success());
    }
    drop(svc);
    let svc = Service::start(&sb);
    let ps = ps_agrees(&sb, &svc);
    for name in [&half, &kept, &gone] {
        assert!(ps.contains(&format!("{name} running")), "{name}: {ps}");
    }
    assert_eq!(svc.docker_ok(&["logs", &kept]), "up\n");
    // The --rm one still removes itself at its end.
    svc.docker_ok(&["stop", "-t", "0", &gone]);
    sb.wait_for("the --rm container to be gone", DEADLINE, || {
        sb.try_inspect(&gone).is_none().then_some(())
    });
    svc.docker_ok(&["rm", "-f", &half, &kept]);
    let ps = ps_agrees(&sb, &svc);
    assert!(ps.trim().is_empty(), "{ps}");
}

/// A worker whose service was killed before it answered (its stdout's reader gone) finishes
/// quietly, exit 0: no panic, no abort (a release build aborted in `print!`, leaving a core).
#[test]
fn a_worker_with_nobody_to_answer_ends_quietly() {
    let sb = Sandbox::new();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = sb
        .command(["api-worker", "start", "no-such-container"])
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
