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
    // Nothing but what was copied and made: the layers of a scratch image hold no /etc,
    // /proc, /sys or /dev of the build containers (the RUN made them as mount points).
    assert_eq!(
        layer_entries(&sb, "multi"),
        [
            "bin/",
            "bin/busybox",
            "bin/from-image",
            "first.txt",
            "out.txt",
            "ran.txt"
        ]
    );
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

/// Every entry of every layer of `image` (from `save`), sorted, once.
fn layer_entries(sb: &Sandbox, image: &str) -> Vec<String> {
    let out = sb.command(["save", image]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut layers: Vec<Vec<u8>> = Vec::new();
    let mut archive = tar::Archive::new(&out.stdout[..]);
    for entry in archive.entries().unwrap() {
        let mut e = entry.unwrap();
        if e.path().unwrap().to_string_lossy().ends_with("layer.tar") {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            layers.push(data);
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for layer in layers {
        let mut a = tar::Archive::new(&layer[..]);
        for entry in a.entries().unwrap() {
            let e = entry.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let dir = e.header().entry_type().is_dir() && !name.ends_with('/');
            names.insert(if dir { format!("{name}/") } else { name });
        }
    }
    names.into_iter().collect()
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
