//! Integration tests against this machine's real cgroups (root). Each test creates a
//! uniquely named cgroup below the test process's own cgroup, puts a `sleep` child it
//! owns into it, and proves afterwards that neither is left behind.

use std::fs;
use std::path::Path;
use std::process::Command;

mod common;
use common::{CgroupGuard, ChildGuard};
use six_cgroups::{Cgroup, Hierarchy, Nesting, Version};
use six_testkit::{
    cgroups_named, error_chain, pid_alive, require_root, unique_name, TestCgroupPath,
};

fn sleeper() -> ChildGuard {
    ChildGuard(
        Command::new("sleep")
            .arg("1000")
            .spawn()
            .expect("spawning sleep"),
    )
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
        .trim()
        .to_owned()
}

fn resources(json: &str) -> oci_spec::runtime::LinuxResources {
    serde_json::from_str(json).unwrap()
}

#[test]
fn limits_membership_freeze_stats_and_cleanup() {
    require_root();
    let name = unique_name("cgt");
    let h = Hierarchy::detect().unwrap();
    let own = fs::read_to_string("/proc/self/cgroup").unwrap();
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
        let mut child = sleeper();
        let pid = child.0.id() as i32;

        cg.0.set(&resources(
            r#"{"memory": {"limit": 67108864, "reservation": 33554432},
                "cpu": {"shares": 512, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
                "pids": {"limit": 16},
                "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]}"#,
        ))
        .unwrap();
        cg.0.add_process(pid).unwrap();
        assert_eq!(cg.0.pids().unwrap(), vec![pid]);

        if h.version() == Version::V2 {
            let d = cg.0.unified_dir().unwrap();
            assert_eq!(read(d, "memory.max"), "67108864");
            assert_eq!(read(d, "cpu.max"), "20000 100000");
            assert_eq!(read(d, "pids.max"), "16");
        } else {
            let mem = cg.0.v1_dir("memory").unwrap();
            // Below the memory cgroup this process runs in, never beside it.
            let own_mem = own
                .lines()
                .find(|l| l.contains(":memory:"))
                .unwrap()
                .rsplit(':')
                .next()
                .unwrap();
            assert!(
                mem.starts_with(
                    Path::new("/sys/fs/cgroup/memory").join(own_mem.trim_start_matches('/'))
                ),
                "{}",
                mem.display()
            );
            assert!(mem.ends_with(format!("{name}/c")));
            assert_eq!(read(mem, "memory.limit_in_bytes"), "67108864");
            assert_eq!(read(mem, "memory.soft_limit_in_bytes"), "33554432");
            let cpu = cg.0.v1_dir("cpu").unwrap();
            assert_eq!(read(cpu, "cpu.shares"), "512");
            assert_eq!(read(cpu, "cpu.cfs_quota_us"), "20000");
            assert_eq!(read(cpu, "cpu.cfs_period_us"), "100000");
            let cpuset = cg.0.v1_dir("cpuset").unwrap();
            assert_eq!(read(cpuset, "cpuset.cpus"), "0");
            assert!(
                !read(cpuset.parent().unwrap(), "cpuset.mems").is_empty(),
                "new parents got mems"
            );
            assert_eq!(read(cg.0.v1_dir("pids").unwrap(), "pids.max"), "16");
            assert_eq!(
                read(cg.0.v1_dir("devices").unwrap(), "devices.list"),
                "c 1:3 rwm"
            );
            for dir in cg.0.mounts_for_container() {
                assert_eq!(read(&dir.1, "cgroup.procs"), pid.to_string(), "{}", dir.0);
            }
        }

        cg.0.freeze().unwrap();
        if h.version() != Version::V2 {
            assert_eq!(
                read(cg.0.v1_dir("freezer").unwrap(), "freezer.state"),
                "FROZEN"
            );
        }
        cg.0.thaw().unwrap();
        if h.version() != Version::V2 {
            assert_eq!(
                read(cg.0.v1_dir("freezer").unwrap(), "freezer.state"),
                "THAWED"
            );
        }

        let stats = cg.0.stats().unwrap();
        assert!(stats.memory_max_usage_bytes.is_some(), "{stats:?}");
        assert_eq!(stats.memory_limit_bytes, Some(67108864));
        assert_eq!(stats.pids_current, 1);
        assert_eq!(stats.pids_limit, Some(16));

        // The state file round trip: another process destroys what this one made.
        let stored = serde_json::to_string(&cg.0).unwrap();
        let loaded: Cgroup = serde_json::from_str(&stored).unwrap();

        child.0.kill().unwrap();
        child.0.wait().unwrap();
        assert!(!pid_alive(pid));
        loaded.destroy().unwrap();
        assert!(cgroups_named("c")
            .iter()
            .all(|p| !p.ends_with(format!("{name}/c"))));
    }
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn a_refused_write_names_file_value_and_errno() {
    require_root();
    let name = unique_name("cgr");
    let h = Hierarchy::detect().unwrap();
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    let e = error_chain(
        &cg.0
            .set(&resources(r#"{"cpu": {"cpus": "9999"}}"#))
            .unwrap_err(),
    );
    assert!(
        e.starts_with("cpuset.cpus: cannot set 9999 for /sys/fs/cgroup/"),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "{name}: Numerical result out of range (os error 34)"
        )),
        "{e}"
    );
    assert!(!e.contains('\n'));
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn destroy_waits_for_a_dying_process() {
    require_root();
    let name = unique_name("cgd");
    let h = Hierarchy::detect().unwrap();
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    let mut child = sleeper();
    cg.0.add_process(child.0.id() as i32).unwrap();
    child.0.kill().unwrap();
    // Not reaped yet: the zombie keeps the cgroup busy only until it is waited for.
    let waiter = std::thread::spawn(move || {
        let _ = child.0.wait();
        child
    });
    cg.0.destroy().unwrap();
    drop(waiter.join().unwrap());
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn destroy_removes_sub_cgroups_the_container_made() {
    require_root();
    let name = unique_name("cgs");
    let h = Hierarchy::detect().unwrap();
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    for (_, dir) in cg.0.mounts_for_container() {
        fs::create_dir_all(dir.join("init.scope/deeper")).unwrap();
    }
    cg.0.destroy().unwrap();
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn a_busy_cgroup_is_not_destroyed_silently() {
    require_root();
    let name = unique_name("cgb");
    let h = Hierarchy::detect().unwrap();
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    let child = sleeper();
    cg.0.add_process(child.0.id() as i32).unwrap();
    let e = error_chain(&cg.0.destroy().unwrap_err());
    assert!(
        e.contains("Device or resource busy") && e.contains(&name),
        "{e}"
    );
    drop(child);
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

/// Starts `sh` waiting for a line on stdin, moves it into `cg`, lets it probe devices.
fn device_probe(cg: &Cgroup) -> String {
    use std::io::Write;
    use std::process::Stdio;
    // No redirection to /dev/null: that is a write to the device under test.
    let script = "read go
for t in 'w /dev/null' 'r /dev/null' 'r /dev/zero' 'r /dev/full'; do
  set -- $t
  if [ $1 = w ]; then out=$( (echo x > $2) 2>&1 ) && echo \"$t:ok\" || echo \"$t:denied\"
  else out=$(head -c1 $2 2>&1) && echo \"$t:ok\" || echo \"$t:denied\"; fi
done";
    let mut child = ChildGuard(
        Command::new("/bin/busybox")
            .args(["sh", "-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    cg.add_process(child.0.id() as i32).unwrap();
    child.0.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(child.0.stdout.as_mut().unwrap(), &mut out).unwrap();
    assert!(child.0.wait().unwrap().success());
    out.trim().replace('\n', " ")
}

#[test]
fn v2_device_filter_denies_and_is_replaced_on_update() {
    require_root();
    let name = unique_name("cgv");
    let h = Hierarchy::detect().unwrap();
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    let dir =
        cg.0.unified_dir()
            .expect("a cgroup2 mount (v2 or hybrid)")
            .to_path_buf();
    let rules: Vec<oci_spec::runtime::LinuxDeviceCgroup> = serde_json::from_str(
        r#"[{"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "r"},
            {"allow": true, "type": "c", "major": 1, "minor": 5, "access": "rwm"}]"#,
    )
    .unwrap();
    six_cgroups::attach_device_filter(&dir, &rules).unwrap();
    assert_eq!(
        device_probe(&cg.0),
        "w /dev/null:denied r /dev/null:ok r /dev/zero:ok r /dev/full:denied"
    );
    let allow_all: Vec<oci_spec::runtime::LinuxDeviceCgroup> =
        serde_json::from_str(r#"[{"allow": true, "access": "rwm"}]"#).unwrap();
    six_cgroups::attach_device_filter(&dir, &allow_all).unwrap();
    assert_eq!(
        device_probe(&cg.0),
        "w /dev/null:ok r /dev/null:ok r /dev/zero:ok r /dev/full:ok"
    );
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

/// Removes a directory the test made in the real cgroup2 tree.
struct DirGuard(std::path::PathBuf);

impl Drop for DirGuard {
    fn drop(&mut self) {
        let _ = fs::remove_dir(&self.0);
    }
}

#[test]
fn v2_membership_freeze_and_destroy_on_the_real_unified_mount() {
    require_root();
    let name = unique_name("cg2");
    let real = Hierarchy::detect().unwrap();
    let Some(unified) = real.unified_mount() else {
        panic!("this machine mounts cgroup2")
    };
    // A subtree of our own, seen as if it were the whole cgroup2 mount, so that the test
    // writes no file of a cgroup it did not create (not even the root's subtree_control).
    let own = unified.dir_of(&unified.own_cgroup);
    let top = DirGuard(own.join(&name));
    fs::create_dir(&top.0).unwrap();
    let rel = top.0.strip_prefix(&unified.mount_point).unwrap();
    let mountinfo = format!(
        "99 1 0:99 /{} {} rw - cgroup2 cgroup2 rw\n",
        rel.display(),
        top.0.display()
    );
    let h = Hierarchy::from_proc(&mountinfo, &format!("0::/{}\n", rel.display())).unwrap();
    assert_eq!(h.version(), Version::V2);

    let cg = CgroupGuard(
        Cgroup::new(&h, Some("/pod/c1"), &Nesting::below_own(), "c1").unwrap(),
        true,
    );
    cg.0.create().unwrap();
    let dir = cg.0.unified_dir().unwrap().to_path_buf();
    assert_eq!(dir, top.0.join("pod/c1"));
    assert_eq!(
        cg.0.mounts_for_container(),
        vec![(String::new(), dir.clone())]
    );
    let mut child = sleeper();
    let pid = child.0.id() as i32;
    cg.0.add_process(pid).unwrap();
    assert_eq!(cg.0.pids().unwrap(), vec![pid]);
    cg.0.freeze().unwrap();
    assert!(read(&dir, "cgroup.events").contains("frozen 1"));
    cg.0.thaw().unwrap();
    assert!(read(&dir, "cgroup.events").contains("frozen 0"));
    assert_eq!(cg.0.stats().unwrap().pids_limit, None);
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    cg.0.destroy().unwrap();
    assert!(!dir.exists());
    drop(cg);
    drop(top);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

#[test]
fn v1_swap_swappiness_oom_realtime_and_update_order() {
    require_root();
    let h = Hierarchy::detect().unwrap();
    if h.version() == Version::V2 {
        return; // v1 files only; v2 conversions are unit-tested on a fake tree
    }
    let name = unique_name("cgk");
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    cg.0.set(&resources(
        r#"{"memory": {"limit": 67108864, "swap": 134217728, "swappiness": 10, "disableOOMKiller": true},
            "cpu": {"realtimePeriod": 1000000, "realtimeRuntime": 10000, "burst": 1000, "quota": 50000, "period": 100000}}"#,
    ))
    .unwrap();
    let mem = cg.0.v1_dir("memory").unwrap();
    let cpu = cg.0.v1_dir("cpu").unwrap();
    assert_eq!(read(mem, "memory.limit_in_bytes"), "67108864");
    assert_eq!(read(mem, "memory.memsw.limit_in_bytes"), "134217728");
    assert_eq!(read(mem, "memory.swappiness"), "10");
    assert!(read(mem, "memory.oom_control").contains("oom_kill_disable 1"));
    assert_eq!(read(cpu, "cpu.rt_runtime_us"), "10000");
    assert_eq!(read(cpu, "cpu.cfs_burst_us"), "1000");
    // Raising both limits: memsw must go first or the kernel refuses the new limit.
    cg.0.set(&resources(
        r#"{"memory": {"limit": 268435456, "swap": 536870912}}"#,
    ))
    .unwrap();
    assert_eq!(read(mem, "memory.limit_in_bytes"), "268435456");
    assert_eq!(read(mem, "memory.memsw.limit_in_bytes"), "536870912");
    // Lowering both: the limit must go first.
    cg.0.set(&resources(
        r#"{"memory": {"limit": 33554432, "swap": 67108864}}"#,
    ))
    .unwrap();
    assert_eq!(read(mem, "memory.memsw.limit_in_bytes"), "67108864");
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

/// runc's rule for an absolute cgroupsPath: the path from the root of every hierarchy, not
/// below the caller's cgroup (kubelet looks for `/kubepods/...` exactly there). The path is
/// one below this test's own cgroup, so nothing is made outside the test's subtree.
#[test]
fn an_absolute_path_is_taken_from_each_hierarchy_root() {
    require_root();
    let name = unique_name("cga");
    let h = Hierarchy::detect().unwrap();
    let base = TestCgroupPath::new(&name);
    let path = base.join("pod/c1");
    {
        let cg = CgroupGuard(
            Cgroup::new(&h, Some(&path), &Nesting::Spec, &name).unwrap(),
            false,
        );
        cg.0.create().unwrap();
        let mut child = sleeper();
        let pid = child.0.id() as i32;
        cg.0.add_process(pid).unwrap();
        let text = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
        for line in text.lines() {
            assert!(
                line.ends_with(&format!(":{path}")),
                "{line} (expected {path})\n{text}"
            );
        }
        child.0.kill().unwrap();
        child.0.wait().unwrap();
        cg.0.destroy().unwrap();
    }
    drop(base);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}

/// What `docker run` (Debian's dockerd 20.10) hands every container: zero values meaning
/// "unset". They must change nothing (cpu.shares 0 would become the kernel's minimum, 2),
/// and a kernel without blkio weight files must not refuse the container.
#[test]
fn docker_zero_values_change_nothing() {
    require_root();
    let h = Hierarchy::detect().unwrap();
    let name = unique_name("cgz");
    let cg = CgroupGuard(
        Cgroup::new(&h, None, &Nesting::below_own(), &name).unwrap(),
        false,
    );
    cg.0.create().unwrap();
    cg.0.set(&resources(
        r#"{"memory": {"disableOOMKiller": false}, "cpu": {"shares": 0}, "blockIO": {"weight": 0},
            "pids": {"limit": 0}}"#,
    ))
    .unwrap();
    if let Some(cpu) = cg.0.v1_dir("cpu") {
        assert_eq!(read(cpu, "cpu.shares"), "1024");
    }
    if let Some(blkio) = cg.0.v1_dir("blkio") {
        // A real weight is written, or refused by name where the kernel has no weight file.
        match cg.0.set(&resources(r#"{"blockIO": {"weight": 500}}"#)) {
            Ok(()) => {
                let file = ["blkio.weight", "blkio.bfq.weight"]
                    .into_iter()
                    .find(|f| blkio.join(f).exists())
                    .unwrap();
                assert_eq!(read(blkio, file), "500");
            }
            Err(e) => assert!(
                e.to_string().starts_with(
                    "blockIO.weight is not supported here: the blkio controller has no weight file"
                ),
                "{e}"
            ),
        }
    }
    if h.version() == Version::V2 {
        let d = cg.0.unified_dir().unwrap();
        assert_eq!(read(d, "cpu.weight"), "100");
    }
    drop(cg);
    assert!(
        cgroups_named(&name).is_empty(),
        "{:?}",
        cgroups_named(&name)
    );
}
