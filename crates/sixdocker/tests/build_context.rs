//! The build context: `.dockerignore` with Docker's pattern rules (what it hides COPY cannot
//! see, `!` brings files back, the Dockerfile is read all the same), a context as a tar on
//! stdin, a lone Dockerfile on stdin, a tar file as the context, and `-f` (a path, or `-`).

mod common;

use common::build::{build, tar_of, Context};
use common::Sandbox;

fn ls(sb: &Sandbox, image: &str, dir: &str) -> String {
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        image,
        "find",
        dir,
        "-type",
        "f",
    ]);
    let mut files: Vec<&str> = out.ok().lines().collect();
    files.sort();
    files.join("\n")
}

#[test]
fn dockerignore_hides_files_from_copy() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[
        ("Dockerfile", "FROM busybox\nCOPY . /ctx/\n"),
        (
            ".dockerignore",
            "# comment\n*.log\n**/*.tmp\nsecret\ndocs\n!docs/keep.md\nDockerfile\n",
        ),
        ("app.txt", "app"),
        ("debug.log", "log"),
        ("sub/debug.log", "kept: *.log is the top level only"),
        ("sub/deep/x.tmp", "tmp"),
        ("secret/key", "key"),
        ("docs/readme.md", "doc"),
        ("docs/keep.md", "kept"),
    ]);
    build(&sb, &ctx, &["-t", "ignored"]).ok();
    assert_eq!(
        ls(&sb, "ignored", "/ctx"),
        "/ctx/.dockerignore\n/ctx/app.txt\n/ctx/docs/keep.md\n/ctx/sub/debug.log"
    );
    ctx.write("Dockerfile", "FROM busybox\nCOPY secret/key /key\n");
    build(&sb, &ctx, &[]).fails(
        1,
        "file not found in build context or excluded by .dockerignore",
    );
    // A change to an ignored file is no change to the build.
    ctx.write("Dockerfile", "FROM busybox\nCOPY . /ctx/\n");
    ctx.write("debug.log", "changed");
    let again = build(&sb, &ctx, &[]);
    assert!(again.ok().contains("#3 CACHED"), "{}", again.stdout);
}

#[test]
fn contexts_from_stdin_and_tar_files() {
    let sb = Sandbox::new();
    let files = [
        (
            "Dockerfile",
            "FROM busybox\nCOPY hello.txt /\nCMD [\"cat\", \"/hello.txt\"]\n",
        ),
        ("hello.txt", "from a tar on stdin\n"),
        (
            "other.Dockerfile",
            "FROM busybox\nCOPY hello.txt /other.txt\n",
        ),
    ];
    let tar = tar_of(&files, (0, 0));
    let stdin = String::from_utf8(tar.clone()).unwrap();
    let out = sb.run_with_stdin(
        &[],
        &["build", "--progress", "plain", "-t", "fromstdin", "-"],
        &stdin,
    );
    out.ok();
    let ran = sb.run(["run", "--rm", "--network", "none", "fromstdin"]);
    assert_eq!(ran.ok(), "from a tar on stdin\n");

    // -f inside the tar.
    let out = sb.run_with_stdin(
        &[],
        &["build", "-q", "-f", "other.Dockerfile", "-t", "other", "-"],
        &stdin,
    );
    assert!(
        out.ok().starts_with("sha256:"),
        "-q prints the ID only: {out:?}"
    );
    assert_eq!(out.stdout.lines().count(), 1);
    let ran = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "other",
        "cat",
        "/other.txt",
    ]);
    assert_eq!(ran.ok(), "from a tar on stdin\n");

    // A tar file as the context.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ctx.tar");
    std::fs::write(&file, &tar).unwrap();
    let out = sb.run(["build", "-q", "-t", "fromfile", &file.to_string_lossy()]);
    out.ok();

    // A lone Dockerfile on stdin: no context.
    let out = sb.run_with_stdin(
        &[],
        &["build", "--progress", "plain", "-t", "lone", "-"],
        "FROM busybox\nRUN echo lone > /lone.txt\n",
    );
    out.ok();
    let ran = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "lone",
        "cat",
        "/lone.txt",
    ]);
    assert_eq!(ran.ok(), "lone\n");
}

#[test]
fn dockerfile_from_a_path_or_stdin() {
    let sb = Sandbox::new();
    let ctx = Context::new(&[("data.txt", "data\n")]);
    let elsewhere = tempfile::tempdir().unwrap();
    let df = elsewhere.path().join("Build.file");
    std::fs::write(&df, "FROM busybox\nCOPY data.txt /d.txt\n").unwrap();
    build(&sb, &ctx, &["-f", &df.to_string_lossy(), "-t", "fpath"]).ok();
    let ran = sb.run(["run", "--rm", "--network", "none", "fpath", "cat", "/d.txt"]);
    assert_eq!(ran.ok(), "data\n");

    let out = sb.run_with_stdin(
        &[],
        &[
            "build",
            "-q",
            "-f",
            "-",
            "-t",
            "fstdin",
            &ctx.path().to_string_lossy(),
        ],
        "FROM busybox\nCOPY data.txt /e.txt\n",
    );
    out.ok();
    let ran = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "fstdin",
        "cat",
        "/e.txt",
    ]);
    assert_eq!(ran.ok(), "data\n");
    let none = Context::new(&[("x", "")]);
    build(&sb, &none, &["-t", "nodockerfile"]).fails(1, "no such file");
    sb.run_with_stdin(&[], &["build", "-f", "-", "-"], "FROM busybox\n")
        .fails(125, "stdin cannot be both");
}
