//! Unit tests of the call sequences, through [`RecordingSyscall`]: which calls, in which
//! order, with which flags, for representative specs. No root needed.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use oci_spec::runtime::Spec;

use crate::*;

const ROOT: &str = "/b/rootfs";

fn spec(extra: serde_json::Value) -> Spec {
    let mut base = serde_json::json!({
        "ociVersion": "1.0.2",
        "root": {"path": "rootfs"},
        "mounts": [],
        "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}]}
    });
    for (k, v) in extra.as_object().unwrap() {
        if k == "linux" {
            for (lk, lv) in v.as_object().unwrap() {
                base["linux"][lk] = lv.clone();
            }
        } else {
            base[k] = v.clone();
        }
    }
    serde_json::from_value(base).unwrap()
}

fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: MsFlags,
    data: Option<&str>,
) -> Call {
    Call::Mount {
        source: source.map(PathBuf::from),
        target: PathBuf::from(target),
        fstype: fstype.map(str::to_owned),
        flags,
        data: data.map(str::to_owned),
    }
}

/// The mount calls of `prepare` after the propagation of / and the root bind.
fn spec_mounts(sys: &RecordingSyscall) -> Vec<Call> {
    sys.mounts().into_iter().skip(2).collect()
}

fn is_mount_at(call: &Call, at: &str) -> bool {
    matches!(call, Call::Mount { target, .. } if target == Path::new(at))
}

#[test]
fn prepare_starts_with_rprivate_and_the_root_bind() {
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new();
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let m = sys.mounts();
    assert_eq!(
        m[0],
        mount(None, "/", None, MsFlags::MS_PRIVATE | MsFlags::MS_REC, None)
    );
    assert_eq!(
        m[1],
        mount(
            Some(ROOT),
            ROOT,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
}

#[test]
fn bind_ro_is_a_bind_then_a_remount_then_propagation() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/data", "type": "bind", "source": "/host/data", "options": ["rbind", "ro", "nosuid", "rprivate"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/host/data", FileKind::Dir);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let t = "/b/rootfs/data";
    assert_eq!(
        spec_mounts(&sys)[..3],
        [
            mount(
                Some("/host/data"),
                t,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None
            ),
            mount(
                None,
                t,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID,
                None
            ),
            mount(None, t, None, MsFlags::MS_PRIVATE | MsFlags::MS_REC, None),
        ]
    );
    assert!(sys.calls().contains(&Call::Create {
        path: t.into(),
        create: Create::Dir
    }));
}

#[test]
fn a_locked_remount_is_retried_with_the_locked_flags() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/data", "type": "bind", "source": "/host/data", "options": ["bind", "ro"]}
    ]}));
    let t = "/b/rootfs/data";
    let sys = RecordingSyscall::new()
        .with_path("/host/data", FileKind::Dir)
        .with_mount_flags(t, MsFlags::MS_NODEV | MsFlags::MS_NOEXEC)
        .fail_once(
            |c| matches!(c, Call::Mount { flags, .. } if flags.contains(MsFlags::MS_REMOUNT)),
            Errno::EPERM,
        );
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let remount = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    assert_eq!(
        spec_mounts(&sys)[2],
        mount(
            None,
            t,
            None,
            remount | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            None
        )
    );
}

#[test]
fn a_file_bind_source_creates_a_file_target() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/etc/hosts", "type": "bind", "source": "/host/hosts", "options": ["bind"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/host/hosts", FileKind::File);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert!(sys.calls().contains(&Call::Create {
        path: "/b/rootfs/etc/hosts".into(),
        create: Create::File
    }));
    assert_eq!(
        spec_mounts(&sys)[0],
        mount(
            Some("/host/hosts"),
            "/b/rootfs/etc/hosts",
            None,
            MsFlags::MS_BIND,
            None
        )
    );
}

#[test]
fn tmpfs_proc_devpts_mqueue_pass_flags_and_data() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]}
    ]}));
    let sys = RecordingSyscall::new();
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let nsx = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC;
    assert_eq!(
        spec_mounts(&sys)[..4],
        [
            mount(
                Some("proc"),
                "/b/rootfs/proc",
                Some("proc"),
                MsFlags::empty(),
                None
            ),
            mount(
                Some("tmpfs"),
                "/b/rootfs/dev",
                Some("tmpfs"),
                MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
                Some("mode=755,size=65536k")
            ),
            mount(
                Some("devpts"),
                "/b/rootfs/dev/pts",
                Some("devpts"),
                nsx,
                Some("newinstance,ptmxmode=0666,mode=0620")
            ),
            mount(
                Some("mqueue"),
                "/b/rootfs/dev/mqueue",
                Some("mqueue"),
                nsx | MsFlags::MS_NODEV,
                None
            ),
        ]
    );
}

#[test]
fn sysfs_without_a_network_namespace_is_an_rbind_of_the_hosts_sys() {
    let s = spec(serde_json::json!({
        "mounts": [{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "ro"]}],
        "linux": {"namespaces": [{"type": "mount"}]}
    }));
    let sys = RecordingSyscall::new().with_path("/sys", FileKind::Dir);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let m = spec_mounts(&sys);
    assert_eq!(
        m[0],
        mount(
            Some("/sys"),
            "/b/rootfs/sys",
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
    let ro = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID;
    assert_eq!(m[1], mount(None, "/b/rootfs/sys", None, ro, None));
}

#[test]
fn cgroup_v1_is_a_tmpfs_with_ro_binds_and_comount_links() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "ro"]}
    ]}));
    let sys = RecordingSyscall::new()
        .with_path("/cg/memory/c1", FileKind::Dir)
        .with_path("/cg/cpu,cpuacct/c1", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.cgroup_mounts = vec![
        ("memory".into(), "/cg/memory/c1".into()),
        ("cpu,cpuacct".into(), "/cg/cpu,cpuacct/c1".into()),
    ];
    prepare(&plan, &sys).unwrap();
    let m = spec_mounts(&sys);
    let cg = "/b/rootfs/sys/fs/cgroup";
    let tmpfs_flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    let ro_remount =
        MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID;
    assert_eq!(
        m[0],
        mount(
            Some("tmpfs"),
            cg,
            Some("tmpfs"),
            tmpfs_flags,
            Some("mode=755")
        )
    );
    assert_eq!(
        m[1],
        mount(
            Some("/cg/memory/c1"),
            &format!("{cg}/memory"),
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
    assert_eq!(
        m[2],
        mount(None, &format!("{cg}/memory"), None, ro_remount, None)
    );
    assert_eq!(
        m[4],
        mount(None, &format!("{cg}/cpu,cpuacct"), None, ro_remount, None)
    );
    assert_eq!(m[5], mount(None, cg, None, ro_remount, None));
    let link = Call::Symlink {
        target: "cpu,cpuacct".into(),
        link: format!("{cg}/cpuacct").into(),
    };
    assert!(sys.calls().contains(&link));
}

#[test]
fn cgroup_v2_without_a_cgroup_namespace_binds_the_containers_dir() {
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["ro"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/cg2/c1", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.cgroup_mounts = vec![(String::new(), "/cg2/c1".into())];
    prepare(&plan, &sys).unwrap();
    let m = spec_mounts(&sys);
    assert_eq!(
        m[0],
        mount(
            Some("/cg2/c1"),
            "/b/rootfs/sys/fs/cgroup",
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );
}

#[test]
fn cgroup_v2_with_a_cgroup_namespace_mounts_cgroup2() {
    let s = spec(serde_json::json!({
        "mounts": [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid"]}],
        "linux": {"namespaces": [{"type": "mount"}, {"type": "cgroup"}]}
    }));
    let sys = RecordingSyscall::new().with_path("/cg2/c1", FileKind::Dir);
    let mut plan = RootfsPlan::new(&s, Path::new(ROOT));
    plan.cgroup_mounts = vec![(String::new(), "/cg2/c1".into())];
    prepare(&plan, &sys).unwrap();
    let want = mount(
        Some("cgroup2"),
        "/b/rootfs/sys/fs/cgroup",
        Some("cgroup2"),
        MsFlags::MS_NOSUID,
        None,
    );
    assert_eq!(spec_mounts(&sys)[0], want);
}

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
        serde_json::json!({"mounts": [{"destination": "/x", "type": "tmpfs", "options": ["rro"]}]}),
    );
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "mount /x (type tmpfs): option \"rro\" is not supported"
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
