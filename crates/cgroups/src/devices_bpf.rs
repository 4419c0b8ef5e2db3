//! Device access rules on cgroup v2, where there is no devices.allow: the kernel asks a
//! BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.

use std::path::Path;

use oci_spec::runtime::LinuxDeviceCgroup;

use crate::cgroup::Cgroup;
use crate::error::{Error, Result};

pub(crate) fn apply(_cg: &Cgroup, _dir: &Path, rules: &[LinuxDeviceCgroup]) -> Result<()> {
    if rules.is_empty() {
        return Ok(());
    }
    Err(Error::Unsupported {
        what: "linux.resources.devices".into(),
        context: "on cgroup v2 yet (it needs a BPF device program)",
    })
}
