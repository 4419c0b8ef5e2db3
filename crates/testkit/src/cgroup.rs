//! Absolute cgroup paths for tests that stay inside the test's own cgroup subtree: the
//! OCI spec reads an absolute linux.cgroupsPath from the root of each hierarchy, so a test that
//! passes one must pick a path below its own cgroup in EVERY hierarchy, and remove the
//! directories the runtime made on the way there.
//!
//! A relative path ([`RelativeCgroupPath`]) lands below the runtime's own cgroup in each
//! hierarchy instead: for a runtime a test starts, below the test's own.
//!
//! Owns nothing but the directories a [`TestCgroupPath`] finds missing when it is made, and a
//! [`RelativeCgroupPath`]'s own directory; it removes only those (empty ones, deepest first)
//! on drop.

use std::fs;
use std::path::{Path, PathBuf};

/// The cgroup this process is in, as one path every hierarchy agrees with: the deepest of its
/// per-hierarchy cgroups in /proc/self/cgroup, each of the others being an ancestor of it (on
/// a machine where processes sit below the root in some hierarchies only, such as one where
/// only the memory cgroup is per job). An absolute cgroupsPath below it lies inside this
/// process's own subtree in every hierarchy. Panics, naming them, when the cgroups diverge.
pub fn own_cgroup() -> String {
    let text = fs::read_to_string("/proc/self/cgroup").expect("reading /proc/self/cgroup");
    own_cgroup_in(&text).unwrap_or_else(|e| panic!("{e}"))
}

/// [`own_cgroup`] from the text of a `/proc/<pid>/cgroup` file.
pub fn own_cgroup_in(proc_cgroup: &str) -> Result<String, String> {
    let paths: Vec<&str> = proc_cgroup
        .lines()
        .filter_map(|l| l.splitn(3, ':').nth(2))
        .collect();
    let deepest = paths
        .iter()
        .max_by_key(|p| Path::new(p).components().count())
        .ok_or("no cgroup lines in /proc/self/cgroup")?;
    match paths
        .iter()
        .find(|p| !Path::new(deepest).starts_with(Path::new(p)))
    {
        Some(p) => Err(format!(
            "this process's cgroups {p} and {deepest} are not one below the other: no absolute cgroup path lies in both subtrees"
        )),
        None => Ok(deepest.to_string()),
    }
}

/// The mount points of the cgroup hierarchies (v1 and cgroup2) in this mount namespace.
pub fn cgroup_mount_points() -> Vec<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| {
            let (fields, post) = l.split_once(" - ")?;
            let fstype = post.split(' ').next()?;
            let point = fields.split(' ').nth(4)?;
            (fstype == "cgroup" || fstype == "cgroup2").then(|| PathBuf::from(point))
        })
        .collect()
}

/// The mount point of the cgroup v1 hierarchy that carries `controller` ("cpu", "memory"),
/// if one is mounted (a pure cgroup v2 machine has none).
pub fn v1_mount_point(controller: &str) -> Option<PathBuf> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines().find_map(|l| {
        let (fields, post) = l.split_once(" - ")?;
        let mut post = post.split(' ');
        if post.next()? != "cgroup" {
            return None;
        }
        let options = post.nth(1)?;
        let point = fields.split(' ').nth(4)?;
        options
            .split(',')
            .any(|o| o == controller)
            .then(|| PathBuf::from(point))
    })
}

/// `<own cgroup>/<name>` as an absolute cgroup path, and the guard that removes, on drop, in
/// every hierarchy: the directories below it, then the directories of the path itself that
/// did not exist when it was made: what a runtime creating a cgroup at or below it made on
/// the way. Only empty directories go (rmdir); `name` must be unique to the test.
pub struct TestCgroupPath {
    /// The absolute cgroup path, as `linux.cgroupsPath` takes it.
    pub path: String,
    missing: Vec<PathBuf>,
    below: Vec<PathBuf>,
}

impl TestCgroupPath {
    /// `<own cgroup>/<name>`, noting which of its directories do not exist yet.
    pub fn new(name: &str) -> TestCgroupPath {
        let path = Path::new(&own_cgroup()).join(name);
        let rel = path.strip_prefix("/").unwrap_or(&path).to_path_buf();
        let mut missing = Vec::new();
        let mut below = Vec::new();
        for mount in cgroup_mount_points() {
            below.push(mount.join(&rel));
            let mut dir = mount;
            for part in rel.components() {
                dir.push(part);
                if !dir.exists() {
                    missing.push(dir.clone());
                }
            }
        }
        TestCgroupPath {
            path: path.display().to_string(),
            missing,
            below,
        }
    }

    /// This path's directory in the v1 hierarchy of `controller`, if that is mounted.
    pub fn v1_dir(&self, controller: &str) -> Option<PathBuf> {
        Some(v1_mount_point(controller)?.join(self.path.trim_start_matches('/')))
    }

    /// `self.path` joined with `leaf`.
    pub fn join(&self, leaf: &str) -> String {
        format!("{}/{leaf}", self.path)
    }
}

impl Drop for TestCgroupPath {
    fn drop(&mut self) {
        for dir in &self.below {
            remove_below(dir);
        }
        // Deepest first: a parent goes only once its children are gone.
        let mut dirs = self.missing.clone();
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in dirs {
            let _ = fs::remove_dir(&d);
        }
    }
}

/// Each cgroup hierarchy's mount point with this process's own cgroup in it:
/// (`/sys/fs/cgroup/cpu`, `/`), (`/sys/fs/cgroup/memory`, `/process_api/abc`).
fn own_cgroup_per_hierarchy() -> Vec<(PathBuf, String)> {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| {
            let (fields, post) = l.split_once(" - ")?;
            let mut post = post.split(' ');
            let fstype = post.next()?;
            let options: Vec<&str> = post.nth(1)?.split(',').collect();
            let point = PathBuf::from(fields.split(' ').nth(4)?);
            let path = own.lines().find_map(|line| {
                let mut parts = line.splitn(3, ':');
                let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
                let matches = match fstype {
                    "cgroup2" => controllers.is_empty(),
                    "cgroup" => controllers
                        .split(',')
                        .any(|c| !c.is_empty() && options.contains(&c)),
                    _ => false,
                };
                matches.then(|| path.to_owned())
            })?;
            Some((point, path))
        })
        .collect()
}

/// A relative linux.cgroupsPath `<name>`: runc (and sixrun) put it below the runtime's own
/// cgroup in each cgroup v1 hierarchy, which for a runtime a test starts is the test's own:
/// inside the test's subtree everywhere, even where the test sits at a hierarchy's root (as
/// for cpu here, where an absolute path below the deepest own cgroup would pass through
/// directories of others'). On drop, removes `<own cgroup of each hierarchy>/<name>` and the
/// empty directories below it. `name` must be unique to the test.
pub struct RelativeCgroupPath {
    /// The relative cgroup path (`name`), as `linux.cgroupsPath` takes it.
    pub path: String,
    dirs: Vec<PathBuf>,
}

impl RelativeCgroupPath {
    /// `name` below the test's own cgroup of each hierarchy.
    pub fn new(name: &str) -> RelativeCgroupPath {
        let dirs = own_cgroup_per_hierarchy()
            .into_iter()
            .map(|(point, own)| point.join(own.trim_start_matches('/')).join(name))
            .collect();
        RelativeCgroupPath {
            path: name.to_owned(),
            dirs,
        }
    }

    /// `self.path` joined with `leaf`.
    pub fn join(&self, leaf: &str) -> String {
        format!("{}/{leaf}", self.path)
    }

    /// Where this path is in each hierarchy, v1 and cgroup2 (a runtime places it there).
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// Where this path is in the v1 hierarchy of `controller` (a runtime places it there).
    pub fn v1_dir(&self, controller: &str) -> Option<PathBuf> {
        let point = v1_mount_point(controller)?;
        self.dirs.iter().find(|d| d.starts_with(&point)).cloned()
    }
}

impl Drop for RelativeCgroupPath {
    fn drop(&mut self) {
        for dir in &self.dirs {
            remove_below(dir);
            let _ = fs::remove_dir(dir);
        }
    }
}

/// Removes the empty cgroup directories below `dir`, deepest first.
fn remove_below(dir: &Path) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            remove_below(&e.path());
            let _ = fs::remove_dir(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_cgroup_is_the_deepest_when_the_others_are_its_ancestors() {
        let text = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n";
        assert_eq!(own_cgroup_in(text).unwrap(), "/process_api/abc");
        assert_eq!(
            own_cgroup_in("0::/user.slice/s.scope\n").unwrap(),
            "/user.slice/s.scope"
        );
        let e = own_cgroup_in("4:memory:/a/b\n1:cpu:/c\n").unwrap_err();
        assert!(e.contains("/c") && e.contains("/a/b"), "{e}");
    }
}
