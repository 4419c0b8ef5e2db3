//! Resource limits and counters on the unified cgroup v2 hierarchy: converts OCI
//! `LinuxResources` (written with v1 in mind) into memory.max, cpu.weight, cpu.max,
//! pids.max, io.*, hugetlb.* files, and enables controllers in the ancestors'
//! cgroup.subtree_control. Devices go through an eBPF program (`devices_bpf.rs`).
//! It never creates or removes directories.

use std::path::Path;

use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxMemory, LinuxResources};

use crate::cgroup::{Cgroup, Dir, Stats};
use crate::error::{Error, Result};
use crate::files;
use crate::v1::{checked, pids_max};

/// Enables, level by level from the root down to the leaf's parent, every controller the
/// level offers to its children. A level that refuses (EBUSY: it holds processes itself,
/// the "no internal processes" rule) is logged; `set` later names the missing controller.
pub(crate) fn enable_controllers(cg: &Cgroup, leaf: &Dir) -> Result<()> {
    let Ok(below) = leaf.path.strip_prefix(&leaf.mount_point) else {
        return Ok(());
    };
    let mut level = leaf.mount_point.clone();
    let mut offered = words(&files::read(&level, "cgroup.controllers")?);
    let parts: Vec<_> = below.components().collect();
    for part in parts {
        let enabled = words(&files::read(&level, "cgroup.subtree_control").unwrap_or_default());
        let missing: Vec<String> = offered
            .iter()
            .filter(|c| !enabled.contains(c))
            .map(|c| format!("+{c}"))
            .collect();
        // One write enables all; if the kernel refuses one, it refuses the lot: then go one by one.
        if !missing.is_empty()
            && cg
                .write(&level, "cgroup.subtree_control", &missing.join(" "))
                .is_err()
        {
            for c in &missing {
                if let Err(e) = cg.write(&level, "cgroup.subtree_control", c) {
                    let error = &e as &dyn std::error::Error;
                    tracing::warn!(error, "enabling controller {c}");
                }
            }
        }
        offered = words(&files::read(&level, "cgroup.subtree_control").unwrap_or_default());
        level = level.join(part);
    }
    Ok(())
}

/// Controller names in a cgroup.controllers or cgroup.subtree_control text (a fake tree
/// keeps the "+name" that was written).
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| w.trim_start_matches('+').to_owned())
        .collect()
}

pub(crate) fn set(cg: &Cgroup, r: &LinuxResources) -> Result<()> {
    let dir = cg.unified_dir().ok_or(Error::NoHierarchy)?;
    if let Some(m) = r.memory() {
        set_memory(cg, dir, m)?;
    }
    if let Some(c) = r.cpu() {
        set_cpu(cg, dir, c)?;
    }
    if let Some(p) = r.pids() {
        write(cg, dir, "pids", "pids.max", &pids_max(p.limit()))?;
    }
    if let Some(rules) = r.devices() {
        crate::devices_bpf::apply(cg, dir, rules)?;
    }
    if let Some(b) = r.block_io() {
        set_io(cg, dir, b)?;
    }
    for l in r.hugepage_limits().iter().flatten() {
        write(
            cg,
            dir,
            "hugetlb",
            &format!("hugetlb.{}.max", l.page_size()),
            &l.limit().to_string(),
        )?;
    }
    if r.network().is_some() {
        return Err(Error::Unsupported {
            what: "linux.resources.network".into(),
            context: "on cgroup v2 (no net_cls/net_prio)",
        });
    }
    for (device, limit) in r.rdma().iter().flatten() {
        write(
            cg,
            dir,
            "rdma",
            "rdma.max",
            &crate::v1::rdma_line(device, limit),
        )?;
    }
    for (file, value) in r.unified().iter().flatten() {
        if file.contains('/') || file.starts_with('.') || file.is_empty() {
            return Err(Error::BadValue {
                what: "linux.resources.unified key",
                value: file.clone(),
                expected: "a file name such as memory.high",
            });
        }
        cg.write(dir, file, value)?;
    }
    Ok(())
}

/// Writes a controller's file, explaining a missing file as a controller not enabled.
#[track_caller]
fn write(cg: &Cgroup, dir: &Path, controller: &str, file: &str, value: &str) -> Result<()> {
    if !cg.fake && !files::exists(dir, file) {
        let enabled = files::read(dir, "cgroup.controllers").unwrap_or_default();
        if !enabled.split_whitespace().any(|c| c == controller) {
            return Err(Error::Unsupported {
                what: format!("{file} (the {controller} controller)"),
                context: "here: it is not enabled for this cgroup (does the parent cgroup hold processes of its own?)",
            });
        }
    }
    cg.write(dir, file, value)
}

fn max_or(v: i64) -> String {
    if v == -1 {
        "max".into()
    } else {
        v.to_string()
    }
}

/// memory.swap.max from OCI's memory+swap total, as runc converts it.
pub(crate) fn swap_max(swap: i64, limit: Option<i64>) -> Result<Option<String>> {
    let limit = limit.unwrap_or(0);
    if limit == -1 && swap == 0 {
        return Ok(Some("max".into()));
    }
    match swap {
        -1 => Ok(Some("max".into())),
        0 => Ok(None),
        s if limit == 0 || limit == -1 => Err(Error::BadValue {
            what: "memory.swap",
            value: s.to_string(),
            expected: "a memory.limit too (cgroup v2 limits swap separately from memory)",
        }),
        s if s < limit => Err(Error::BadValue {
            what: "memory.swap",
            value: s.to_string(),
            expected: "at least memory.limit (it counts memory + swap)",
        }),
        s => Ok(Some((s - limit).to_string())),
    }
}

fn set_memory(cg: &Cgroup, dir: &Path, m: &LinuxMemory) -> Result<()> {
    if let Some(k) = m.kernel() {
        tracing::warn!("kernel memory limit {k} ignored: cgroup v2 has none");
    }
    let unsupported = |what: &str| Error::Unsupported {
        what: format!("memory.{what}"),
        context: "on cgroup v2",
    };
    if m.kernel_tcp().is_some() {
        return Err(unsupported("kernelTCP"));
    }
    if m.swappiness().is_some() {
        return Err(unsupported("swappiness"));
    }
    if m.disable_oom_killer() == Some(true) {
        return Err(unsupported("disableOOMKiller"));
    }
    if m.use_hierarchy() == Some(false) {
        return Err(unsupported("useHierarchy=false"));
    }
    let limit = m.limit().map(|v| checked("memory.limit", v)).transpose()?;
    if let (Some(l), Some(true)) = (limit, m.check_before_update()) {
        crate::cgroup::check_usage_below(dir, "memory.current", l)?;
    }
    // No swap given with an unlimited memory means unlimited swap too (runc's rule).
    let swap = m.swap().or(if limit == Some(-1) { Some(0) } else { None });
    if let Some(swap) = swap.map(|v| checked("memory.swap", v)).transpose()? {
        if let Some(value) = swap_max(swap, limit)? {
            if cg.fake || files::exists(dir, "memory.swap.max") {
                write(cg, dir, "memory", "memory.swap.max", &value)?;
            } else {
                tracing::warn!(
                    "swap limit ignored: this kernel has no swap accounting (memory.swap.max)"
                );
            }
        }
    }
    if let Some(l) = limit {
        write(cg, dir, "memory", "memory.max", &max_or(l))?;
    }
    if let Some(r) = m.reservation() {
        write(
            cg,
            dir,
            "memory",
            "memory.low",
            &max_or(checked("memory.reservation", r)?),
        )?;
    }
    Ok(())
}

/// cpu.weight (1..10000) from v1 cpu.shares (2..262144), as runc and crun convert it.
pub fn shares_to_weight(shares: u64) -> u64 {
    if shares == 0 {
        return 0;
    }
    1 + (shares.clamp(2, 262144) - 2) * 9999 / 262142
}

fn set_cpu(cg: &Cgroup, dir: &Path, c: &LinuxCpu) -> Result<()> {
    if c.realtime_period().is_some_and(|p| p != 0) || c.realtime_runtime().is_some_and(|r| r != 0) {
        return Err(Error::Unsupported {
            what: "cpu.realtimePeriod/realtimeRuntime".into(),
            context: "on cgroup v2 (no realtime bandwidth control)",
        });
    }
    if let Some(s) = c.shares().filter(|&s| s != 0) {
        write(
            cg,
            dir,
            "cpu",
            "cpu.weight",
            &shares_to_weight(s).to_string(),
        )?;
    }
    let quota = c.quota().unwrap_or(0);
    let period = c.period().unwrap_or(0);
    if quota != 0 || period != 0 {
        let mut value = if quota > 0 {
            quota.to_string()
        } else {
            "max".to_owned()
        };
        if period != 0 {
            value = format!("{value} {period}");
        }
        write(cg, dir, "cpu", "cpu.max", &value)?;
    }
    if let Some(b) = c.burst() {
        write(cg, dir, "cpu", "cpu.max.burst", &b.to_string())?;
    }
    if let Some(i) = c.idle() {
        write(cg, dir, "cpu", "cpu.idle", &i.to_string())?;
    }
    for (value, file) in [(c.cpus(), "cpuset.cpus"), (c.mems(), "cpuset.mems")] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            write(cg, dir, "cpuset", file, v)?;
        }
    }
    Ok(())
}

/// v1 blkio weight (10..1000) to v2 io.weight (1..10000), as runc converts it.
fn blkio_weight_to_io(w: u16) -> u64 {
    1 + (u64::from(w).clamp(10, 1000) - 10) * 9999 / 990
}

fn set_io(cg: &Cgroup, dir: &Path, b: &LinuxBlockIo) -> Result<()> {
    if let Some(w) = b.weight() {
        // BFQ's own weight (the v1 range, unconverted) when the scheduler offers it, as runc.
        if files::exists(dir, "io.bfq.weight") {
            write(cg, dir, "io", "io.bfq.weight", &w.to_string())?;
        } else {
            write(
                cg,
                dir,
                "io",
                "io.weight",
                &format!("default {}", blkio_weight_to_io(w)),
            )?;
        }
    }
    if b.leaf_weight().is_some() {
        return Err(Error::Unsupported {
            what: "blockIO.leafWeight".into(),
            context: "on cgroup v2",
        });
    }
    for d in b.weight_device().iter().flatten() {
        if let Some(w) = d.weight() {
            write(
                cg,
                dir,
                "io",
                "io.weight",
                &format!("{}:{} {}", d.major(), d.minor(), blkio_weight_to_io(w)),
            )?;
        }
    }
    let throttles = [
        (b.throttle_read_bps_device(), "rbps"),
        (b.throttle_write_bps_device(), "wbps"),
        (b.throttle_read_iops_device(), "riops"),
        (b.throttle_write_iops_device(), "wiops"),
    ];
    for (devices, key) in throttles {
        for d in devices.iter().flatten() {
            write(
                cg,
                dir,
                "io",
                "io.max",
                &format!("{}:{} {key}={}", d.major(), d.minor(), d.rate()),
            )?;
        }
    }
    Ok(())
}

pub(crate) fn stats(cg: &Cgroup) -> Result<Stats> {
    let dir = cg.unified_dir().ok_or(Error::NoHierarchy)?;
    let opt = |file: &str| {
        if files::exists(dir, file) {
            files::read_u64(dir, file)
        } else {
            Ok(None)
        }
    };
    let usage = files::read_keyed(dir, "cpu.stat", "usage_usec")?.unwrap_or(0);
    Ok(Stats {
        memory_usage_bytes: opt("memory.current")?.unwrap_or(0),
        memory_limit_bytes: opt("memory.max")?,
        memory_max_usage_bytes: opt("memory.peak")?,
        cpu_usage_ns: usage * 1000,
        pids_current: opt("pids.current")?.unwrap_or(0),
        pids_limit: opt("pids.max")?,
    })
}
