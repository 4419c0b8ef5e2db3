//! Commands killed with SIGKILL at exact steps (a debug build stops at `SIX_TEST_PAUSE_AT`)
//! leave nothing half-made: a `run -d` killed before its record was complete is reaped by
//! the next command (but never while its maker still works on it), and a `commit` killed
//! while the container is frozen leaves it running at once, with no other command run. A
//! container whose monitor was killed shows as exited in `inspect` and `ps`, which check only
//! what they show.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{detached_args, unique_name, Sandbox};

const PAUSE_AT: &str = "SIX_TEST_PAUSE_AT";

/// Starts `sixdocker ARGS` told to stop at `step`, and waits until it says it has.
fn paused_at(sb: &Sandbox, step: &str, args: &[&str]) -> Child {
    paused_with(sb, step, &[], args)
}

/// [`paused_at`] with more environment.
fn paused_with(sb: &Sandbox, step: &str, env: &[(&str, &str)], args: &[&str]) -> Child {
    let mut child = sb
        .command(args)
        .env(PAUSE_AT, step)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let want = format!("six-test: paused at {step}");
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line == want => return child,
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?} never reached {step}");
            }
        }
    }
}

fn sigkill(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The container records (and anything half-made) in the store.
fn store_entries(sb: &Sandbox) -> Vec<String> {
    six_testkit::container_records(&sb.root())
}

#[test]
fn a_run_killed_before_its_record_is_complete_is_reaped() {
    let sb = Sandbox::new();
    for step in ["record-staged", "record-placed", "rootfs-mounted"] {
        let name = unique_name("early");
        let child = paused_at(&sb, step, &detached_args(&name, &["sleep", "60"]));
        // Its maker is alive: another command must not take the record from under it.
        sb.run(["ps", "-a"]).ok();
        assert_eq!(
            store_entries(&sb).len(),
            1,
            "{step}: the live create was reaped"
        );
        sigkill(child);
        sb.run(["ps", "-a"]).ok();
        assert!(
            store_entries(&sb).is_empty(),
            "{step}: {:?}",
            store_entries(&sb)
        );
        let dir = sb.dir.path().display().to_string();
        assert!(
            six_testkit::mounts_containing(&dir).is_empty(),
            "{step}: a mount is left"
        );
        // The name is free again.
        sb.run([
            "run",
            "--rm",
            "--network",
            "none",
            "--name",
            &name,
            "busybox",
            "true",
        ])
        .ok();
    }
}

/// A `run -d` killed right after forking the monitor, which is slow to take the record over
/// (a second, as on a loaded machine): the next command waits for the monitor instead of
/// repairing the record of a dead owner, which would unmount the rootfs the monitor is about
/// to start the container on.
#[test]
fn a_run_killed_as_its_monitor_takes_over_leaves_the_container_running() {
    let sb = Sandbox::new();
    let name = unique_name("handover");
    let delay = [("SIX_TEST_DELAY_AT", "monitor-registering")];
    let args = detached_args(&name, &["sleep", "60"]);
    sigkill(paused_with(&sb, "monitor-forked", &delay, &args));
    sb.run(["ps", "-a"]).ok();
    let until = Instant::now() + Duration::from_secs(20);
    let state = loop {
        let state = sb.inspect(&name)["State"].clone();
        if state["Status"] != "created" || Instant::now() > until {
            break state;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(state["Status"], "running", "{state}");
    sb.run(["exec", &name, "test", "-x", "/bin/sleep"]).ok();
    sb.run(["rm", "-f", &name]).ok();
}

/// Whether the cgroup freezer holds the process `pid` (v1 freezer.state, else v2 cgroup.events).
fn frozen(pid: i32) -> bool {
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let v1 = cgroups
        .lines()
        .find_map(|l| l.split_once(":freezer:").map(|(_, p)| p));
    if let Some(path) = v1 {
        let state = format!("/sys/fs/cgroup/freezer{path}/freezer.state");
        return std::fs::read_to_string(state).unwrap().trim() != "THAWED";
    }
    let path = cgroups.lines().find_map(|l| l.strip_prefix("0::")).unwrap();
    let events = std::fs::read_to_string(format!("/sys/fs/cgroup{path}/cgroup.events")).unwrap();
    events.lines().any(|l| l == "frozen 1")
}

#[test]
fn a_killed_commit_leaves_the_container_running() {
    let sb = Sandbox::new();
    let name = unique_name("frz");
    sb.run(detached_args(&name, &["sleep", "600"])).ok();
    let pid = sb.inspect(&name)["State"]["Pid"].as_i64().unwrap() as i32;
    let commit = paused_at(&sb, "commit-frozen", &["commit", &name, "half"]);
    assert!(frozen(pid), "the commit did not freeze the container");
    sigkill(commit);
    // No other sixdocker command runs until the container is thawed.
    let until = Instant::now() + Duration::from_secs(5);
    while frozen(pid) {
        assert!(
            Instant::now() < until,
            "still frozen after the commit was killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The monitor records the thaw in the runtime's state just after the cgroup's.
    let exec = sb.wait_for("exec after the thaw", Duration::from_secs(5), || {
        let out = sb.run(["exec", &name, "echo", "alive"]);
        (out.code == 0).then_some(out.stdout)
    });
    assert_eq!(exec, "alive\n");
    // A commit that finishes thaws it too, and makes its image.
    sb.run(["commit", &name, "whole"]).ok();
    assert!(!frozen(pid), "frozen after a finished commit");
    assert!(sb.run(["images"]).ok().contains("whole"));
    assert!(!sb.run(["images"]).ok().contains("half"));
}

/// A command stopped (SIGSTOP) by six-network's test hook; killed when dropped.
struct Stopped(Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The state letter of `pid` (`T`: stopped).
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// A command that repairs a killed `run -d` also reconciles the networks; a container that
/// started and attached while that command was on its way to the network store's lock keeps
/// its network (its veth and lease were once torn down under it: issue 17's `link vs…
/// vanished after creation` and `Network is unreachable` in 100 parallel `run -d`).
#[test]
fn a_container_attached_while_another_command_reconciles_keeps_its_network() {
    let sb = Sandbox::new();
    let killed = paused_at(
        &sb,
        "record-placed",
        &detached_args(&unique_name("dead"), &["sleep", "60"]),
    );
    sigkill(killed);
    // `ps` repairs the killed record, then stops on its way to the network store's lock.
    let ps = sb
        .command(["ps", "-a"])
        .env("SIX_NETWORK_TEST_PAUSE_AT", "reconcile")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut ps = Stopped(ps);
    let pid = ps.0.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    while process_state(pid) != Some('T') {
        if let Some(status) = ps.0.try_wait().unwrap() {
            panic!("ps ended ({status}) before reconciling the networks");
        }
        assert!(Instant::now() < deadline, "ps never reached the networks");
        std::thread::sleep(Duration::from_millis(10));
    }
    let name = unique_name("late");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "60"])
        .ok();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGCONT,
    )
    .unwrap();
    assert!(ps.0.wait().unwrap().success(), "ps failed");

    let id = sb.inspect(&name)["Id"].as_str().unwrap().to_owned();
    let endpoints = sb.run(["network", "inspect", "bridge"]).ok().to_owned();
    assert!(
        endpoints.contains(&id),
        "its endpoint was removed: {endpoints}"
    );
    let inside = sb.run(["exec", &name, "cat", "/sys/class/net/eth0/operstate"]);
    assert_eq!(inside.stdout, "up\n", "its veth was removed: {inside:?}");
}

/// Kills the monitor of container `name` with SIGKILL and waits until it is gone. The
/// container's init, now the host init's child.
fn kill_monitor(sb: &Sandbox, name: &str) -> i32 {
    let init = sb.inspect(name)["State"]["Pid"].as_i64().unwrap() as i32;
    let state = sb
        .root()
        .join("containers")
        .join(sb.id_of(name))
        .join("state.json");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    let monitor = state["monitor"]["pid"].as_i64().unwrap() as i32;
    // SAFETY: killing the monitor of a container this test started.
    unsafe { libc::kill(monitor, libc::SIGKILL) };
    sb.wait_for("the monitor to be gone", Duration::from_secs(20), || {
        (!six_testkit::pid_alive(monitor)).then_some(())
    });
    init
}

#[test]
fn a_container_whose_monitor_was_killed_shows_as_exited() {
    let sb = Sandbox::new();
    let [a, b] = ["orphan-a", "orphan-b"].map(unique_name);
    for name in [&a, &b] {
        sb.run(detached_args(name, &["sleep", "600"])).ok();
    }
    let mut inits = vec![kill_monitor(&sb, &a)];
    let state = &sb.inspect(&a)["State"];
    assert_eq!(
        (&state["Status"], &state["ExitCode"]),
        (&"exited".into(), &137.into())
    );
    inits.push(kill_monitor(&sb, &b));
    let rows = sb.run(["ps", "--format", "{{.Names}}"]);
    assert!(!rows.ok().contains(&b), "ps lists {b}: {}", rows.stdout);
    let row = sb.ps_row(&b).unwrap_or_default();
    assert!(row.contains("Exited (137)"), "ps -a: {row}");
    // The repair killed each init; the host's init reaps them, when it gets to it.
    sb.wait_for("the inits reaped", Duration::from_secs(20), || {
        let gone = |pid: &i32| !std::path::Path::new(&format!("/proc/{pid}")).exists();
        inits.iter().all(gone).then_some(())
    });
}
