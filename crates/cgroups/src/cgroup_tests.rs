//! Unit tests of `Cgroup` against fake cgroupfs trees of plain files: which directories,
//! which files, which values. No root needed.

use super::*;
use oci_spec::runtime::LinuxResources;
use std::path::Path;

fn resources(json: &str) -> LinuxResources {
    serde_json::from_str(json).unwrap()
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fake v1 tree with cpuset values at the root, as the kernel has them.
fn fake_v1() -> (tempfile::TempDir, Hierarchy) {
    let t = tempfile::tempdir().unwrap();
    for d in [
        "memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "systemd",
    ] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    fs::write(t.path().join("cpuset/cpuset.cpus"), "0-3\n").unwrap();
    fs::write(t.path().join("cpuset/cpuset.mems"), "0\n").unwrap();
    let h = Hierarchy::at(t.path(), Version::V1)
        .unwrap()
        .with_own_cgroups("9:name=systemd:/\n4:memory:/process_api/abc\n3:cpuset:/\n1:cpu:/\n");
    (t, h)
}

fn fake_v2() -> (tempfile::TempDir, Hierarchy) {
    let t = tempfile::tempdir().unwrap();
    fs::write(
        t.path().join("cgroup.controllers"),
        "cpuset cpu io memory hugetlb pids\n",
    )
    .unwrap();
    fs::write(t.path().join("cgroup.subtree_control"), "").unwrap();
    let h = Hierarchy::at(t.path(), Version::V2).unwrap();
    (t, h)
}

#[test]
fn v1_absolute_paths_start_at_each_hierarchy_root_as_runc_does() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(&h, Some("/kubepods/pod1/c1"), &Nesting::Spec, "c1").unwrap();
    for controller in ["memory", "cpu", "pids", "name=systemd"] {
        let dir = controller.trim_start_matches("name=");
        assert_eq!(
            cg.v1_dir(controller).unwrap(),
            t.path().join(dir).join("kubepods/pod1/c1"),
            "{controller}"
        );
    }
    assert!(cg.unified_dir().is_none());
    // Relative paths and the default leaf: below the caller's own cgroup.
    let rel = Cgroup::new(&h, Some("mine/c1"), &Nesting::Spec, "c1").unwrap();
    assert_eq!(
        rel.v1_dir("memory").unwrap(),
        t.path().join("memory/process_api/abc/mine/c1")
    );
    assert_eq!(rel.v1_dir("cpu").unwrap(), t.path().join("cpu/mine/c1"));
    let default = Cgroup::new(&h, None, &Nesting::Spec, "web").unwrap();
    assert_eq!(
        default.v1_dir("memory").unwrap(),
        t.path().join("memory/process_api/abc/web")
    );
}

#[test]
fn v1_explicit_nesting_keeps_absolute_paths_below_the_parent() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(
        &h,
        Some("/libpod_parent/libpod-x"),
        &Nesting::below_own(),
        "x",
    )
    .unwrap();
    assert_eq!(
        cg.v1_dir("memory").unwrap(),
        t.path()
            .join("memory/process_api/abc/libpod_parent/libpod-x")
    );
    assert_eq!(
        cg.v1_dir("cpu").unwrap(),
        t.path().join("cpu/libpod_parent/libpod-x")
    );
    let default = Cgroup::new(&h, None, &Nesting::below_own(), "web").unwrap();
    assert_eq!(default.v1_dir("pids").unwrap(), t.path().join("pids/web"));
    let parented = Cgroup::new(
        &h,
        Some("/default/c1"),
        &Nesting::Below("/mine".into()),
        "c1",
    )
    .unwrap();
    assert_eq!(
        parented.v1_dir("memory").unwrap(),
        t.path().join("memory/mine/default/c1")
    );
    let relative_parent = Cgroup::new(
        &h,
        Some("/default/c1"),
        &Nesting::Below("tests".into()),
        "c1",
    )
    .unwrap();
    assert_eq!(
        relative_parent.v1_dir("memory").unwrap(),
        t.path().join("memory/process_api/abc/tests/default/c1")
    );
}

#[test]
fn v2_absolute_from_the_root_relative_beside_own_as_runc_does() {
    let (t, h) = fake_v2();
    let h = h.with_own_cgroups("0::/user.slice/session-1.scope\n");
    let cg = Cgroup::new(&h, Some("/kubepods/pod1/c1"), &Nesting::Spec, "c1").unwrap();
    assert_eq!(cg.unified_dir().unwrap(), t.path().join("kubepods/pod1/c1"));
    let rel = Cgroup::new(&h, Some("mine/c1"), &Nesting::Spec, "c1").unwrap();
    assert_eq!(
        rel.unified_dir().unwrap(),
        t.path().join("user.slice/mine/c1")
    );
    let own = Cgroup::new(&h, Some("/kubepods/c1"), &Nesting::below_own(), "c1").unwrap();
    assert_eq!(
        own.unified_dir().unwrap(),
        t.path().join("user.slice/session-1.scope/kubepods/c1")
    );
    // The absolute path is created exactly there, controllers enabled on the way down.
    cg.create().unwrap();
    assert!(t.path().join("kubepods/pod1/c1").is_dir());
    assert!(read(&t.path().join("kubepods/pod1/cgroup.subtree_control")).contains("+memory"));
    cg.destroy().unwrap();
}

#[test]
fn hybrid_unified_follows_the_v1_rule() {
    let t = tempfile::tempdir().unwrap();
    for d in ["memory", "cpu", "unified"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::Hybrid)
        .unwrap()
        .with_own_cgroups("4:memory:/a/b\n1:cpu:/\n0::/a\n");
    let rel = Cgroup::new(&h, Some("c1"), &Nesting::Spec, "c1").unwrap();
    assert_eq!(rel.unified_dir().unwrap(), t.path().join("unified/a/c1"));
    assert_eq!(
        rel.v1_dir("memory").unwrap(),
        t.path().join("memory/a/b/c1")
    );
    let abs = Cgroup::new(&h, Some("/a/b/c1"), &Nesting::Spec, "c1").unwrap();
    assert_eq!(abs.unified_dir().unwrap(), t.path().join("unified/a/b/c1"));
    assert_eq!(abs.v1_dir("cpu").unwrap(), t.path().join("cpu/a/b/c1"));
}

#[test]
fn bad_cgroups_paths_are_one_line_errors() {
    let (_t, h) = fake_v1();
    for (p, needle) in [
        ("/a/../b", "\"..\""),
        ("system.slice:docker:x", "systemd"),
        ("/", "names no directory"),
    ] {
        let e = Cgroup::new(&h, Some(p), &Nesting::below_own(), "x")
            .unwrap_err()
            .to_string();
        assert!(e.contains(needle) && e.contains(p), "{p}: {e}");
    }
}

#[test]
fn v1_create_fills_cpuset_and_set_writes_limits() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(&h, Some("/a/b"), &Nesting::below_own(), "b").unwrap();
    cg.create().unwrap();
    let cpuset = t.path().join("cpuset");
    assert_eq!(read(&cpuset.join("a/cpuset.cpus")), "0-3");
    assert_eq!(read(&cpuset.join("a/b/cpuset.mems")), "0");
    cg.set(&resources(
        r#"{"memory": {"limit": 104857600, "reservation": 52428800, "swap": 209715200},
            "cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "1", "mems": "0"},
            "pids": {"limit": 42},
            "devices": [{"allow": false, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
                        {"allow": true, "type": "c", "major": 136, "access": "rw"}]}"#,
    ))
    .unwrap();
    let mem = t.path().join("memory/process_api/abc/a/b");
    assert_eq!(read(&mem.join("memory.limit_in_bytes")), "104857600");
    assert_eq!(read(&mem.join("memory.memsw.limit_in_bytes")), "209715200");
    assert_eq!(read(&mem.join("memory.soft_limit_in_bytes")), "52428800");
    let cpu = t.path().join("cpu/a/b");
    assert_eq!(read(&cpu.join("cpu.shares")), "512");
    assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "50000");
    assert_eq!(read(&cpu.join("cpu.cfs_period_us")), "100000");
    assert_eq!(read(&cpuset.join("a/b/cpuset.cpus")), "1");
    assert_eq!(read(&t.path().join("pids/a/b/pids.max")), "42");
    // Plain files keep only the last write; the device order is checked below.
    assert_eq!(
        read(&t.path().join("devices/a/b/devices.deny")),
        "a *:* rwm"
    );
    assert_eq!(
        read(&t.path().join("devices/a/b/devices.allow")),
        "c 136:* rw"
    );
    cg.destroy().unwrap();
    assert!(!mem.exists() && !cpu.exists());
    assert!(t.path().join("cpu/a").exists(), "only the leaf is removed");
}

#[test]
fn v1_device_rules_write_only_the_difference_from_devices_list() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(&h, Some("/d"), &Nesting::below_own(), "d").unwrap();
    cg.create().unwrap();
    let dir = t.path().join("devices/d");
    fs::write(dir.join("devices.list"), "c 1:3 rwm\nc 1:5 rwm\n").unwrap();
    let set = |json: &str| cg.set(&resources(&format!(r#"{{"devices": {json}}}"#)));
    // What the cgroup already allows: not one write.
    set(r#"[{"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "mrw"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]"#)
    .unwrap();
    assert!(!dir.join("devices.deny").exists() && !dir.join("devices.allow").exists());
    // One device less: one deny, and never the deny-all that would cut /dev/null off too.
    set(r#"[{"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]"#)
    .unwrap();
    assert_eq!(read(&dir.join("devices.deny")), "c 1:5 rwm");
    assert!(!dir.join("devices.allow").exists());
    cg.destroy().unwrap();
}

#[test]
fn v1_unsupported_resources_are_errors_not_skips() {
    let (_t, h) = fake_v1();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "u").unwrap();
    cg.create().unwrap();
    let e = cg
        .set(&resources(r#"{"unified": {"memory.high": "1000"}}"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("linux.resources.unified"), "{e}");
    let e = cg
        .set(&resources(r#"{"blockIO": {"weight": 100}}"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("blkio"), "{e}");
    let e = cg
        .set(&resources(r#"{"memory": {"limit": -5}}"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("-5") && e.contains("memory.limit"), "{e}");
    cg.destroy().unwrap();
}

#[test]
fn v2_converts_and_enables_controllers() {
    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, Some("/default/c1"), &Nesting::below_own(), "c1").unwrap();
    assert_eq!(cg.unified_dir().unwrap(), t.path().join("default/c1"));
    cg.create().unwrap();
    let root_ctl = read(&t.path().join("cgroup.subtree_control"));
    assert_eq!(root_ctl, "+cpuset +cpu +io +memory +hugetlb +pids");
    assert_eq!(
        read(&t.path().join("default/cgroup.subtree_control")),
        root_ctl
    );
    assert!(
        !t.path().join("default/c1/cgroup.subtree_control").exists(),
        "the leaf enables nothing"
    );
    cg.set(&resources(
        r#"{"memory": {"limit": 100000000, "reservation": 5000000, "swap": 300000000},
            "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1", "mems": "0"},
            "pids": {"limit": -1}}"#,
    ))
    .unwrap();
    let d = t.path().join("default/c1");
    assert_eq!(read(&d.join("memory.max")), "100000000");
    assert_eq!(read(&d.join("memory.low")), "5000000");
    assert_eq!(read(&d.join("memory.swap.max")), "200000000");
    assert_eq!(read(&d.join("cpu.weight")), "39");
    assert_eq!(read(&d.join("cpu.max")), "50000 100000");
    assert_eq!(read(&d.join("cpuset.cpus")), "0-1");
    assert_eq!(read(&d.join("pids.max")), "max");
    cg.set(&resources(
        r#"{"memory": {"limit": -1}, "cpu": {"quota": -1, "period": 250000}}"#,
    ))
    .unwrap();
    assert_eq!(read(&d.join("memory.max")), "max");
    assert_eq!(read(&d.join("memory.swap.max")), "max");
    assert_eq!(read(&d.join("cpu.max")), "max 250000");
    assert_eq!(cg.mounts_for_container(), vec![(String::new(), d.clone())]);
    cg.destroy().unwrap();
    assert!(!d.exists());
}

#[test]
fn v2_rejects_what_it_cannot_express() {
    let (_t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "r").unwrap();
    cg.create().unwrap();
    for (json, needle) in [
        (r#"{"memory": {"swap": 100}}"#, "memory.limit"),
        (
            r#"{"memory": {"limit": 200, "swap": 100}}"#,
            "at least memory.limit",
        ),
        (r#"{"cpu": {"realtimeRuntime": 1000}}"#, "realtime"),
        (r#"{"memory": {"swappiness": 10}}"#, "swappiness"),
        (r#"{"unified": {"../x": "1"}}"#, "../x"),
        (
            r#"{"devices": [{"allow": false, "access": "rwm"}]}"#,
            "fake cgroup tree",
        ),
    ] {
        let e = cg.set(&resources(json)).unwrap_err().to_string();
        assert!(e.contains(needle), "{json}: {e}");
    }
    cg.destroy().unwrap();
}

#[test]
fn v2_blkio_weight_goes_to_bfq_when_offered_else_io_weight() {
    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, Some("/w"), &Nesting::Spec, "w").unwrap();
    cg.create().unwrap();
    let d = t.path().join("w");
    cg.set(&resources(r#"{"blockIO": {"weight": 500}}"#))
        .unwrap();
    assert_eq!(read(&d.join("io.weight")), "default 4950");
    fs::write(d.join("io.bfq.weight"), "default 100\n").unwrap();
    cg.set(&resources(r#"{"blockIO": {"weight": 300}}"#))
        .unwrap();
    assert_eq!(read(&d.join("io.bfq.weight")), "300");
    assert_eq!(read(&d.join("io.weight")), "default 4950", "untouched");
    cg.destroy().unwrap();
}

#[test]
fn shares_convert_to_weight_like_runc() {
    assert_eq!(v2::shares_to_weight(2), 1);
    assert_eq!(v2::shares_to_weight(1024), 39);
    assert_eq!(v2::shares_to_weight(262144), 10000);
    assert_eq!(v2::shares_to_weight(0), 0);
}

#[test]
fn freeze_and_thaw_v1_and_v2_write_the_state() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "f").unwrap();
    cg.create().unwrap();
    cg.freeze().unwrap();
    assert_eq!(read(&t.path().join("freezer/f/freezer.state")), "FROZEN");
    cg.thaw().unwrap();
    assert_eq!(read(&t.path().join("freezer/f/freezer.state")), "THAWED");
    cg.destroy().unwrap();

    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "f").unwrap();
    cg.create().unwrap();
    let d = t.path().join("f");
    fs::write(d.join("cgroup.events"), "populated 1\nfrozen 1\n").unwrap();
    cg.freeze().unwrap();
    assert_eq!(read(&d.join("cgroup.freeze")), "1");
    fs::write(d.join("cgroup.events"), "populated 1\nfrozen 0\n").unwrap();
    cg.thaw().unwrap();
    assert_eq!(read(&d.join("cgroup.freeze")), "0");
    cg.destroy().unwrap();
}

#[test]
fn frozen_is_read_as_runc_reads_it() {
    let (t, h) = fake_v1();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "fz").unwrap();
    assert!(!cg.is_frozen().unwrap(), "a missing cgroup is not frozen");
    assert!(!cg.exists());
    cg.create().unwrap();
    assert!(cg.exists());
    let d = t.path().join("freezer/fz");
    fs::write(d.join("freezer.state"), "THAWED\n").unwrap();
    assert!(!cg.is_frozen().unwrap());
    fs::write(d.join("freezer.state"), "FROZEN\n").unwrap();
    fs::write(d.join("freezer.self_freezing"), "1\n").unwrap();
    assert!(cg.is_frozen().unwrap());
    // Frozen through an ancestor only: runc reads it as thawed.
    fs::write(d.join("freezer.self_freezing"), "0\n").unwrap();
    assert!(!cg.is_frozen().unwrap());

    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "fz").unwrap();
    cg.create().unwrap();
    fs::write(t.path().join("fz/cgroup.freeze"), "1\n").unwrap();
    assert!(cg.is_frozen().unwrap());
    fs::write(t.path().join("fz/cgroup.freeze"), "0\n").unwrap();
    assert!(!cg.is_frozen().unwrap());
}

#[test]
fn serialized_cgroup_round_trips_and_lists_mounts() {
    let t = tempfile::tempdir().unwrap();
    for d in ["memory", "cpu,cpuacct", "systemd", "unified"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::Hybrid).unwrap();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "s").unwrap();
    let back: Cgroup = serde_json::from_str(&serde_json::to_string(&cg).unwrap()).unwrap();
    assert_eq!(back, cg);
    let names: Vec<String> = cg
        .mounts_for_container()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["cpu,cpuacct", "memory", "systemd", "unified"]);
    assert_eq!(cg.v1_dir("cpuacct"), cg.v1_dir("cpu"));
}

#[test]
fn stats_read_v2_counters() {
    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "st").unwrap();
    cg.create().unwrap();
    let d = t.path().join("st");
    fs::write(d.join("memory.current"), "4096\n").unwrap();
    fs::write(d.join("memory.max"), "max\n").unwrap();
    fs::write(d.join("cpu.stat"), "usage_usec 7\n").unwrap();
    fs::write(d.join("pids.current"), "2\n").unwrap();
    fs::write(d.join("pids.max"), "10\n").unwrap();
    let s = cg.stats().unwrap();
    assert_eq!(
        s,
        Stats {
            memory_usage_bytes: 4096,
            memory_limit_bytes: None,
            memory_max_usage_bytes: None,
            cpu_usage_ns: 7000,
            pids_current: 2,
            pids_limit: Some(10)
        }
    );
    cg.destroy().unwrap();
}

#[test]
fn check_before_update_refuses_a_limit_below_usage() {
    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "cb").unwrap();
    cg.create().unwrap();
    let d = t.path().join("cb");
    fs::write(d.join("memory.current"), "5000\n").unwrap();
    let e = cg
        .set(&resources(
            r#"{"memory": {"limit": 4096, "checkBeforeUpdate": true}}"#,
        ))
        .unwrap_err()
        .to_string();
    assert!(e.contains("4096") && e.contains("uses 5000 bytes"), "{e}");
    assert!(!d.join("memory.max").exists());
    cg.set(&resources(
        r#"{"memory": {"limit": 8192, "checkBeforeUpdate": true}}"#,
    ))
    .unwrap();
    assert_eq!(read(&d.join("memory.max")), "8192");
    cg.destroy().unwrap();
}

#[test]
fn rdma_limits_use_the_same_line_on_both_versions() {
    let (t, h) = fake_v2();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "rd").unwrap();
    cg.create().unwrap();
    cg.set(&resources(r#"{"rdma": {"mlx5_1": {"hcaHandles": 3}}}"#))
        .unwrap();
    assert_eq!(
        read(&t.path().join("rd/rdma.max")),
        "mlx5_1 hca_handle=3 hca_object=max"
    );
    cg.destroy().unwrap();
    let (_t, h) = fake_v1();
    let cg = Cgroup::new(&h, None, &Nesting::below_own(), "rd").unwrap();
    let e = cg
        .set(&resources(r#"{"rdma": {"mlx5_1": {"hcaObjects": 3}}}"#))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("rdma controller") && e.contains("not mounted"),
        "{e}"
    );
}
