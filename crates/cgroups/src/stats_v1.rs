//! [`FullStats`] from cgroup v1, file by file as runc reads them: cpu.stat, cpuacct.*,
//! cpuset.*, memory.* (with memsw, kmem and kmem.tcp where the kernel keeps them),
//! pids.*, blkio.* (the first family of files that has entries: BFQ, CFQ, then the throttle
//! counters), hugetlb.*. A hierarchy that is not mounted leaves its part empty.

use std::path::Path;

use crate::cgroup::Cgroup;
use crate::error::{Error, Result};
use crate::files;
use crate::stats::{
    cpu_list, hugepage_sizes, keyed, number_or_zero, BlkioEntry, BlkioStats, CpuStats, CpusetStats,
    FullStats, HugetlbStats, MemoryEntry, MemoryStats, PidsStats,
};

pub(crate) fn full_stats(cg: &Cgroup) -> Result<FullStats> {
    let mut s = FullStats::default();
    if let Some(dir) = cg.v1_dir("cpu") {
        let stat = keyed(dir, "cpu.stat")?;
        let get = |k: &str| stat.get(k).copied().unwrap_or(0);
        s.cpu.throttling.periods = get("nr_periods");
        s.cpu.throttling.throttled_periods = get("nr_throttled");
        s.cpu.throttling.throttled_time = get("throttled_time");
    }
    if let Some(dir) = cg.v1_dir("cpuacct") {
        cpuacct(dir, &mut s.cpu)?;
    }
    if let Some(dir) = cg.v1_dir("cpuset") {
        s.cpuset = cpuset(dir)?;
    }
    if let Some(dir) = cg.v1_dir("memory") {
        s.memory = memory(dir)?;
    }
    if let Some(dir) = cg.v1_dir("pids") {
        s.pids = PidsStats {
            current: number_or_zero(dir, "pids.current")?,
            limit: match number_or_zero(dir, "pids.max")? {
                u64::MAX => 0,
                n => n,
            },
        };
    }
    if let Some(dir) = cg.v1_dir("blkio") {
        s.blkio = blkio(dir)?;
    }
    if let Some(dir) = cg.v1_dir("hugetlb") {
        for size in hugepage_sizes() {
            let file = |what: &str| format!("hugetlb.{size}.{what}");
            let h = HugetlbStats {
                usage: number_or_zero(dir, &file("usage_in_bytes"))?,
                max: number_or_zero(dir, &file("max_usage_in_bytes"))?,
                failcnt: number_or_zero(dir, &file("failcnt"))?,
            };
            s.hugetlb.insert(size, h);
        }
    }
    Ok(s)
}

fn numbers(dir: &Path, file: &str) -> Result<Vec<u64>> {
    if !files::exists(dir, file) {
        return Ok(Vec::new());
    }
    let text = files::read(dir, file)?;
    text.split_whitespace()
        .map(|n| {
            n.parse().map_err(|_| Error::Parse {
                path: dir.join(file),
                content: text.clone(),
                expected: "numbers separated by spaces",
            })
        })
        .collect()
}

fn cpuacct(dir: &Path, cpu: &mut CpuStats) -> Result<()> {
    cpu.usage.total = number_or_zero(dir, "cpuacct.usage")?;
    cpu.usage.percpu = numbers(dir, "cpuacct.usage_percpu")?;
    // "cpu user system" then one line per CPU, in nanoseconds (kernels since 4.7).
    if files::exists(dir, "cpuacct.usage_all") {
        let text = files::read(dir, "cpuacct.usage_all")?;
        for line in text.lines().skip(1) {
            let fields: Vec<u64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<std::result::Result<_, _>>()
                .map_err(|_| Error::Parse {
                    path: dir.join("cpuacct.usage_all"),
                    content: line.to_owned(),
                    expected: "lines \"CPU USER SYSTEM\"",
                })?;
            if let [_, user, system] = fields[..] {
                cpu.usage.percpu_user.push(user);
                cpu.usage.percpu_kernel.push(system);
            }
        }
    }
    let stat = keyed(dir, "cpuacct.stat")?;
    let ns_per_tick = 1_000_000_000 / six_sys::proc::clock_ticks();
    cpu.usage.user = stat.get("user").copied().unwrap_or(0) * ns_per_tick;
    cpu.usage.kernel = stat.get("system").copied().unwrap_or(0) * ns_per_tick;
    Ok(())
}

fn cpuset(dir: &Path) -> Result<CpusetStats> {
    let list = |file: &str| -> Result<Vec<u16>> {
        let text = files::read(dir, file)?;
        cpu_list(&text).ok_or_else(|| Error::Parse {
            path: dir.join(file),
            content: text,
            expected: "a list such as 0-3,5",
        })
    };
    let n = |file: &str| number_or_zero(dir, file);
    let relax = if files::exists(dir, "cpuset.sched_relax_domain_level") {
        let text = files::read(dir, "cpuset.sched_relax_domain_level")?;
        text.parse().map_err(|_| Error::Parse {
            path: dir.join("cpuset.sched_relax_domain_level"),
            content: text,
            expected: "a number",
        })?
    } else {
        0
    };
    Ok(CpusetStats {
        cpus: list("cpuset.cpus")?,
        cpu_exclusive: n("cpuset.cpu_exclusive")?,
        mems: list("cpuset.mems")?,
        mem_hardwall: n("cpuset.mem_hardwall")?,
        mem_exclusive: n("cpuset.mem_exclusive")?,
        memory_migrate: n("cpuset.memory_migrate")?,
        memory_spread_page: n("cpuset.memory_spread_page")?,
        memory_spread_slab: n("cpuset.memory_spread_slab")?,
        memory_pressure: n("cpuset.memory_pressure")?,
        sched_load_balance: n("cpuset.sched_load_balance")?,
        sched_relax_domain_level: relax,
    })
}

/// usage_in_bytes, max_usage_in_bytes, failcnt and limit_in_bytes of `prefix` ("memory",
/// "memory.memsw", ...); all 0 when the kernel has no such counters (no swap accounting).
fn memory_entry(dir: &Path, prefix: &str) -> Result<MemoryEntry> {
    let file = |what: &str| format!("{prefix}.{what}");
    Ok(MemoryEntry {
        limit: number_or_zero(dir, &file("limit_in_bytes"))?,
        usage: number_or_zero(dir, &file("usage_in_bytes"))?,
        max: number_or_zero(dir, &file("max_usage_in_bytes"))?,
        failcnt: number_or_zero(dir, &file("failcnt"))?,
    })
}

fn memory(dir: &Path) -> Result<MemoryStats> {
    let raw = keyed(dir, "memory.stat")?;
    Ok(MemoryStats {
        cache: raw.get("cache").copied().unwrap_or(0),
        usage: memory_entry(dir, "memory")?,
        swap: memory_entry(dir, "memory.memsw")?,
        kernel: memory_entry(dir, "memory.kmem")?,
        kernel_tcp: memory_entry(dir, "memory.kmem.tcp")?,
        raw,
    })
}

/// The entries of one blkio file: "8:0 Read 4096" (or "8:0 4096" for counters without an
/// operation); the "Total N" line is left out.
fn blkio_entries(dir: &Path, file: &str) -> Result<Vec<BlkioEntry>> {
    if !files::exists(dir, file) {
        return Ok(Vec::new());
    }
    let text = files::read(dir, file)?;
    let bad = |line: &str| Error::Parse {
        path: dir.join(file),
        content: line.to_owned(),
        expected: "lines \"MAJOR:MINOR [OP] VALUE\"",
    };
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (device, op, value) = match fields[..] {
            ["Total", _] => continue,
            [device, value] => (device, "", value),
            [device, op, value] => (device, op, value),
            _ => return Err(bad(line)),
        };
        let (major, minor) = device.split_once(':').ok_or_else(|| bad(line))?;
        out.push(BlkioEntry {
            major: major.parse().map_err(|_| bad(line))?,
            minor: minor.parse().map_err(|_| bad(line))?,
            op: op.to_owned(),
            value: value.parse().map_err(|_| bad(line))?,
        });
    }
    Ok(out)
}

/// runc's order: BFQ's debug counters, BFQ's, CFQ's, the recursive throttle counters, the
/// plain throttle counters. The first family whose first file has entries is the one read.
fn blkio(dir: &Path) -> Result<BlkioStats> {
    type Field = fn(&mut BlkioStats) -> &mut Vec<BlkioEntry>;
    let bytes: Field = |s| &mut s.io_service_bytes_recursive;
    let serviced: Field = |s| &mut s.io_serviced_recursive;
    let queued: Field = |s| &mut s.io_queued_recursive;
    let service_time: Field = |s| &mut s.io_service_time_recursive;
    let wait_time: Field = |s| &mut s.io_wait_time_recursive;
    let merged: Field = |s| &mut s.io_merged_recursive;
    let time: Field = |s| &mut s.io_time_recursive;
    let sectors: Field = |s| &mut s.sectors_recursive;
    let families: [&[(&str, Field)]; 5] = [
        &[
            ("blkio.bfq.io_service_bytes_recursive", bytes),
            ("blkio.bfq.io_serviced_recursive", serviced),
            ("blkio.bfq.io_queued_recursive", queued),
            ("blkio.bfq.io_service_time_recursive", service_time),
            ("blkio.bfq.io_wait_time_recursive", wait_time),
            ("blkio.bfq.io_merged_recursive", merged),
            ("blkio.bfq.time_recursive", time),
            ("blkio.bfq.sectors_recursive", sectors),
        ],
        &[
            ("blkio.bfq.io_service_bytes_recursive", bytes),
            ("blkio.bfq.io_serviced_recursive", serviced),
        ],
        &[
            ("blkio.sectors_recursive", sectors),
            ("blkio.io_service_time_recursive", service_time),
            ("blkio.io_wait_time_recursive", wait_time),
            ("blkio.io_merged_recursive", merged),
            ("blkio.io_queued_recursive", queued),
            ("blkio.time_recursive", time),
            ("blkio.io_serviced_recursive", serviced),
            ("blkio.io_service_bytes_recursive", bytes),
        ],
        &[
            ("blkio.throttle.io_service_bytes_recursive", bytes),
            ("blkio.throttle.io_serviced_recursive", serviced),
        ],
        &[
            ("blkio.throttle.io_service_bytes", bytes),
            ("blkio.throttle.io_serviced", serviced),
        ],
    ];
    for family in families {
        let first = blkio_entries(dir, family[0].0)?;
        if first.is_empty() {
            continue;
        }
        let mut s = BlkioStats::default();
        *(family[0].1)(&mut s) = first;
        for (file, field) in &family[1..] {
            *field(&mut s) = blkio_entries(dir, file)?;
        }
        return Ok(s);
    }
    Ok(BlkioStats::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blkio_reads_the_first_family_with_entries() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(d.join("blkio.io_service_bytes_recursive"), "").unwrap();
        std::fs::write(
            d.join("blkio.throttle.io_service_bytes_recursive"),
            "8:0 Read 4096\n8:0 Write 0\nTotal 4096\n",
        )
        .unwrap();
        std::fs::write(
            d.join("blkio.throttle.io_serviced_recursive"),
            "8:0 Read 1\n",
        )
        .unwrap();
        let s = blkio(d).unwrap();
        assert_eq!(s.io_service_bytes_recursive.len(), 2);
        assert_eq!(s.io_service_bytes_recursive[0].value, 4096);
        assert_eq!(s.io_service_bytes_recursive[1].op, "Write");
        assert_eq!(s.io_serviced_recursive[0].value, 1);
        assert!(s.sectors_recursive.is_empty());
        std::fs::write(
            d.join("blkio.throttle.io_serviced_recursive"),
            "8:0 Read x\n",
        )
        .unwrap();
        assert!(blkio(d).is_err());
    }

    #[test]
    fn cpuacct_splits_user_and_system() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(d.join("cpuacct.usage"), "300\n").unwrap();
        std::fs::write(d.join("cpuacct.usage_percpu"), "100 200 \n").unwrap();
        std::fs::write(
            d.join("cpuacct.usage_all"),
            "cpu user system\n0 60 40\n1 150 50\n",
        )
        .unwrap();
        std::fs::write(d.join("cpuacct.stat"), "user 2\nsystem 1\n").unwrap();
        let mut cpu = CpuStats::default();
        cpuacct(d, &mut cpu).unwrap();
        assert_eq!(cpu.usage.total, 300);
        assert_eq!(cpu.usage.percpu, vec![100, 200]);
        assert_eq!(cpu.usage.percpu_user, vec![60, 150]);
        assert_eq!(cpu.usage.percpu_kernel, vec![40, 50]);
        let tick = 1_000_000_000 / six_sys::proc::clock_ticks();
        assert_eq!((cpu.usage.user, cpu.usage.kernel), (2 * tick, tick));
    }
}
