//! Every Dockerfile instruction through the real `sixdocker build`, checked in the image's
//! config (`image inspect`) and in its files (`run`): FROM, RUN (shell, exec and heredoc
//! forms, SHELL), COPY and ADD (globs, directories, --chown, --chmod, local archives
//! extracted, heredoc files), ENV, ARG, WORKDIR, USER, EXPOSE, LABEL, VOLUME, STOPSIGNAL,
//! HEALTHCHECK, ONBUILD (stored, then triggered by the image built on it), MAINTAINER, CMD and
//! ENTRYPOINT with Docker's rules for them, the escape directive and line continuations.

mod common;

use common::build::{build, gzip, tar_of, Context};
use common::Sandbox;
use serde_json::json;

const EVERYTHING: &str = r#"# escape=\
FROM busybox AS base
LABEL stage=base "with space"="a b"
MAINTAINER someone@example.com
ARG GREETING=hello
ENV APP=/app \
    NAME="the app"
WORKDIR $APP/sub
RUN echo "$GREETING from $(pwd), $NAME" > greeting.txt
RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]
SHELL ["/bin/sh", "-ec"]
RUN echo shell-changed > /shell.txt
COPY --chown=1234:5678 --chmod=640 files/a.txt files/b* /app/copied/
COPY dir /app/dir
ADD archive.tar.gz /app/extracted/
ADD plain.txt /app/plain-added.txt
COPY <<EOF /app/heredoc.txt
inline $APP
EOF
RUN <<EOF
echo heredoc-run > /app/heredoc-run.txt
EOF
USER 1234:5678
EXPOSE 8080 53/udp
VOLUME ["/data"]
STOPSIGNAL SIGQUIT
HEALTHCHECK --interval=5s --retries=2 CMD true
ONBUILD RUN echo triggered > /tmp/triggered.txt
ENTRYPOINT ["/bin/echo"]
CMD ["default-arg"]
"#;

fn config(sb: &Sandbox, image: &str) -> serde_json::Value {
    let out = sb.run(["image", "inspect", image]);
    let v: serde_json::Value = serde_json::from_str(out.ok()).unwrap();
    v[0].clone()
}

/// `sh -c SCRIPT` in a container of `image`, as root, no network.
fn sh(sb: &Sandbox, image: &str, script: &str) -> String {
    sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "-u",
        "0",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        script,
    ])
    .ok()
    .to_owned()
}

#[test]
fn every_instruction_lands_in_the_config_or_the_files() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[
        ("Dockerfile", EVERYTHING),
        ("files/a.txt", "a\n"),
        ("files/b1.txt", "b1\n"),
        ("files/b2.txt", "b2\n"),
        ("files/c.txt", "not copied\n"),
        ("dir/sub/deep.txt", "deep\n"),
        ("plain.txt", "plain\n"),
    ]);
    let archive = gzip(&tar_of(&[("inside.txt", "from the archive\n")], (42, 43)));
    std::fs::write(ctx.file("archive.tar.gz"), archive).unwrap();
    build(&sb, &ctx, &["-t", "everything"]).ok();

    let c = config(&sb, "everything");
    let cfg = &c["Config"];
    assert_eq!(cfg["Labels"], json!({"stage": "base", "with space": "a b"}));
    assert_eq!(c["Author"], "someone@example.com");
    let env: Vec<&str> = cfg["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        env.contains(&"APP=/app") && env.contains(&"NAME=the app"),
        "{env:?}"
    );
    assert!(
        !env.iter().any(|e| e.starts_with("GREETING=")),
        "ARGs are not kept: {env:?}"
    );
    assert_eq!(cfg["WorkingDir"], "/app/sub");
    assert_eq!(cfg["User"], "1234:5678");
    assert_eq!(cfg["ExposedPorts"], json!({"8080/tcp": {}, "53/udp": {}}));
    assert_eq!(cfg["Volumes"], json!({"/data": {}}));
    assert_eq!(cfg["StopSignal"], "SIGQUIT");
    assert_eq!(
        cfg["Healthcheck"],
        json!({"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000u64, "Retries": 2})
    );
    assert_eq!(cfg["Shell"], json!(["/bin/sh", "-ec"]));
    assert_eq!(
        cfg["OnBuild"],
        json!(["RUN echo triggered > /tmp/triggered.txt"])
    );
    assert_eq!(cfg["Entrypoint"], json!(["/bin/echo"]));
    assert_eq!(
        cfg["Cmd"],
        json!(["default-arg"]),
        "CMD set in the same stage stays"
    );

    let files = sh(
        &sb,
        "everything",
        "cat /app/sub/greeting.txt /exec.txt /shell.txt /app/heredoc.txt /app/heredoc-run.txt \
         /app/copied/a.txt /app/copied/b1.txt /app/copied/b2.txt /app/dir/sub/deep.txt \
         /app/extracted/inside.txt /app/plain-added.txt; ls /app/copied; \
         stat -c '%u:%g %a' /app/copied/a.txt /app/dir/sub/deep.txt /app/extracted/inside.txt",
    );
    assert_eq!(
        files,
        "hello from /app/sub, the app\nexec-form\nshell-changed\ninline /app\nheredoc-run\n\
         a\nb1\nb2\ndeep\nfrom the archive\nplain\na.txt\nb1.txt\nb2.txt\n\
         1234:5678 640\n0:0 644\n42:43 644\n"
    );
    // ENTRYPOINT and CMD as the image runs them.
    let ran = sb.run(["run", "--rm", "--network", "none", "everything"]);
    assert_eq!(ran.ok(), "default-arg\n");

    // ONBUILD triggers run in the image built on it, and are not inherited further.
    let child = Context::new(&[(
        "Dockerfile",
        "FROM everything\nUSER 0\nRUN test -f /tmp/triggered.txt\n",
    )]);
    let out = build(&sb, &child, &["-t", "child"]);
    assert!(
        out.ok().contains("ONBUILD RUN echo triggered"),
        "{}",
        out.stdout
    );
    assert_eq!(sh(&sb, "child", "cat /tmp/triggered.txt"), "triggered\n");
    assert_eq!(
        config(&sb, "child")["Config"]["OnBuild"],
        serde_json::Value::Null
    );
}

#[test]
fn entrypoint_clears_an_inherited_cmd() {
    let sb = Sandbox::new();
    let base = Context::new(&[("Dockerfile", "FROM busybox\nCMD [\"inherited\"]\n")]);
    build(&sb, &base, &["-t", "withcmd"]).ok();
    let child = Context::new(&[(
        "Dockerfile",
        "FROM withcmd\nENTRYPOINT [\"/bin/echo\", \"ep\"]\n",
    )]);
    build(&sb, &child, &["-t", "epchild"]).ok();
    let cfg = config(&sb, "epchild")["Config"].clone();
    assert_eq!(cfg["Cmd"], serde_json::Value::Null);
    let ran = sb.run(["run", "--rm", "--network", "none", "epchild"]);
    assert_eq!(ran.ok(), "ep\n");
    // The shell form goes to SHELL.
    let shell = Context::new(&[(
        "Dockerfile",
        "FROM busybox\nENTRYPOINT echo from-shell-form\n",
    )]);
    build(&sb, &shell, &["-t", "shellform"]).ok();
    let cfg = config(&sb, "shellform")["Config"].clone();
    assert_eq!(
        cfg["Entrypoint"],
        json!(["/bin/sh", "-c", "echo from-shell-form"])
    );
}
