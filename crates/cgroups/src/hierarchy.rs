//! What cgroup filesystems are mounted where, and which cgroup the calling process is in.
//!
//! Owns the parsing of /proc/self/mountinfo and /proc/self/cgroup. It never creates,
//! writes or removes anything.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Which cgroup layout a machine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Version {
    /// One v1 hierarchy per controller (or group of controllers), no cgroup2.
    V1,
    /// One unified cgroup2 hierarchy holding every controller.
    V2,
    /// v1 hierarchies for the controllers plus a cgroup2 mount (usually /sys/fs/cgroup/unified).
    Hybrid,
}

/// The v1 controllers this crate knows. Mount options that are not in this list
/// (rw, relatime, xattr, ...) are not controllers.
const V1_CONTROLLERS: &[&str] = &[
    "cpu",
    "cpuacct",
    "cpuset",
    "memory",
    "devices",
    "freezer",
    "net_cls",
    "net_prio",
    "blkio",
    "perf_event",
    "hugetlb",
    "pids",
    "rdma",
    "misc",
];

/// One mounted hierarchy: a v1 one (with its controllers) or the cgroup2 one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// v1: the controllers bound to it, e.g. ["cpu", "cpuacct"] or ["name=systemd"].
    /// Empty for cgroup2.
    pub controllers: Vec<String>,
    /// Where it is mounted, e.g. /sys/fs/cgroup/memory.
    pub mount_point: PathBuf,
    /// Which cgroup of the hierarchy the mount shows at `mount_point` (4th mountinfo field).
    pub mount_root: PathBuf,
    /// The caller's own cgroup in this hierarchy, as /proc/self/cgroup says it.
    pub own_cgroup: PathBuf,
}

impl Mount {
    /// The directory of cgroup `cgroup` (a path from the hierarchy's root) under this mount.
    pub fn dir_of(&self, cgroup: &Path) -> PathBuf {
        let rel = cgroup.strip_prefix(&self.mount_root).unwrap_or(cgroup);
        let rel = rel.strip_prefix("/").unwrap_or(rel);
        self.mount_point.join(rel)
    }

    /// The name under which this hierarchy is conventionally mounted: the mount point's
    /// last component ("memory", "cpu,cpuacct", "systemd", "unified").
    pub fn name(&self) -> String {
        self.mount_point
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    /// Whether this v1 hierarchy carries `controller`.
    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// What is mounted where: the v1 hierarchies and the cgroup2 one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub(crate) version: Version,
    pub(crate) v1: Vec<Mount>,
    pub(crate) unified: Option<Mount>,
    /// A fake tree for tests: control files are plain files, created on write.
    pub(crate) fake: bool,
}

impl Hierarchy {
    /// Reads /proc/self/mountinfo and /proc/self/cgroup.
    pub fn detect() -> Result<Hierarchy> {
        let read = |p: &str| {
            fs::read_to_string(p).map_err(|source| Error::Read {
                path: p.into(),
                source,
            })
        };
        Self::from_proc(&read("/proc/self/mountinfo")?, &read("/proc/self/cgroup")?)
    }

    /// Parses the text of /proc/self/mountinfo and /proc/self/cgroup.
    pub fn from_proc(mountinfo: &str, self_cgroup: &str) -> Result<Hierarchy> {
        let mut v1: Vec<Mount> = Vec::new();
        let mut unified: Option<Mount> = None;
        for line in mountinfo.lines() {
            let Some((fields, post)) = line.split_once(" - ") else {
                continue;
            };
            let fields: Vec<&str> = fields.split(' ').collect();
            let post: Vec<&str> = post.split(' ').collect();
            if fields.len() < 5 || post.len() < 3 {
                continue;
            }
            let (root, point) = (unescape(fields[3]), unescape(fields[4]));
            match post[0] {
                "cgroup2" if unified.is_none() => {
                    unified = Some(Mount {
                        controllers: vec![],
                        mount_point: point.into(),
                        mount_root: root.into(),
                        own_cgroup: "/".into(),
                    });
                }
                "cgroup" => {
                    let controllers: Vec<String> = post[2]
                        .split(',')
                        .filter(|o| V1_CONTROLLERS.contains(o) || o.starts_with("name="))
                        .map(str::to_owned)
                        .collect();
                    if controllers.is_empty() || v1.iter().any(|m| m.controllers == controllers) {
                        continue;
                    }
                    v1.push(Mount {
                        controllers,
                        mount_point: point.into(),
                        mount_root: root.into(),
                        own_cgroup: "/".into(),
                    });
                }
                _ => {}
            }
        }
        let mut h = Self::assemble(v1, unified, false)?;
        h.set_own_cgroups(self_cgroup);
        Ok(h)
    }

    /// A hierarchy rooted at `fs_root` instead of the real mounts: for tests against a fake
    /// cgroupfs tree of plain files. V1: every subdirectory of `fs_root` is a hierarchy named
    /// by its controllers ("memory", "cpu,cpuacct"; "systemd" becomes name=systemd). V2:
    /// `fs_root` is the cgroup2 root. Hybrid: V1 plus `fs_root/unified` as cgroup2.
    /// The caller's own cgroup is taken to be the root everywhere (see
    /// [`Hierarchy::with_own_cgroups`]).
    pub fn at(fs_root: &Path, version: Version) -> Result<Hierarchy> {
        let mount = |controllers: Vec<String>, point: PathBuf| Mount {
            controllers,
            mount_point: point,
            mount_root: "/".into(),
            own_cgroup: "/".into(),
        };
        let mut v1 = Vec::new();
        if version != Version::V2 {
            let entries = fs::read_dir(fs_root).map_err(|source| Error::Read {
                path: fs_root.into(),
                source,
            })?;
            let mut names: Vec<String> = entries
                .flatten()
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "unified")
                .collect();
            names.sort();
            for name in names {
                let controllers = name
                    .split(',')
                    .map(|c| {
                        if V1_CONTROLLERS.contains(&c) {
                            c.to_owned()
                        } else {
                            format!("name={c}")
                        }
                    })
                    .collect();
                v1.push(mount(controllers, fs_root.join(&name)));
            }
        }
        let unified = match version {
            Version::V1 => None,
            Version::V2 => Some(mount(vec![], fs_root.to_path_buf())),
            Version::Hybrid => Some(mount(vec![], fs_root.join("unified"))),
        };
        Self::assemble(v1, unified, true)
    }

    /// Replaces the caller's own cgroups with those in `self_cgroup` (text in the format of
    /// /proc/self/cgroup). Lets tests of a fake tree check the nesting below the caller.
    pub fn with_own_cgroups(mut self, self_cgroup: &str) -> Hierarchy {
        self.set_own_cgroups(self_cgroup);
        self
    }

    /// v1, v2 or hybrid.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The mounted v1 hierarchies (empty on pure v2).
    pub fn v1_mounts(&self) -> &[Mount] {
        &self.v1
    }

    /// The cgroup2 mount, if any.
    pub fn unified_mount(&self) -> Option<&Mount> {
        self.unified.as_ref()
    }

    fn assemble(v1: Vec<Mount>, unified: Option<Mount>, fake: bool) -> Result<Hierarchy> {
        let version = match (v1.is_empty(), unified.is_some()) {
            (true, true) => Version::V2,
            (false, false) => Version::V1,
            (false, true) => Version::Hybrid,
            (true, false) => return Err(Error::NoHierarchy),
        };
        Ok(Hierarchy {
            version,
            v1,
            unified,
            fake,
        })
    }

    fn set_own_cgroups(&mut self, self_cgroup: &str) {
        for line in self_cgroup.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if ctrls.is_empty() {
                if let Some(u) = self.unified.as_mut() {
                    u.own_cgroup = path.into();
                }
                continue;
            }
            let mut wanted: Vec<&str> = ctrls.split(',').collect();
            wanted.sort_unstable();
            for m in self.v1.iter_mut() {
                let mut have: Vec<&str> = m.controllers.iter().map(String::as_str).collect();
                have.sort_unstable();
                if have == wanted {
                    m.own_cgroup = path.into();
                }
            }
        }
    }
}

/// mountinfo escapes space, tab, newline and backslash as \ooo octal.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            out.push((b[i + 1] - b'0') * 64 + (b[i + 2] - b'0') * 8 + (b[i + 3] - b'0'));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const SELF: &str = "9:name=systemd:/\n4:memory:/process_api/abc\n2:cpuacct:/\n1:cpu:/\n0::/\n";

    #[test]
    fn hybrid_machine_is_detected_with_own_cgroups() {
        let h = Hierarchy::from_proc(MOUNTINFO, SELF).unwrap();
        assert_eq!(h.version(), Version::Hybrid);
        assert_eq!(h.v1.len(), 4);
        let mem = h.v1.iter().find(|m| m.has("memory")).unwrap();
        assert_eq!(mem.own_cgroup, Path::new("/process_api/abc"));
        assert_eq!(mem.name(), "memory");
        let sd = h.v1.iter().find(|m| m.has("name=systemd")).unwrap();
        assert_eq!(sd.name(), "systemd");
        assert_eq!(
            h.unified.unwrap().mount_point,
            Path::new("/sys/fs/cgroup/unified")
        );
    }

    #[test]
    fn joined_controllers_match_in_either_order() {
        let mi = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
        let h = Hierarchy::from_proc(mi, "3:cpuacct,cpu:/user.slice\n").unwrap();
        assert_eq!(h.version(), Version::V1);
        assert_eq!(h.v1[0].own_cgroup, Path::new("/user.slice"));
        assert_eq!(
            h.v1[0].dir_of(Path::new("/user.slice/x")),
            Path::new("/sys/fs/cgroup/cpu,cpuacct/user.slice/x")
        );
    }

    #[test]
    fn pure_v2_and_a_bind_mounted_subtree() {
        let mi = "30 1 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        let h = Hierarchy::from_proc(mi, "0::/docker/abc\n").unwrap();
        assert_eq!(h.version(), Version::V2);
        let u = h.unified.unwrap();
        assert_eq!(
            u.dir_of(&u.own_cgroup.join("c1")),
            Path::new("/sys/fs/cgroup/c1")
        );
    }

    #[test]
    fn nothing_mounted_is_an_error() {
        let e = Hierarchy::from_proc("1 0 0:1 / / rw - ext4 /dev/sda rw\n", "").unwrap_err();
        assert!(e.to_string().contains("no cgroup filesystem"), "{e}");
    }

    #[test]
    fn octal_escapes_are_decoded() {
        assert_eq!(unescape(r"/a\040b"), "/a b");
        assert_eq!(unescape(r"/a\\"), r"/a\\");
    }

    #[test]
    fn fake_tree_layouts() {
        let t = tempfile::tempdir().unwrap();
        for d in ["memory", "cpu,cpuacct", "systemd", "unified"] {
            fs::create_dir(t.path().join(d)).unwrap();
        }
        let h = Hierarchy::at(t.path(), Version::Hybrid).unwrap();
        assert_eq!(h.v1.len(), 3);
        assert!(h.v1.iter().any(|m| m.has("cpuacct") && m.has("cpu")));
        assert!(h.v1.iter().any(|m| m.has("name=systemd")));
        assert_eq!(h.unified.unwrap().mount_point, t.path().join("unified"));
        let h2 = Hierarchy::at(t.path(), Version::V2).unwrap();
        assert!(h2.v1.is_empty());
    }
}
