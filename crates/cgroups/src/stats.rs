//! Every counter of a container's cgroup that runc reports (`runc events --stats`): cpu
//! usage and throttling, cpuset, memory (usage, swap, kernel, the whole memory.stat), pids,
//! block I/O, hugepages. The types serialize as runc's own stats types do (its field names;
//! zero counters left out where runc leaves them out), so a runc-compatible CLI prints them
//! as they are. Read from cgroup v1 by `stats_v1.rs`, from v2 by `stats_v2.rs`; this file
//! holds the types and the parsing both share. It never writes a file.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::files;

/// The counters of one container's cgroup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FullStats {
    /// CPU time and throttling.
    pub cpu: CpuStats,
    /// The cpuset (v1 only).
    pub cpuset: CpusetStats,
    /// Memory, swap, kernel memory and memory.stat.
    pub memory: MemoryStats,
    /// Processes.
    pub pids: PidsStats,
    /// Block I/O per device.
    pub blkio: BlkioStats,
    /// By page size ("2MB").
    pub hugetlb: BTreeMap<String, HugetlbStats>,
}

fn zero(v: &u64) -> bool {
    *v == 0
}

/// CPU counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuStats {
    /// Time used.
    pub usage: CpuUsage,
    /// Time held back by the CFS quota.
    pub throttling: Throttling,
}

/// Nanoseconds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpuUsage {
    /// All CPU time.
    #[serde(skip_serializing_if = "zero")]
    pub total: u64,
    /// All CPU time, per CPU (v1's cpuacct.usage_percpu).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu: Vec<u64>,
    /// Kernel-mode time per CPU (v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_kernel: Vec<u64>,
    /// User-mode time per CPU (v1).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_user: Vec<u64>,
    /// Kernel-mode time.
    pub kernel: u64,
    /// User-mode time.
    pub user: u64,
}

/// CFS bandwidth counters (cpu.stat).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Throttling {
    /// Enforcement periods that have passed.
    #[serde(skip_serializing_if = "zero")]
    pub periods: u64,
    /// Periods in which the cgroup used up its quota.
    #[serde(rename = "throttledPeriods", skip_serializing_if = "zero")]
    pub throttled_periods: u64,
    /// Nanoseconds.
    #[serde(rename = "throttledTime", skip_serializing_if = "zero")]
    pub throttled_time: u64,
}

/// cgroup v1's cpuset files (cgroup v2 reports none of them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CpusetStats {
    /// cpuset.cpus, expanded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cpus: Vec<u16>,
    /// cpuset.cpu_exclusive.
    pub cpu_exclusive: u64,
    /// cpuset.mems, expanded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mems: Vec<u16>,
    /// cpuset.mem_hardwall.
    pub mem_hardwall: u64,
    /// cpuset.mem_exclusive.
    pub mem_exclusive: u64,
    /// cpuset.memory_migrate.
    pub memory_migrate: u64,
    /// cpuset.memory_spread_page.
    pub memory_spread_page: u64,
    /// cpuset.memory_spread_slab.
    pub memory_spread_slab: u64,
    /// cpuset.memory_pressure.
    pub memory_pressure: u64,
    /// cpuset.sched_load_balance.
    pub sched_load_balance: u64,
    /// cpuset.sched_relax_domain_level.
    pub sched_relax_domain_level: i64,
}

/// Memory counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryStats {
    /// Page cache, in bytes (memory.stat's cache, or file on v2).
    #[serde(skip_serializing_if = "zero")]
    pub cache: u64,
    /// Memory.
    pub usage: MemoryEntry,
    /// Memory + swap, on v2 as on v1.
    pub swap: MemoryEntry,
    /// Kernel memory (v1's memory.kmem).
    pub kernel: MemoryEntry,
    /// Kernel TCP buffers (v1's memory.kmem.tcp).
    #[serde(rename = "kernelTCP")]
    pub kernel_tcp: MemoryEntry,
    /// memory.stat as it is.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, u64>,
}

/// Bytes; an unlimited limit is the kernel's largest value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MemoryEntry {
    /// The limit.
    pub limit: u64,
    /// In use now.
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    /// The high-water mark.
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    /// How many times the limit was hit.
    pub failcnt: u64,
}

/// Process counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PidsStats {
    /// Processes (tasks) in the cgroup now.
    #[serde(skip_serializing_if = "zero")]
    pub current: u64,
    /// 0: unlimited.
    #[serde(skip_serializing_if = "zero")]
    pub limit: u64,
}

/// Block I/O counters, per device (v1 reads the first family of blkio files that has any,
/// as runc does: BFQ, CFQ, then the throttle counters; v2 reads io.stat).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BlkioStats {
    /// Bytes transferred, per device and operation (v2: io.stat's rbytes, wbytes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_service_bytes_recursive: Vec<BlkioEntry>,
    /// I/O operations, per device and operation (v2: rios, wios).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_serviced_recursive: Vec<BlkioEntry>,
    /// Requests queued (v1, BFQ or CFQ).
    #[serde(rename = "ioQueueRecursive", skip_serializing_if = "Vec::is_empty")]
    pub io_queued_recursive: Vec<BlkioEntry>,
    /// Time spent serving requests (v1, BFQ or CFQ).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_service_time_recursive: Vec<BlkioEntry>,
    /// Time requests waited (v1, BFQ or CFQ).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_wait_time_recursive: Vec<BlkioEntry>,
    /// Requests merged (v1, BFQ or CFQ).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_merged_recursive: Vec<BlkioEntry>,
    /// Disk time (v1, BFQ or CFQ).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub io_time_recursive: Vec<BlkioEntry>,
    /// Sectors transferred (v1, BFQ or CFQ).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sectors_recursive: Vec<BlkioEntry>,
}

/// One device's counter: "8:0 Read 4096".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BlkioEntry {
    /// The device's major number.
    #[serde(skip_serializing_if = "zero")]
    pub major: u64,
    /// Its minor number.
    #[serde(skip_serializing_if = "zero")]
    pub minor: u64,
    /// "Read", "Write", "Sync", "Async", "Discard", "Total" ("" for a plain counter).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub op: String,
    /// The counter.
    #[serde(skip_serializing_if = "zero")]
    pub value: u64,
}

/// Huge pages of one size, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HugetlbStats {
    /// In use now.
    #[serde(skip_serializing_if = "zero")]
    pub usage: u64,
    /// The high-water mark.
    #[serde(skip_serializing_if = "zero")]
    pub max: u64,
    /// How many times the limit was hit.
    pub failcnt: u64,
}

/// `dir/file` as a number; 0 when the file is missing (a counter this kernel does not keep);
/// "max" as u64::MAX.
pub(crate) fn number_or_zero(dir: &Path, file: &str) -> Result<u64> {
    if !files::exists(dir, file) {
        return Ok(0);
    }
    Ok(files::read_u64(dir, file)?.unwrap_or(u64::MAX))
}

/// A flat keyed file ("key value" lines: memory.stat, cpu.stat) as a map; missing: empty.
pub(crate) fn keyed(dir: &Path, file: &str) -> Result<BTreeMap<String, u64>> {
    if !files::exists(dir, file) {
        return Ok(BTreeMap::new());
    }
    let text = files::read(dir, file)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parsed = l
                .split_once(' ')
                .and_then(|(k, v)| Some((k.to_owned(), v.trim().parse().ok()?)));
            parsed.ok_or_else(|| Error::Parse {
                path: dir.join(file),
                content: l.to_owned(),
                expected: "\"key value\" lines",
            })
        })
        .collect()
}

/// A cpuset list ("0-3,5") as its members.
pub(crate) fn cpu_list(text: &str) -> Option<Vec<u16>> {
    let mut out = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<u16>().ok()?..=b.parse::<u16>().ok()?),
            None => out.push(part.parse().ok()?),
        }
    }
    Some(out)
}

/// A hugepage size as the kernel names its directories ("hugepages-2048kB") in the form
/// cgroup files use ("2MB").
pub(crate) fn hugepage_size_name(kb: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    let (mut size, mut unit) = (kb, 0);
    while size >= 1024 && size % 1024 == 0 && unit + 1 < UNITS.len() {
        size /= 1024;
        unit += 1;
    }
    format!("{size}{}", UNITS[unit])
}

/// The hugepage sizes this machine offers, as cgroup files name them.
pub(crate) fn hugepage_sizes() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/sys/kernel/mm/hugepages") else {
        return Vec::new();
    };
    let mut sizes: Vec<u64> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix("hugepages-")?
                .strip_suffix("kB")?
                .parse()
                .ok()
        })
        .collect();
    sizes.sort_unstable();
    sizes.into_iter().map(hugepage_size_name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_sizes_and_keyed_files_parse() {
        assert_eq!(cpu_list("0-2,5\n"), Some(vec![0, 1, 2, 5]));
        assert_eq!(cpu_list(""), Some(vec![]));
        assert_eq!(cpu_list("x"), None);
        assert_eq!(hugepage_size_name(2048), "2MB");
        assert_eq!(hugepage_size_name(1048576), "1GB");
        assert_eq!(hugepage_size_name(64), "64KB");
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("memory.stat"), "cache 4096\nrss 12\n").unwrap();
        let m = keyed(t.path(), "memory.stat").unwrap();
        assert_eq!(m["cache"], 4096);
        assert_eq!(m["rss"], 12);
        std::fs::write(t.path().join("bad"), "cache x\n").unwrap();
        assert!(keyed(t.path(), "bad").is_err());
        assert!(keyed(t.path(), "missing").unwrap().is_empty());
        assert_eq!(number_or_zero(t.path(), "missing").unwrap(), 0);
    }

    #[test]
    fn serializes_as_runc_leaving_out_what_runc_leaves_out() {
        let mut s = FullStats::default();
        s.memory.usage.limit = 100;
        s.pids.current = 1;
        s.blkio.io_service_bytes_recursive.push(BlkioEntry {
            major: 8,
            minor: 0,
            op: "Write".into(),
            value: 0,
        });
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["cpu"],
            serde_json::json!({"usage": {"kernel": 0, "user": 0}, "throttling": {}})
        );
        assert_eq!(
            v["memory"]["usage"],
            serde_json::json!({"limit": 100, "failcnt": 0})
        );
        assert_eq!(v["pids"], serde_json::json!({"current": 1}));
        assert_eq!(
            v["blkio"],
            serde_json::json!({"ioServiceBytesRecursive": [{"major": 8, "op": "Write"}]})
        );
        assert_eq!(v["hugetlb"], serde_json::json!({}));
        assert_eq!(v["cpuset"]["sched_relax_domain_level"], 0);
    }
}
