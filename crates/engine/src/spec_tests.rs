//! Unit tests of the spec builder: no root, no kernel.

use super::*;
use crate::caps::{capabilities_within, ALL_CAPS};
use crate::types::{EnvVar, MemorySize};
use oci_spec::runtime::Capability;

fn image() -> ImageDefaults {
    ImageDefaults {
        env: vec!["PATH=/bin".into(), "A=image".into()],
        cmd: vec!["sh".into()],
        ..Default::default()
    }
}

fn etc() -> EtcFiles {
    EtcFiles {
        hostname: "/r/hostname".into(),
        hosts: "/r/hosts".into(),
        resolv_conf: "/r/resolv.conf".into(),
    }
}

fn build_for(req: &RunRequest, rootfs: &Path) -> Result<BuiltSpec> {
    let id = "0123456789abcdef".repeat(4);
    let image = image();
    let etc = etc();
    build(&SpecInput {
        id: &id,
        request: req,
        image: &image,
        rootfs,
        etc: &etc,
        mounts: &[],
        seccomp: None,
        hostname: None,
        init: None,
        devices: &(Vec::new(), Vec::new()),
        shm: None,
    })
}

#[test]
fn the_path_of_minus_m_100m() {
    let req = RunRequest {
        memory: Some("100m".parse().unwrap()),
        ..Default::default()
    };
    let b = build_for(&req, Path::new("/nonexistent")).unwrap();
    let mem = b
        .spec
        .linux()
        .as_ref()
        .unwrap()
        .resources()
        .as_ref()
        .unwrap()
        .memory()
        .unwrap();
    assert_eq!(mem.limit(), Some(100 << 20));
    assert_eq!(
        mem.swap(),
        Some(200 << 20),
        "Docker's default swap is memory x 2"
    );
}

#[test]
fn cpu_settings_land_in_linux_resources() {
    let req = RunRequest {
        cpu_shares: Some(512),
        cpus: Some("1.5".parse().unwrap()),
        cpuset_cpus: Some("0,1".parse().unwrap()),
        pids_limit: Some(50),
        ..Default::default()
    };
    let r = resources(&req).unwrap();
    let cpu = r.cpu().as_ref().unwrap();
    assert_eq!(cpu.shares(), Some(512));
    assert_eq!(cpu.quota(), Some(150_000));
    assert_eq!(cpu.period(), Some(100_000));
    assert_eq!(cpu.cpus().as_deref(), Some("0-1"));
    assert_eq!(r.pids().as_ref().unwrap().limit(), 50);
}

#[test]
fn bad_resources_are_refused() {
    let tiny = RunRequest {
        memory: Some(MemorySize::from_bytes(1024)),
        ..Default::default()
    };
    assert!(resources(&tiny)
        .unwrap_err()
        .to_string()
        .contains("minimum"));
    let swap_only = RunRequest {
        memory_swap: Some("1g".parse().unwrap()),
        ..Default::default()
    };
    assert!(resources(&swap_only).is_err());
    let small_swap = RunRequest {
        memory: Some("100m".parse().unwrap()),
        memory_swap: Some("50m".parse().unwrap()),
        ..Default::default()
    };
    assert!(resources(&small_swap).is_err());
    let shares = RunRequest {
        cpu_shares: Some(1),
        ..Default::default()
    };
    assert!(resources(&shares).is_err());
}

#[test]
fn command_merging_follows_docker() {
    let img = ImageDefaults {
        entrypoint: vec!["/ep".into()],
        cmd: vec!["c1".into()],
        ..Default::default()
    };
    let plain = RunRequest::default();
    assert_eq!(
        merge_command(&plain, &img),
        (vec!["/ep".to_string()], vec!["c1".to_string()])
    );
    let with_cmd = RunRequest {
        cmd: vec!["x".into()],
        ..Default::default()
    };
    assert_eq!(merge_command(&with_cmd, &img).1, vec!["x".to_string()]);
    let with_ep = RunRequest {
        entrypoint: Some(vec!["/other".into()]),
        ..Default::default()
    };
    assert_eq!(
        merge_command(&with_ep, &img),
        (vec!["/other".to_string()], vec![])
    );
    let cleared = RunRequest {
        entrypoint: Some(vec![]),
        cmd: vec!["ls".into()],
        ..Default::default()
    };
    assert_eq!(
        merge_command(&cleared, &img),
        (vec![], vec!["ls".to_string()])
    );
}

#[test]
fn env_merges_image_then_request() {
    let req = RunRequest {
        env: vec![
            "A=req".parse::<EnvVar>().unwrap(),
            "KEY1=value1".parse().unwrap(),
        ],
        tty: true,
        ..Default::default()
    };
    let b = build_for(&req, Path::new("/nonexistent")).unwrap();
    assert!(b.env.contains(&"A=req".to_string()), "{:?}", b.env);
    assert!(b.env.contains(&"KEY1=value1".to_string()));
    assert!(b.env.contains(&"PATH=/bin".to_string()));
    assert!(b.env.contains(&"TERM=xterm".to_string()));
    assert!(b.env.contains(&"HOSTNAME=0123456789ab".to_string()));
    assert_eq!(b.env.iter().filter(|e| e.starts_with("A=")).count(), 1);
    assert_eq!(b.hostname, "0123456789ab");
    assert_eq!(b.spec.hostname().as_deref(), Some("0123456789ab"));
}

#[test]
fn docker_defaults_are_in_the_spec() {
    let b = build_for(&RunRequest::default(), Path::new("/nonexistent")).unwrap();
    let linux = b.spec.linux().as_ref().unwrap();
    let ns: Vec<_> = linux
        .namespaces()
        .as_ref()
        .unwrap()
        .iter()
        .map(|n| n.typ())
        .collect();
    for t in [
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Network,
    ] {
        assert!(ns.contains(&t), "{t:?}");
    }
    assert!(linux
        .masked_paths()
        .as_ref()
        .unwrap()
        .contains(&"/proc/kcore".to_string()));
    assert!(linux
        .readonly_paths()
        .as_ref()
        .unwrap()
        .contains(&"/proc/sys".to_string()));
    let sets = b
        .spec
        .process()
        .as_ref()
        .unwrap()
        .capabilities()
        .clone()
        .unwrap();
    assert_eq!(sets.bounding().as_ref().unwrap().len(), 14);
    assert_eq!(sets.inheritable().as_ref().map(|s| s.len()), Some(0));
    assert_eq!(sets.ambient().as_ref().map(|s| s.len()), Some(0));
    let dests: Vec<String> = b
        .spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| m.destination().display().to_string())
        .collect();
    for d in [
        "/proc",
        "/dev",
        "/dev/pts",
        "/dev/shm",
        "/dev/mqueue",
        "/sys",
        "/sys/fs/cgroup",
        "/etc/hostname",
        "/etc/hosts",
        "/etc/resolv.conf",
    ] {
        assert!(dests.contains(&d.to_string()), "{d} in {dests:?}");
    }
    let sys = b
        .spec
        .mounts()
        .as_ref()
        .unwrap()
        .iter()
        .find(|m| m.destination() == Path::new("/sys"))
        .unwrap();
    assert!(sys.options().as_ref().unwrap().contains(&"ro".to_string()));
    assert_eq!(b.args, vec!["sh".to_string()]);
    assert_eq!(b.spec.root().as_ref().unwrap().readonly(), Some(false));
}

#[test]
fn host_network_has_no_network_namespace_and_read_only_works() {
    let req = RunRequest {
        network: NetworkMode::Host,
        read_only: true,
        ..Default::default()
    };
    let b = build_for(&req, Path::new("/nonexistent")).unwrap();
    let ns = b
        .spec
        .linux()
        .as_ref()
        .unwrap()
        .namespaces()
        .clone()
        .unwrap();
    assert!(!ns.iter().any(|n| n.typ() == LinuxNamespaceType::Network));
    assert_eq!(b.spec.root().as_ref().unwrap().readonly(), Some(true));
}

#[test]
fn volumes_are_rbind_mounts_parents_first() {
    let point = |kind, source: &str, destination: &str, read_only, propagation: &str| MountPoint {
        kind,
        source: source.into(),
        destination: destination.into(),
        read_only,
        propagation: propagation.into(),
        non_recursive: propagation == "rslave",
        tmpfs_options: vec!["noexec".into(), "size=1m".into()],
        ..MountPoint::default()
    };
    let points = [
        point(
            MountKind::Bind,
            "/host/path",
            "/container/path/sub",
            true,
            "rslave",
        ),
        point(
            MountKind::Volume,
            "/v/x/_data",
            "/container/path",
            false,
            "",
        ),
        point(MountKind::Tmpfs, "", "/t", false, ""),
    ];
    let m = mounts(&RunRequest::default(), &etc(), &points, None).unwrap();
    let user: Vec<_> = m[m.len() - 3..]
        .iter()
        .map(|m| {
            let o = m.options().clone().unwrap();
            (
                m.destination().to_str().unwrap(),
                m.typ().clone().unwrap(),
                o.join(","),
            )
        })
        .collect();
    assert_eq!(
        user,
        [
            ("/t", "tmpfs".to_owned(), "noexec,size=1m".to_owned()),
            (
                "/container/path",
                "bind".to_owned(),
                "rbind,rprivate,rw".to_owned()
            ),
            (
                "/container/path/sub",
                "bind".to_owned(),
                "bind,rslave,ro".to_owned()
            ),
        ]
    );
    assert_eq!(
        crate::mount_points::root_propagation(&points),
        Some("rslave")
    );
    assert_eq!(crate::mount_points::root_propagation(&points[1..]), None);
}

#[test]
fn capabilities_add_drop_all() {
    assert_eq!(capabilities(&[], &[]).unwrap().len(), 14);
    let c = capabilities(&["NET_ADMIN".into()], &["cap_chown".into()]).unwrap();
    assert!(c.contains(&Capability::NetAdmin));
    assert!(!c.contains(&Capability::Chown));
    assert_eq!(capabilities(&[], &["ALL".into()]).unwrap().len(), 0);
    assert_eq!(
        capabilities_within(&["ALL".into()], &[], u64::MAX)
            .unwrap()
            .len(),
        ALL_CAPS.len()
    );
    let without_sys_resource = capabilities_within(&["ALL".into()], &[], !(1 << 24)).unwrap();
    assert_eq!(without_sys_resource.len(), ALL_CAPS.len() - 1);
    assert!(!without_sys_resource.contains(&Capability::SysResource));
    assert_eq!(ALL_CAPS[12], "CAP_NET_ADMIN");
    assert_eq!(ALL_CAPS[40], "CAP_CHECKPOINT_RESTORE");
    assert!(capabilities(&["FLY".into()], &[])
        .unwrap_err()
        .to_string()
        .contains("FLY"));
}

#[test]
fn users_resolve_from_the_image_as_docker_resolves_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("etc")).unwrap();
    std::fs::write(
        dir.path().join("etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nnginx:x:101:102::/:/bin/false\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("etc/group"),
        "root:x:0:\nnginx:x:102:\nwww:x:33:nginx\naudio:x:29:nginx,root\n",
    )
    .unwrap();
    use crate::user::resolve_user;
    let r = |u: &str| resolve_user(u, dir.path());
    let ids = |uid, gid, additional_gids: &[u32]| UserIds {
        uid,
        gid,
        additional_gids: additional_gids.to_vec(),
    };
    // root (no -u, or named): its primary group, then the groups listing "root"
    assert_eq!(r("").unwrap(), ids(0, 0, &[0, 29]));
    assert_eq!(r("root").unwrap(), ids(0, 0, &[0, 29]));
    // a uid without an entry: gid 0, no supplementary groups
    assert_eq!(r("1000").unwrap(), ids(1000, 0, &[0]));
    assert_eq!(r("1000:1000").unwrap(), ids(1000, 1000, &[1000]));
    // by name or by uid: the same entry and its memberships
    assert_eq!(r("nginx").unwrap(), ids(101, 102, &[102, 33, 29]));
    assert_eq!(r("101").unwrap(), ids(101, 102, &[102, 33, 29]));
    // an explicit group (name or gid) replaces the primary one and adds no others
    assert_eq!(r("nginx:www").unwrap(), ids(101, 33, &[33]));
    assert_eq!(r("nginx:29").unwrap(), ids(101, 29, &[29]));
    assert_eq!(r("0:4321").unwrap(), ids(0, 4321, &[4321]));
    assert!(r("nobody").unwrap_err().to_string().contains("nobody"));
    assert!(r("0:nogroup")
        .unwrap_err()
        .to_string()
        .contains("unable to find group nogroup"));
    // an image without the files: numbers only
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(resolve_user("", empty.path()).unwrap(), ids(0, 0, &[0]));
    assert!(resolve_user("web", empty.path()).is_err());
    // --group-add: names from the image, gids as they are, after the user's own
    let with = |u: &str, g: &[&str]| {
        let g: Vec<String> = g.iter().map(|s| s.to_string()).collect();
        crate::user::resolve_user_with_groups(u, dir.path(), &g)
    };
    assert_eq!(
        with("nginx", &["www", "4242", "audio"])
            .unwrap()
            .additional_gids,
        [102, 33, 29, 4242]
    );
    assert!(with("", &["nosuch"])
        .unwrap_err()
        .to_string()
        .contains("unable to find group nosuch"));
}

#[test]
fn relative_workdir_is_refused() {
    let req = RunRequest {
        workdir: Some("tmp".into()),
        ..Default::default()
    };
    assert!(build_for(&req, Path::new("/x"))
        .unwrap_err()
        .to_string()
        .contains("absolute"));
}

#[test]
fn hostname_defaults() {
    let id = "0123456789abcdef".repeat(4);
    assert_eq!(
        default_hostname(&RunRequest::default(), &id),
        "0123456789ab"
    );
    let named = RunRequest {
        hostname: Some("web".into()),
        network: NetworkMode::Host,
        ..Default::default()
    };
    assert_eq!(default_hostname(&named, &id), "web");
    let host = RunRequest {
        network: NetworkMode::Host,
        ..Default::default()
    };
    let expected = nix::unistd::gethostname()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(default_hostname(&host, &id), expected);
}
