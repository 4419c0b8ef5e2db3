//! A full disk never keeps a user from stopping or removing a container, and never loses a
//! container's exit code. Each test's store (`--root`) is a small tmpfs of its own that a
//! container fills; the sandbox checks afterwards that no process, cgroup or mount is left.

mod common;

use std::time::Duration;

use common::{unique_name, Sandbox};

/// The store's size: room for the busybox image and a few containers, quickly filled.
const STORE_BYTES: u64 = 16 << 20;

const LONG: Duration = Duration::from_secs(60);

/// Bytes the store's filesystem still has for a file.
fn free_bytes(sb: &Sandbox) -> u64 {
    let st = nix::sys::statvfs::statvfs(&sb.root()).expect("statvfs of the store");
    st.blocks_available() as u64 * st.fragment_size() as u64
}

/// Starts a container whose rootfs (in the store) fills the disk and that then keeps running;
/// returns once not one more byte fits.
fn run_a_filler(sb: &Sandbox, name: &str) {
    sb.run([
        "run",
        "-d",
        "--network",
        "none",
        "--name",
        name,
        "busybox",
        "sh",
        "-c",
        "cat /dev/zero > /big; while :; do sleep 1; done",
    ])
    .ok();
    sb.wait_for("the container to fill the store", LONG, || {
        (free_bytes(sb) == 0).then_some(())
    });
    let probe = std::fs::write(sb.root().join("probe"), b"x").unwrap_err();
    assert_eq!(probe.raw_os_error(), Some(libc::ENOSPC), "{probe}");
}

fn assert_exited(sb: &Sandbox, name: &str, code: i64) {
    let state = &sb.inspect(name)["State"];
    assert_eq!(state["Status"], "exited", "{state}");
    assert_eq!(state["ExitCode"], code, "{state}");
    assert_eq!(state["Running"], false, "{state}");
}

#[test]
fn kill_stop_and_rm_f_work_on_a_full_store() {
    let sb = Sandbox::with_small_root(STORE_BYTES);

    let name = unique_name("fk");
    run_a_filler(&sb, &name);
    assert_eq!(sb.run(["kill", &name]).ok().trim(), name);
    assert_exited(&sb, &name, 137);
    assert_eq!(sb.run(["rm", &name]).ok().trim(), name);

    let name = unique_name("fs");
    run_a_filler(&sb, &name);
    assert_eq!(sb.run(["stop", "-t", "1", &name]).ok().trim(), name);
    assert_exited(&sb, &name, 137);
    assert_eq!(sb.run(["rm", &name]).ok().trim(), name);

    let name = unique_name("fr");
    run_a_filler(&sb, &name);
    assert_eq!(sb.run(["rm", "-f", &name]).ok().trim(), name);
    assert!(sb.try_inspect(&name).is_none(), "{name} is still there");
    assert!(sb.container_ids().is_empty());
    assert!(free_bytes(&sb) > STORE_BYTES / 2, "removing freed the disk");
}
