//! Bind mounts into a container with its own user namespace, as runc makes them: the
//! runtime reaches the source with its own credentials, so a source below a directory the
//! container's mapped root may not enter (a 0700 directory of an unmapped host user) still
//! binds, with its options (read-only here).
//!
//! `RUNC=runc cargo test -p sixrun --test userns_binds` runs the same against runc.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::*;

#[test]
fn a_source_the_mapped_root_cannot_reach_still_binds() {
    let s = Sixrun::under_test();
    // <private> is 0700 and belongs to host uid 1234, which the container does not map.
    let private = tempfile::tempdir().unwrap();
    let sub = private.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(sub.join("f"), "reached\n").unwrap();
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(sub.join("f"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::chown(private.path(), Some(1234), Some(1234)).unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let b = bundle(
        &[
            "sh",
            "-c",
            "cat /data/f; touch /data/x 2>/dev/null || echo read-only",
        ],
        |c| {
            with_user_namespace(c);
            c["mounts"].as_array_mut().unwrap().push(serde_json::json!({
                "destination": "/data", "type": "bind", "source": sub, "options": ["rbind", "ro"]
            }));
        },
    );
    // The image has its mount point (the mapped root may not create one in a rootfs of host
    // root's).
    std::fs::create_dir(b.rootfs().join("data")).unwrap();
    let id = s.new_id("usernsbind");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), "reached read-only");
    assert!(!sub.join("x").exists());
}
