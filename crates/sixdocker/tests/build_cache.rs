//! `build`'s layer cache, as Docker's classic builder keeps it: a rebuild takes every step
//! from the cache (the same image comes out); changing one copied file rebuilds only the
//! steps from that COPY on; a changed time alone changes nothing; `--no-cache` rebuilds all.
//! Each step is an image with one history line; `rmi` of the last removes the steps below.

mod common;

use common::build::{build, built_id, cache_states, Context};
use common::Sandbox;

const DOCKERFILE: &str = "FROM busybox
RUN echo run1 > /r1
COPY a.txt /a.txt
RUN cat /a.txt > /r2
COPY b.txt /b.txt
CMD [\"cat\", \"/r2\"]
";

fn cached(out: &str) -> Vec<bool> {
    cache_states(out).into_iter().map(|(_, c)| c).collect()
}

#[test]
fn rebuilds_reuse_every_step_until_the_first_changed_file() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[
        ("a.txt", "one\n"),
        ("b.txt", "bee\n"),
        ("Dockerfile", DOCKERFILE),
    ]);
    let first = build(&sb, &ctx, &["-t", "cached"]);
    assert_eq!(cached(first.ok()), [false; 5], "{}", first.stdout);
    let id = built_id(&first.stdout);
    assert_eq!(
        sb.run(["run", "--rm", "--network", "none", "cached"]).ok(),
        "one\n"
    );

    let again = build(&sb, &ctx, &["-t", "cached"]);
    assert_eq!(cached(again.ok()), [true; 5], "{}", again.stdout);
    assert_eq!(
        built_id(&again.stdout),
        id,
        "a fully cached build makes the same image"
    );

    // A new time on a copied file is no change (Docker hashes content and mode, not times).
    let b = std::fs::File::options()
        .write(true)
        .open(ctx.file("b.txt"))
        .unwrap();
    b.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
    assert_eq!(cached(build(&sb, &ctx, &[]).ok()), [true; 5]);

    ctx.write("a.txt", "two\n");
    let changed = build(&sb, &ctx, &["-t", "cached"]);
    assert_eq!(
        cached(changed.ok()),
        [true, false, false, false, false],
        "only the steps from the changed COPY on: {}",
        changed.stdout
    );
    assert_eq!(
        sb.run(["run", "--rm", "--network", "none", "cached"]).ok(),
        "two\n"
    );

    let fresh = build(&sb, &ctx, &["--no-cache", "-t", "cached"]);
    assert_eq!(cached(fresh.ok()), [false; 5]);
    assert_ne!(built_id(&fresh.stdout), built_id(&changed.stdout));
}

#[test]
fn each_step_is_an_image_with_its_instruction_in_the_history() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[
        ("a.txt", "one\n"),
        ("b.txt", "bee\n"),
        ("Dockerfile", DOCKERFILE),
    ]);
    build(&sb, &ctx, &["-t", "hist"]).ok();
    let history = sb.run([
        "history",
        "--no-trunc",
        "--format",
        "{{.CreatedBy}}|{{.Size}}",
        "hist",
    ]);
    let lines: Vec<&str> = history.ok().lines().collect();
    assert_eq!(
        &lines[..5],
        [
            "CMD [\"cat\",\"/r2\"]|0B",
            "COPY b.txt /b.txt|4B",
            "RUN /bin/sh -c cat /a.txt > /r2|4B",
            "COPY a.txt /a.txt|4B",
            "RUN /bin/sh -c echo run1 > /r1|5B",
        ],
        "{}",
        history.stdout
    );
    let ids = sb.run(["history", "-q", "hist"]);
    let ids: Vec<&str> = ids.ok().lines().collect();
    assert!(
        ids[..6].iter().all(|i| *i != "<missing>"),
        "every step is a stored image: {ids:?}"
    );

    // Steps are intermediate images: listed with -a only, and removed with the last one.
    let listed = |all: bool| {
        let mut args = vec!["images", "-q"];
        if all {
            args.push("-a");
        }
        sb.run(args).ok().lines().count()
    };
    assert_eq!(listed(false), 2, "hist and busybox");
    assert_eq!(listed(true), 6, "busybox and the five steps");
    let rmi = sb.run(["rmi", "hist"]);
    assert_eq!(
        rmi.ok()
            .lines()
            .filter(|l| l.starts_with("Deleted: "))
            .count(),
        5,
        "{}",
        rmi.stdout
    );
    assert_eq!(listed(true), 1, "only busybox is left");
}
