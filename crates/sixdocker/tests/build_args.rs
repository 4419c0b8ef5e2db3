//! `ARG` and `ENV` as Docker has them: ARGs before FROM usable in FROM (and in a stage once
//! declared again), defaults, `--build-arg` over defaults, ENV over ARG, Docker's proxy args
//! usable undeclared and kept out of the history, build args kept out of the image's env, a
//! changed `--build-arg` a cache miss from its ARG on, an unused one warned about.

mod common;

use common::build::{build, cache_states, Context};
use common::Sandbox;

const ARGS: &str = r#"ARG BASE=busybox
ARG VERSION=1
FROM $BASE
ARG VERSION
ARG OTHER=default-other
ENV FROM_ENV=env-value
ARG FROM_ENV=arg-value
RUN echo "v=$VERSION other=$OTHER env=$FROM_ENV proxy=$http_proxy" > /args.txt
ENV OTHER=${OTHER}-in-env
RUN echo "after=$OTHER" >> /args.txt
"#;

fn cat(sb: &Sandbox, image: &str, file: &str) -> String {
    let out = sb.run(["run", "--rm", "--network", "none", image, "cat", file]);
    out.ok().to_owned()
}

#[test]
fn args_defaults_build_args_and_env_precedence() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[("Dockerfile", ARGS)]);
    let out = build(&sb, &ctx, &["-t", "args"]);
    assert_eq!(
        cat(&sb, "args", "/args.txt"),
        "v=1 other=default-other env=env-value proxy=\nafter=default-other-in-env\n"
    );
    assert!(!out.stdout.contains("WARNING"), "{}", out.stdout);

    let out = build(
        &sb,
        &ctx,
        &[
            "-t",
            "args",
            "--build-arg",
            "OTHER=given",
            "--build-arg",
            "http_proxy=http://proxy.invalid",
            "--build-arg",
            "UNUSED=x",
        ],
    );
    assert!(
        out.ok()
            .contains("WARNING: one or more build-args [UNUSED] were not consumed"),
        "{}",
        out.stdout
    );
    assert_eq!(
        cat(&sb, "args", "/args.txt"),
        "v=1 other=given env=env-value proxy=http://proxy.invalid\nafter=given-in-env\n"
    );
    let inspect = sb.run([
        "image",
        "inspect",
        "--format",
        "{{json .Config.Env}}",
        "args",
    ]);
    let env = inspect.ok();
    assert!(env.contains("\"OTHER=given-in-env\""), "{env}");
    assert!(
        !env.contains("VERSION") && !env.contains("proxy"),
        "build args stay out of the image: {env}"
    );
    let history = sb.run([
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}",
        "args",
    ]);
    assert!(
        history
            .ok()
            .contains("RUN |2 VERSION=1 OTHER=given /bin/sh -c echo"),
        "{}",
        history.stdout
    );
    assert!(
        !history.stdout.contains("proxy.invalid"),
        "proxy args are not in the history"
    );

    // The same values: all cached; another VERSION: a miss from the ARG that takes it on.
    let same = build(
        &sb,
        &ctx,
        &[
            "--build-arg",
            "OTHER=given",
            "--build-arg",
            "http_proxy=http://proxy.invalid",
        ],
    );
    assert!(
        cache_states(same.ok()).iter().all(|(_, c)| *c),
        "{}",
        same.stdout
    );
    let other = build(
        &sb,
        &ctx,
        &["--build-arg", "OTHER=given", "--build-arg", "VERSION=2"],
    );
    let states = cache_states(other.ok());
    assert_eq!(
        states[0],
        ("[2/8] ARG VERSION".to_owned(), false),
        "{states:?}"
    );
}

#[test]
fn predefined_platform_args_and_unset_ones() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[(
        "Dockerfile",
        "FROM busybox\nARG TARGETARCH\nARG UNSET\nRUN echo \"arch=$TARGETARCH unset=${UNSET:-none}\" > /p.txt\n",
    )]);
    build(&sb, &ctx, &["-t", "plat"]).ok();
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    assert_eq!(
        cat(&sb, "plat", "/p.txt"),
        format!("arch={arch} unset=none\n")
    );
    build(&sb, &ctx, &["--platform", "linux/s390x"]).fails(1, "not supported");
}
