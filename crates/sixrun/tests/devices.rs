//! The device cgroup as runc keeps it: a node in `linux.devices` is created but not allowed
//! (only `linux.resources.devices` rules and the defaults grant access); access letters are
//! read as a set (`rwa` is `rw`, any order, repeats); rules runc refuses are refused; and
//! `update` re-applies the container's own rules without a moment where a denied device opens
//! or an allowed one fails.
//!
//! The devices are made-up character devices (major 251, no driver): opening one the cgroup
//! allows fails with "No such device" (or ENXIO), one it denies with "Operation not permitted".
//! `RUNC=runc cargo test -p sixrun --test devices` runs every test against runc instead.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Prints `NAME:denied` (EPERM), `NAME:allowed` (any other outcome) for each device, and
/// `null:ok` when /dev/null takes a write.
const PROBE: &str = r#"probe() { if out=$(head -c1 "/dev/$1" 2>&1); then echo "$1:allowed"; else case "$out" in *"not permitted"*) echo "$1:denied";; *) echo "$1:allowed";; esac; fi; }
for d in "$@"; do probe "$d"; done
echo x > /dev/null && echo null:ok"#;

fn node(name: &str, minor: i64) -> serde_json::Value {
    serde_json::json!({"path": format!("/dev/{name}"), "type": "c", "major": 251, "minor": minor})
}

fn rule(allow: bool, minor: i64, access: &str) -> serde_json::Value {
    serde_json::json!({"allow": allow, "type": "c", "major": 251, "minor": minor, "access": access})
}

/// Runs PROBE over `devices` with `linux.devices` xdev (251:7) and ydev (251:8) and the
/// given `linux.resources.devices`; returns the probe's words.
fn probe(s: &Sixrun, rules: serde_json::Value) -> String {
    let b = bundle(&["sh", "-c", PROBE, "sh", "xdev", "ydev"], |c| {
        c["linux"]["devices"] = serde_json::json!([node("xdev", 7), node("ydev", 8)]);
        c["linux"]["resources"]["devices"] = rules;
    });
    let id = s.new_id("dev");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    words(&out)
}

#[test]
fn a_node_in_linux_devices_is_not_allowed_through_a_deny_all_cgroup() {
    let s = Sixrun::under_test();
    let got = probe(
        &s,
        serde_json::json!([{"allow": false, "access": "rwm"}, rule(true, 8, "rwm")]),
    );
    assert_eq!(got, "xdev:denied ydev:allowed null:ok");
}

#[test]
fn access_letters_are_read_as_runc_reads_them() {
    let s = Sixrun::under_test();
    let deny_all = serde_json::json!({"allow": false, "access": "rwm"});
    // `a` is not an access letter: rwa is rw.
    let got = probe(&s, serde_json::json!([deny_all, rule(true, 8, "rwa")]));
    assert_eq!(got, "xdev:denied ydev:allowed null:ok");
    // Any order, repeats, and a later rule taking back what an earlier one gave.
    let got = probe(
        &s,
        serde_json::json!([
            deny_all,
            rule(true, 7, "mwr"),
            rule(true, 7, "rr"),
            rule(true, 8, "wr"),
            rule(false, 8, "r")
        ]),
    );
    assert_eq!(got, "xdev:allowed ydev:denied null:ok");
}

#[test]
fn device_rules_runc_refuses_are_refused() {
    let s = Sixrun::under_test();
    let deny_all = serde_json::json!({"allow": false, "access": "rwm"});
    let refused = |rules: serde_json::Value| {
        let b = bundle(&["sh", "-c", "touch /ran"], |c| {
            c["root"]["readonly"] = false.into();
            c["linux"]["resources"]["devices"] = rules;
        });
        let id = s.new_id("devbad");
        let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert!(!b.rootfs().join("ran").exists(), "it ran despite: {line}");
        line
    };
    let e = refused(serde_json::json!([deny_all, rule(true, 8, "")]));
    assert!(
        e.contains("cannot be empty") || e.contains("is empty"),
        "{e}"
    );
    let mut u = rule(true, 8, "rw");
    u["type"] = "u".into();
    let e = refused(serde_json::json!([deny_all, u]));
    assert!(
        e.contains(r#"invalid cgroup device type \"u\""#)
            || e.contains(r#"invalid cgroup device type "u""#),
        "{e}"
    );
    // A hole in a wildcard exception, which cgroup v1 would silently ignore.
    let e = refused(serde_json::json!([
        deny_all,
        {"allow": true, "type": "c", "access": "rwm"},
        rule(false, 7, "r")
    ]));
    assert!(e.contains("wildcard") || e.contains("wider"), "{e}");
}

fn wait_for(path: &std::path::Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn update_keeps_the_containers_device_rules_at_every_moment() {
    let s = Sixrun::under_test();
    // Probes without pause until told to stop; writes a line for every wrong answer.
    let script = r#"n=0
while [ ! -e /stop ]; do
  echo x > /dev/null || echo null-denied >> /wrong
  out=$(head -c1 /dev/xdev 2>&1)
  case "$out" in *"not permitted"*) ;; *) echo "xdev-allowed $out" >> /wrong;; esac
  n=$((n+1)); echo $n > /count
done"#;
    let b = bundle(&["sh", "-c", script], |c| {
        c["root"]["readonly"] = false.into();
        c["linux"]["devices"] = serde_json::json!([node("xdev", 7)]);
    });
    let id = s.new_id("devupd");
    s.create(&id, &b);
    s.ok(&["start", &id]);
    let count = b.rootfs().join("count");
    wait_for(&count);
    let read_count = || {
        std::fs::read_to_string(&count)
            .unwrap_or_default()
            .trim()
            .parse::<u64>()
            .unwrap_or(0)
    };
    let before = read_count();
    // Resources that name devices: runc ignores them and re-applies the container's own.
    let res = b.path().join("resources.json");
    std::fs::write(
        &res,
        serde_json::json!({"devices": [{"allow": false, "access": "rwm"}, rule(true, 7, "rwm")]})
            .to_string(),
    )
    .unwrap();
    for i in 0..20 {
        let limit = (200 + i).to_string();
        s.ok(&[
            "update",
            "-r",
            res.to_str().unwrap(),
            "--pids-limit",
            &limit,
            &id,
        ]);
    }
    // The probe loop ran across the updates.
    let deadline = Instant::now() + Duration::from_secs(10);
    while read_count() < before + 20 {
        assert!(Instant::now() < deadline, "the probe loop stopped");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(b.rootfs().join("stop"), "").unwrap();
    s.wait_status(&id, "stopped");
    s.ok(&["delete", &id]);
    let wrong = std::fs::read_to_string(b.rootfs().join("wrong")).unwrap_or_default();
    assert!(
        wrong.is_empty(),
        "device access changed during update: {wrong}"
    );
}
