//! Drop guards shared by the root integration tests: whatever a test made (a cgroup, a
//! child process) is removed even when the test fails halfway.

use std::fs;
use std::process::Child;

use six_cgroups::Cgroup;

/// Thaws and destroys the cgroup on drop; with `.1`, also removes the parent directories
/// the test asked for (named after the test, so they are its own).
pub struct CgroupGuard(pub Cgroup, pub bool);

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        let _ = self.0.thaw();
        let _ = self.0.destroy();
        if self.1 {
            for (_, dir) in self.0.mounts_for_container() {
                if let Some(parent) = dir.parent() {
                    let _ = fs::remove_dir(parent);
                }
            }
        }
    }
}

/// Kills (by PID) and reaps the child on drop.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
