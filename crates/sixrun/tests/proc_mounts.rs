//! CVE-2019-19921 through the real `sixrun`: a bind mount whose destination leads through a
//! symlink in the rootfs onto /proc or below it is refused with one line naming where it
//! leads, exactly as the same mount spelt `/proc/...` is; nothing is mounted over /proc and
//! nothing is left behind. Ordinary binds through symlinks still work.
//!
//! The tests that end in `_as_runc` hold for runc 1.1.5 too:
//! `RUNC=runc cargo test -p sixrun --test proc_mounts as_runc`.

mod common;

use std::os::unix::fs::symlink;
use std::path::Path;

use common::*;

/// A busybox bundle running `script` with the host dir `source` bound at `destination`,
/// after the image's links `/evilsys -> /proc/sys`, `/evilproc -> /proc`, `/rel -> proc/sys`,
/// `/d/up -> ../proc/sys` and the chain `/chain -> /evilsys` were made in its rootfs.
fn bundle_binding(source: &Path, destination: &str, script: &str) -> Bundle {
    let b = bundle(&["sh", "-c", script], |c| {
        c["mounts"].as_array_mut().unwrap().push(serde_json::json!({
            "destination": destination, "type": "bind",
            "source": source, "options": ["rbind", "rw"]
        }));
    });
    six_testkit::hostile_proc_links(&b.rootfs()).unwrap();
    symlink("/srv/data", b.rootfs().join("data")).unwrap();
    b
}

#[test]
fn a_bind_through_a_symlink_onto_proc_is_refused() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("MARK"), b"host").unwrap();
    let cases = [
        ("/proc/sys", "/proc/sys"),
        ("/evilsys", "/proc/sys"),
        ("/evilproc", "/proc"),
        ("/rel", "/proc/sys"),
        ("/d/up", "/proc/sys"),
        ("/chain", "/proc/sys"),
        ("/chain/kernel", "/proc/sys/kernel"),
    ];
    for (destination, leads_to) in cases {
        let s = Sixrun::new();
        let b = bundle_binding(host.path(), destination, "ls /proc/sys; echo RAN");
        let id = s.new_id("procbind");
        let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert!(
            line.contains(&format!("mount {destination} (type bind)")),
            "{line}"
        );
        assert!(line.contains("refused"), "{line}");
        if destination != leads_to {
            assert!(
                line.contains(&format!("it leads to {leads_to} inside the rootfs")),
                "{line}"
            );
        }
        assert!(!line.contains("RAN") && !line.contains("MARK"), "{line}");
        s.assert_gone(&id, None, b.path());
        assert!(
            !b.rootfs().join("proc/sys").exists(),
            "{destination}: created in the rootfs"
        );
    }
}

#[test]
fn ordinary_binds_through_symlinks_still_work() {
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("MARK"), b"host").unwrap();
    let s = Sixrun::new();
    let b = bundle_binding(
        host.path(),
        "/data",
        "cat /srv/data/MARK; ls /proc/sys/kernel/ostype",
    );
    let id = s.new_id("okbind");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "host/proc/sys/kernel/ostype\n");
    s.assert_gone(&id, None, b.path());
}

#[test]
fn the_lxcfs_files_may_still_be_bound() {
    let host = tempfile::tempdir().unwrap();
    let file = host.path().join("fake");
    std::fs::write(&file, b"lxcfs\n").unwrap();
    for destination in ["/proc/meminfo", "/proc/sys/kernel/ns_last_pid"] {
        let s = Sixrun::new();
        let b = bundle_binding(&file, destination, &format!("cat {destination}"));
        let id = s.new_id("lxcfs");
        let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert!(out.status.success(), "{destination}: {}", stderr(&out));
        assert_eq!(stdout(&out), "lxcfs\n", "{destination}");
        s.assert_gone(&id, None, b.path());
    }
    // /proc/net/dev leads through procfs's own link (net -> self/net) to the init's
    // /proc/<pid>/net/dev, as with runc: still allowed.
    let s = Sixrun::new();
    let b = bundle_binding(&file, "/proc/net/dev", "true");
    let id = s.new_id("lxcfs");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "/proc/net/dev: {}", stderr(&out));
    s.assert_gone(&id, None, b.path());
}

#[test]
fn proc_is_never_mounted_through_a_symlink() {
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let proc_dir = b.rootfs().join("proc");
    if proc_dir.exists() {
        std::fs::remove_dir(&proc_dir).unwrap();
    }
    std::fs::create_dir(b.rootfs().join("elsewhere")).unwrap();
    symlink("/elsewhere", &proc_dir).unwrap();
    let id = s.new_id("proclink");
    let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(line.contains("mount /proc (type proc"), "{line}");
    assert!(line.contains("not through a symlink"), "{line}");
    s.assert_gone(&id, None, b.path());
}

/// Replaces the rootfs directory `name` with a symlink to a new directory `name-real`.
fn dir_as_symlink(b: &Bundle, name: &str) {
    let dir = b.rootfs().join(name);
    if dir.exists() {
        std::fs::remove_dir(&dir).unwrap();
    }
    std::fs::create_dir(b.rootfs().join(format!("{name}-real"))).unwrap();
    symlink(format!("{name}-real"), &dir).unwrap();
}

#[test]
fn proc_and_sysfs_on_a_symlink_are_refused_as_runc() {
    let s = Sixrun::under_test();
    // sysfs with a network namespace (a new sysfs) and without (a bind of the host's /sys).
    for (dir, fstype, netns) in [
        ("proc", "proc", true),
        ("sys", "sysfs", true),
        ("sys", "sysfs", false),
    ] {
        let b = bundle(&["sh", "-c", "touch /ran"], |c| {
            c["root"]["readonly"] = false.into();
            if !netns {
                let ns = c["linux"]["namespaces"].as_array_mut().unwrap();
                ns.retain(|n| n["type"] != "network");
            }
        });
        dir_as_symlink(&b, dir);
        let id = s.new_id("kfslink");
        let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert!(
            line.contains(fstype) && line.contains(&format!("/{dir}")),
            "{line}"
        );
        assert!(!b.rootfs().join("ran").exists(), "it ran: {line}");
        let real = b.rootfs().join(format!("{dir}-real"));
        assert_eq!(
            std::fs::read_dir(&real).unwrap().count(),
            0,
            "{fstype} went through the link"
        );
    }
}

#[test]
fn masked_and_read_only_paths_through_symlinks_act_inside_the_container_as_runc() {
    // runc 1.1.5 masks and remounts where such a path leads, inside the container's root
    // (after the switch of root), never on the host.
    let s = Sixrun::under_test();
    let b = bundle(
        &["sh", "-c", "echo masked=$(cat /etc/secret); touch /data/x 2>/dev/null || echo data-read-only; touch /etc/y && echo etc-writable"],
        |c| {
            c["root"]["readonly"] = false.into();
            c["linux"]["maskedPaths"].as_array_mut().unwrap().push("/evilfile".into());
            c["linux"]["readonlyPaths"].as_array_mut().unwrap().push("/evilro".into());
        },
    );
    std::fs::write(b.rootfs().join("etc/secret"), "secret").unwrap();
    std::fs::create_dir(b.rootfs().join("data")).unwrap();
    symlink("/etc/secret", b.rootfs().join("evilfile")).unwrap();
    symlink("../data", b.rootfs().join("evilro")).unwrap();
    let id = s.new_id("masklink");
    let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert_eq!(words(&out), "masked= data-read-only etc-writable");
    assert_eq!(
        std::fs::read_to_string(b.rootfs().join("etc/secret")).unwrap(),
        "secret"
    );
    assert!(!b.rootfs().join("data/x").exists());
}
