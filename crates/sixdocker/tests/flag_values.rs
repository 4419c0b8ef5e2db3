//! Flag values that begin with `-` reach their parser, as Docker's flag library passes them:
//! a refused one gets one line naming the flag, the value and what was expected (never
//! "unexpected argument '-1'"), an accepted one means what it means in Docker (`stop -t -1`
//! waits for ever, `logs --tail -1` shows everything). Error lines are one readable line:
//! control characters escaped, capped in length.

mod common;

use common::{detached_args, unique_name, Sandbox};

#[test]
fn negative_values_are_named_with_their_flag() {
    let sb = Sandbox::new();
    let cases = [
        (
            "run -m -1 busybox true",
            "--memory: invalid memory size \"-1\": expected",
        ),
        (
            "run --memory=-1 busybox true",
            "--memory: invalid memory size \"-1\"",
        ),
        (
            "run --cpu-shares -5 busybox true",
            "--cpu-shares: invalid CPU shares \"-5\": expected a positive integer",
        ),
        (
            "run -cpushare -5 busybox true",
            "--cpu-shares: invalid CPU shares \"-5\"",
        ),
        (
            "run -p -1:80 busybox true",
            "--publish: invalid port mapping \"-1:80\"",
        ),
        (
            "run -u -1 busybox true",
            "--user: invalid user \"-1\": expected a name or UID[:GID]",
        ),
        ("exec -u -1 somebody true", "--user: invalid user \"-1\""),
        (
            "stop -t soon somebody",
            "--time: invalid timeout \"soon\": expected whole seconds",
        ),
    ];
    for (line, want) in cases {
        let out = sb.sh(line);
        out.fails(125, want);
        assert!(
            !out.stderr.contains("unexpected argument"),
            "{line}: {out:?}"
        );
    }
    assert!(sb.container_ids().is_empty(), "nothing half-made");
}

#[test]
fn the_originals_single_dash_flags_still_work_with_negative_values_nearby() {
    let sb = Sandbox::new();
    let out = sb.sh("run --rm --network none -m 64m -cpushare 512 --pids-limit -1 busybox echo ok");
    assert_eq!(out.ok(), "ok\n");
    let out =
        sb.sh("run --rm --network none -name orig -cpuset 0 --memory-swap -1 -m 64m -- echo ok");
    assert_eq!(out.ok(), "ok\n");
}

#[test]
fn stop_t_minus_one_waits_for_ever_and_tail_minus_one_is_everything() {
    let sb = Sandbox::new();
    let name = unique_name("stopneg");
    let script = "trap 'sleep 2; echo bye; exit 7' TERM; echo hi; while true; do sleep 0.1; done";
    sb.run(detached_args(&name, &["sh", "-c", script])).ok();
    sb.wait_for("output", std::time::Duration::from_secs(10), || {
        sb.run(["logs", &name]).ok().contains("hi").then_some(())
    });
    assert_eq!(
        sb.run(["stop", "-t", "-1", &name]).ok(),
        format!("{name}\n")
    );
    let state = &sb.inspect(&name)["State"];
    assert_eq!(
        state["ExitCode"], 7,
        "killed instead of waited for: {state}"
    );
    assert_eq!(sb.run(["logs", "--tail", "-1", &name]).ok(), "hi\nbye\n");
}

#[test]
fn error_lines_are_escaped_and_capped() {
    let sb = Sandbox::new();
    let hostile = "x\u{1b}[2J\u{1b}]0;pwned\u{7}\u{8}\u{9b}31m\u{202e}y";
    let out = sb.run(["rm", hostile]);
    out.fails(
        1,
        "no such container: x\\x1b[2J\\x1b]0;pwned\\x07\\x08\\u{9b}31m\\u{202e}y",
    );
    assert!(
        !out.stderr
            .trim_end()
            .chars()
            .any(|c| c.is_control() || ('\u{80}'..='\u{9f}').contains(&c)),
        "raw control characters reached the terminal: {:?}",
        out.stderr
    );
    let long = "n".repeat(5000);
    let out = sb.run(["rm", &long]);
    out.fails(1, "no such container: nnnn");
    let line = out.stderr.trim_end();
    assert!(
        line.chars().count() <= 320 && line.ends_with('…'),
        "{} chars",
        line.len()
    );
}
