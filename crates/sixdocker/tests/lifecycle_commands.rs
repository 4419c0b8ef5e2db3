//! Lifecycle and housekeeping commands as a Docker user types them (issue 11): `pause` and
//! `unpause`. Behaviour and messages checked against dockerd 20.10.

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
    // every event so far: until the next whole second (events' times are to the second)
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    let events = sb.run([
        "events",
        "--since",
        "0",
        "--until",
        &until.to_string(),
        "--filter",
        &format!("container={name}"),
    ]);
    let actions: Vec<&str> = events
        .ok()
        .lines()
        .filter_map(|l| l.split(' ').nth(2))
        .filter(|a| a.contains("pause"))
        .collect();
    // pause, commit's own pause and unpause, unpause
    assert_eq!(
        actions,
        ["pause", "pause", "unpause", "unpause"],
        "{events:?}"
    );
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
