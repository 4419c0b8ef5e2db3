//! Where a container's cgroup goes in each hierarchy: the OCI spec's (and runc's) reading of
//! `linux.cgroupsPath`, or everything nested below a parent the caller names. It only computes
//! paths from a hierarchy's root; it never looks at or touches the filesystem.
//!
//! runc's rules, which kubelet and containerd rely on:
//! - an absolute cgroupsPath (`/kubepods/burstable/pod<uid>/<id>`) is taken from the root of
//!   each hierarchy (inside a cgroup namespace: from the namespace's root, which is what
//!   /proc/self/cgroup and mountinfo show);
//! - a relative one, and the default leaf when there is none, is below the caller's own cgroup
//!   in each hierarchy; on a pure cgroup v2 machine below the PARENT of the caller's own cgroup
//!   (runc's fs2 driver: the caller's own cgroup holds processes, so by the "no internal
//!   processes" rule its children could be given no controllers).

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// Where container cgroups are placed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Nesting {
    /// The OCI spec's rule, as runc reads it (see the module comment).
    #[default]
    Spec,
    /// Every cgroup, absolute cgroupsPath values included, nested below this parent. The
    /// parent is named the way a cgroupsPath is: absolute from the root of each hierarchy
    /// (`/ci/job-7`), relative below the caller's own cgroup (`tests`); `""` or `.` is the
    /// caller's own cgroup itself.
    Below(String),
}

impl Nesting {
    /// Everything nested below the caller's own cgroup in each hierarchy.
    pub fn below_own() -> Nesting {
        Nesting::Below(String::new())
    }

    /// The nesting an environment variable such as `SIX_CGROUP_PARENT` asks for: `None` when
    /// it is unset or empty (the caller then picks its default).
    pub fn from_parent_var(value: Option<&str>) -> Option<Nesting> {
        value
            .filter(|v| !v.is_empty())
            .map(|v| Nesting::Below(v.to_owned()))
    }
}

/// A cgroupsPath (or parent) split into "from the root?" and a clean relative part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CgroupName {
    pub absolute: bool,
    pub rel: PathBuf,
}

impl CgroupName {
    /// `raw` checked: no "..", no systemd "slice:prefix:name" form; `empty_ok` lets a parent
    /// name the caller's own cgroup (`""`, `.`, `/` for the root).
    pub fn parse(raw: &str, empty_ok: bool) -> Result<CgroupName> {
        let bad = |reason| Error::BadPath {
            path: raw.to_owned(),
            reason,
        };
        if !raw.contains('/') && raw.split(':').count() == 3 {
            return Err(bad("systemd-style slice:prefix:name paths need --systemd-cgroup, which is not supported; use a path such as /mygroup/id"));
        }
        let mut rel = PathBuf::new();
        for c in Path::new(raw).components() {
            match c {
                Component::Normal(part) => rel.push(part),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir | Component::Prefix(_) => {
                    return Err(bad("\"..\" is not allowed"))
                }
            }
        }
        if rel.as_os_str().is_empty() && !empty_ok {
            return Err(bad("it names no directory"));
        }
        Ok(CgroupName {
            absolute: raw.starts_with('/'),
            rel,
        })
    }
}

/// The plan for one container, independent of the hierarchy: [`Placement::cgroup_in`] gives
/// the cgroup (a path from the hierarchy's root) for each one.
#[derive(Debug, Clone)]
pub(crate) struct Placement {
    leaf: CgroupName,
    parent: Option<CgroupName>,
}

impl Placement {
    /// `cgroups_path`: the spec's linux.cgroupsPath (None: the container ID, relative, as
    /// runc names it).
    pub fn new(cgroups_path: Option<&str>, nesting: &Nesting, id: &str) -> Result<Placement> {
        let leaf = match cgroups_path {
            Some(p) => CgroupName::parse(p, false)?,
            None => CgroupName {
                absolute: false,
                rel: PathBuf::from(id),
            },
        };
        let parent = match nesting {
            Nesting::Spec => None,
            Nesting::Below(p) => Some(CgroupName::parse(p, true)?),
        };
        Ok(Placement { leaf, parent })
    }

    /// The container's cgroup in a hierarchy where the caller is in `own`; `pure_v2`: the
    /// hierarchy is the cgroup2 one of a machine with no v1 controllers.
    pub fn cgroup_in(&self, own: &Path, pure_v2: bool) -> PathBuf {
        let root = Path::new("/");
        let base = match &self.parent {
            Some(p) if p.absolute => root.join(&p.rel),
            Some(p) => own.join(&p.rel),
            None if self.leaf.absolute => root.to_path_buf(),
            None if pure_v2 => own.parent().unwrap_or(root).to_path_buf(),
            None => own.to_path_buf(),
        };
        base.join(&self.leaf.rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(path: Option<&str>, nesting: Nesting, own: &str, v2: bool) -> PathBuf {
        Placement::new(path, &nesting, "x")
            .unwrap()
            .cgroup_in(Path::new(own), v2)
    }

    #[test]
    fn spec_rule_absolute_from_the_root_relative_below_own() {
        let own = "/user.slice/session-1.scope";
        for v2 in [false, true] {
            assert_eq!(
                at(Some("/kubepods/pod1/c1"), Nesting::Spec, own, v2),
                Path::new("/kubepods/pod1/c1")
            );
        }
        assert_eq!(
            at(Some("mine/c1"), Nesting::Spec, own, false),
            Path::new("/user.slice/session-1.scope/mine/c1")
        );
        assert_eq!(
            at(None, Nesting::Spec, own, false),
            Path::new("/user.slice/session-1.scope/x")
        );
        // cgroup v2: beside the caller's own cgroup, which holds processes.
        assert_eq!(
            at(Some("mine/c1"), Nesting::Spec, own, true),
            Path::new("/user.slice/mine/c1")
        );
        assert_eq!(at(None, Nesting::Spec, "/", true), Path::new("/x"));
    }

    #[test]
    fn an_explicit_parent_nests_everything() {
        let own = "/process_api/abc";
        assert_eq!(
            at(Some("/pod/c1"), Nesting::below_own(), own, false),
            Path::new("/process_api/abc/pod/c1")
        );
        assert_eq!(
            at(Some("/pod/c1"), Nesting::below_own(), own, true),
            Path::new("/process_api/abc/pod/c1")
        );
        assert_eq!(
            at(Some("/pod/c1"), Nesting::Below(".".into()), own, false),
            Path::new("/process_api/abc/pod/c1")
        );
        assert_eq!(
            at(None, Nesting::Below("tests".into()), own, false),
            Path::new("/process_api/abc/tests/x")
        );
        assert_eq!(
            at(Some("c1"), Nesting::Below("/ci/job".into()), own, true),
            Path::new("/ci/job/c1")
        );
        assert_eq!(
            at(Some("/c1"), Nesting::Below("/".into()), own, false),
            Path::new("/c1")
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for (path, nesting) in [
            (Some("/a/../b"), Nesting::Spec),
            (Some("/"), Nesting::Spec),
            (Some("system.slice:docker:x"), Nesting::Spec),
            (None, Nesting::Below("../up".into())),
        ] {
            assert!(Placement::new(path, &nesting, "x").is_err(), "{path:?}");
        }
    }

    #[test]
    fn parent_variable() {
        assert_eq!(Nesting::from_parent_var(None), None);
        assert_eq!(Nesting::from_parent_var(Some("")), None);
        assert_eq!(
            Nesting::from_parent_var(Some("/a")),
            Some(Nesting::Below("/a".into()))
        );
    }
}
