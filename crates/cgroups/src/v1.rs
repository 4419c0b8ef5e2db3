//! Resource limits and counters on cgroup v1 (and on the v1 side of a hybrid machine):
//! turns OCI `LinuxResources` into writes to memory.*, cpu.*, cpuset.*, pids.*, devices.*,
//! blkio.* and hugetlb.* files. It never creates or removes directories.

use std::path::Path;

use oci_spec::runtime::{LinuxBlockIo, LinuxCpu, LinuxDeviceCgroup, LinuxMemory, LinuxResources};

use crate::cgroup::{Cgroup, Stats};
use crate::device_rules::DeviceRules;
use crate::error::{Error, Result};
use crate::files;

pub(crate) fn set(cg: &Cgroup, r: &LinuxResources) -> Result<()> {
    if let Some(m) = r.memory() {
        set_memory(cg, m)?;
    }
    if let Some(c) = r.cpu() {
        set_cpu(cg, c)?;
    }
    if let Some(p) = r.pids() {
        let dir = need(cg, "pids")?;
        cg.write(dir, "pids.max", &pids_max(p.limit()))?;
    }
    if let Some(rules) = r.devices() {
        set_devices(cg, need(cg, "devices")?, rules)?;
    }
    if let Some(b) = r.block_io() {
        set_blkio(cg, b)?;
    }
    if let Some(limits) = r.hugepage_limits() {
        let dir = need(cg, "hugetlb")?;
        for l in limits {
            cg.write(
                dir,
                &format!("hugetlb.{}.limit_in_bytes", l.page_size()),
                &l.limit().to_string(),
            )?;
        }
    }
    if let Some(n) = r.network() {
        if let Some(id) = n.class_id() {
            cg.write(need(cg, "net_cls")?, "net_cls.classid", &id.to_string())?;
        }
        for p in n.priorities().iter().flatten() {
            cg.write(
                need(cg, "net_prio")?,
                "net_prio.ifpriomap",
                &format!("{} {}", p.name(), p.priority()),
            )?;
        }
    }
    for (device, limit) in r.rdma().iter().flatten() {
        cg.write(need(cg, "rdma")?, "rdma.max", &rdma_line(device, limit))?;
    }
    if r.unified().as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(Error::Unsupported {
            what: "linux.resources.unified".into(),
            context: "on a cgroup v1 machine (it names cgroup v2 files)",
        });
    }
    Ok(())
}

fn need<'a>(cg: &'a Cgroup, controller: &'static str) -> Result<&'a Path> {
    cg.v1_dir(controller).ok_or_else(|| Error::Unsupported {
        what: format!("the {controller} controller"),
        context: "here: its cgroup v1 hierarchy is not mounted",
    })
}

fn set_memory(cg: &Cgroup, m: &LinuxMemory) -> Result<()> {
    let dir = need(cg, "memory")?;
    if let Some(k) = m.kernel() {
        tracing::warn!("kernel memory limit {k} ignored: the kernel no longer supports it");
    }
    let limit = m.limit().map(|v| checked("memory.limit", v)).transpose()?;
    if let (Some(l), Some(true)) = (limit, m.check_before_update()) {
        crate::cgroup::check_usage_below(dir, "memory.usage_in_bytes", l)?;
    }
    let mut swap = m.swap().map(|v| checked("memory.swap", v)).transpose()?;
    if swap.is_some() && !files::exists(dir, "memory.memsw.limit_in_bytes") && !cg.fake {
        if swap != Some(-1) {
            tracing::warn!(
                "swap limit ignored: this kernel has no swap accounting (memory.memsw.limit_in_bytes)"
            );
        }
        swap = None;
    }
    if limit == Some(-1) && swap.is_none() && files::exists(dir, "memory.memsw.limit_in_bytes") {
        swap = Some(-1);
    }
    let write_limit = |v: i64| cg.write(dir, "memory.limit_in_bytes", &v.to_string());
    let write_swap = |v: i64| cg.write(dir, "memory.memsw.limit_in_bytes", &v.to_string());
    match (limit, swap) {
        (Some(l), Some(s)) => {
            // The kernel insists memsw >= limit at every moment: raise swap first when raising.
            let current = files::read_u64(dir, "memory.limit_in_bytes")
                .unwrap_or(None)
                .unwrap_or(u64::MAX);
            if s == -1 || current < s as u64 {
                write_swap(s)?;
                write_limit(l)?;
            } else {
                write_limit(l)?;
                write_swap(s)?;
            }
        }
        (Some(l), None) => write_limit(l)?,
        (None, Some(s)) => write_swap(s)?,
        (None, None) => {}
    }
    if let Some(v) = m.reservation() {
        cg.write(
            dir,
            "memory.soft_limit_in_bytes",
            &checked("memory.reservation", v)?.to_string(),
        )?;
    }
    if let Some(v) = m.kernel_tcp() {
        cg.write(
            dir,
            "memory.kmem.tcp.limit_in_bytes",
            &checked("memory.kernelTCP", v)?.to_string(),
        )?;
    }
    if let Some(v) = m.swappiness() {
        if v > 100 {
            return Err(Error::BadValue {
                what: "memory.swappiness",
                value: v.to_string(),
                expected: "0 to 100",
            });
        }
        cg.write(dir, "memory.swappiness", &v.to_string())?;
    }
    if let Some(off) = m.disable_oom_killer() {
        cg.write(dir, "memory.oom_control", if off { "1" } else { "0" })?;
    }
    if let Some(h) = m.use_hierarchy() {
        cg.write(dir, "memory.use_hierarchy", if h { "1" } else { "0" })?;
    }
    Ok(())
}

/// A byte count: positive, or -1 for unlimited.
pub(crate) fn checked(what: &'static str, v: i64) -> Result<i64> {
    if v < -1 {
        return Err(Error::BadValue {
            what,
            value: v.to_string(),
            expected: "a positive byte count or -1 (unlimited)",
        });
    }
    Ok(v)
}

fn set_cpu(cg: &Cgroup, c: &LinuxCpu) -> Result<()> {
    let wants_cpu = c.shares().is_some()
        || c.quota().is_some_and(|q| q != 0)
        || c.period().is_some_and(|p| p != 0)
        || c.burst().is_some()
        || c.idle().is_some()
        || c.realtime_period().is_some_and(|p| p != 0)
        || c.realtime_runtime().is_some_and(|r| r != 0);
    if wants_cpu {
        let dir = need(cg, "cpu")?;
        if let Some(s) = c.shares() {
            set_shares(cg, dir, s)?;
        }
        let nonzero_u = |v: Option<u64>| v.filter(|&v| v != 0).map(|v| v.to_string());
        let nonzero_i = |v: Option<i64>| v.filter(|&v| v != 0).map(|v| v.to_string());
        set_period_and_limit(
            cg,
            dir,
            ("cpu.cfs_period_us", nonzero_u(c.period())),
            ("cpu.cfs_quota_us", nonzero_i(c.quota())),
        )?;
        if let Some(b) = c.burst() {
            cg.write(dir, "cpu.cfs_burst_us", &b.to_string())?;
        }
        set_period_and_limit(
            cg,
            dir,
            ("cpu.rt_period_us", nonzero_u(c.realtime_period())),
            ("cpu.rt_runtime_us", nonzero_i(c.realtime_runtime())),
        )?;
        if let Some(i) = c.idle() {
            cg.write(dir, "cpu.idle", &i.to_string())?;
        }
    }
    for (value, file) in [(c.cpus(), "cpuset.cpus"), (c.mems(), "cpuset.mems")] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            cg.write(need(cg, "cpuset")?, file, v)?;
        }
    }
    Ok(())
}

/// cpu.shares, read back: the kernel clamps a value outside 2..262144 without an error, and
/// runc refuses what it did not get ("the minimum allowed cpu-shares is 2").
fn set_shares(cg: &Cgroup, dir: &Path, shares: u64) -> Result<()> {
    cg.write(dir, "cpu.shares", &shares.to_string())?;
    let kept = files::read_u64(dir, "cpu.shares")?.unwrap_or(shares);
    let bound = match kept.cmp(&shares) {
        std::cmp::Ordering::Equal => return Ok(()),
        std::cmp::Ordering::Less => "maximum",
        std::cmp::Ordering::Greater => "minimum",
    };
    Err(Error::OutOfRange {
        file: "cpu.shares",
        value: shares.to_string(),
        bound,
        kept: kept.to_string(),
    })
}

/// A period and the limit within it (CFS: cfs_period_us and cfs_quota_us; realtime:
/// rt_period_us and rt_runtime_us), in the order the kernel accepts, as runc writes them.
/// The kernel checks each write against the other value as it stands and against the
/// parent's share: under a parent that limits the CPU, a shorter period under the old limit
/// can exceed the parent (EINVAL). So the period goes first; if the kernel refuses it with
/// EINVAL and a limit is to be written, the limit goes first and the period after it.
fn set_period_and_limit(
    cg: &Cgroup,
    dir: &Path,
    (period_file, period): (&str, Option<String>),
    (limit_file, limit): (&str, Option<String>),
) -> Result<()> {
    let mut period_after_limit = None;
    if let Some(p) = &period {
        match cg.write(dir, period_file, p) {
            Err(Error::Write { source, .. })
                if source.raw_os_error() == Some(libc::EINVAL) && limit.is_some() =>
            {
                period_after_limit = Some(p);
            }
            other => other?,
        }
    }
    if let Some(l) = &limit {
        cg.write(dir, limit_file, l)?;
    }
    if let Some(p) = period_after_limit {
        cg.write(dir, period_file, p)?;
    }
    Ok(())
}

/// One rdma.max line (same format on v1 and v2): "mlx4_0 hca_handle=2 hca_object=max".
pub(crate) fn rdma_line(device: &str, l: &oci_spec::runtime::LinuxRdma) -> String {
    let n = |v: Option<u32>| v.map_or_else(|| "max".to_owned(), |v| v.to_string());
    format!(
        "{device} hca_handle={} hca_object={}",
        n(l.hca_handles()),
        n(l.hca_objects())
    )
}

/// "max" for no limit (OCI: 0 or negative), else the number.
pub(crate) fn pids_max(limit: i64) -> String {
    if limit > 0 {
        limit.to_string()
    } else {
        "max".into()
    }
}

/// Takes the devices cgroup `dir` from what its devices.list allows to what `rules` say,
/// with the fewest writes (`device_rules.rs`), then checks the kernel agrees, as runc does.
/// No rules change nothing (as on v2).
fn set_devices(cg: &Cgroup, dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    let target = DeviceRules::from_oci(rules)?;
    let now = devices_now(cg, dir)?;
    for w in now.transition(&target) {
        let file = if w.allow {
            "devices.allow"
        } else {
            "devices.deny"
        };
        cg.write(dir, file, &w.line)?;
    }
    if cg.fake {
        return Ok(());
    }
    // An allow-all cgroup's exceptions cannot be read back: only its mode can be checked.
    let after = devices_now(cg, dir)?;
    let agrees = if target.default_allow {
        after.default_allow
    } else {
        after == target
    };
    if !agrees {
        return Err(Error::DevicesMismatch {
            dir: dir.to_path_buf(),
            shows: files::read(dir, "devices.list")?.replace('\n', ", "),
            expected: DeviceRules::default()
                .transition(&target)
                .iter()
                .filter(|w| w.allow)
                .map(|w| w.line.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(())
}

/// What `dir`'s devices.list allows; on a fake tree without one, a fresh cgroup's allow-all.
fn devices_now(cg: &Cgroup, dir: &Path) -> Result<DeviceRules> {
    if cg.fake && !files::exists(dir, "devices.list") {
        return Ok(DeviceRules {
            default_allow: true,
            ..Default::default()
        });
    }
    let text = files::read(dir, "devices.list")?;
    DeviceRules::from_list(&text).map_err(|_| Error::Parse {
        path: dir.join("devices.list"),
        content: text,
        expected: "lines such as \"c 1:3 rwm\"",
    })
}

fn set_blkio(cg: &Cgroup, b: &LinuxBlockIo) -> Result<()> {
    let dir = need(cg, "blkio")?;
    // CFQ's blkio.weight or BFQ's blkio.bfq.weight; a kernel with neither has no weights.
    let weight_file = |plain: &'static str, bfq: &'static str, what: &'static str| {
        if files::exists(dir, plain) || cg.fake {
            Ok(plain)
        } else if files::exists(dir, bfq) {
            Ok(bfq)
        } else {
            Err(Error::Unsupported {
                what: what.into(),
                context: "here: the blkio controller has no weight file (blkio.weight needs the CFQ scheduler, blkio.bfq.weight BFQ)",
            })
        }
    };
    if let Some(w) = b.weight() {
        let file = weight_file("blkio.weight", "blkio.bfq.weight", "blockIO.weight")?;
        cg.write(dir, file, &w.to_string())?;
    }
    if b.leaf_weight().is_some() {
        return Err(Error::Unsupported {
            what: "blockIO.leafWeight".into(),
            context: "by current kernels",
        });
    }
    for d in b.weight_device().iter().flatten() {
        if d.leaf_weight().is_some() {
            return Err(Error::Unsupported {
                what: "blockIO.weightDevice[].leafWeight".into(),
                context: "by current kernels",
            });
        }
        if let Some(w) = d.weight() {
            let file = weight_file(
                "blkio.weight_device",
                "blkio.bfq.weight_device",
                "blockIO.weightDevice",
            )?;
            cg.write(dir, file, &format!("{}:{} {w}", d.major(), d.minor()))?;
        }
    }
    let throttles = [
        (
            b.throttle_read_bps_device(),
            "blkio.throttle.read_bps_device",
        ),
        (
            b.throttle_write_bps_device(),
            "blkio.throttle.write_bps_device",
        ),
        (
            b.throttle_read_iops_device(),
            "blkio.throttle.read_iops_device",
        ),
        (
            b.throttle_write_iops_device(),
            "blkio.throttle.write_iops_device",
        ),
    ];
    for (devices, file) in throttles {
        for d in devices.iter().flatten() {
            cg.write(
                dir,
                file,
                &format!("{}:{} {}", d.major(), d.minor(), d.rate()),
            )?;
        }
    }
    Ok(())
}

/// Copies cpuset.cpus and cpuset.mems from parent to child along the path below the
/// mount point wherever they are empty: a v1 cpuset cgroup with empty sets takes no tasks.
pub(crate) fn init_cpuset(cg: &Cgroup, leaf: &Path) -> Result<()> {
    let Some(root) = cg
        .v1
        .iter()
        .find(|d| d.path == leaf)
        .map(|d| d.mount_point.clone())
    else {
        return Ok(());
    };
    let Ok(below) = leaf.strip_prefix(&root) else {
        return Ok(());
    };
    let mut parent = root.clone();
    for part in below.components() {
        let child = parent.join(part);
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let mine = files::read(&child, file).unwrap_or_default();
            if mine.is_empty() {
                let theirs = files::read(&parent, file)?;
                cg.write(&child, file, &theirs)?;
            }
        }
        parent = child;
    }
    Ok(())
}

pub(crate) fn stats(cg: &Cgroup) -> Result<Stats> {
    let mut s = Stats::default();
    if let Some(dir) = cg.v1_dir("memory") {
        s.memory_usage_bytes = files::read_u64(dir, "memory.usage_in_bytes")?.unwrap_or(0);
        // v1 reports "unlimited" as a huge page-aligned number.
        s.memory_limit_bytes =
            files::read_u64(dir, "memory.limit_in_bytes")?.filter(|&v| v < i64::MAX as u64 / 2);
        s.memory_max_usage_bytes = files::read_u64(dir, "memory.max_usage_in_bytes")?;
    }
    if let Some(dir) = cg.v1_dir("cpuacct") {
        s.cpu_usage_ns = files::read_u64(dir, "cpuacct.usage")?.unwrap_or(0);
    }
    if let Some(dir) = cg.v1_dir("pids") {
        s.pids_current = files::read_u64(dir, "pids.current")?.unwrap_or(0);
        s.pids_limit = files::read_u64(dir, "pids.max")?;
    }
    Ok(s)
}
