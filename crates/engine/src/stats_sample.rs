//! One raw sample of a running container's counters, as Docker's stats API reports them: its
//! cgroup's counters (CPU time per CPU, memory and memory.stat, block I/O, processes), the
//! host's CPU time (`/proc/stat`, for the client's CPU percentage), and its network
//! interfaces' counters (`/proc/<pid>/net/dev`). Two samples make a rate; the caller keeps
//! the previous one (`docker stats` streams them a second apart).

use chrono::{DateTime, Utc};
use six_runtime::FullStats;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::{ContainerConfig, Status};

/// One interface's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InterfaceCounters {
    /// Its name inside the container ("eth0").
    pub name: String,
    /// Bytes, packets, errors and drops received.
    pub rx: [u64; 4],
    /// The same, sent.
    pub tx: [u64; 4],
}

/// A container's counters at one instant.
#[derive(Debug, Clone)]
pub struct StatsSample {
    /// Its full ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// When the sample was taken.
    pub read: DateTime<Utc>,
    /// Its cgroup's counters.
    pub cgroup: FullStats,
    /// The host's CPU time in nanoseconds (user to softirq of `/proc/stat`'s `cpu` line).
    pub system_cpu_ns: u64,
    /// CPUs online.
    pub online_cpus: u32,
    /// The memory limit, or the host's memory when it has none.
    pub memory_limit: u64,
    /// Its network interfaces (loopback left out).
    pub networks: Vec<InterfaceCounters>,
}

impl Engine {
    /// A sample of the running container `c` (`NotRunning` if it is not).
    pub fn stats_sample(&self, c: &str) -> Result<StatsSample> {
        let (id, config, pid, container) = self.running_for_stats(c)?;
        let cgroup = container.full_stats()?;
        let host_memory = crate::info::host_memory();
        let limit = cgroup.memory.usage.limit;
        Ok(StatsSample {
            id,
            name: config.name,
            read: Utc::now(),
            system_cpu_ns: system_cpu_ns(),
            online_cpus: online_cpus(),
            memory_limit: if limit > 0 && limit < host_memory {
                limit
            } else {
                host_memory
            },
            networks: interfaces(pid),
            cgroup,
        })
    }
}

impl Engine {
    /// The running container `c`: its ID, record, init's pid and runtime handle
    /// (`NotRunning` if it is not running).
    pub(crate) fn running_for_stats(
        &self,
        c: &str,
    ) -> Result<(String, ContainerConfig, i32, six_runtime::Container)> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let (Status::Running, Some(pid)) = (state.status, state.pid) else {
            return Err(Error::NotRunning { name: config.name });
        };
        let container = self.running_container(&id, &config.name)?;
        Ok((id, config, pid, container))
    }
}

/// The host's CPU time so far, as Docker's daemon counts it (moby's `getSystemCPUUsage`).
fn system_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: u64 = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(7)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    // SAFETY: sysconf only reads a configuration value.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = u64::try_from(hz).ok().filter(|h| *h > 0).unwrap_or(100);
    ticks.saturating_mul(1_000_000_000 / hz)
}

fn online_cpus() -> u32 {
    // SAFETY: sysconf only reads a configuration value.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    u32::try_from(n).ok().filter(|n| *n > 0).unwrap_or(1)
}

/// The counters of each interface the container's init sees, loopback left out.
pub(crate) fn interfaces(pid: i32) -> Vec<InterfaceCounters> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default();
    parse_net_dev(&text)
}

fn parse_net_dev(text: &str) -> Vec<InterfaceCounters> {
    let mut out = Vec::new();
    for line in text.lines().skip(2) {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        let at = |i: usize| f.get(i).copied().unwrap_or(0);
        out.push(InterfaceCounters {
            name: name.to_owned(),
            rx: [at(0), at(1), at(2), at(3)],
            tx: [at(8), at(9), at(10), at(11)],
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_lines_become_counters() {
        let text = "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0\n  eth0:    1500      12    1    2    0     0          0         0      700       7    3    4    0     0       0          0\n";
        let n = parse_net_dev(text);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].name, "eth0");
        assert_eq!(n[0].rx, [1500, 12, 1, 2]);
        assert_eq!(n[0].tx, [700, 7, 3, 4]);
        assert!(system_cpu_ns() > 0);
        assert!(online_cpus() >= 1);
    }
}
