//! A sub-cgroup of a container's cgroup, as runc's `exec --cgroup [<controller>:]<path>`
//! names it: one path below the container's cgroup in every hierarchy (key `""`), or a path
//! per v1 controller (`memory`, `cpu`), the other hierarchies staying at the container's own
//! cgroup. It only computes directories; it never creates one or moves a process.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cgroup::Cgroup;
use crate::error::{Error, Result};
use crate::hierarchy::Version;
use crate::placement::CgroupName;

impl Cgroup {
    /// The cgroup `sub` names below this one (runc's SubCgroupPaths): `""` → a path below the
    /// container's cgroup in every hierarchy (the only key cgroup v2 takes); a v1 controller
    /// → that controller's hierarchy only. Paths are below the container's cgroup (`/` is
    /// the cgroup itself); one that leads out of it (`..`) is refused, as an unknown
    /// controller is. Whether the directories exist is not checked.
    pub fn below(&self, sub: &BTreeMap<String, String>) -> Result<Cgroup> {
        let mut out = self.clone();
        for (controller, path) in sub {
            let rel = relative(path)?;
            if controller.is_empty() {
                for d in out.v1.iter_mut().chain(out.unified.as_mut()) {
                    d.path.push(&rel);
                }
                continue;
            }
            let unknown = |reason| Error::SubCgroup {
                value: format!("{controller}:{path}"),
                reason,
            };
            if self.version == Version::V2 {
                return Err(unknown(
                    "names a controller (on cgroup v2 a sub-cgroup is one path for every controller)",
                ));
            }
            let at = self
                .v1
                .iter()
                .position(|d| d.controllers.iter().any(|c| c == controller))
                .ok_or_else(|| {
                    unknown("names an unknown controller (no cgroup v1 hierarchy carries it)")
                })?;
            // From the container's own directory: `cpu,cpuacct:sub` names one hierarchy twice.
            out.v1[at].path = self.v1[at].path.join(&rel);
        }
        Ok(out)
    }
}

/// `path` as a path below a cgroup: `/` and `.` are the cgroup itself, `..` is refused.
fn relative(path: &str) -> Result<PathBuf> {
    CgroupName::parse(path, true)
        .map(|name| name.rel)
        .map_err(|_| Error::SubCgroup {
            value: path.to_owned(),
            reason: "is not a sub cgroup path (\"..\" leads out of the container's cgroup)",
        })
}

#[cfg(test)]
#[path = "sub_cgroup_tests.rs"]
mod tests;
