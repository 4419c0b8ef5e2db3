//! Unit tests of the call sequences, through [`RecordingSyscall`]: which calls, in which
//! order, with which flags, for representative specs. No root needed.

use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MsFlags;
use oci_spec::runtime::Spec;

use crate::*;

mod proc_guard;
mod steps;

const ROOT: &str = "/b/rootfs";

pub(super) fn spec(extra: serde_json::Value) -> Spec {
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

pub(super) fn mount(
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

pub(super) fn is_mount_at(call: &Call, at: &str) -> bool {
    matches!(call, Call::Mount { target, .. } if target == Path::new(at))
}

#[test]
fn prepare_starts_with_rslave_as_runc_and_the_root_bind() {
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new();
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let m = sys.mounts();
    assert_eq!(
        m[0],
        mount(None, "/", None, MsFlags::MS_SLAVE | MsFlags::MS_REC, None)
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
fn mounts_over_proc_are_refused_except_the_lxcfs_files() {
    let refused = [
        serde_json::json!({"destination": "/proc/sys/../kcore", "type": "bind", "source": "/x"}),
        serde_json::json!({"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}),
    ];
    for m in refused {
        let s = spec(serde_json::json!({ "mounts": [m] }));
        let sys = RecordingSyscall::new().with_path("/x", FileKind::File);
        let e = prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap_err();
        assert!(e.to_string().contains(": refused: "), "{e}");
        assert_eq!(sys.mounts().len(), 2, "nothing mounted after the root bind");
    }
    let s = spec(serde_json::json!({"mounts": [
        {"destination": "/proc/meminfo", "type": "bind", "source": "/x", "options": ["bind"]}
    ]}));
    let sys = RecordingSyscall::new().with_path("/x", FileKind::File);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
}

#[test]
fn idmapped_mounts_are_a_clear_error() {
    let s = spec(
        serde_json::json!({"mounts": [{"destination": "/d", "type": "bind", "source": "/x",
        "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]}),
    );
    let e = prepare(
        &RootfsPlan::new(&s, Path::new(ROOT)),
        &RecordingSyscall::new(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("mount /d (type bind): option \"uidMappings"),
        "{e}"
    );
}

#[test]
fn without_a_mount_namespace_nothing_is_mounted() {
    let s = spec(serde_json::json!({"linux": {"namespaces": [{"type": "pid"}]}}));
    let sys = RecordingSyscall::new();
    let e = prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("linux.namespaces has no mount namespace"),
        "{e}"
    );
    assert!(sys.calls().is_empty());
}

#[test]
fn a_shared_parent_is_made_private_when_root_propagation_is_not_recursive() {
    let info =
        "1 0 0:1 / / rw shared:1 - ext4 /dev/vda rw\n2 1 0:2 / /b rw shared:2 - tmpfs t rw\n";
    let s = spec(serde_json::json!({"linux": {"rootfsPropagation": "private"}}));
    let sys = RecordingSyscall::new().with_mountinfo(info);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    let m = sys.mounts();
    assert_eq!(m[0], mount(None, "/", None, MsFlags::MS_PRIVATE, None));
    assert_eq!(m[1], mount(None, "/b", None, MsFlags::MS_PRIVATE, None));
    assert_eq!(
        m[2],
        mount(
            Some(ROOT),
            ROOT,
            None,
            MsFlags::MS_BIND | MsFlags::MS_REC,
            None
        )
    );

    // The default (rslave) already covers the parent: no mountinfo read, no extra call.
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new().with_mountinfo(info);
    prepare(&RootfsPlan::new(&s, Path::new(ROOT)), &sys).unwrap();
    assert_eq!(
        sys.mounts()[1],
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
fn a_relative_rootfs_is_refused_before_any_mount() {
    let s = spec(serde_json::json!({}));
    let sys = RecordingSyscall::new();
    let e = prepare(&RootfsPlan::new(&s, Path::new("rootfs")), &sys).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("the rootfs must be an absolute path: rootfs: EINVAL"),
        "{e}"
    );
    assert!(sys.calls().is_empty());
}

#[test]
fn a_mount_label_is_refused_only_where_selinux_is_enabled() {
    let s =
        spec(serde_json::json!({"linux": {"mountLabel": "system_u:object_r:container_file_t:s0"}}));
    let plan = RootfsPlan::new(&s, Path::new(ROOT));
    prepare(&plan, &RecordingSyscall::new()).unwrap();
    let selinux = RecordingSyscall::new().with_path("/sys/fs/selinux/enforce", FileKind::File);
    let e = prepare(&plan, &selinux).unwrap_err();
    assert_eq!(
        e.to_string(),
        "linux.mountLabel (SELinux labels) is not supported by this runtime"
    );
}
