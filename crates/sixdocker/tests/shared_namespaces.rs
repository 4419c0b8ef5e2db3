//! `--pid container:NAME`, `--ipc shareable|none|container:NAME` as a Docker user types
//! them (issue 11, run flags), checked against dockerd 20.10: the namespaces are the other
//! container's (the same inode), a shareable container's /dev/shm is what its joiners see
//! (a tmpfs on the host while it runs, gone after), and Docker's refusals name the value.

mod common;

use common::{unique_name, Sandbox};

/// `run -d --network none --name NAME FLAGS busybox sh -c SCRIPT`.
fn start(sb: &Sandbox, name: &str, flags: &[&str], script: &str) {
    let mut args = vec!["run", "-d", "--network", "none", "--name", name];
    args.extend_from_slice(flags);
    args.extend(["busybox", "sh", "-c", script]);
    sb.run(&args).ok();
}

/// `run --rm --network none FLAGS busybox sh -c SCRIPT`.
fn run_sh(sb: &Sandbox, flags: &[&str], script: &str) -> common::Ran {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(flags);
    args.extend(["busybox", "sh", "-c", script]);
    sb.run(&args)
}

/// The namespace link (`ipc:[4026532…]`) of `kind` of container `name`'s shell.
fn namespace(sb: &Sandbox, name: &str, kind: &str) -> String {
    let link = format!("/proc/self/ns/{kind}");
    sb.run(["exec", name, "readlink", &link])
        .ok()
        .trim()
        .to_owned()
}

/// Mounts below the sandbox's store named `shm` (a shareable container's /dev/shm).
fn host_shm_mounts(sb: &Sandbox) -> usize {
    let root = sb.root().display().to_string();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| {
            l.split(' ')
                .nth(4)
                .is_some_and(|m| m.starts_with(&root) && m.ends_with("/shm"))
        })
        .count()
}

#[test]
fn pid_container_shares_the_other_containers_processes() {
    let sb = Sandbox::new();
    let donor = unique_name("donor");
    start(&sb, &donor, &[], "echo ready; exec sleep 1000");
    sb.wait_for_log(&donor, "ready");
    let pid_link = namespace(&sb, &donor, "pid");
    let out = run_sh(
        &sb,
        &["--pid", &format!("container:{donor}")],
        "readlink /proc/self/ns/pid; ps -o pid,args",
    );
    let text = out.ok();
    assert!(text.starts_with(&format!("{pid_link}\n")), "{out:?}");
    assert!(
        text.contains("    1 sleep 1000"),
        "the donor's init is PID 1: {out:?}"
    );
    let name = unique_name("joiner");
    sb.run([
        "create",
        "--name",
        &name,
        "--pid",
        &format!("container:{donor}"),
        "busybox",
    ])
    .ok();
    let mode = sb.inspect(&name)["HostConfig"]["PidMode"].clone();
    assert_eq!(mode, format!("container:{}", sb.id_of(&donor)));
    // at every start the other container must run (Docker names it by its ID)
    let donor_id = sb.id_of(&donor);
    sb.run(["stop", "-t", "0", &donor]).ok();
    sb.run(["start", &name]).fails(
        1,
        &format!("cannot join PID of a non running container: {donor_id}"),
    );
}

#[test]
fn ipc_shareable_and_container_share_one_namespace_and_dev_shm() {
    let sb = Sandbox::new();
    let donor = unique_name("shareable");
    start(
        &sb,
        &donor,
        &["--ipc", "shareable", "--shm-size", "8m"],
        "echo hello > /dev/shm/x; echo ready; exec sleep 1000",
    );
    sb.wait_for_log(&donor, "ready");
    assert_eq!(
        host_shm_mounts(&sb),
        1,
        "its /dev/shm is a tmpfs on the host"
    );
    let ipc_link = namespace(&sb, &donor, "ipc");
    let out = run_sh(
        &sb,
        &["--ipc", &format!("container:{donor}")],
        "readlink /proc/self/ns/ipc; cat /dev/shm/x; grep ' /dev/shm ' /proc/mounts; echo back > /dev/shm/y",
    );
    let text = out.ok();
    assert!(text.starts_with(&format!("{ipc_link}\nhello\n")), "{out:?}");
    assert!(
        text.contains("size=8192k"),
        "the donor's --shm-size: {out:?}"
    );
    let back = sb.run(["exec", &donor, "cat", "/dev/shm/y"]);
    assert_eq!(back.ok(), "back\n");
    let doc = sb.inspect(&donor);
    assert_eq!(doc["HostConfig"]["IpcMode"], "shareable");
    // a private one cannot be joined (Docker's default is private)
    let private = unique_name("private");
    start(&sb, &private, &[], "echo ready; exec sleep 1000");
    sb.wait_for_log(&private, "ready");
    assert_eq!(sb.inspect(&private)["HostConfig"]["IpcMode"], "private");
    let private_id = sb.id_of(&private);
    run_sh(&sb, &["--ipc", &format!("container:{private}")], "true").fails(
        125,
        &format!("can't join IPC of container {private_id}: non-shareable IPC"),
    );
    // none: its own namespace and no /dev/shm at all
    let out = run_sh(
        &sb,
        &["--ipc", "none"],
        "readlink /proc/self/ns/ipc; ls /dev/shm 2>&1; true",
    );
    assert!(!out.ok().contains(&ipc_link), "{out:?}");
    assert!(out.ok().contains("No such file or directory"), "{out:?}");
    // stopped, the donor's host tmpfs is gone (and its joiners are refused)
    let donor_id = sb.id_of(&donor);
    sb.run(["stop", "-t", "0", &donor]).ok();
    assert_eq!(host_shm_mounts(&sb), 0, "unmounted at its end");
    run_sh(&sb, &["--ipc", &format!("container:{donor}")], "true").fails(
        125,
        &format!("can't join IPC of container {donor_id}: container is not running"),
    );
    // started again, it has it again; removed, nothing is left
    sb.run(["start", &donor]).ok();
    assert_eq!(host_shm_mounts(&sb), 1);
    sb.run(["rm", "-f", &donor]).ok();
    assert_eq!(host_shm_mounts(&sb), 0);
}

#[test]
fn bad_namespace_modes_are_refused_by_name_with_125() {
    let sb = Sandbox::new();
    for (flag, value, needle) in [
        ("--ipc", "bogus", "invalid IPC mode \"bogus\""),
        ("--pid", "bogus", "invalid PID mode \"bogus\""),
        ("--pid", "shareable", "invalid PID mode \"shareable\""),
        ("--uts", "container:x", "invalid UTS mode \"container:x\""),
        ("--pid", "container:", "invalid PID mode \"container:\""),
        ("--pid", "container:six-nope", "no such container: six-nope"),
        ("--ipc", "container:six-nope", "no such container: six-nope"),
    ] {
        sb.run(["run", "--rm", flag, value, "busybox", "true"])
            .fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "nothing made");
}
