//! cgroups v1 and v2 behind one interface: create, join, limit, freeze, read stats, destroy.
//!
//! A [`Hierarchy`] says what is mounted where (read once from /proc/self/mountinfo, or a
//! fake tree for tests); a [`Cgroup`] is one container's directory in each hierarchy,
//! always nested below the caller's own cgroup (or an explicit parent). The crate knows
//! nothing of containers beyond a path and an OCI `LinuxResources`.
//!
//! ```no_run
//! # fn main() -> six_cgroups::Result<()> {
//! let h = six_cgroups::Hierarchy::detect()?;
//! let cg = six_cgroups::Cgroup::new(&h, None, None, "web")?; // <own cgroup>/sixrun-web
//! cg.create()?;
//! cg.add_process(std::process::id() as i32)?;
//! # Ok(()) }
//! ```

mod cgroup;
mod devices_bpf;
mod error;
mod files;
mod freeze;
mod hierarchy;
mod join;
mod v1;
mod v2;

pub use cgroup::{Cgroup, Stats};
pub use devices_bpf::attach_device_filter;
pub use error::{Error, Result};
pub use hierarchy::{Hierarchy, Mount, Version};
pub use join::{JoinError, JoinPlan};
pub use v2::shares_to_weight;
