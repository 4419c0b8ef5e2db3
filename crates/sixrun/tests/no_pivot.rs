//! `--no-pivot` as runc does it: `chroot` leaves the host's mounts in the container's mount
//! namespace, out of sight; the host's whole /proc and /sys among them would let a process
//! in the container that makes its own user namespace mount a fresh procfs (without the
//! masked and read-only paths) or sysfs, since the kernel allows that while a fully visible
//! one exists. The runtime must hide them first; masked paths stay masked.
//!
//! `RUNC=runc cargo test -p sixrun --test no_pivot` runs the same against runc.

mod common;

use common::*;

/// In a user namespace of its own (with a pid or network namespace it owns, as the kernel
/// wants), the container tries a fresh procfs and a fresh sysfs.
const SCRIPT: &str = r#"
unshare -Urmpf sh -c 'echo userns; mount -t proc proc /tmp/p 2>/dev/null && echo proc-mounted'
unshare -Urmn sh -c 'echo userns; mount -t sysfs sysfs /tmp/s 2>/dev/null && echo sysfs-mounted'
echo kcore=$(head -c 16 /proc/kcore | wc -c)
"#;

fn probe(no_pivot: bool) -> String {
    let s = Sixrun::under_test();
    let b = bundle(
        &["sh", "-c", &format!("mkdir /tmp/p /tmp/s; {SCRIPT}")],
        |c| {
            // Docker's default capabilities include these three, all unshare -r needs.
            for set in ["bounding", "effective", "permitted"] {
                let caps = c["process"]["capabilities"][set].as_array_mut().unwrap();
                for cap in ["CAP_SETUID", "CAP_SETGID", "CAP_SETFCAP"] {
                    caps.push(cap.into());
                }
            }
            c["mounts"].as_array_mut().unwrap().push(
                serde_json::json!({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}),
            );
        },
    );
    let id = s.new_id("nopivot");
    let mut args = vec!["run", "--bundle", b.path().to_str().unwrap()];
    if no_pivot {
        args.push("--no-pivot");
    }
    args.push(&id);
    let out = s.ok(&args);
    words(&out)
}

#[test]
fn no_pivot_never_lets_the_container_mount_a_fresh_procfs_or_sysfs() {
    // "userns" twice: the user namespaces were made, so the refusals below are the kernel's
    // rule on visible proc and sysfs mounts, not a lack of user namespaces.
    assert_eq!(probe(true), "userns userns kcore=0");
}

#[test]
fn with_pivot_root_the_same_is_refused_too() {
    assert_eq!(probe(false), "userns userns kcore=0");
}
