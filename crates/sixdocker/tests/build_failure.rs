//! A build that fails or is cancelled: the failing step is named with its exit code on one
//! line, the exit status is non-zero, no image is named, no build container is left, and
//! nothing of the build stays mounted or in its work directory.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::build::{build, Context};
use common::Sandbox;

/// Nothing of a build is left: no container, no `name`d image, an empty work directory.
fn nothing_left(sb: &Sandbox, name: &str) {
    assert_eq!(
        sb.run(["ps", "-a", "-q"]).ok(),
        "",
        "a build container was left"
    );
    assert_ne!(
        sb.run(["image", "inspect", name]).code,
        0,
        "{name} was named"
    );
    let tmp = sb.root().join("build/tmp");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "left in {}: {left:?}", tmp.display());
}

#[test]
fn a_failing_run_names_its_step_and_code_and_leaves_nothing() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo before\nRUN echo failing-step && exit 3\nRUN echo never\n",
    )]);
    let out = build(&sb, &ctx, &["-t", "broken"]);
    out.fails(
        1,
        "[3/4] RUN echo failing-step && exit 3: the command '/bin/sh -c echo failing-step && exit 3' returned a non-zero code: 3",
    );
    assert!(
        out.stdout.contains("failing-step"),
        "its output was shown: {}",
        out.stdout
    );
    assert!(!out.stdout.contains("never"));
    nothing_left(&sb, "broken");
}

#[test]
fn dockerfile_errors_name_the_line() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[("Dockerfile", "FROM busybox\nRUN true\nBOGUS x\n")]);
    build(&sb, &ctx, &["-t", "x"]).fails(1, "Dockerfile line 3: unknown instruction: BOGUS");
    ctx.write("Dockerfile", "FROM busybox\nCOPY missing.txt /\n");
    build(&sb, &ctx, &["-t", "x"]).fails(
        1,
        "[2/2] COPY missing.txt /: file not found in build context",
    );
    ctx.write("Dockerfile", "FROM busybox\nENV A=${NOPE:?unset}\n");
    build(&sb, &ctx, &["-t", "x"]).fails(1, "Dockerfile line 2: NOPE: unset");
    build(&sb, &ctx, &["-t", "Bad:Tag"]).fails(1, "invalid tag \"Bad:Tag\"");
    nothing_left(&sb, "x");
}

#[test]
fn ctrl_c_cancels_the_running_step_and_leaves_nothing() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[(
        "Dockerfile",
        "FROM busybox\nRUN echo step-started && sleep 600\n",
    )]);
    let mut child = sb
        .command([
            "build",
            "--progress",
            "plain",
            "--network",
            "none",
            "-t",
            "cancelled",
            &ctx.path().to_string_lossy(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // The RUN has started once its output came back through the engine.
    let started = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.ends_with("step-started"));
    assert!(started, "the RUN step never started");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let until = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < until,
            "the build did not stop after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert_eq!(err, "sixdocker: build canceled\n");
    nothing_left(&sb, "cancelled");
}
