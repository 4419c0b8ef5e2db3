//! cgroups v1 and v2 behind one interface: create, join, limit, freeze, read stats, destroy.
//!
//! A [`Hierarchy`] says what is mounted where (read once from /proc/self/mountinfo, or a
//! fake tree for tests); a [`Cgroup`] is one container's directory in each hierarchy, placed
//! as a [`Nesting`] says: runc's reading of linux.cgroupsPath (an absolute path from the root
//! of each hierarchy, a relative one below the caller's own cgroup), or everything below a
//! parent. Zero and empty resource values mean "unset", as runc reads them (`unset.rs`). The
//! crate knows nothing of containers beyond a path and an OCI `LinuxResources`.
//!
//! ```no_run
//! # fn main() -> six_cgroups::Result<()> {
//! let h = six_cgroups::Hierarchy::detect()?;
//! let below_own = six_cgroups::Nesting::below_own();
//! let cg = six_cgroups::Cgroup::new(&h, None, &below_own, "web")?; // <own cgroup>/web
//! cg.create()?;
//! cg.add_process(std::process::id() as i32)?;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

mod cgroup;
mod device_rules;
mod devices_bpf;
mod error;
mod files;
mod freeze;
mod hierarchy;
mod join;
mod oom;
mod placement;
mod stats;
mod stats_v1;
mod stats_v2;
mod sub_cgroup;
mod unset;
mod v1;
mod v2;

pub use cgroup::{Cgroup, Stats};
pub use devices_bpf::attach_device_filter;
pub use error::{Error, Result};
pub use hierarchy::{Hierarchy, Mount, Version};
pub use join::{JoinError, JoinPlan};
pub use oom::{OomEvent, OomWatch};
pub use placement::Nesting;
pub use stats::{
    BlkioEntry, BlkioStats, CpuStats, CpuUsage, CpusetStats, FullStats, HugetlbStats, MemoryEntry,
    MemoryStats, PidsStats, Throttling,
};
pub use v2::shares_to_weight;
