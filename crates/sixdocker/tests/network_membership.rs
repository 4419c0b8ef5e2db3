//! Which networks a container is on, as under Docker (issue 11, "Fix"): `--network none` is
//! a namespace of its own with `lo` up.

mod common;

use common::{unique_name, Sandbox};

#[test]
fn network_none_has_loopback_up() {
    let sb = Sandbox::new();
    let out = sb.run([
        "run",
        "--rm",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "ip -4 addr; ping -c 1 -W 5 127.0.0.1 >/dev/null && echo reached",
    ]);
    let text = out.ok();
    assert!(text.contains("inet 127.0.0.1/8"), "{text}");
    assert!(text.contains("reached"), "{text}");
    assert!(!text.contains("eth0"), "no other interface: {text}");
    // a detached one too, seen from exec
    let name = unique_name("lo");
    sb.run(common::detached_args(&name, &["sleep", "600"])).ok();
    let link = sb.run(["exec", &name, "ip", "link", "show", "lo"]);
    assert!(link.ok().contains(",UP"), "{link:?}");
}
