//! Health checks as a Docker user types them (issue 11, run flags): `--health-cmd`,
//! `--health-interval`, `--health-timeout`, `--health-retries`, `--health-start-period`,
//! `--no-healthcheck` and an image's HEALTHCHECK; the status in `ps` ("(healthy)"), in
//! `inspect` (`State.Health` with its log) and in `health_status` events, checked against
//! dockerd 20.10. Every wait is on a condition with a deadline.

mod common;

use std::time::Duration;

use common::{unique_name, Sandbox};
use serde_json::Value;

const LONG: Duration = Duration::from_secs(60);

/// `run -d --network none --name NAME FLAGS busybox CMD...`.
fn start(sb: &Sandbox, name: &str, flags: &[&str], cmd: &[&str]) {
    let mut args = vec!["run", "-d", "--network", "none", "--name", name];
    args.extend_from_slice(flags);
    args.push("busybox");
    args.extend_from_slice(cmd);
    sb.run(&args).ok();
}

fn health(sb: &Sandbox, name: &str) -> Value {
    sb.inspect(name)["State"]["Health"].clone()
}

/// Waits until the container's health status is `status`; its `State.Health`.
fn wait_for_status(sb: &Sandbox, name: &str, status: &str) -> Value {
    sb.wait_for(&format!("{name} to be {status}"), LONG, || {
        let h = health(sb, name);
        (h["Status"] == status).then_some(h)
    })
}

fn ps_status(sb: &Sandbox, name: &str) -> String {
    let out = sb.run([
        "ps",
        "-a",
        "--filter",
        &format!("name=^{name}$"),
        "--format",
        "{{.Status}}",
    ]);
    out.ok().trim().to_owned()
}

#[test]
fn a_check_makes_the_container_unhealthy_then_healthy_as_docker() {
    let sb = Sandbox::new();
    let name = unique_name("health");
    let flags = [
        "--health-cmd",
        "cat /tmp/ok",
        "--health-interval",
        "1s",
        "--health-retries",
        "2",
        "--health-timeout",
        "5s",
    ];
    start(&sb, &name, &flags, &["sleep", "1000"]);
    // no file yet: two failures in a row make it unhealthy
    let h = wait_for_status(&sb, &name, "unhealthy");
    assert_eq!(h["FailingStreak"], 2, "{h}");
    let log = h["Log"].as_array().unwrap();
    assert_eq!(log.len(), 2, "{h}");
    assert_eq!(log[0]["ExitCode"], 1);
    assert!(
        log[0]["Output"].as_str().unwrap().contains("No such file"),
        "stdout and stderr are kept: {h}"
    );
    assert!(ps_status(&sb, &name).ends_with("(unhealthy)"));
    assert_eq!(
        sb.run(["ps", "-q", "--filter", "health=unhealthy"])
            .ok()
            .trim(),
        &sb.id_of(&name)[..12]
    );
    // the check passes once the file is there
    sb.run(["exec", &name, "sh", "-c", "echo fine > /tmp/ok"])
        .ok();
    let h = wait_for_status(&sb, &name, "healthy");
    assert_eq!(h["FailingStreak"], 0, "{h}");
    let last = h["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["ExitCode"].clone(), last["Output"].clone()),
        (0.into(), "fine\n".into())
    );
    assert!(ps_status(&sb, &name).ends_with("(healthy)"));
    assert!(sb
        .run(["ps", "-q", "--filter", "health=unhealthy"])
        .ok()
        .trim()
        .is_empty());
    // at most the last 5 checks are kept
    sb.wait_for("5 checks in the log", LONG, || {
        (health(&sb, &name)["Log"].as_array().unwrap().len() == 5).then_some(())
    });
    let config = &sb.inspect(&name)["Config"]["Healthcheck"];
    assert_eq!(
        *config,
        serde_json::json!({"Test": ["CMD-SHELL", "cat /tmp/ok"], "Interval": 1_000_000_000u64,
            "Timeout": 5_000_000_000u64, "Retries": 2})
    );
    // each change of status was an event
    let events = sb.run([
        "events",
        "--since",
        "10m",
        "--until",
        "0s",
        "--filter",
        &format!("container={name}"),
        "--format",
        "{{.Action}}",
    ]);
    let actions: Vec<&str> = events
        .ok()
        .lines()
        .filter(|l| l.starts_with("health_status"))
        .collect();
    assert_eq!(
        actions,
        ["health_status: unhealthy", "health_status: healthy"]
    );
    // stopped, it is unhealthy (as Docker marks it) and ps shows only the exit
    sb.run(["stop", "-t", "0", &name]).ok();
    assert_eq!(health(&sb, &name)["Status"], "unhealthy");
    assert!(
        ps_status(&sb, &name).starts_with("Exited"),
        "{}",
        ps_status(&sb, &name)
    );
}

#[test]
fn a_check_past_its_timeout_fails_and_the_start_period_forgives() {
    let sb = Sandbox::new();
    let slow = unique_name("slow");
    let flags = [
        "--health-cmd",
        "echo begun; sleep 60",
        "--health-interval",
        "1s",
        "--health-timeout",
        "1s",
    ];
    start(&sb, &slow, &flags, &["sleep", "1000"]);
    let h = sb.wait_for("a timed-out check", LONG, || {
        let h = health(&sb, &slow);
        (h["FailingStreak"].as_u64() >= Some(1)).then_some(h)
    });
    let first = &h["Log"][0];
    assert_eq!(first["ExitCode"], -1, "{h}");
    assert_eq!(
        first["Output"], "Health check exceeded timeout (1s): begun\n",
        "{h}"
    );
    // one check at a time, and the killed one is gone
    let sleeps = sb.run([
        "exec",
        &slow,
        "sh",
        "-c",
        "ps -o args | grep -c '^sleep 60'",
    ]);
    assert!(
        sleeps.stdout.trim().parse::<u32>().unwrap_or(9) <= 1,
        "{sleeps:?}"
    );
    // failures in the start period do not count while no check has passed
    let starting = unique_name("starting");
    let flags = [
        "--health-cmd",
        "false",
        "--health-interval",
        "1s",
        "--health-start-period",
        "1h",
        "--health-retries",
        "1",
    ];
    start(&sb, &starting, &flags, &["sleep", "1000"]);
    let h = sb.wait_for("two failed checks", LONG, || {
        let h = health(&sb, &starting);
        (h["Log"].as_array().map_or(0, Vec::len) >= 2).then_some(h)
    });
    assert_eq!(
        (h["Status"].clone(), h["FailingStreak"].clone()),
        ("starting".into(), 0.into()),
        "{h}"
    );
    assert!(ps_status(&sb, &starting).ends_with("(health: starting)"));
}

#[test]
fn an_images_healthcheck_applies_unless_no_healthcheck() {
    let sb = Sandbox::new();
    let image = unique_name("hcimage");
    common::image_config::image_with_config(&sb, "busybox", &image, |c| {
        c["config"]["Healthcheck"] = serde_json::json!({
            "Test": ["CMD", "sh", "-c", "echo from-image"],
            "Interval": 1_000_000_000u64,
        });
    });
    let name = unique_name("withimage");
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &name,
        &image,
        "sleep",
        "1000",
    ])
    .ok();
    let h = wait_for_status(&sb, &name, "healthy");
    assert_eq!(h["Log"][0]["Output"], "from-image\n");
    // the container's flags over the image's (Docker's merge)
    let merged = unique_name("merged");
    sb.run(["create", "--name", &merged, "--health-retries", "7", &image])
        .ok();
    assert_eq!(
        sb.inspect(&merged)["Config"]["Healthcheck"],
        serde_json::json!({"Test": ["CMD", "sh", "-c", "echo from-image"], "Interval": 1_000_000_000u64, "Retries": 7})
    );
    // --no-healthcheck: none at all
    let none = unique_name("none");
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        &none,
        "--no-healthcheck",
        &image,
        "sleep",
        "1000",
    ])
    .ok();
    let doc = sb.inspect(&none);
    // Docker's merge keeps the image's interval beside NONE (dockerd 20.10 shows the same)
    assert_eq!(
        doc["Config"]["Healthcheck"],
        serde_json::json!({"Test": ["NONE"], "Interval": 1_000_000_000u64})
    );
    assert!(doc["State"].get("Health").is_none(), "{}", doc["State"]);
    assert!(!ps_status(&sb, &none).contains('('));
    // no check: no Health, as Docker
    let plain = unique_name("plain");
    sb.run(["create", "--name", &plain, "busybox"]).ok();
    let doc = sb.inspect(&plain);
    assert!(doc["State"].get("Health").is_none());
    assert!(doc["Config"].get("Healthcheck").is_none());
}

#[test]
fn bad_health_flags_are_refused_by_name_with_125_and_nothing_made() {
    let sb = Sandbox::new();
    for (flags, needle) in [
        (
            vec!["--health-interval", "bogus"],
            "invalid duration \"bogus\"",
        ),
        (
            vec!["--health-retries", "-1"],
            "--health-retries -1 cannot be negative",
        ),
        (
            vec!["--health-timeout", "-1s"],
            "--health-timeout -1s cannot be negative",
        ),
        (
            vec!["--no-healthcheck", "--health-cmd", "true"],
            "--no-healthcheck conflicts with --health-* options",
        ),
        (
            vec!["--health-interval", "500us"],
            "Interval in Healthcheck cannot be less than 1ms (it is 500µs)",
        ),
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend(flags);
        args.extend(["busybox", "true"]);
        sb.run(&args).fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "nothing made");
}
