//! `events` as runc 1.1.5 does it: `--stats` prints one JSON object in runc's shape,
//! `--interval` prints one every interval, the kernel's OOM kills come as `{"type":"oom"}`,
//! and the command ends (exit 0) when the container is deleted. Bad intervals and stopped
//! containers are refused with runc's words. Each test passes with RUNC=runc too.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use common::*;
use six_testkit::RelativeCgroupPath;

/// A running `sleep` container in cgroup `cg` with memory and pids limits.
fn start(s: &Sixrun, cg: &RelativeCgroupPath, memory: i64) -> (String, Bundle) {
    let b = bundle(&["sleep", "1000"], |c| {
        c["linux"]["cgroupsPath"] = cg.path.clone().into();
        c["linux"]["resources"]["memory"] = serde_json::json!({"limit": memory, "swap": memory});
        c["linux"]["resources"]["pids"] = serde_json::json!({"limit": 50});
    });
    let id = s.new_id("ev");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    (id, b)
}

/// `events ARGS` running, its stdout lines arriving on the receiver.
fn spawn_events(s: &Sixrun, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child = s
        .cmd()
        .arg("events")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The next line of `type`, waiting at most 10 s.
fn next_of_type(rx: &Receiver<String>, kind: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("no {kind} event: {e}"));
        let v: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        if v["type"] == kind {
            return v;
        }
    }
}

/// Waits (10 s at most) for `child` to exit by itself; kills it if it does not.
fn exits_by_itself(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("events did not end with its container");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn stats_prints_one_object_in_runcs_shape() {
    let cg = RelativeCgroupPath::new(&unique_name("ev-stats"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg, 64 << 20);
    let out = s.ok(&["events", "--stats", &id]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.starts_with(&format!(r#"{{"type":"stats","id":"{id}","data":{{"cpu":"#)),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let data = &v["data"];
    let keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [
            "blkio",
            "cpu",
            "cpuset",
            "hugetlb",
            "intel_rdt",
            "memory",
            "network_interfaces",
            "pids"
        ]
    );
    assert_eq!(data["memory"]["usage"]["limit"], 64 << 20, "{data}");
    assert!(
        data["memory"]["usage"]["usage"].as_u64().unwrap() > 0,
        "{data}"
    );
    assert!(data["memory"]["raw"]
        .as_object()
        .is_some_and(|r| !r.is_empty()));
    // The sleep (runc's own init processes may still be leaving the cgroup just after run -d).
    let pids = data["pids"]["current"].as_u64().unwrap();
    assert!((1..=50).contains(&pids), "{data}");
    assert_eq!(data["pids"]["limit"], 50, "{data}");
    assert!(
        data["cpu"]["usage"]["total"].as_u64().unwrap() > 0,
        "{data}"
    );
    assert_eq!(data["network_interfaces"], serde_json::Value::Null);
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn interval_repeats_until_the_container_is_deleted() {
    let cg = RelativeCgroupPath::new(&unique_name("ev-int"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg, 64 << 20);
    for (interval, needle) in [
        ("0", "duration interval must be greater than 0"),
        ("-1s", "duration interval must be greater than 0"),
        ("abc", "interval"),
    ] {
        let out = s.run(&["events", "--interval", interval, &id]);
        assert!(!out.status.success(), "--interval {interval} was taken");
        assert!(
            stderr(&out).contains(needle),
            "{interval}: {}",
            stderr(&out)
        );
    }
    let (mut child, rx) = spawn_events(&s, &["--interval", "100ms", &id]);
    let started = Instant::now();
    for _ in 0..3 {
        let v = next_of_type(&rx, "stats");
        assert_eq!(v["id"], id.as_str());
    }
    assert!(started.elapsed() >= Duration::from_millis(250), "not paced");
    s.ok(&["delete", "--force", &id]);
    assert!(exits_by_itself(&mut child).success());

    let out = s.run(&["events", "--stats", &id]);
    assert!(!out.status.success(), "events of a deleted container");
}

#[test]
fn a_stopped_container_has_no_events() {
    let cg = RelativeCgroupPath::new(&unique_name("ev-stop"));
    let s = Sixrun::under_test();
    let b = bundle(&["true"], |c| {
        c["linux"]["cgroupsPath"] = cg.path.clone().into()
    });
    let id = s.new_id("ev");
    s.create(&id, &b);
    s.ok(&["start", &id]);
    s.wait_status(&id, "stopped");
    let out = s.run(&["events", &id]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains(&format!("container with id {id} is not running")),
        "{}",
        stderr(&out)
    );
    s.ok(&["delete", &id]);
}

#[test]
fn oom_kills_are_events() {
    let cg = RelativeCgroupPath::new(&unique_name("ev-oom"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg, 16 << 20);
    let (mut child, rx) = spawn_events(&s, &["--interval", "100ms", &id]);
    // The first stats line comes after the OOM watch is in place.
    next_of_type(&rx, "stats");
    // A 64 MiB buffer under a 16 MiB limit: the OOM killer ends dd.
    let out = s.run(&[
        "exec",
        &id,
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ]);
    assert_eq!(out.status.code(), Some(137), "{}", stderr(&out));
    let v = next_of_type(&rx, "oom");
    assert_eq!(v, serde_json::json!({"type": "oom", "id": id}));
    s.ok(&["delete", "--force", &id]);
    assert!(exits_by_itself(&mut child).success());
}
