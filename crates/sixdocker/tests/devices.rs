//! `run --device`, as a Docker user types it (issue 11, run flags), checked against dockerd
//! 20.10: the host's node appears where asked, with its numbers, mode and owner, and the
//! device cgroup lets the container use it only as the permissions say.

mod common;

use common::{unique_name, Sandbox};

/// `run --rm --network none FLAGS busybox sh -c SCRIPT`: stdout and stderr together.
fn run_sh(sb: &Sandbox, flags: &[&str], script: &str) -> common::Ran {
    let mut args = vec!["run", "--rm", "--network", "none"];
    args.extend_from_slice(flags);
    args.extend(["busybox", "sh", "-c", script]);
    sb.run(&args)
}

#[test]
fn a_device_appears_and_the_cgroup_allows_it_as_told() {
    let sb = Sandbox::new();
    // /dev/null under another name: the node is the host's (1:3, crw-rw-rw-) and writable
    let out = run_sh(
        &sb,
        &["--device", "/dev/null:/dev/mynull"],
        "ls -l /dev/mynull; echo x > /dev/mynull && echo wrote",
    );
    let text = out.ok();
    assert!(text.contains("crw-rw-rw-"), "{out:?}");
    assert!(text.contains("1,   3 "), "{out:?}");
    assert!(text.contains("wrote"), "{out:?}");
    // loop-control (10:237) is not in Docker's default allow list: without --device the
    // cgroup refuses to open a node made for it...
    let cat = "cat /dev/lc 2>&1; true";
    let refused = "Operation not permitted";
    let out = run_sh(&sb, &[], &format!("mknod /dev/lc c 10 237; {cat}"));
    assert!(out.ok().contains(refused), "{out:?}");
    // ...with it and `r`, opening to read is allowed (the read itself is EINVAL: it is a
    // control device), but `w` alone still refuses a read
    let out = run_sh(&sb, &["--device", "/dev/loop-control:/dev/lc:r"], cat);
    assert!(!out.ok().contains(refused), "{out:?}");
    assert!(out.ok().contains("Invalid argument"), "{out:?}");
    let out = run_sh(&sb, &["--device", "/dev/loop-control:/dev/lc:w"], cat);
    assert!(out.ok().contains(refused), "{out:?}");
    // the default permissions are rwm, the default path the host's
    let out = run_sh(
        &sb,
        &["--device", "/dev/loop-control"],
        "ls -l /dev/loop-control; cat /dev/loop-control 2>&1; true",
    );
    assert!(out.ok().contains("10, 237 "), "{out:?}");
    assert!(!out.ok().contains(refused), "{out:?}");
    // a folder gives every device below it
    if std::path::Path::new("/dev/net/tun").exists() {
        let out = run_sh(&sb, &["--device", "/dev/net:/dev/n2"], "ls -l /dev/n2/tun");
        assert!(out.ok().contains("10, 200 "), "{out:?}");
    }
    // inspect shows what was asked, as Docker's HostConfig.Devices
    let name = unique_name("dev");
    sb.run([
        "create",
        "--name",
        &name,
        "--device",
        "/dev/null:/dev/x:r",
        "busybox",
    ])
    .ok();
    assert_eq!(
        sb.inspect(&name)["HostConfig"]["Devices"],
        serde_json::json!([{"PathOnHost": "/dev/null", "PathInContainer": "/dev/x", "CgroupPermissions": "r"}])
    );
}

#[test]
fn bad_devices_are_refused_by_name_with_125_and_nothing_made() {
    let sb = Sandbox::new();
    for (value, needle) in [
        (
            "/dev/null:/dev/x:rx",
            "invalid device \"/dev/null:/dev/x:rx\": bad mode \"rx\"",
        ),
        (
            "/dev/null:relative",
            "container path \"relative\" is not absolute",
        ),
        (
            "/dev/six-no-such-device",
            "adding custom device \"/dev/six-no-such-device\": no such file or directory",
        ),
        (
            "/etc/hostname",
            "adding custom device \"/etc/hostname\": not a device node",
        ),
    ] {
        sb.run(["run", "--rm", "--device", value, "busybox", "true"])
            .fails(125, needle);
    }
    assert!(sb.container_ids().is_empty(), "nothing made");
}
