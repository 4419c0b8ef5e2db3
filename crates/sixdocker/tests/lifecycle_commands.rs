//! Lifecycle and housekeeping commands as a Docker user types them (issue 11): `pause` and
//! `unpause`, `rename`, `update`, and `stop`/`kill`/`rm` of several containers at once.
//! Behaviour and messages checked against dockerd 20.10.

mod common;

use std::time::Duration;

use common::{unique_name, Sandbox};

const LONG: Duration = Duration::from_secs(60);

/// A container that prints a growing counter every 50 ms and says "got-term" and exits 3 on
/// SIGTERM (its traps are set before the first number).
fn counter(sb: &Sandbox, name: &str) {
    let script = "trap 'echo got-term; exit 3' TERM; i=0; \
                  while true; do i=$((i+1)); echo n$i; sleep 0.05; done";
    sb.run(common::detached_args(name, &["sh", "-c", script]))
        .ok();
    sb.wait_for_log(name, "n1\n");
}

fn log_lines(sb: &Sandbox, name: &str) -> usize {
    sb.run(["logs", name]).ok().lines().count()
}

#[test]
fn pause_freezes_and_unpause_thaws() {
    let sb = Sandbox::new();
    let name = unique_name("pause");
    counter(&sb, &name);
    sb.run(["pause", &name]).ok();
    sb.run(["pause", &name])
        .fails(1, &format!("container {name} is already paused"));
    let row = sb.ps_row(&name).unwrap();
    assert!(row.contains(" (Paused)"), "{row}");
    let state = &sb.inspect(&name)["State"];
    assert_eq!(
        (&state["Status"], &state["Paused"], &state["Running"]),
        (&"paused".into(), &true.into(), &true.into()),
        "{state}"
    );
    // frozen: nothing more is printed while it is paused
    let frozen_at = log_lines(&sb, &name);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(log_lines(&sb, &name), frozen_at, "output while paused");
    sb.run(["exec", &name, "true"]).fails(
        1,
        &format!("container {name} is paused, unpause the container before exec"),
    );
    // a commit's own freeze leaves it paused
    sb.run(["commit", &name, &unique_name("snap")]).ok();
    assert_eq!(sb.inspect(&name)["State"]["Paused"], true);
    sb.run(["unpause", &name]).ok();
    sb.wait_for("output again", LONG, || {
        (log_lines(&sb, &name) > frozen_at + 2).then_some(())
    });
    sb.run(["unpause", &name])
        .fails(1, &format!("container {name} is not paused"));
    assert!(!sb.ps_row(&name).unwrap().contains("Paused"));
    let actions: Vec<String> = events_of(&sb, &name)
        .iter()
        .filter_map(|l| l.split(' ').nth(2))
        .filter(|a| a.contains("pause"))
        .map(str::to_owned)
        .collect();
    // pause, commit's own pause and unpause, unpause
    assert_eq!(actions, ["pause", "pause", "unpause", "unpause"]);
}

/// Every event of container `name` so far, one line each.
fn events_of(sb: &Sandbox, name: &str) -> Vec<String> {
    // until the next whole second (events' times are to the second)
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let out = sb.run([
        "events",
        "--since",
        "0",
        "--until",
        &until.to_string(),
        "--filter",
        &format!("container={name}"),
    ]);
    out.ok().lines().map(str::to_owned).collect()
}

#[test]
fn a_paused_container_is_thawed_to_be_stopped_and_refusals_are_dockers() {
    let sb = Sandbox::new();
    let name = unique_name("pstop");
    counter(&sb, &name);
    sb.run(["pause", &name]).ok();
    // stop sends SIGTERM and thaws it (Docker): its trap answers at once
    sb.run(["stop", "-t", "30", &name]).ok();
    assert!(sb.run(["logs", &name]).ok().contains("got-term"));
    let row = sb.ps_row(&name).unwrap();
    assert!(row.contains("Exited (3)"), "{row}");
    sb.run(["pause", &name])
        .fails(1, &format!("container {name} is not running"));
    sb.run(["unpause", &name])
        .fails(1, &format!("container {name} is not paused"));
    sb.run(["pause", "nosuch"])
        .fails(1, "no such container: nosuch");
    // rm -f of a paused container
    let other = unique_name("prm");
    counter(&sb, &other);
    sb.run(["pause", &other]).ok();
    sb.run(["rm", "-f", &other]).ok();
    assert!(sb.ps_row(&other).is_none());
}

#[test]
fn rename_changes_the_name_others_resolve_and_frees_the_old_one() {
    let sb = Sandbox::new();
    let net = unique_name("n");
    sb.run(["network", "create", "--subnet", "10.211.40.0/24", &net])
        .ok();
    let (a, b, a2) = (unique_name("a"), unique_name("b"), unique_name("a2"));
    sb.sleeper_on(&net, &a);
    sb.sleeper_on(&net, &b);
    let hostname = sb.run(["exec", &a, "hostname"]).ok().to_owned();
    assert_eq!(sb.run(["rename", &a, &a2]).ok(), "");
    assert!(sb.ps_row(&a).is_none());
    assert!(sb.ps_row(&a2).is_some());
    let pings = |name: &str| {
        sb.run(["exec", &b, "ping", "-c", "1", "-W", "5", name])
            .code
            == 0
    };
    assert!(pings(&a2), "the new name resolves on {net}");
    assert!(!pings(&a), "the old one no longer does");
    assert_eq!(
        sb.run(["exec", &a2, "hostname"]).ok(),
        hostname,
        "as Docker"
    );
    // the old name is free again
    sb.run(common::detached_args(&a, &["true"])).ok();
    // its end is recorded under the new name
    sb.run(["stop", "-t", "0", &a2]).ok();
    let events = events_of(&sb, &a2);
    assert!(
        events.iter().any(|e| e.contains(" container rename ")
            && e.contains(&format!("name={a2}"))
            && e.contains(&format!("oldName=/{a}"))),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.contains(" container die ") && e.contains(&format!("name={a2}"))),
        "{events:?}"
    );
    // a stopped container keeps its new name at its next start
    sb.run(["start", &a2]).ok();
    assert!(pings(&a2));
}

#[test]
fn rename_refusals_are_dockers() {
    let sb = Sandbox::new();
    let (a, b) = (unique_name("a"), unique_name("b"));
    sb.run(common::detached_args(&a, &["sleep", "600"])).ok();
    sb.run(["create", "--name", &b, "busybox", "true"]).ok();
    sb.run(["rename", &a, &a]).fails(
        1,
        "renaming a container with the same name as its current name",
    );
    sb.run(["rename", &a, &b])
        .fails(1, &format!("the container name \"{b}\" is already in use"));
    sb.run(["rename", &a, "bad name"])
        .fails(1, "invalid container name \"bad name\"");
    sb.run(["rename", "nosuch", "x"])
        .fails(1, "no such container: nosuch");
    assert!(
        sb.ps_row(&a).is_some() && sb.ps_row(&b).is_some(),
        "nothing changed"
    );
}

/// A cgroup limit as the container sees it (cgroup v1 or v2 file names).
fn limit(sb: &Sandbox, name: &str, v1: &str, v2: &str) -> String {
    let script = format!(
        "if [ -e /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/{v2}; \
         else cat /sys/fs/cgroup/{v1}; fi"
    );
    sb.run(["exec", name, "sh", "-c", &script])
        .ok()
        .trim()
        .to_owned()
}

fn memory_limit(sb: &Sandbox, name: &str) -> String {
    limit(sb, name, "memory/memory.limit_in_bytes", "memory.max")
}

fn pids_limit(sb: &Sandbox, name: &str) -> String {
    limit(sb, name, "pids/pids.max", "pids.max")
}

/// The CFS quota in microseconds (v2: the first field of cpu.max).
fn cpu_quota(sb: &Sandbox, name: &str) -> String {
    let q = limit(sb, name, "cpu/cpu.cfs_quota_us", "cpu.max");
    q.split(' ').next().unwrap_or_default().to_owned()
}

#[test]
fn update_changes_a_running_container_and_keeps_it_for_later_starts() {
    let sb = Sandbox::new();
    let (a, b) = (unique_name("upa"), unique_name("upb"));
    sb.run(common::detached_args(&a, &["sleep", "600"])).ok();
    sb.run(common::detached_args(&b, &["sleep", "600"])).ok();
    let out = sb.run([
        "update",
        "-m",
        "100m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "50",
        "--cpu-shares",
        "512",
        "--cpuset-cpus",
        "0",
        &a,
        &b,
    ]);
    assert_eq!(out.ok(), format!("{a}\n{b}\n"), "each name, as Docker");
    for name in [&a, &b] {
        assert_eq!(memory_limit(&sb, name), (100u64 << 20).to_string());
        assert_eq!(cpu_quota(&sb, name), "50000");
        assert_eq!(pids_limit(&sb, name), "50");
    }
    let host = &sb.inspect(&a)["HostConfig"];
    assert_eq!(host["Memory"], 100u64 << 20);
    assert_eq!(host["NanoCpus"], 500_000_000u64);
    assert_eq!(host["PidsLimit"], 50);
    assert_eq!(host["CpuShares"], 512);
    assert_eq!(host["CpusetCpus"], "0");
    // more memory needs more swap too (the swap in force is twice the 100m)
    sb.run(["update", "-m", "300m", &a]).fails(
        1,
        "memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time",
    );
    sb.run(["update", "-m", "300m", "--memory-swap", "600m", &a])
        .ok();
    assert_eq!(memory_limit(&sb, &a), (300u64 << 20).to_string());
    sb.run(["update", "--pids-limit", "-1", &a]).ok();
    assert_eq!(pids_limit(&sb, &a), "max");
    // kept for the next start
    sb.run(["restart", "-t", "0", &a]).ok();
    assert_eq!(memory_limit(&sb, &a), (300u64 << 20).to_string());
    assert_eq!(cpu_quota(&sb, &a), "50000");
    assert_eq!(pids_limit(&sb, &a), "max");
    // a container that is not running: for its start
    let c = unique_name("upc");
    sb.run([
        "create",
        "--name",
        &c,
        "--network",
        "none",
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    sb.run([
        "update",
        "-m",
        "50m",
        "--cpu-period",
        "50000",
        "--cpu-quota",
        "25000",
        &c,
    ])
    .ok();
    sb.run(["start", &c]).ok();
    assert_eq!(memory_limit(&sb, &c), (50u64 << 20).to_string());
    assert_eq!(cpu_quota(&sb, &c), "25000");
}

/// The policy and the limits an update gives a running container hold for the run its
/// policy starts next.
#[test]
fn update_restart_policy_applies_to_the_running_container() {
    let sb = Sandbox::new();
    let name = unique_name("uprs");
    // the first run fails once told to; the run after it sleeps
    let script = "if [ -e /tmp/ran ]; then exec sleep 600; fi; touch /tmp/ran; \
                  while [ ! -e /tmp/go ]; do sleep 0.05; done; exit 3";
    sb.run(common::detached_args(&name, &["sh", "-c", script]))
        .ok();
    sb.run(["update", "--restart", "on-failure:1", "-m", "64m", &name])
        .ok();
    assert_eq!(
        sb.inspect(&name)["HostConfig"]["RestartPolicy"]["Name"],
        "on-failure"
    );
    sb.run(["exec", &name, "touch", "/tmp/go"]).ok();
    sb.wait_for("the restarted run", LONG, || {
        let v = sb.inspect(&name);
        (v["RestartCount"] == 1 && v["State"]["Status"] == "running").then_some(())
    });
    assert_eq!(memory_limit(&sb, &name), (64u64 << 20).to_string());
}

#[test]
fn update_refusals_are_dockers() {
    let sb = Sandbox::new();
    let name = unique_name("upr");
    sb.run(common::detached_args(&name, &["sleep", "600"])).ok();
    sb.run(["update", &name]).fails(
        1,
        "you must provide one or more flags when using this command",
    );
    sb.run(["update", "--cpus", "0.5", &name]).ok();
    sb.run(["update", "--cpu-quota", "20000", &name]).fails(
        1,
        "CPU Quota cannot be updated as NanoCPUs has already been set",
    );
    sb.run(["update", "--cpus", "0.5", "--cpu-quota", "20000", &name])
        .fails(1, "Nano CPUs and CPU Quota cannot both be set");
    sb.run(["update", "-m", "2m", &name])
        .fails(1, "below the minimum of 6MB");
    sb.run(["update", "--cpuset-cpus", "4095", &name])
        .fails(1, "requested CPUs are not available");
    sb.run(["update", "-m", "30m", "nosuch"])
        .fails(1, "no such container: nosuch");
    let rm = unique_name("uprm");
    sb.run([
        "run",
        "-d",
        "--rm",
        "--network",
        "none",
        "--name",
        &rm,
        "busybox",
        "sleep",
        "600",
    ])
    .ok();
    sb.run(["update", "--restart", "always", &rm]).fails(
        1,
        "restart policy cannot be updated because AutoRemove is enabled for the container",
    );
    // nothing refused was applied
    assert_eq!(memory_limit(&sb, &name), memory_limit(&sb, &rm));
}

/// Three containers that ignore SIGTERM (their traps set before they say "ready").
fn term_ignorers(sb: &Sandbox) -> Vec<String> {
    let names: Vec<String> = (0..3).map(|_| unique_name("par")).collect();
    for name in &names {
        let script = "trap '' TERM; echo ready; while true; do sleep 0.1; done";
        sb.run(common::detached_args(name, &["sh", "-c", script]))
            .ok();
    }
    for name in &names {
        sb.wait_for_log(name, "ready");
    }
    names
}

#[test]
fn stop_kill_and_rm_of_several_containers_run_at_once() {
    let sb = Sandbox::new();
    let names = term_ignorers(&sb);
    let mut args = vec!["stop", "-t", "2"];
    args.extend(names.iter().map(String::as_str));
    args.push("nosuch");
    let began = std::time::Instant::now();
    let out = sb.run(&args);
    let took = began.elapsed();
    // each waits its 2 s for SIGTERM, all at the same time: about 2 s, not 6
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(
        took < Duration::from_secs(4),
        "stopped one after the other: {took:?}"
    );
    // the names in the order given, the unknown one refused, exit 1 (Docker's)
    assert_eq!(out.stdout, format!("{}\n", names.join("\n")));
    out.fails(1, "no such container: nosuch");
    for name in &names {
        assert!(sb.ps_row(name).unwrap().contains("Exited (137)"));
    }
    let mut start = vec!["start"];
    start.extend(names.iter().map(String::as_str));
    sb.run(&start).ok();
    for name in &names {
        sb.wait_for_log(name, "ready\nready");
    }
    let mut kill = vec!["kill"];
    kill.extend(names.iter().map(String::as_str));
    assert_eq!(sb.run(&kill).ok(), format!("{}\n", names.join("\n")));
    sb.run(&start).ok();
    let mut rm = vec!["rm", "-f"];
    rm.extend(names.iter().map(String::as_str));
    assert_eq!(sb.run(&rm).ok(), format!("{}\n", names.join("\n")));
    for name in &names {
        assert!(sb.ps_row(name).is_none());
    }
}
