//! Unit tests of sub-cgroups on fake cgroupfs trees (v1, hybrid and v2): which directories
//! a process joins with `exec --cgroup`, and what is refused. No root needed.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::cgroup::Cgroup;
use crate::hierarchy::{Hierarchy, Version};
use crate::placement::Nesting;

fn tree(version: Version, dirs: &[&str]) -> (tempfile::TempDir, Hierarchy) {
    let t = tempfile::tempdir().unwrap();
    for d in dirs {
        fs::create_dir(t.path().join(d)).unwrap();
    }
    if version == Version::V2 {
        fs::write(t.path().join("cgroup.controllers"), "cpu memory pids\n").unwrap();
    }
    let h = Hierarchy::at(t.path(), version).unwrap();
    (t, h)
}

fn sub(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn read(p: &Path) -> String {
    fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn v2_a_sub_cgroup_is_joined_through_its_own_cgroup_procs() {
    let (t, h) = tree(Version::V2, &[]);
    let cg = Cgroup::new(&h, Some("/pod/c1"), &Nesting::below_own(), "c1").unwrap();
    cg.create().unwrap();
    let inner = cg.below(&sub(&[("", "sub")])).unwrap();
    assert_eq!(inner.unified_dir().unwrap(), t.path().join("pod/c1/sub"));
    fs::create_dir(t.path().join("pod/c1/sub")).unwrap();
    // clone3 did not place it: the child writes 0 to the sub-cgroup's cgroup.procs.
    inner.join_plan().unwrap().join_self(false).unwrap();
    assert_eq!(read(&t.path().join("pod/c1/sub/cgroup.procs")), "0");
    assert!(!t.path().join("pod/c1/cgroup.procs").exists());
    // `/` is the container's cgroup itself.
    let same = cg.below(&sub(&[("", "/")])).unwrap();
    assert_eq!(same.unified_dir().unwrap(), t.path().join("pod/c1"));
    // A controller names nothing on v2.
    let e = cg
        .below(&sub(&[("memory", "sub")]))
        .unwrap_err()
        .to_string();
    assert!(e.contains("memory:sub") && e.contains("cgroup v2"), "{e}");
}

#[test]
fn v1_one_path_moves_every_hierarchy_a_controller_only_its_own() {
    let (t, h) = tree(Version::V1, &["memory", "cpu,cpuacct", "pids"]);
    let cg = Cgroup::new(&h, Some("/c1"), &Nesting::below_own(), "c1").unwrap();
    let all = cg.below(&sub(&[("", "a/b")])).unwrap();
    for hierarchy in ["memory", "cpu,cpuacct", "pids"] {
        assert_eq!(
            all.mounts_for_container()
                .iter()
                .find(|(name, _)| name == hierarchy)
                .unwrap()
                .1,
            t.path().join(hierarchy).join("c1/a/b")
        );
    }
    let some = cg
        .below(&sub(&[("memory", "m"), ("cpu", "c"), ("cpuacct", "c")]))
        .unwrap();
    assert_eq!(some.v1_dir("memory").unwrap(), t.path().join("memory/c1/m"));
    assert_eq!(
        some.v1_dir("cpu").unwrap(),
        t.path().join("cpu,cpuacct/c1/c")
    );
    assert_eq!(some.v1_dir("pids").unwrap(), t.path().join("pids/c1"));
}

#[test]
fn hybrid_one_path_moves_the_unified_hierarchy_too() {
    let (t, h) = tree(Version::Hybrid, &["memory", "unified"]);
    let cg = Cgroup::new(&h, Some("/c1"), &Nesting::below_own(), "c1").unwrap();
    let all = cg.below(&sub(&[("", "s")])).unwrap();
    assert_eq!(all.unified_dir().unwrap(), t.path().join("unified/c1/s"));
    let memory = cg.below(&sub(&[("memory", "s")])).unwrap();
    assert_eq!(memory.unified_dir().unwrap(), t.path().join("unified/c1"));
}

#[test]
fn paths_out_of_the_cgroup_and_unknown_controllers_are_refused() {
    let (_t, h) = tree(Version::V1, &["memory"]);
    let cg = Cgroup::new(&h, Some("/c1"), &Nesting::below_own(), "c1").unwrap();
    for (controller, path, want) in [
        ("", "..", "is not a sub cgroup path"),
        ("", "a/../../x", "is not a sub cgroup path"),
        ("whaat", "/", "unknown controller"),
    ] {
        let e = cg
            .below(&sub(&[(controller, path)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{controller}:{path}: {e}");
    }
}
