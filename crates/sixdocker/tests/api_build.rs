//! `POST /build` through six-build, driven by Docker's CLIs with the classic builder
//! (`DOCKER_BUILDKIT=0`): steps and output in the classic stream, `-q`'s ID, a failing `RUN`'s
//! exit code with nothing left behind, and a client that hangs up cancelling the build.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use common::api::{clients, Service};
use common::Sandbox;

/// `cli build ARGS` with the classic builder → (code, stdout, stderr).
fn build(svc: &Service, cli: &str, args: &[&str]) -> (i32, String, String) {
    let mut cmd = svc.command(cli, args);
    cmd.env("DOCKER_BUILDKIT", "0")
        .stdin(std::process::Stdio::null());
    let ran = common::run_bounded(cmd, None);
    (ran.code, ran.stdout, ran.stderr)
}

#[test]
fn docker_build_through_the_service() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let ctx = sb.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox\nRUN echo step-output && echo built-here > /f\nCOPY a.txt /a.txt\nCMD [\"cat\", \"/f\", \"/a.txt\"]\n",
    )
    .unwrap();
    std::fs::write(ctx.join("a.txt"), "copied\n").unwrap();
    std::fs::write(
        ctx.join("bad.Dockerfile"),
        "FROM busybox\nRUN echo before-failing; exit 3\n",
    )
    .unwrap();
    let ctx = ctx.to_str().unwrap();

    for (i, cli) in clients().into_iter().enumerate() {
        let tag = format!("apibuild:{i}");
        let (code, out, err) = build(&svc, cli, &["build", "--no-cache", "-t", &tag, ctx]);
        assert_eq!(code, 0, "{cli}: {out} {err}");
        for line in [
            "Step 1/4 : FROM busybox",
            "Step 2/4 : RUN echo step-output && echo built-here > /f",
            "step-output",
            &format!("Successfully tagged {tag}"),
        ] {
            assert!(out.lines().any(|l| l == line), "{cli}: {line:?} in {out}");
        }
        let run = svc.docker_ok(&["run", "--rm", &tag]);
        assert_eq!(run, "built-here\ncopied\n");

        // -q: the ID alone, and it is the image's (its steps from the cache).
        let (code, out, err) = build(&svc, cli, &["build", "-q", ctx]);
        assert_eq!(code, 0, "{cli}: {out} {err}");
        assert_eq!(out.lines().count(), 1, "{cli}: {out}");
        let id = svc.docker_ok(&["inspect", "-f", "{{.Id}}", &tag]);
        assert_eq!(out.trim(), id.trim(), "{cli}");

        // A failing RUN: its output, its exit code, no image, no container.
        let (code, out, err) = build(
            &svc,
            cli,
            &[
                "build",
                "-t",
                "never:1",
                "-f",
                &format!("{ctx}/bad.Dockerfile"),
                ctx,
            ],
        );
        assert_eq!(code, 3, "{cli}: {out} {err}");
        assert!(out.contains("before-failing"), "{cli}: {out}");
        assert!(
            err.contains(
                "The command '/bin/sh -c echo before-failing; exit 3' returned a non-zero code: 3"
            ),
            "{cli}: {err}"
        );
        svc.docker_fails(&["inspect", "never:1"], "No such");
        assert_eq!(svc.docker_ok(&["ps", "-aq"]).trim(), "");
    }
    let (code, _, err) = build(&svc, "docker", &["build", "--memory", "64m", ctx]);
    assert_eq!(code, 1);
    assert!(err.contains("memory"), "{err}");
}

/// The processes whose command line holds `marker`.
fn processes_with(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .collect()
}

#[test]
fn a_client_that_hangs_up_cancels_the_build() {
    let sb = Sandbox::new();
    let svc = Service::start(&sb);
    let marker = common::unique_name("cancel-me");
    let dockerfile = format!("FROM busybox\nRUN while true; do sleep 1; done # {marker}\n");
    let mut context = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o644);
    h.set_size(dockerfile.len() as u64);
    context
        .append_data(&mut h, "Dockerfile", dockerfile.as_bytes())
        .unwrap();
    let context = context.into_inner().unwrap();
    let mut s = UnixStream::connect(&svc.socket).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "POST /v1.41/build?t=cancelled:1 HTTP/1.1\r\nHost: d\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
        context.len()
    )
    .unwrap();
    s.write_all(&context).unwrap();
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    while !line.contains("Step 2/2") {
        line.clear();
        assert!(
            reader.read_line(&mut line).unwrap() > 0,
            "the build stream ended"
        );
    }
    sb.wait_for("the RUN step's process", Duration::from_secs(60), || {
        (!processes_with(&marker).is_empty()).then_some(())
    });
    drop(reader);
    // The worker is told, kills and removes the step's container, names nothing.
    sb.wait_for("the RUN step to be gone", Duration::from_secs(60), || {
        processes_with(&marker).is_empty().then_some(())
    });
    sb.wait_for("no build container", Duration::from_secs(30), || {
        svc.docker_ok(&["ps", "-aq"])
            .trim()
            .is_empty()
            .then_some(())
    });
    svc.docker_fails(&["inspect", "cancelled:1"], "No such");
}
