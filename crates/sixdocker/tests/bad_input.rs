//! Bad input to container commands: one line on stderr naming the problem, a non-zero exit
//! (125 for flags, as Docker), and nothing half-made.

mod common;

use common::{unique_name, Sandbox};

#[test]
fn bad_flag_values_stop_at_the_edge() {
    let sb = Sandbox::new();
    sb.sh("run -m 10x busybox true")
        .fails(125, "invalid memory size \"10x\"");
    sb.sh("run -cpuset 0- busybox true").fails(125, "\"0-\"");
    sb.sh("run -v nocolon busybox true").fails(125, "nocolon");
    sb.sh("run -v relative/path:/x busybox true")
        .fails(125, "relative/path");
    sb.sh("run -e =value busybox true").fails(125, "=value");
    sb.sh("run --cpu-shares many busybox true")
        .fails(125, "\"many\"");
    sb.sh("run --restart sometimes busybox true")
        .fails(125, "sometimes");
    sb.sh("run --bogus-flag busybox true")
        .fails(125, "--bogus-flag");
    sb.sh("run").fails(125, "run needs an image");
    sb.sh("kill -s NOSUCHSIG x").fails(125, "NOSUCHSIG");
    assert!(sb.container_ids().is_empty(), "nothing half-made");
}

#[test]
fn unknown_containers_and_names_in_use() {
    let sb = Sandbox::new();
    for cmd in [
        "logs", "stop", "rm", "kill", "wait", "top", "port", "restart", "start",
    ] {
        sb.run([cmd, "no-such-container"])
            .fails(1, "no-such-container");
    }
    sb.run(["exec", "no-such-container", "true"])
        .fails(1, "no-such-container");
    let name = unique_name("dup");
    sb.run(["run", "-d", "--name", &name, "busybox", "sleep", "600"])
        .ok();
    sb.run(["run", "-d", "--name", &name, "busybox", "true"])
        .fails(125, "already in use");
    assert_eq!(sb.container_ids().len(), 1, "the second one was not made");
    sb.run(["rm", &name]).fails(1, "running");
    sb.run(["rm", "-f", &name]).ok();
    sb.run(["run", "--rm", "--name", "bad/name", "busybox", "true"])
        .fails(125, "bad/name");
}

#[test]
fn commands_not_found_or_not_executable() {
    let sb = Sandbox::new();
    sb.sh("run --rm busybox /no/such/program")
        .fails(127, "/no/such/program");
    sb.sh("run --rm busybox /etc/passwd")
        .fails(126, "/etc/passwd");
    assert!(
        sb.container_ids().is_empty(),
        "--rm leaves nothing even when the start failed"
    );
}

#[test]
fn a_workdir_that_is_a_file_is_refused_and_a_symlink_cannot_lead_out() {
    let sb = Sandbox::new();
    sb.sh("run --rm -w /etc/passwd busybox pwd")
        .fails(125, "/etc/passwd");
    // /bin/sh is a symlink to /bin/busybox in the image: /bin/sh/x cannot be made.
    sb.sh("run --rm -w /bin/sh/x busybox pwd")
        .fails(125, "/bin/sh/x");
    assert!(
        sb.container_ids().is_empty(),
        "--rm leaves nothing even when the workdir failed"
    );
}

#[test]
fn a_refused_run_makes_no_volume_directory_on_the_host() {
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("made/by/run");
    let volume = format!("{}:/data", missing.display());
    // An image that does not exist (and is not pulled): refused before anything is made.
    let ran = sb.run([
        "run",
        "--pull",
        "never",
        "-v",
        &volume,
        "no-such-image-here",
        "true",
    ]);
    assert_ne!(ran.code, 0, "{ran:?}");
    assert!(
        !sb.dir.path().join("made").exists(),
        "the refused run made {missing:?}"
    );
    // A command the image lacks: refused after the record existed; what was made is undone.
    let ran = sb.run(["run", "-v", &volume, "busybox", "/no/such/program"]);
    assert_eq!(ran.code, 127, "{ran:?}");
    assert!(
        !sb.dir.path().join("made").exists(),
        "the failed run left {missing:?}"
    );
    // A run that goes ahead makes it, as Docker does.
    sb.run(["run", "--rm", "-v", &volume, "busybox", "true"])
        .ok();
    assert!(missing.is_dir());
}
