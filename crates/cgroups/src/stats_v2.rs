//! [`FullStats`] from cgroup v2, as runc reads them: cpu.stat (microseconds, reported in
//! nanoseconds), memory.current/max/stat with swap reported as memory + swap (as v1 counts
//! it), pids.current/max, io.stat as v1's service bytes and serviced counters,
//! `hugetlb.<size>.current` and its events. cgroup v2 has no cpuset counters and no kernel
//! memory limits: those stay empty.

use std::path::Path;

use crate::cgroup::Cgroup;
use crate::error::{Error, Result};
use crate::files;
use crate::stats::{
    hugepage_sizes, keyed, number_or_zero, BlkioEntry, FullStats, HugetlbStats, MemoryEntry,
};

pub(crate) fn full_stats(cg: &Cgroup) -> Result<FullStats> {
    let dir = cg.unified_dir().ok_or(Error::NoHierarchy)?;
    let mut s = FullStats::default();
    let cpu = keyed(dir, "cpu.stat")?;
    let get = |k: &str| cpu.get(k).copied().unwrap_or(0);
    s.cpu.usage.total = get("usage_usec") * 1000;
    s.cpu.usage.user = get("user_usec") * 1000;
    s.cpu.usage.kernel = get("system_usec") * 1000;
    s.cpu.throttling.periods = get("nr_periods");
    s.cpu.throttling.throttled_periods = get("nr_throttled");
    s.cpu.throttling.throttled_time = get("throttled_usec") * 1000;

    if files::exists(dir, "memory.current") {
        let raw = keyed(dir, "memory.stat")?;
        s.memory.cache = raw.get("file").copied().unwrap_or(0);
        s.memory.raw = raw;
        let usage = MemoryEntry {
            usage: number_or_zero(dir, "memory.current")?,
            limit: number_or_zero(dir, "memory.max")?,
            max: number_or_zero(dir, "memory.peak")?,
            failcnt: 0,
        };
        let mut swap = MemoryEntry {
            usage: number_or_zero(dir, "memory.swap.current")?,
            limit: number_or_zero(dir, "memory.swap.max")?,
            ..MemoryEntry::default()
        };
        // Memory + swap, as cgroup v1 reports it.
        swap.usage = swap.usage.saturating_add(usage.usage);
        if swap.limit != u64::MAX {
            swap.limit = swap.limit.saturating_add(usage.limit);
        }
        s.memory.usage = usage;
        s.memory.swap = swap;
    }
    s.pids.current = number_or_zero(dir, "pids.current")?;
    s.pids.limit = match number_or_zero(dir, "pids.max")? {
        u64::MAX => 0,
        n => n,
    };
    io(dir, &mut s)?;
    for size in hugepage_sizes() {
        let current = format!("hugetlb.{size}.current");
        if !files::exists(dir, &current) {
            continue;
        }
        let events = keyed(dir, &format!("hugetlb.{size}.events"))?;
        let h = HugetlbStats {
            usage: number_or_zero(dir, &current)?,
            max: 0,
            failcnt: events.get("max").copied().unwrap_or(0),
        };
        s.hugetlb.insert(size, h);
    }
    Ok(s)
}

/// io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4 ...") as v1's counters: bytes and
/// operations, each Read and Write.
fn io(dir: &Path, s: &mut FullStats) -> Result<()> {
    if !files::exists(dir, "io.stat") {
        return Ok(());
    }
    let text = files::read(dir, "io.stat")?;
    let bad = |line: &str| Error::Parse {
        path: dir.join("io.stat"),
        content: line.to_owned(),
        expected: "lines \"MAJOR:MINOR key=value ...\"",
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut fields = line.split_whitespace();
        let device = fields.next().ok_or_else(|| bad(line))?;
        let (major, minor) = device.split_once(':').ok_or_else(|| bad(line))?;
        let (major, minor) = (
            major.parse().map_err(|_| bad(line))?,
            minor.parse().map_err(|_| bad(line))?,
        );
        for kv in fields {
            let (key, value) = kv.split_once('=').ok_or_else(|| bad(line))?;
            let (list, op) = match key {
                "rbytes" => (&mut s.blkio.io_service_bytes_recursive, "Read"),
                "wbytes" => (&mut s.blkio.io_service_bytes_recursive, "Write"),
                "rios" => (&mut s.blkio.io_serviced_recursive, "Read"),
                "wios" => (&mut s.blkio.io_serviced_recursive, "Write"),
                _ => continue,
            };
            list.push(BlkioEntry {
                major,
                minor,
                op: op.to_owned(),
                value: value.parse().map_err(|_| bad(line))?,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{Cgroup, Hierarchy, Nesting, Version};

    #[test]
    fn v2_counters_in_runcs_units_and_shape() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("cgroup.controllers"), "cpu io memory pids\n").unwrap();
        std::fs::write(t.path().join("cgroup.subtree_control"), "").unwrap();
        let h = Hierarchy::at(t.path(), Version::V2).unwrap();
        let cg = Cgroup::new(&h, Some("/c"), &Nesting::Spec, "c").unwrap();
        cg.create().unwrap();
        let d = t.path().join("c");
        for (file, text) in [
            (
                "cpu.stat",
                "usage_usec 30\nuser_usec 20\nsystem_usec 10\nnr_periods 4\nnr_throttled 1\nthrottled_usec 7\n",
            ),
            ("memory.current", "4096\n"),
            ("memory.max", "max\n"),
            ("memory.swap.current", "100\n"),
            ("memory.swap.max", "1000\n"),
            ("memory.stat", "anon 1024\nfile 2048\n"),
            ("pids.current", "3\n"),
            ("pids.max", "max\n"),
            ("io.stat", "8:0 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n"),
        ] {
            std::fs::write(d.join(file), text).unwrap();
        }
        let s = cg.full_stats().unwrap();
        assert_eq!(s.cpu.usage.total, 30_000);
        assert_eq!((s.cpu.usage.user, s.cpu.usage.kernel), (20_000, 10_000));
        assert_eq!(s.cpu.throttling.periods, 4);
        assert_eq!(s.cpu.throttling.throttled_time, 7_000);
        assert_eq!(s.memory.usage.usage, 4096);
        assert_eq!(s.memory.usage.limit, u64::MAX);
        assert_eq!(s.memory.swap.usage, 4196, "memory + swap, as v1");
        assert_eq!(s.memory.swap.limit, u64::MAX, "a limit above max stays max");
        assert_eq!(s.memory.cache, 2048);
        assert_eq!(s.memory.raw["anon"], 1024);
        assert_eq!((s.pids.current, s.pids.limit), (3, 0));
        let v = serde_json::to_value(&s.blkio).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "ioServiceBytesRecursive": [{"major": 8, "op": "Read", "value": 512}, {"major": 8, "op": "Write"}],
                "ioServicedRecursive": [{"major": 8, "op": "Read", "value": 1}, {"major": 8, "op": "Write"}]
            })
        );
        std::fs::write(d.join("memory.max"), "8192\n").unwrap();
        assert_eq!(cg.full_stats().unwrap().memory.swap.limit, 9192);
    }
}
