//! Multi-stage builds through the real `sixdocker build`: `COPY --from` a stage (by name and
//! by number) and from an image, `FROM scratch` with a static binary (the host's
//! busybox-static) that later RUN steps use, and `--target`: only the stages the target
//! needs are built (a stage that would fail is never started).

mod common;

use common::build::{build, Context};
use common::Sandbox;

const STAGES: &str = r#"FROM busybox AS builder
RUN echo built-in-builder > /out.txt
FROM busybox AS broken
RUN echo never-built-marker && exit 1
FROM builder AS extended
RUN echo extended >> /out.txt
FROM scratch
COPY busybox /bin/busybox
COPY --from=extended /out.txt /out.txt
COPY --from=0 /out.txt /first.txt
COPY --from=busybox /bin/busybox /bin/from-image
RUN ["/bin/busybox", "sh", "-c", "echo ran-in-scratch > /ran.txt"]
CMD ["/bin/busybox", "cat", "/out.txt", "/first.txt", "/ran.txt"]
"#;

fn context() -> Context {
    let ctx = Context::new(&[("Dockerfile", STAGES)]);
    std::fs::copy("/bin/busybox", ctx.file("busybox")).expect("busybox-static is installed");
    ctx
}

#[test]
fn stages_copy_from_each_other_and_unneeded_ones_are_not_built() {
    let sb = Sandbox::new();
    let ctx = context();
    let out = build(&sb, &ctx, &["-t", "multi"]);
    assert!(
        !out.ok().contains("never-built-marker"),
        "the stage nobody needs ran: {}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("[builder 2/2] RUN echo built-in-builder > /out.txt"));
    let ran = sb.run(["run", "--rm", "--network", "none", "multi"]);
    assert_eq!(
        ran.ok(),
        "built-in-builder\nextended\nbuilt-in-builder\nran-in-scratch\n"
    );
    // Nothing but what was copied and made: a scratch image holds no /etc, /proc or /dev
    // of the build containers.
    let tree = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "--entrypoint",
        "/bin/busybox",
        "multi",
        "find",
        "/",
        "-xdev",
        "-maxdepth",
        "1",
    ]);
    let mut entries: Vec<&str> = tree.ok().lines().collect();
    entries.sort();
    // The run container's own mount points (/dev, /etc, /proc, /sys) are on other file
    // systems (-xdev) or made by the runtime; the image has only what the build put there.
    let unexpected: Vec<&&str> = entries
        .iter()
        .filter(|e| {
            ![
                "/",
                "/bin",
                "/out.txt",
                "/first.txt",
                "/ran.txt",
                "/dev",
                "/etc",
                "/proc",
                "/sys",
            ]
            .contains(e)
        })
        .collect();
    assert!(unexpected.is_empty(), "{entries:?}");
    let layers = sb.run(["history", "--format", "{{.CreatedBy}}", "multi"]);
    assert_eq!(
        layers.ok().lines().count(),
        6,
        "FROM scratch: only this stage's steps: {}",
        layers.stdout
    );

    // --target: that stage and what it needs, nothing else.
    let out = build(&sb, &ctx, &["--target", "extended", "-t", "ext"]);
    assert!(!out.ok().contains("never-built-marker"));
    assert!(!out.stdout.contains("COPY busybox"), "{}", out.stdout);
    let ran = sb.run(["run", "--rm", "--network", "none", "ext", "cat", "/out.txt"]);
    assert_eq!(ran.ok(), "built-in-builder\nextended\n");
    build(&sb, &ctx, &["--target", "nope"]).fails(1, "target stage \"nope\" could not be found");
    // The broken stage, asked for, fails.
    build(&sb, &ctx, &["--target", "broken"]).fails(1, "returned a non-zero code: 1");
}

#[test]
fn a_stage_cannot_copy_from_a_later_one() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[(
        "Dockerfile",
        "FROM busybox AS first\nCOPY --from=second /x /x\nFROM busybox AS second\nRUN touch /x\n",
    )]);
    build(&sb, &ctx, &["--target", "first"]).fails(1, "COPY --from=second");
}
