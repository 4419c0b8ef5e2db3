//! The monitor keeps its resident memory small while relaying output: after the start, its
//! read-only code mappings are registered so that a fault maps one page, not the kernel's
//! 64 KiB "fault-around" (Linux 6.7+; older kernels only cost memory, and this test says so).

mod common;

use std::time::Duration;

use common::{eventually, TestEngine};
use six_engine::RunRequest;

/// Whether the running kernel has asynchronous userfaultfd write-protection (6.7+).
fn kernel_has_wp_async() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().unwrap().parse().unwrap();
    let minor: u32 = parts.next().unwrap().parse().unwrap();
    (major, minor) >= (6, 7)
}

/// The VmFlags of each mapping of `path` with permissions `perms` in /proc/<pid>/smaps.
fn vm_flags_of(pid: i32, path: &str, perms: &str) -> Vec<String> {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap();
    let mut wanted = false;
    let mut flags = Vec::new();
    for line in smaps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields
            .first()
            .is_some_and(|f| f.contains('-') && !f.ends_with(':'))
        {
            wanted = fields.get(1) == Some(&perms) && fields.get(5) == Some(&path);
        } else if wanted && fields.first() == Some(&"VmFlags:") {
            flags.push(fields[1..].join(" "));
        }
    }
    flags
}

#[test]
fn a_relaying_monitor_maps_its_code_without_fault_around() {
    let mut t = TestEngine::new();
    let out = t
        .engine()
        .run(RunRequest {
            detach: true,
            ..TestEngine::req(&["sh", "-c", "while true; do echo line; sleep 0.1; done"])
        })
        .unwrap();
    t.track(&out.id);
    // Output is being relayed (the log has lines), so the poll loop has run its relay path.
    eventually(Duration::from_secs(20), || {
        (common::logs(t.engine(), &out.id).matches("line").count() >= 3).then_some(())
    });
    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::container_dir(&t, &out.id).join("state.json")).unwrap(),
    )
    .unwrap();
    let monitor = state["monitor"]["pid"].as_i64().unwrap() as i32;
    // The monitor is this test binary, exec'd from a sealed view of it: its code is mapped
    // from that view's file (whose path is the one /proc/PID/exe shows).
    let exe = std::fs::read_link(format!("/proc/{monitor}/exe")).unwrap();
    let code = vm_flags_of(monitor, &exe.display().to_string(), "r-xp");
    assert!(
        !code.is_empty(),
        "no code mapping of {exe:?} in the monitor {monitor}"
    );
    if kernel_has_wp_async() {
        // "uw": registered with a userfaultfd in write-protect mode (no fault-around).
        assert!(
            code.iter().all(|f| f.split(' ').any(|flag| flag == "uw")),
            "the monitor's code mappings keep fault-around: VmFlags {code:?}"
        );
    } else {
        eprintln!("kernel before 6.7: the monitor's code keeps fault-around (more memory)");
    }
    t.finish();
}
