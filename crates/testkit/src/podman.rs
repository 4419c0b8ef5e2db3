//! A private Podman for interoperability tests: its storage (vfs), run state and temp
//! dir live in a directory of the test, removed on drop; no events, cgroupfs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A private Podman: its storage and run state live under `dir`.
pub struct Podman {
    root: PathBuf,
    runroot: PathBuf,
    tmpdir: PathBuf,
}

impl Podman {
    /// A Podman keeping everything in `dir` (which the caller removes).
    pub fn new(dir: &Path) -> Podman {
        Podman {
            root: dir.join("podman-root"),
            runroot: dir.join("podman-run"),
            tmpdir: dir.join("podman-tmp"),
        }
    }

    /// Runs `podman ARGS` and returns its stdout; panics with its stderr on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new("podman")
            .arg("--root")
            .arg(&self.root)
            .arg("--runroot")
            .arg(&self.runroot)
            .arg("--tmpdir")
            .arg(&self.tmpdir)
            .args([
                "--storage-driver",
                "vfs",
                "--events-backend",
                "none",
                "--cgroup-manager",
                "cgroupfs",
            ])
            .args(args)
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .output()
            .expect("podman must be installed (Debian package podman)");
        assert!(
            out.status.success(),
            "podman {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
        let _ = fs::remove_dir_all(&self.runroot);
        let _ = fs::remove_dir_all(&self.tmpdir);
    }
}
