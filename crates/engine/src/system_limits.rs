//! What `info` says the kernel lets a container be limited by (Docker's `MemoryLimit`,
//! `SwapLimit`, `CpuCfsQuota`...), read as Docker's `sysinfo` package reads it: which cgroup
//! controllers are mounted and which of their control files exist at the root of each
//! hierarchy (v1), or which controllers the unified hierarchy offers (v2). Plus two facts
//! of the host: a sysctl switch and this process's open files. Only reads.

use std::path::Path;

/// The limits the cgroups of this machine can enforce.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct CgroupLimits {
    pub memory: bool,
    pub swap: bool,
    pub kernel_memory: bool,
    pub kernel_memory_tcp: bool,
    pub oom_kill_disable: bool,
    pub cpu_cfs_period: bool,
    pub cpu_cfs_quota: bool,
    pub cpu_shares: bool,
    pub cpuset: bool,
    pub pids: bool,
}

impl CgroupLimits {
    /// What the mounted cgroup hierarchies offer (all false when they cannot be read).
    pub(crate) fn detect() -> CgroupLimits {
        let Ok(h) = six_cgroups::Hierarchy::detect() else {
            return CgroupLimits::default();
        };
        if h.version() == six_cgroups::Version::V2 {
            let Some(unified) = h.unified_mount() else {
                return CgroupLimits::default();
            };
            let controllers =
                std::fs::read_to_string(unified.mount_point.join("cgroup.controllers"))
                    .unwrap_or_default();
            let has = |c: &str| controllers.split_whitespace().any(|w| w == c);
            return CgroupLimits {
                memory: has("memory"),
                swap: has("memory"),
                cpu_cfs_period: has("cpu"),
                cpu_cfs_quota: has("cpu"),
                cpu_shares: has("cpu"),
                cpuset: has("cpuset"),
                pids: has("pids"),
                ..CgroupLimits::default()
            };
        }
        let root_of = |controller: &str| {
            h.v1_mounts()
                .iter()
                .find(|m| m.has(controller))
                .map(|m| m.mount_point.clone())
        };
        let file = |controller: &str, name: &str| {
            root_of(controller).is_some_and(|dir| dir.join(name).exists())
        };
        CgroupLimits {
            memory: root_of("memory").is_some(),
            swap: file("memory", "memory.memsw.limit_in_bytes"),
            kernel_memory: file("memory", "memory.kmem.limit_in_bytes"),
            kernel_memory_tcp: file("memory", "memory.kmem.tcp.limit_in_bytes"),
            oom_kill_disable: file("memory", "memory.oom_control"),
            cpu_cfs_period: file("cpu", "cpu.cfs_period_us"),
            cpu_cfs_quota: file("cpu", "cpu.cfs_quota_us"),
            cpu_shares: file("cpu", "cpu.shares"),
            cpuset: root_of("cpuset").is_some(),
            pids: root_of("pids").is_some(),
        }
    }
}

/// Whether the sysctl at `/proc/sys/<path>` is 1 (false when it does not exist).
pub(crate) fn sysctl_is_on(path: &str) -> bool {
    std::fs::read_to_string(Path::new("/proc/sys").join(path)).is_ok_and(|v| v.trim() == "1")
}

/// How many files this process has open (Docker shows its daemon's).
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
