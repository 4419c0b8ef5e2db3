//! The cgroup of one container: its directory in every hierarchy, and the life of those
//! directories (create, join, freeze, list, destroy). Resource limits live in `v1.rs` and
//! `v2.rs`; a process joining by itself, after fork, in `join.rs`; where the directories go
//! in `placement.rs`. It never moves a process it was not asked to move.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use oci_spec::runtime::LinuxResources;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::files;
use crate::hierarchy::{Hierarchy, Version};
use crate::placement::{Nesting, Placement};
use crate::{v1, v2};

/// How long `destroy` retries EBUSY while the last processes exit, and `freeze` waits.
pub(crate) const SETTLE_TIMEOUT: Duration = Duration::from_secs(2);

/// The container's directory in one hierarchy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Dir {
    /// v1 controllers of the hierarchy ("memory", "cpu", "name=systemd"); empty for cgroup2.
    pub controllers: Vec<String>,
    /// The hierarchy's mount point name ("memory", "cpu,cpuacct", "unified").
    pub name: String,
    pub mount_point: PathBuf,
    /// The container's directory.
    pub path: PathBuf,
}

/// The set of directories of one container, one per mounted hierarchy. Serializable, so
/// the runtime can keep it in its state file and destroy it from another process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cgroup {
    pub(crate) version: Version,
    pub(crate) v1: Vec<Dir>,
    pub(crate) unified: Option<Dir>,
    /// A fake tree of plain files (tests): control files are created on write.
    pub(crate) fake: bool,
}

impl Cgroup {
    /// Plans (does not create) the container's directories: `cgroups_path` (the OCI
    /// linux.cgroupsPath, or the container ID when None, as runc) placed as `nesting` says — runc's
    /// rule ([`Nesting::Spec`]: absolute from each hierarchy's root) or below a parent.
    pub fn new(
        h: &Hierarchy,
        cgroups_path: Option<&str>,
        nesting: &Nesting,
        id: &str,
    ) -> Result<Cgroup> {
        let placement = Placement::new(cgroups_path, nesting, id)?;
        let pure_v2 = h.version == Version::V2;
        let dir_for = |m: &crate::hierarchy::Mount, unified: bool| Dir {
            controllers: m.controllers.clone(),
            name: m.name(),
            mount_point: m.mount_point.clone(),
            path: m.dir_of(&placement.cgroup_in(&m.own_cgroup, unified && pure_v2)),
        };
        Ok(Cgroup {
            version: h.version,
            v1: h.v1.iter().map(|m| dir_for(m, false)).collect(),
            unified: h.unified.as_ref().map(|m| dir_for(m, true)),
            fake: h.fake,
        })
    }

    /// Creates the directories (mkdir -p) in every hierarchy. v1: fills cpuset.cpus/mems of
    /// each new cpuset directory from its parent. v2: enables the available controllers in
    /// the ancestors' cgroup.subtree_control. On failure, removes what it created.
    pub fn create(&self) -> Result<()> {
        let _span = tracing::debug_span!("cgroup_create").entered();
        let mut created: Vec<PathBuf> = Vec::new();
        let result = self.create_all(&mut created);
        if result.is_err() {
            for dir in created.iter().rev() {
                let _ = fs::remove_dir(dir);
            }
        }
        result
    }

    fn create_all(&self, created: &mut Vec<PathBuf>) -> Result<()> {
        for dir in self.v1.iter().chain(self.unified.as_ref()) {
            mkdir_p(&dir.path, created)?;
        }
        if let Some(cpuset) = self.v1_dir("cpuset") {
            v1::init_cpuset(self, cpuset)?;
        }
        if self.version == Version::V2 {
            if let Some(u) = &self.unified {
                v2::enable_controllers(self, u)?;
            }
        }
        Ok(())
    }

    /// Applies the resource limits: memory, cpu, cpuset, pids, devices, block I/O,
    /// hugepages. Zero and empty values mean "unset" and change nothing, as runc reads them
    /// (`unset.rs`). Anything else this machine's cgroups cannot do is an error.
    pub fn set(&self, r: &LinuxResources) -> Result<()> {
        let _span = tracing::debug_span!("cgroup_set").entered();
        let r = crate::unset::runc_meaning(r);
        match self.version {
            Version::V2 => v2::set(self, &r),
            Version::V1 | Version::Hybrid => v1::set(self, &r),
        }
    }

    /// Moves process `pid` into the container's cgroup in every hierarchy.
    pub fn add_process(&self, pid: i32) -> Result<()> {
        let _span = tracing::debug_span!("cgroup_add_process", pid).entered();
        for dir in self.v1.iter().chain(self.unified.as_ref()) {
            self.write(&dir.path, "cgroup.procs", &pid.to_string())?;
        }
        Ok(())
    }

    /// The cgroup2 directory, for clone3(CLONE_INTO_CGROUP). Present on v2 and hybrid.
    pub fn unified_dir(&self) -> Option<&Path> {
        self.unified.as_ref().map(|d| d.path.as_path())
    }

    /// The layout this cgroup lives in.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The container's directory in the v1 hierarchy carrying `controller` ("memory",
    /// "cpu", "name=systemd"), if that hierarchy is mounted.
    pub fn v1_dir(&self, controller: &str) -> Option<&Path> {
        self.v1
            .iter()
            .find(|d| d.controllers.iter().any(|c| c == controller))
            .map(|d| d.path.as_path())
    }

    /// Stops every process of the container and waits until the kernel says they are.
    pub fn freeze(&self) -> Result<()> {
        crate::freeze::set_frozen(self, true)
    }

    /// Lets the processes run again.
    pub fn thaw(&self) -> Result<()> {
        crate::freeze::set_frozen(self, false)
    }

    /// The PIDs in the container's cgroup and in every cgroup below it (runc's GetAllPids:
    /// `exec --cgroup` and nested managers put processes there).
    pub fn pids(&self) -> Result<Vec<i32>> {
        files::read_pids_below(self.membership_dir().ok_or(Error::NoHierarchy)?)
    }

    /// Whether the container's directory exists (in the hierarchy `pids` reads).
    pub fn exists(&self) -> bool {
        self.membership_dir().is_some_and(|d| d.is_dir())
    }

    /// Whether the cgroup is frozen by itself (not only through an ancestor); false when it
    /// does not exist. `create` refuses such a cgroup, as runc does.
    pub fn is_frozen(&self) -> Result<bool> {
        crate::freeze::is_frozen(self)
    }

    /// Memory, cpu and pids counters.
    pub fn stats(&self) -> Result<Stats> {
        match self.version {
            Version::V2 => v2::stats(self),
            Version::V1 | Version::Hybrid => v1::stats(self),
        }
    }

    /// Every counter runc reports for a container (`runc events --stats`).
    pub fn full_stats(&self) -> Result<crate::FullStats> {
        match self.version {
            Version::V2 => crate::stats_v2::full_stats(self),
            Version::V1 | Version::Hybrid => crate::stats_v1::full_stats(self),
        }
    }

    /// A registration for this cgroup's OOM kills (and its end): see [`crate::OomWatch`].
    pub fn watch_oom(&self) -> Result<crate::OomWatch> {
        crate::OomWatch::new(self)
    }

    /// How many processes the kernel's OOM killer killed in this cgroup: v1
    /// `memory.oom_control`, v2 `memory.events` (`oom_kill`). 0 when unknown.
    pub fn oom_kills(&self) -> u64 {
        let file = match (self.v1_dir("memory"), self.unified_dir()) {
            (Some(d), _) => d.join("memory.oom_control"),
            (None, Some(d)) => d.join("memory.events"),
            (None, None) => return 0,
        };
        let text = std::fs::read_to_string(file).unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix("oom_kill "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Removes the container's directory in every hierarchy (not the parents it may have
    /// created). Retries EBUSY briefly while the last processes exit. Missing is fine.
    pub fn destroy(&self) -> Result<()> {
        let _span = tracing::debug_span!("cgroup_destroy").entered();
        let mut first_err = None;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        for dir in self.v1.iter().chain(self.unified.as_ref()) {
            if let Err(e) = self.remove(&dir.path, deadline) {
                tracing::warn!(error = &e as &dyn std::error::Error, "destroying a cgroup");
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    fn remove(&self, path: &Path, deadline: Instant) -> Result<()> {
        if self.fake {
            return match fs::remove_dir_all(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::Remove {
                    path: path.into(),
                    source: e,
                }),
                _ => Ok(()),
            };
        }
        let mut pause = Duration::from_micros(500);
        loop {
            // Sub-cgroups the container made itself (systemd inside, a nested runtime) go
            // first, deepest first; the kernel refuses any that still hold processes.
            remove_children(path);
            let removed = six_trace::call(
                six_trace::Kind::CgroupDir,
                || fs::remove_dir(path),
                |d| std::fmt::Write::write_fmt(d, format_args!("rmdir {}", path.display())),
            );
            match removed {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) && Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => {
                    return Err(Error::Remove {
                        path: path.into(),
                        source: e,
                    })
                }
            }
        }
    }

    /// What to mount in the container for a `cgroup` mount: (hierarchy name, directory).
    /// v1 hierarchies by their mount name ("memory", "cpu,cpuacct", "systemd"); the cgroup2
    /// directory as "" on pure v2 (it is /sys/fs/cgroup itself) or "unified" on hybrid.
    pub fn mounts_for_container(&self) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> = self
            .v1
            .iter()
            .map(|d| (d.name.clone(), d.path.clone()))
            .collect();
        if let Some(u) = &self.unified {
            let name = if self.version == Version::V2 {
                String::new()
            } else {
                u.name.clone()
            };
            out.push((name, u.path.clone()));
        }
        out
    }

    /// Where cgroup.procs is read: the unified directory on v2, else a v1 one.
    fn membership_dir(&self) -> Option<&Path> {
        match self.version {
            Version::V2 => self.unified_dir(),
            _ => self
                .v1_dir("pids")
                .or_else(|| self.v1_dir("freezer"))
                .or_else(|| self.v1.first().map(|d| d.path.as_path())),
        }
    }

    #[track_caller]
    pub(crate) fn write(&self, dir: &Path, file: &str, value: &str) -> Result<()> {
        files::write(dir, file, value, self.fake)
    }
}

/// memory.checkBeforeUpdate: refuses a limit below what the cgroup already uses.
pub(crate) fn check_usage_below(dir: &Path, usage_file: &str, limit: i64) -> Result<()> {
    let Ok(limit) = u64::try_from(limit) else {
        return Ok(());
    };
    let usage = files::read_u64(dir, usage_file)?.unwrap_or(0);
    if limit < usage {
        return Err(Error::BadValue {
            what: "memory.limit",
            value: format!(
                "{limit} (checkBeforeUpdate: {} uses {usage} bytes)",
                dir.display()
            ),
            expected: "a limit at least the current usage",
        });
    }
    Ok(())
}

/// Removes the (empty) cgroup directories below `dir`, deepest first; best effort.
fn remove_children(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            let sub = e.path();
            remove_children(&sub);
            let _ = fs::remove_dir(&sub);
        }
    }
}

/// Memory, cpu and pids counters of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Memory in use now, in bytes.
    pub memory_usage_bytes: u64,
    /// None: unlimited.
    pub memory_limit_bytes: Option<u64>,
    /// The high-water mark, where the kernel keeps one.
    pub memory_max_usage_bytes: Option<u64>,
    /// CPU time used, in nanoseconds.
    pub cpu_usage_ns: u64,
    /// How many processes (tasks) it holds.
    pub pids_current: u64,
    /// None: unlimited.
    pub pids_limit: Option<u64>,
}

/// mkdir -p, recording each directory it made (top first).
fn mkdir_p(path: &Path, created: &mut Vec<PathBuf>) -> Result<()> {
    let mut missing = Vec::new();
    let mut p = path;
    while !p.exists() {
        missing.push(p.to_path_buf());
        match p.parent() {
            Some(parent) => p = parent,
            None => break,
        }
    }
    for dir in missing.into_iter().rev() {
        let made = six_trace::call(
            six_trace::Kind::CgroupDir,
            || fs::create_dir(&dir),
            |d| std::fmt::Write::write_fmt(d, format_args!("mkdir {}", dir.display())),
        );
        match made {
            Ok(()) => created.push(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(source) => return Err(Error::Create { path: dir, source }),
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "cgroup_tests.rs"]
mod tests;
