//! Unit tests of runc's zero-means-unset reading, field by field, and through `Cgroup::set`
//! on fake v1 and v2 trees with the resources Docker 20.10 really writes.

use super::*;
use crate::hierarchy::{Hierarchy, Version};
use crate::{Cgroup, Nesting};
use std::fs;
use std::path::Path;

fn resources(json: &str) -> LinuxResources {
    serde_json::from_str(json).unwrap()
}

fn meaning(json: &str) -> serde_json::Value {
    serde_json::to_value(runc_meaning(&resources(json))).unwrap()
}

/// Each field with its zero value disappears; the object left empty goes too.
#[test]
fn zero_values_are_unset() {
    for json in [
        r#"{"memory": {"limit": 0}}"#,
        r#"{"memory": {"reservation": 0}}"#,
        r#"{"memory": {"swap": 0}}"#,
        r#"{"memory": {"kernel": 0}}"#,
        r#"{"memory": {"kernelTCP": 0}}"#,
        r#"{"memory": {"swappiness": 18446744073709551615}}"#,
        r#"{"memory": {"disableOOMKiller": false}}"#,
        r#"{"memory": {"checkBeforeUpdate": false}}"#,
        r#"{"cpu": {"shares": 0}}"#,
        r#"{"cpu": {"quota": 0}}"#,
        r#"{"cpu": {"period": 0}}"#,
        r#"{"cpu": {"realtimeRuntime": 0}}"#,
        r#"{"cpu": {"realtimePeriod": 0}}"#,
        r#"{"cpu": {"cpus": ""}}"#,
        r#"{"cpu": {"mems": ""}}"#,
        r#"{"pids": {"limit": 0}}"#,
        r#"{"blockIO": {"weight": 0}}"#,
        r#"{"blockIO": {"leafWeight": 0}}"#,
        r#"{"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 0, "leafWeight": 0}]}}"#,
        r#"{"blockIO": {"weightDevice": []}}"#,
        r#"{"blockIO": {"throttleReadBpsDevice": [], "throttleWriteBpsDevice": [],
            "throttleReadIOPSDevice": [], "throttleWriteIOPSDevice": []}}"#,
        r#"{"network": {"classID": 0}}"#,
        r#"{"network": {"priorities": []}}"#,
        r#"{"hugepageLimits": []}"#,
        r#"{"rdma": {}}"#,
        r#"{"unified": {}}"#,
    ] {
        assert_eq!(meaning(json), serde_json::json!({}), "{json}");
    }
}

/// Values runc writes even when they are zero, and every non-zero value, stay.
#[test]
fn meaningful_values_stay() {
    for json in [
        r#"{"memory": {"limit": -1}}"#,
        r#"{"memory": {"swappiness": 0}}"#,
        r#"{"memory": {"disableOOMKiller": true}}"#,
        r#"{"memory": {"limit": 1048576, "swap": -1}}"#,
        r#"{"cpu": {"burst": 0}}"#,
        r#"{"cpu": {"idle": 0}}"#,
        r#"{"cpu": {"shares": 512}}"#,
        r#"{"cpu": {"quota": -1}}"#,
        r#"{"pids": {"limit": -1}}"#,
        r#"{"blockIO": {"weight": 500}}"#,
        r#"{"blockIO": {"throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 0}]}}"#,
        r#"{"hugepageLimits": [{"pageSize": "2MB", "limit": 0}]}"#,
        r#"{"network": {"classID": 7}}"#,
        r#"{"devices": []}"#,
    ] {
        assert_eq!(
            meaning(json),
            serde_json::from_str::<serde_json::Value>(json).unwrap(),
            "{json}"
        );
    }
}

#[test]
fn a_weight_device_keeps_only_its_set_weight() {
    assert_eq!(
        meaning(
            r#"{"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 300, "leafWeight": 0}]}}"#
        ),
        serde_json::json!({"blockIO": {"weightDevice": [{"major": 8, "minor": 0, "weight": 300}]}})
    );
}

/// `docker run` (Debian's 20.10, cgroup v1): the resources of every container.
const DOCKER: &str = r#"{
    "devices": [{"allow": false, "access": "rwm"},
                {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}],
    "memory": {"disableOOMKiller": false},
    "cpu": {"shares": 0},
    "blockIO": {"weight": 0}}"#;

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Nothing but the device rules is written: no cpu.shares of 0 (the kernel would make it its
/// minimum, 2), no blkio weight (this kernel may have no weight file at all), no oom_control.
#[test]
fn docker_resources_write_only_device_rules_on_v1() {
    let t = tempfile::tempdir().unwrap();
    for d in ["memory", "cpu", "blkio", "devices", "pids"] {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    let h = Hierarchy::at(t.path(), Version::V1).unwrap();
    let cg = Cgroup::new(&h, Some("/docker/c1"), &Nesting::Spec, "c1").unwrap();
    cg.create().unwrap();
    cg.set(&resources(DOCKER)).unwrap();
    for d in ["memory", "cpu", "blkio", "pids"] {
        assert_eq!(
            files_in(&t.path().join(d).join("docker/c1")),
            Vec::<String>::new(),
            "{d}"
        );
    }
    assert_eq!(
        files_in(&t.path().join("devices/docker/c1")),
        ["devices.allow", "devices.deny"]
    );
}

#[test]
fn docker_resources_write_nothing_on_v2_but_the_device_filter() {
    let t = tempfile::tempdir().unwrap();
    fs::write(t.path().join("cgroup.controllers"), "cpu io memory pids\n").unwrap();
    let h = Hierarchy::at(t.path(), Version::V2).unwrap();
    let cg = Cgroup::new(&h, Some("/docker/c1"), &Nesting::Spec, "c1").unwrap();
    cg.create().unwrap();
    let mut r = resources(DOCKER);
    r.set_devices(None); // a fake tree cannot take an eBPF program
    r.set_network(Some(serde_json::from_str(r#"{"priorities": []}"#).unwrap()));
    cg.set(&r).unwrap();
    assert_eq!(files_in(&t.path().join("docker/c1")), Vec::<String>::new());
}

/// pids.limit 0 leaves pids.max alone (runc: unset) instead of writing "max".
#[test]
fn a_zero_pids_limit_changes_nothing_on_update() {
    let t = tempfile::tempdir().unwrap();
    fs::create_dir(t.path().join("pids")).unwrap();
    let h = Hierarchy::at(t.path(), Version::V1).unwrap();
    let cg = Cgroup::new(&h, Some("/c1"), &Nesting::Spec, "c1").unwrap();
    cg.create().unwrap();
    cg.set(&resources(r#"{"pids": {"limit": 40}}"#)).unwrap();
    cg.set(&resources(r#"{"pids": {"limit": 0}}"#)).unwrap();
    assert_eq!(
        fs::read_to_string(t.path().join("pids/c1/pids.max")).unwrap(),
        "40"
    );
    cg.set(&resources(r#"{"pids": {"limit": -1}}"#)).unwrap();
    assert_eq!(
        fs::read_to_string(t.path().join("pids/c1/pids.max")).unwrap(),
        "max"
    );
}
