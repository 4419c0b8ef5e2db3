//! `update` as runc 1.1.5 does it, on cgroup v1 (this machine; v2 is covered by six-runtime's
//! unit tests on a fake tree): cpu period and quota together under a parent that limits the
//! CPU, values read as runc reads them (negative numbers, sizes with units, Go integers),
//! refusals (out-of-range shares, Intel RDT without resctrl), `-r -` JSON on stdin, realtime
//! bandwidth, and the state keeping what was set.
//!
//! Each test passes with RUNC=runc too, except where it says runc 1.1.5 differs.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::*;
use six_testkit::{v1_mount_point, RelativeCgroupPath};

/// A running `sleep` container in cgroup `cgroup_path` (relative: below the test's own
/// cgroup) with `cpu` as its linux.resources.cpu.
///
/// Tests make their cgroup guard before their `Sixrun`, so that the containers are deleted
/// (the `Sixrun` dropped) before the guard removes the directories, even on a failure.
fn start(s: &Sixrun, cgroup_path: &str, cpu: serde_json::Value) -> (String, Bundle) {
    let b = bundle(&["sleep", "1000"], |c| {
        c["linux"]["cgroupsPath"] = cgroup_path.into();
        c["linux"]["resources"]["cpu"] = cpu;
    });
    let id = s.new_id("upd");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    (id, b)
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("{}/{file}: {e}", dir.display()))
        .trim()
        .to_owned()
}

fn write(dir: &Path, file: &str, value: &str) {
    std::fs::write(dir.join(file), value)
        .unwrap_or_else(|e| panic!("{}/{file} = {value}: {e}", dir.display()));
}

/// The cgroup v1 cpu hierarchy, or None (with a note) on a machine without one.
fn v1_cpu() -> Option<PathBuf> {
    let cpu = v1_mount_point("cpu");
    if cpu.is_none() {
        eprintln!("skipped: cgroup v1 only (on v2, cpu.max sets quota and period in one write)");
    }
    cpu
}

/// Whether the runtime under test is runc (RUNC=runc), not a sixrun.
fn under_runc() -> bool {
    runtime_binary()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("runc"))
}

#[test]
fn cpu_period_quota_and_shares_change_together_under_a_parent_that_limits_cpu() {
    if v1_cpu().is_none() {
        return;
    }
    let parent = RelativeCgroupPath::new(&unique_name("upd-cfs"));
    let s = Sixrun::under_test();
    let pdir = parent.v1_dir("cpu").unwrap();
    std::fs::create_dir(&pdir).unwrap();
    write(&pdir, "cpu.cfs_period_us", "100000");
    write(&pdir, "cpu.cfs_quota_us", "50000");
    let (id, _b) = start(
        &s,
        &parent.join("ctr"),
        serde_json::json!({"shares": 512, "quota": 50000, "period": 100000}),
    );
    let dir = pdir.join("ctr");
    assert_eq!(read(&dir, "cpu.cfs_quota_us"), "50000");
    // A shorter period first would put 50000 per 10000 (5 CPUs) under a parent of half a
    // CPU: the kernel refuses it unless the quota goes first.
    s.ok(&[
        "update",
        "--cpu-period",
        "10000",
        "--cpu-quota",
        "5000",
        "--cpu-share",
        "300",
        &id,
    ]);
    assert_eq!(read(&dir, "cpu.cfs_period_us"), "10000");
    assert_eq!(read(&dir, "cpu.cfs_quota_us"), "5000");
    assert_eq!(read(&dir, "cpu.shares"), "300");
    // And back: the longer period first, then the larger quota.
    s.ok(&["update", "--cpu-period=100000", "--cpu-quota=50000", &id]);
    assert_eq!(read(&dir, "cpu.cfs_period_us"), "100000");
    assert_eq!(read(&dir, "cpu.cfs_quota_us"), "50000");
    // -1 is a value (no limit), not a flag.
    s.ok(&["update", "--cpu-quota", "-1", &id]);
    assert_eq!(read(&dir, "cpu.cfs_quota_us"), "-1");
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn flag_values_are_read_as_runc_reads_them() {
    if v1_cpu().is_none() {
        return;
    }
    let cg = RelativeCgroupPath::new(&unique_name("upd-val"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg.path, serde_json::json!({"shares": 512}));
    let memory = cg.v1_dir("memory").unwrap();
    let pids = cg.v1_dir("pids").unwrap();
    let cpu = cg.v1_dir("cpu").unwrap();

    s.ok(&[
        "update",
        "--memory",
        "100m",
        "--memory-reservation",
        "1.5m",
        &id,
    ]);
    assert_eq!(read(&memory, "memory.limit_in_bytes"), "104857600");
    assert_eq!(read(&memory, "memory.soft_limit_in_bytes"), "1572864");
    if memory.join("memory.memsw.limit_in_bytes").exists() {
        s.ok(&["update", "--memory", "200MiB", "--memory-swap", "300m", &id]);
        assert_eq!(read(&memory, "memory.limit_in_bytes"), "209715200");
        assert_eq!(read(&memory, "memory.memsw.limit_in_bytes"), "314572800");
    }
    // -1: unlimited (the kernel shows its page-aligned maximum), swap with it.
    s.ok(&["update", "--memory", "-1", &id]);
    let unlimited: u64 = read(&memory, "memory.limit_in_bytes").parse().unwrap();
    assert!(unlimited > 1 << 62, "{unlimited}");

    s.ok(&["update", "--pids-limit", "0x20", &id]);
    assert_eq!(read(&pids, "pids.max"), "32");
    s.ok(&["update", "--pids-limit", "-1", &id]);
    assert_eq!(read(&pids, "pids.max"), "max");

    s.ok(&["update", "--cpuset-cpus", "0", "--cpuset-mems", "0", &id]);
    let cpuset = cg.v1_dir("cpuset").unwrap();
    assert_eq!(read(&cpuset, "cpuset.cpus"), "0");

    // Obsolete, accepted and ignored.
    s.ok(&[
        "update",
        "--kernel-memory",
        "10m",
        "--kernel-memory-tcp",
        "1m",
        &id,
    ]);

    // Refused by name; nothing changes.
    for (args, needle) in [
        (&["--cpu-share", "-5"][..], "cpu-share"),
        (&["--cpu-period", "1.5"][..], "cpu-period"),
        (&["--memory", "-2"][..], "memory"),
        (&["--memory", "10x"][..], "memory"),
        (&["--cpu-share", "1"][..], "minimum allowed"),
        (&["--cpu-share", "300000"][..], "maximum allowed"),
    ] {
        let out = s.run(&[&["update"][..], args, &[&id]].concat());
        assert!(!out.status.success(), "{args:?} was taken");
        assert!(stderr(&out).contains(needle), "{args:?}: {}", stderr(&out));
    }
    // A refused update leaves no change behind (runc leaves the clamped value).
    if !under_runc() {
        assert_eq!(read(&cpu, "cpu.shares"), "512");
    }
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn intel_rdt_and_blkio_weight_are_refused_where_the_machine_lacks_them() {
    if v1_cpu().is_none() {
        return;
    }
    let cg = RelativeCgroupPath::new(&unique_name("upd-rdt"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg.path, serde_json::json!({}));
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    if !mounts
        .lines()
        .any(|l| l.split(' ').nth(2) == Some("resctrl"))
    {
        for (flag, needle) in [
            (
                "--l3-cache-schema",
                "Intel RDT/CAT: l3 cache schema is not enabled",
            ),
            (
                "--mem-bw-schema",
                "Intel RDT/MBA: memory bandwidth schema is not enabled",
            ),
        ] {
            let out = s.run(&["update", flag, "L3:0=f", &id]);
            assert!(!out.status.success());
            assert!(stderr(&out).contains(needle), "{flag}: {}", stderr(&out));
        }
    }
    // blkio.weight needs CFQ, blkio.bfq.weight BFQ; without either the weight is refused.
    let blkio = cg.v1_dir("blkio").unwrap();
    let file = ["blkio.bfq.weight", "blkio.weight"]
        .into_iter()
        .find(|f| blkio.join(f).exists());
    let out = s.run(&["update", "--blkio-weight", "500", &id]);
    match file {
        Some(f) => {
            assert!(out.status.success(), "{}", stderr(&out));
            assert!(read(&blkio, f).contains("500"), "{}", read(&blkio, f));
        }
        None => assert!(!out.status.success(), "a weight without a weight file"),
    }
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn resources_json_on_stdin_wins_over_the_flags() {
    if v1_cpu().is_none() {
        return;
    }
    let cg = RelativeCgroupPath::new(&unique_name("upd-json"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg.path, serde_json::json!({"shares": 512}));
    let update = |stdin: &str| {
        let mut child = s
            .cmd()
            .args(["update", "-r", "-", "--cpu-share", "900", &id])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    // As Go's json.Decoder: the first value counts, what follows it is not read.
    let out = update(r#"{"cpu": {"shares": 700}, "pids": {"limit": 33}} and then"#);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(read(&cg.v1_dir("cpu").unwrap(), "cpu.shares"), "700");
    assert_eq!(read(&cg.v1_dir("pids").unwrap(), "pids.max"), "33");
    let out = update(r#"{"cpu": {"shares": -800}}"#);
    assert!(!out.status.success());
    let out = update("not json");
    assert!(!out.status.success());
    assert_eq!(read(&cg.v1_dir("cpu").unwrap(), "cpu.shares"), "700");
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn realtime_period_and_runtime_change_in_the_order_the_kernel_takes() {
    let Some(cpu) = v1_cpu() else { return };
    let cg = RelativeCgroupPath::new(&unique_name("upd-rt"));
    let pdir = cg.v1_dir("cpu").unwrap();
    let own = pdir.parent().unwrap();
    if !own.join("cpu.rt_runtime_us").exists() || read(own, "cpu.rt_runtime_us") == "0" {
        eprintln!(
            "skipped: no realtime budget in {} (CONFIG_RT_GROUP_SCHED, {})",
            own.display(),
            cpu.display()
        );
        return;
    }
    let s = Sixrun::under_test();
    // A parent with 1% of the CPU for realtime tasks.
    std::fs::create_dir(&pdir).unwrap();
    write(&pdir, "cpu.rt_runtime_us", "10000");
    let (id, _b) = start(&s, &cg.join("ctr"), serde_json::json!({}));
    let dir = pdir.join("ctr");
    s.ok(&["update", "--cpu-rt-runtime", "10000", &id]);
    assert_eq!(read(&dir, "cpu.rt_runtime_us"), "10000");
    assert_eq!(read(&dir, "cpu.rt_period_us"), "1000000");
    if !under_runc() {
        // A tenth of the period under the old runtime would be 10%: the runtime goes first.
        // (runc 1.1.5 writes the period first and fails here; later runc retries as we do.)
        s.ok(&[
            "update",
            "--cpu-rt-period",
            "100000",
            "--cpu-rt-runtime",
            "1000",
            &id,
        ]);
        assert_eq!(read(&dir, "cpu.rt_period_us"), "100000");
        assert_eq!(read(&dir, "cpu.rt_runtime_us"), "1000");
    }
    let out = s.run(&["update", "--cpu-rt-runtime", "20000", &id]);
    assert!(!out.status.success(), "more than the parent has");
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn the_state_keeps_the_updated_limits() {
    if v1_cpu().is_none() || under_runc() {
        // runc 1.1.5's state.json forgets every value an update does not give.
        return;
    }
    let cg = RelativeCgroupPath::new(&unique_name("upd-state"));
    let s = Sixrun::under_test();
    let (id, _b) = start(&s, &cg.path, serde_json::json!({"shares": 512}));
    s.ok(&["update", "--cpu-period", "50000", "--memory", "64m", &id]);
    s.ok(&["update", "--cpu-quota", "20000", &id]);
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.state_dir(&id).join("state.json")).unwrap())
            .unwrap();
    let r = &state["config"]["linux"]["resources"];
    assert_eq!(r["cpu"]["shares"], 512, "{r}");
    assert_eq!(r["cpu"]["period"], 50000, "{r}");
    assert_eq!(r["cpu"]["quota"], 20000, "{r}");
    assert_eq!(r["memory"]["limit"], 64 << 20, "{r}");
    s.ok(&["delete", "--force", &id]);
}
