//! A private Podman (and Buildah) for interoperability tests: storage (vfs), run state and
//! temp dir live in a directory of the test, removed on drop; no events, cgroupfs. A Podman
//! that runs containers gets a containers.conf of its own there (file locks, not the
//! host-wide /dev/shm ones; conmon left in the test's cgroup), and each container goes below
//! the cgroup parent the test gives.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A private Podman: its storage and run state live under `dir`.
pub struct Podman {
    root: PathBuf,
    runroot: PathBuf,
    tmpdir: PathBuf,
    /// containers.conf of a Podman that runs containers.
    conf: Option<PathBuf>,
}

impl Podman {
    /// A Podman keeping everything in `dir` (which the caller removes).
    pub fn new(dir: &Path) -> Podman {
        Podman {
            root: dir.join("podman-root"),
            runroot: dir.join("podman-run"),
            tmpdir: dir.join("podman-tmp"),
            conf: None,
        }
    }

    /// A Podman that can run containers: its own containers.conf under `dir` (file locks,
    /// no conmon cgroup, volumes and static files under `dir`).
    pub fn for_containers(dir: &Path) -> Podman {
        let mut p = Podman::new(dir);
        let conf = dir.join("podman-containers.conf");
        let text = format!(
            "[containers]\ncgroups = \"no-conmon\"\ndefault_ulimits = [\"nofile=4096:4096\", \"nproc=4096:4096\"]\n\
             [network]\nnetwork_config_dir = \"{net}\"\n\
             [engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"none\"\nlock_type = \"file\"\n\
             tmp_dir = \"{tmp}\"\nstatic_dir = \"{root}/libpod\"\nvolume_path = \"{root}/volumes\"\n\
             conmon_env_vars = [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"CONTAINERS_CONF={conf}\"]\n",
            net = dir.join("podman-net").display(),
            tmp = p.tmpdir.display(),
            root = p.root.display(),
            conf = conf.display(),
        );
        fs::create_dir_all(dir.join("podman-net")).expect("making podman's network dir");
        fs::write(&conf, text).expect("writing podman's containers.conf");
        p.conf = Some(conf);
        p
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
            .envs(self.conf.iter().map(|c| ("CONTAINERS_CONF", c)))
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

/// A private Buildah: vfs storage under a directory of the test, `bud` with chroot
/// isolation (no cgroups, no network setup) and never a pull.
pub struct Buildah {
    root: PathBuf,
    runroot: PathBuf,
}

impl Buildah {
    /// A Buildah keeping everything in `dir` (which the caller removes).
    pub fn new(dir: &Path) -> Buildah {
        let b = Buildah {
            root: dir.join("buildah-root"),
            runroot: dir.join("buildah-run"),
        };
        fs::create_dir_all(b.root.join("tmp")).expect("making buildah's temp dir");
        b
    }

    /// Runs `buildah ARGS`; its stdout, or its stderr as the error.
    pub fn try_run(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("buildah")
            .arg("--root")
            .arg(&self.root)
            .arg("--runroot")
            .arg(&self.runroot)
            .args(["--storage-driver", "vfs"])
            .args(args)
            .env("TMPDIR", self.root.join("tmp"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .output()
            .map_err(|e| format!("running buildah: {e}"))?;
        match out.status.success() {
            true => Ok(String::from_utf8_lossy(&out.stdout).into_owned()),
            false => Err(String::from_utf8_lossy(&out.stderr).into_owned()),
        }
    }
}

impl Drop for Buildah {
    fn drop(&mut self) {
        // vfs layers are plain directories; nothing stays mounted once buildah exits
        // (`buildah mount` of a vfs container is the directory itself).
        let _ = fs::remove_dir_all(&self.root);
        let _ = fs::remove_dir_all(&self.runroot);
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
        let _ = fs::remove_dir_all(&self.runroot);
        let _ = fs::remove_dir_all(&self.tmpdir);
    }
}
