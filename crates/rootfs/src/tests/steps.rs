//! Unit tests of devices, pivot, finalize and propagation through [`RecordingSyscall`].

use std::path::Path;

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};

use super::{is_mount_at, mount, spec, ROOT};
use crate::*;

#[test]
fn default_devices_links_and_console() {
    let s = spec(serde_json::json!({"linux": {"devices": [
        {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 0o600, "uid": 5, "gid": 6}
    ]}}));
    let sys = RecordingSyscall::new().with_path("/proc/kcore", FileKind::File);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.console_path = Some("/dev/pts/7".into());
    prepare(&plan, &sys).unwrap();
    let calls = sys.calls();
    let mknods: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::Mknod { .. }))
        .collect();
    assert_eq!(mknods.len(), 7, "{mknods:?}");
    let null = nix::sys::stat::makedev(1, 3);
    assert!(calls.contains(&Call::Mknod {
        path: "/b/rootfs/dev/null".into(),
        kind: nix::sys::stat::SFlag::S_IFCHR,
        mode: 0o666,
        dev: null
    }));
    assert!(calls.contains(&Call::Chmod {
        path: "/b/rootfs/dev/fuse".into(),
        mode: 0o600
    }));
    assert!(calls.contains(&Call::Lchown {
        path: "/b/rootfs/dev/fuse".into(),
        uid: 5,
        gid: 6
    }));
    for (target, link) in [
        ("pts/ptmx", "ptmx"),
        ("/proc/self/fd", "fd"),
        ("/proc/self/fd/2", "stderr"),
        ("/proc/kcore", "core"),
    ] {
        let want = Call::Symlink {
            target: target.into(),
            link: Path::new("/b/rootfs/dev").join(link),
        };
        assert!(calls.contains(&want), "{want:?} missing");
    }
    assert_eq!(
        *sys.mounts().last().unwrap(),
        mount(
            Some("/dev/pts/7"),
            "/b/rootfs/dev/console",
            None,
            MsFlags::MS_BIND,
            None
        )
    );
}

#[test]
fn devices_are_bind_mounted_in_a_user_namespace_or_when_mknod_is_refused() {
    let s =
        spec(serde_json::json!({"linux": {"namespaces": [{"type": "mount"}, {"type": "user"}]}}));
    let sys = RecordingSyscall::new();
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert!(!sys.calls().iter().any(|c| matches!(c, Call::Mknod { .. })));
    assert!(sys.mounts().contains(&mount(
        Some("/dev/null"),
        "/b/rootfs/dev/null",
        None,
        MsFlags::MS_BIND,
        None
    )));

    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new().fail_once(|c| matches!(c, Call::Mknod { .. }), Errno::EPERM);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert!(sys.mounts().contains(&mount(
        Some("/dev/null"),
        "/b/rootfs/dev/null",
        None,
        MsFlags::MS_BIND,
        None
    )));
}

#[test]
fn bad_devices_and_options_are_named_in_the_error() {
    let s = spec(serde_json::json!({"linux": {"devices": [{"path": "/dev/x", "type": "a"}]}}));
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string().starts_with("device /dev/x: type \"a\""),
        "{e}"
    );

    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/x", "type": "tmpfs", "options": ["idmap"]}]}),
    );
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "mount /x (type tmpfs): option \"idmap\" is not supported"
    );

    let s = spec(serde_json::json!({"linux": {"rootfsPropagation": "sideways"}}));
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("linux.rootfsPropagation \"sideways\""),
        "{e}"
    );
}

#[test]
fn a_failed_mount_names_destination_type_source_and_errno() {
    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}]}),
    );
    let sys = RecordingSyscall::new().fail_once(|c| is_mount_at(c, "/b/rootfs/proc"), Errno::EBUSY);
    let e = prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap_err();
    assert_eq!(
        e.to_string(),
        "mount /proc (type proc, source proc): mount: EBUSY: Device or resource busy"
    );

    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/d", "type": "bind", "source": "/missing"}]}),
    );
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "mount /d (type bind, source /missing): bind source: ENOENT: No such file or directory"
    );
}

#[test]
fn pivot_root_sequence() {
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new();
    pivot(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert_eq!(
        sys.calls(),
        [
            Call::Fchdir(ROOT.into()),
            Call::PivotRoot {
                new_root: ".".into(),
                put_old: ".".into()
            },
            Call::Fchdir("/".into()),
            mount(None, ".", None, MsFlags::MS_SLAVE | MsFlags::MS_REC, None),
            Call::Umount2 {
                target: ".".into(),
                flags: MntFlags::MNT_DETACH
            },
            Call::Chdir("/".into()),
        ]
    );
}

#[test]
fn no_pivot_hides_the_hosts_proc_and_sysfs_before_moving_the_root() {
    let s = spec(serde_json::json!({}));
    // The host's /proc and /sys (whole), a bind of part of a proc (skipped), the container's
    // own proc and sysfs inside the rootfs (skipped), a tmpfs (skipped), and a second sysfs
    // whose unmount is refused (covered instead).
    let sys = RecordingSyscall::new()
        .with_mountinfo(
            "22 1 0:21 / / rw - ext4 /dev/vda rw
23 22 0:5 / /proc rw,nosuid - proc proc rw
24 22 0:6 / /sys rw - sysfs sysfs rw
25 22 0:5 /sys /run/procsys rw - proc proc rw
26 22 0:7 / /b/rootfs/proc rw - proc proc rw
27 22 0:6 / /b/rootfs/sys rw - sysfs sysfs rw
28 22 0:8 / /tmp rw - tmpfs tmpfs rw
29 22 0:6 / /run/sys2 rw - sysfs sysfs rw
",
        )
        .fail_once(
            |c| matches!(c, Call::Umount2 { target, .. } if target == Path::new("/run/sys2")),
            Errno::EPERM,
        );
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.no_pivot = true;
    pivot(&plan, &sys).unwrap();
    let slave = MsFlags::MS_SLAVE | MsFlags::MS_REC;
    let detach = |at: &str| Call::Umount2 {
        target: at.into(),
        flags: MntFlags::MNT_DETACH,
    };
    assert_eq!(
        sys.calls(),
        [
            mount(None, "/proc", None, slave, None),
            detach("/proc"),
            mount(None, "/sys", None, slave, None),
            detach("/sys"),
            mount(None, "/run/sys2", None, slave, None),
            detach("/run/sys2"),
            mount(
                Some("tmpfs"),
                "/run/sys2",
                Some("tmpfs"),
                MsFlags::empty(),
                None
            ),
            Call::Chdir(ROOT.into()),
            mount(Some(ROOT), "/", None, MsFlags::MS_MOVE, None),
            Call::Chroot(".".into()),
            Call::Chdir("/".into()),
        ]
    );
}

#[test]
fn no_pivot_moves_the_root_and_chroots() {
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new();
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.no_pivot = true;
    pivot(&plan, &sys).unwrap();
    assert_eq!(
        sys.calls(),
        [
            Call::Chdir(ROOT.into()),
            mount(Some(ROOT), "/", None, MsFlags::MS_MOVE, None),
            Call::Chroot(".".into()),
            Call::Chdir("/".into()),
        ]
    );
}

#[test]
fn finalize_masks_files_and_dirs_makes_paths_and_root_read_only() {
    let s = spec(serde_json::json!({
        "root": {"path": "rootfs", "readonly": true},
        "linux": {"maskedPaths": ["/proc/kcore", "/sys/firmware", "/proc/missing"], "readonlyPaths": ["/proc/sys", "/proc/gone"]}
    }));
    let sys = RecordingSyscall::new()
        .with_path("/proc/kcore", FileKind::File)
        .with_path("/sys/firmware", FileKind::Dir)
        .with_path("/proc/sys", FileKind::Dir);
    finalize(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let ro = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    assert_eq!(
        sys.mounts(),
        [
            mount(
                Some("/proc/sys"),
                "/proc/sys",
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None
            ),
            mount(
                None,
                "/proc/sys",
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | ro,
                None
            ),
            mount(
                Some("/dev/null"),
                "/proc/kcore",
                None,
                MsFlags::MS_BIND,
                None
            ),
            mount(
                Some("tmpfs"),
                "/sys/firmware",
                Some("tmpfs"),
                MsFlags::MS_RDONLY,
                None
            ),
            mount(
                None,
                "/",
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY,
                None
            ),
        ]
    );
}

#[test]
fn shared_propagation_is_slave_until_finalize() {
    let s = spec(serde_json::json!({"linux": {"rootfsPropagation": "rshared"}}));
    let plan = RootfsPlan::new(&s, Path::new(ROOT));
    let sys = RecordingSyscall::new();
    prepare(&plan, &sys).unwrap();
    assert_eq!(
        sys.mounts()[0],
        mount(None, "/", None, MsFlags::MS_SLAVE | MsFlags::MS_REC, None)
    );
    let sys = RecordingSyscall::new();
    finalize(&plan, &sys).unwrap();
    assert_eq!(
        sys.mounts(),
        [mount(
            None,
            "/",
            None,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None
        )]
    );
}

#[test]
fn dev_bind_mounted_from_the_host_gets_no_nodes() {
    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/dev", "type": "bind", "source": "/dev", "options": ["rbind"]}]}),
    );
    let sys = RecordingSyscall::new().with_path("/dev", FileKind::Dir);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert!(!sys
        .calls()
        .iter()
        .any(|c| matches!(c, Call::Mknod { .. } | Call::Symlink { .. })));
}

#[test]
fn relative_bind_sources_are_relative_to_the_bundle() {
    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/d", "type": "bind", "source": "data", "options": ["bind"]}]}),
    );
    let sys = RecordingSyscall::new().with_path("/b/data", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.bundle = Some("/b".into());
    prepare(&plan, &sys).unwrap();
    assert_eq!(
        sys.mounts()[2],
        mount(Some("/b/data"), "/b/rootfs/d", None, MsFlags::MS_BIND, None)
    );

    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("a relative bind source needs the bundle directory"),
        "{e}"
    );
}

#[test]
fn bind_console_after_pivot_binds_the_pty_at_dev_console() {
    let sys = RecordingSyscall::new();
    bind_console(Path::new("/dev/pts/0"), &sys).unwrap();
    assert_eq!(
        sys.calls(),
        [
            Call::Create {
                path: "/dev/console".into(),
                create: Create::File
            },
            mount(
                Some("/dev/pts/0"),
                "/dev/console",
                None,
                MsFlags::MS_BIND,
                None
            ),
        ]
    );
}

#[test]
fn tmpcopyup_mounts_rw_copies_then_remounts_read_only() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro", "mode=755"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/run", FileKind::Dir);
    let plan = RootfsPlan::new(&s, Path::new(ROOT));
    prepare(&plan, &sys).unwrap();
    let run = "/b/rootfs/run";
    let calls = sys.calls();
    let at = calls
        .iter()
        .position(|c| {
            *c == mount(
                Some("tmpfs"),
                run,
                Some("tmpfs"),
                MsFlags::empty(),
                Some("mode=755"),
            )
        })
        .unwrap();
    assert_eq!(
        calls[at + 1],
        Call::CopyUp {
            from: run.into(),
            to: run.into()
        }
    );
    // Read-only only once the root is switched (runc's finalizeRootfs).
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert!(!calls.contains(&mount(None, run, None, ro, None)));
    let before = calls.len();
    finalize(&plan, &sys).unwrap();
    assert_eq!(sys.calls()[before], mount(None, "/run", None, ro, None));

    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/p", "type": "proc", "options": ["tmpcopyup"]}]}),
    );
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("tmpcopyup (only for tmpfs)"), "{e}");
}

#[test]
fn bind_with_remount_only_changes_the_flags_of_the_existing_mount() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/d", "type": "bind", "source": "/host/d", "options": ["bind"]},
        {"destination": "/d", "type": "bind", "source": "/host/d", "options": ["bind", "remount", "ro"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/host/d", FileKind::Dir);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert_eq!(
        sys.mounts()[2..4],
        [
            mount(Some("/host/d"), "/b/rootfs/d", None, MsFlags::MS_BIND, None),
            mount(None, "/b/rootfs/d", None, ro, None),
        ]
    );
}

#[test]
fn hybrid_cgroups_put_the_unified_hierarchy_beside_the_v1_ones() {
    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}]}),
    );
    let sys = RecordingSyscall::new()
        .with_path("/cg/memory/c", FileKind::Dir)
        .with_path("/cg/unified/c", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.cgroup_mounts = vec![
        ("memory".into(), "/cg/memory/c".into()),
        ("".into(), "/cg/unified/c".into()),
    ];
    prepare(&plan, &sys).unwrap();
    let bind = MsFlags::MS_BIND | MsFlags::MS_REC;
    assert!(sys.mounts().contains(&mount(
        Some("/cg/unified/c"),
        "/b/rootfs/sys/fs/cgroup/unified",
        None,
        bind,
        None
    )));
}

#[test]
fn a_read_only_dev_is_filled_first_and_made_read_only_after_the_switch() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "ro", "mode=755"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["newinstance"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/dev", FileKind::Dir);
    let plan = RootfsPlan::new(&s, Path::new(ROOT));
    prepare(&plan, &sys).unwrap();
    let mounts = sys.mounts();
    let dev = mount(
        Some("tmpfs"),
        "/b/rootfs/dev",
        Some("tmpfs"),
        MsFlags::MS_NOSUID,
        Some("mode=755"),
    );
    let dev_at = mounts
        .iter()
        .position(|c| *c == dev)
        .expect("/dev mounted writable");
    assert!(
        mounts[dev_at..]
            .iter()
            .any(|c| is_mount_at(c, "/b/rootfs/dev/pts")),
        "/dev/pts mounted after /dev: {mounts:?}"
    );
    assert!(sys.calls().contains(&Call::Mknod {
        path: "/b/rootfs/dev/null".into(),
        kind: nix::sys::stat::SFlag::S_IFCHR,
        mode: 0o666,
        dev: nix::sys::stat::makedev(1, 3)
    }));
    let before = sys.calls().len();
    finalize(&plan, &sys).unwrap();
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID;
    assert_eq!(sys.calls()[before], mount(None, "/dev", None, ro, None));
}

#[test]
fn rro_makes_the_whole_bound_tree_read_only_right_after_the_bind() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/d", "type": "bind", "source": "/host/d", "options": ["rbind", "ro", "rro"]},
        {"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["rro"]}
    ]}));
    let sys = RecordingSyscall::new()
        .with_path("/host/d", FileKind::Dir)
        .with_path("/t", FileKind::Dir);
    let plan = RootfsPlan::new(&s, Path::new(ROOT));
    prepare(&plan, &sys).unwrap();
    let calls = sys.calls();
    let bind = mount(
        Some("/host/d"),
        "/b/rootfs/d",
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    );
    let at = calls.iter().position(|c| *c == bind).unwrap();
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert_eq!(calls[at + 1], mount(None, "/b/rootfs/d", None, ro, None));
    let rro = |at: &str| Call::MountSetattr {
        target: at.into(),
        set: MountAttrs::RDONLY,
        clear: 0,
    };
    assert_eq!(calls[at + 2], rro("/b/rootfs/d"));
    // The tmpfs waits for finalize, like its `ro`.
    assert!(!calls.contains(&rro("/b/rootfs/t")));
    finalize(&plan, &sys).unwrap();
    assert!(sys.calls().contains(&rro("/t")));
}

#[test]
fn a_bind_source_opened_by_the_caller_is_attached_with_move_mount() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/a", "type": "bind", "source": "/host/a", "options": ["rbind", "ro"]},
        {"destination": "/b", "type": "bind", "source": "/host/b"}
    ]}));
    let sys = RecordingSyscall::new()
        .with_path("/proc/self/fd/41", FileKind::Dir)
        .with_path("/host/b", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.bind_sources = vec![(0, "/proc/self/fd/41".into())];
    prepare(&plan, &sys).unwrap();
    let calls = sys.calls();
    let moved = Call::MoveMount {
        from: "/proc/self/fd/41".into(),
        to: "/b/rootfs/a".into(),
    };
    let at = calls
        .iter()
        .position(|c| *c == moved)
        .expect("move_mount of the opened tree");
    // Its options still apply; a source not opened is bound as before.
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert_eq!(calls[at + 1], mount(None, "/b/rootfs/a", None, ro, None));
    assert!(!calls.iter().any(|c| is_mount_at(c, "/b/rootfs/a")
        && matches!(
            c,
            Call::Mount {
                source: Some(_),
                ..
            }
        )));
    assert!(calls.contains(&mount(
        Some("/host/b"),
        "/b/rootfs/b",
        None,
        MsFlags::MS_BIND,
        None
    )));
}
