//! Integration tests of a process joining its cgroup by itself, on this machine's real
//! hierarchies (root): a spawned `sleep` runs `JoinPlan::join_self` between fork and exec
//! (`pre_exec`, where allocating is not allowed), and /proc/<pid>/cgroup must then name
//! the test's cgroup. Each test kills its child by PID and removes its cgroups.

use std::fs;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

mod common;
use common::{CgroupGuard, ChildGuard};
use six_cgroups::{Cgroup, Hierarchy, JoinPlan, Nesting};
use six_testkit::{cgroups_named, error_chain, pid_alive, require_root, unique_name};

/// A `sleep` that joined `plan` itself before exec.
fn sleeper_joining(plan: &JoinPlan, in_unified_already: bool) -> io::Result<ChildGuard> {
    let plan = plan.clone();
    let mut cmd = Command::new("sleep");
    cmd.arg("1000");
    // SAFETY: the closure only opens and writes files (JoinPlan::join_self allocates
    // nothing), which is allowed between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            plan.join_self(in_unified_already)
                .map_err(|e| io::Error::from_raw_os_error(e.errno))
        });
    }
    cmd.spawn().map(ChildGuard)
}

/// The (hierarchy id, controllers, path) lines of /proc/<pid>/cgroup.
fn cgroup_lines(pid: &str) -> Vec<(String, String, String)> {
    fs::read_to_string(format!("/proc/{pid}/cgroup"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut f = l.splitn(3, ':');
            let mut next = || f.next().unwrap().to_owned();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn a_child_joins_every_hierarchy_itself_and_leaves_nothing() {
    require_root();
    let name = unique_name("cgj");
    let h = Hierarchy::detect().unwrap();
    {
        let cg = CgroupGuard(
            Cgroup::new(
                &h,
                Some(&format!("/{name}/c")),
                &Nesting::below_own(),
                &name,
            )
            .unwrap(),
            true,
        );
        cg.0.create().unwrap();
        let plan = cg.0.join_plan().unwrap();
        let child = sleeper_joining(&plan, false).unwrap();
        let pid = child.0.id().to_string();
        let lines = cgroup_lines(&pid);
        assert!(!lines.is_empty());
        for (id, controllers, path) in &lines {
            assert!(
                path.ends_with(&format!("/{name}/c")),
                "hierarchy {id} ({controllers}) of {pid}: {path}"
            );
        }
        assert!(lines.iter().any(|(id, ..)| id == "0") == h.unified_mount().is_some());
        assert_eq!(cg.0.pids().unwrap(), vec![child.0.id() as i32]);
        drop(child);
        assert!(!pid_alive(pid.parse().unwrap()));
        drop(cg);
    }
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn a_child_placed_in_cgroup2_by_clone3_leaves_it_alone() {
    require_root();
    let name = unique_name("cgk");
    let h = Hierarchy::detect().unwrap();
    let own = cgroup_lines("self");
    {
        let cg = CgroupGuard(
            Cgroup::new(
                &h,
                Some(&format!("/{name}/c")),
                &Nesting::below_own(),
                &name,
            )
            .unwrap(),
            true,
        );
        cg.0.create().unwrap();
        let child = sleeper_joining(&cg.0.join_plan().unwrap(), true).unwrap();
        let pid = child.0.id().to_string();
        for (id, controllers, path) in cgroup_lines(&pid) {
            if id == "0" {
                let ours = own.iter().find(|(i, ..)| i == "0").unwrap();
                assert_eq!(path, ours.2, "cgroup2 untouched");
            } else {
                assert!(
                    path.ends_with(&format!("/{name}/c")),
                    "hierarchy {id} ({controllers}): {path}"
                );
            }
        }
        drop(child);
    }
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn a_join_into_a_missing_cgroup_fails_the_spawn_and_creates_nothing() {
    require_root();
    let name = unique_name("cgm");
    let h = Hierarchy::detect().unwrap();
    let cg = Cgroup::new(
        &h,
        Some(&format!("/{name}/c")),
        &Nesting::below_own(),
        &name,
    )
    .unwrap();
    let plan = cg.join_plan().unwrap();
    let e = match sleeper_joining(&plan, false) {
        Ok(child) => panic!("pid {} joined a cgroup that does not exist", child.0.id()),
        Err(e) => e,
    };
    assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");
    let e = error_chain(&cg.join_self().unwrap_err());
    assert!(
        e.starts_with("joining cgroup /sys/fs/cgroup/")
            && e.contains(&name)
            && e.contains(": No such file or directory"),
        "{e}"
    );
    assert!(cgroups_named(&name).is_empty());
}
