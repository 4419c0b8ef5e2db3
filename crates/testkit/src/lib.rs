//! Helpers shared by integration tests: a busybox rootfs built from Debian's
//! busybox-static, OCI bundles with an editable config, unique names, leak checks, and
//! absolute cgroup paths inside the test's own cgroup subtree (`cgroup.rs`), and a
//! network namespace that plays the host (`netns.rs`).
//!
//! It owns nothing at run time; only tests depend on it. Every helper that makes
//! something on the host (a temp dir, a bundle) hands back a guard that removes it on drop.

#![deny(missing_docs)]

pub mod podman;
pub mod registry;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

pub use tempfile::TempDir;

pub mod cve_2019_5736;

mod netns;
pub use netns::{hold_new_netns, OwnNetns};

mod cgroup;
pub use cgroup::{
    cgroup_mount_points, own_cgroup, own_cgroup_in, v1_mount_point, RelativeCgroupPath,
    TestCgroupPath,
};

/// Where Debian's busybox-static puts its binary.
pub const BUSYBOX: &str = "/bin/busybox";

/// An error and its causes on one line, as the CLIs print them ("a: b: c"): library errors
/// do not repeat their source in their message, so a test that looks for the errno text
/// looks here.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let links = std::iter::successors(Some(e), |e| e.source());
    links
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

/// Panics with a clear message unless the test runs as root (integration tests need it).
pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "integration tests must run as root (they create namespaces, mounts and cgroups)"
    );
}

/// A name unique to this process and call, such as `t-run-12345-3`, for containers,
/// cgroups, links and networks that tests create. Keep `prefix` short (link names
/// are limited to 15 bytes).
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}{}{}",
        std::process::id() % 100000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Fills `dir` with a minimal busybox root filesystem: /bin/busybox, one relative
/// symlink per applet in /bin, the usual empty mount points and /etc/passwd and
/// /etc/group with root, nobody and a user 1000.
pub fn busybox_rootfs(dir: &Path) -> std::io::Result<()> {
    for d in [
        "bin",
        "dev",
        "proc",
        "sys",
        "etc",
        "tmp",
        "root",
        "home/user",
        "var",
        "run",
        "usr/bin",
        "sbin",
    ] {
        fs::create_dir_all(dir.join(d))?;
    }
    fs::copy(BUSYBOX, dir.join("bin/busybox"))?;
    let out = std::process::Command::new(BUSYBOX).arg("--list").output()?;
    for applet in String::from_utf8_lossy(&out.stdout).lines() {
        if applet == "busybox" || applet.is_empty() {
            continue;
        }
        let link = dir.join("bin").join(applet);
        if !link.exists() {
            symlink("busybox", link)?;
        }
    }
    fs::write(
        dir.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
    )?;
    fs::write(
        dir.join("etc/group"),
        "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n",
    )?;
    fs::set_permissions(
        dir.join("tmp"),
        std::os::unix::fs::PermissionsExt::from_mode(0o1777),
    )?;
    Ok(())
}

/// An OCI bundle in a temp dir: `rootfs/` (busybox) and a `config.json` written by
/// [`Bundle::write_config`]. The directory is removed on drop.
pub struct Bundle {
    /// The bundle directory (removed on drop).
    pub dir: TempDir,
    /// The config as JSON, editable before `write_config`.
    pub config: serde_json::Value,
}

impl Bundle {
    /// A busybox bundle whose process runs `args`, with the default namespaces
    /// (pid, mount, ipc, uts, network), no terminal, and the usual mounts.
    pub fn busybox(args: &[&str]) -> std::io::Result<Bundle> {
        let dir = tempfile::Builder::new().prefix("six-bundle-").tempdir()?;
        busybox_rootfs(&dir.path().join("rootfs"))?;
        let config = default_config(args);
        let b = Bundle { dir, config };
        b.write_config()?;
        Ok(b)
    }

    /// The bundle directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Its `rootfs/`.
    pub fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    /// Writes `self.config` to `config.json`.
    pub fn write_config(&self) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(&self.config).map_err(std::io::Error::other)?;
        fs::write(self.dir.path().join("config.json"), text)
    }
}

/// A config.json like `runc spec` writes, with `args` as the process.
pub fn default_config(args: &[&str]) -> serde_json::Value {
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": {"uid": 0, "gid": 0},
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {
                "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": true
        },
        "root": {"path": "rootfs", "readonly": true},
        "hostname": "sixrun",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
            {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
        ],
        "linux": {
            "resources": {"devices": [{"allow": false, "access": "rwm"}]},
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}
            ],
            "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// The links of a hostile image that try to carry mounts onto /proc (CVE-2019-19921), made
/// in the rootfs `root` (a /proc and a /d directory are made if missing), with where each
/// leads inside the rootfs: absolute, relative, through `..`, and a chain.
pub fn hostile_proc_links(root: &Path) -> std::io::Result<[(&'static str, &'static str); 5]> {
    fs::create_dir_all(root.join("proc"))?;
    fs::create_dir_all(root.join("d"))?;
    let links = [
        ("/evilsys", "/proc/sys", "/proc/sys"),
        ("/evilproc", "/proc", "/proc"),
        ("/rel", "proc/sys", "/proc/sys"),
        ("/d/up", "../proc/sys", "/proc/sys"),
        ("/chain", "/evilsys", "/proc/sys"),
    ];
    for (link, target, _) in links {
        symlink(target, root.join(&link[1..]))?;
    }
    Ok(links.map(|(link, _, leads_to)| (link, leads_to)))
}

/// What is left in an engine store's `containers` directory besides its index of names and
/// its listing cache (a cache of what is there, not a record): the container records (and
/// anything half-made) a test asserts are gone after removal.
pub fn container_records(store_root: &Path) -> Vec<String> {
    fs::read_dir(store_root.join("containers"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "names" && n != "listing.json")
                .collect()
        })
        .unwrap_or_default()
}

/// Mount points in this process's mount namespace whose path contains `needle`.
/// A test asserts this is empty after cleanup.
pub fn mounts_containing(needle: &str) -> Vec<String> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    info.lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .filter(|p| p.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// The super options (the last field of mountinfo: `rw,lowerdir=…,fsync=volatile`) of the
/// topmost mount at exactly `path` in this process's mount namespace; None if not mounted.
pub fn super_options(path: &Path) -> Option<String> {
    let info = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let at = path.to_str()?;
    info.lines()
        .filter(|l| l.split_whitespace().nth(4) == Some(at))
        .filter_map(|l| l.rsplit(' ').next().map(str::to_owned))
        .next_back()
}

/// cgroup directories named `name` anywhere below the v1 hierarchies and the v2
/// mount in /sys/fs/cgroup (depth-limited). A test asserts this is empty after cleanup.
pub fn cgroups_named(name: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, name: &str, depth: u32, out: &mut Vec<PathBuf>) {
        if depth == 0 {
            return;
        }
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                let p = e.path();
                if e.file_name().to_string_lossy().contains(name) {
                    out.push(p.clone());
                }
                walk(&p, name, depth - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new("/sys/fs/cgroup"), name, 6, &mut out);
    out
}

/// Compiles the C program `source` with `gcc -static -O2` into `out` (for a rootfs: it
/// needs no library there). Panics with gcc's errors when it fails.
pub fn compile_static_c(source: &str, out: &Path) {
    let dir = tempfile::tempdir().expect("a temp dir for the C source");
    let src = dir.path().join("program.c");
    fs::write(&src, source).expect("writing the C source");
    let result = std::process::Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(out)
        .arg(&src)
        .output()
        .expect("gcc (with a static C library) is needed");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

/// A tmpfs of a fixed size mounted by a test on a directory it owns (a test that fills a
/// disk fills this one); unmounted on drop, lazily if something still holds it.
pub struct SmallTmpfs {
    dir: PathBuf,
}

impl SmallTmpfs {
    /// Mounts a tmpfs of `bytes` on `dir` (created if missing).
    pub fn mount(dir: &Path, bytes: u64) -> std::io::Result<SmallTmpfs> {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        fs::create_dir_all(dir)?;
        let target = CString::new(dir.as_os_str().as_bytes())?;
        let options = CString::new(format!("size={bytes},mode=0755"))?;
        // SAFETY: valid NUL-terminated strings; a new tmpfs on the test's own directory.
        let r = unsafe {
            libc::mount(
                c"tmpfs".as_ptr(),
                target.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                options.as_ptr().cast(),
            )
        };
        if r != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(SmallTmpfs {
            dir: dir.to_path_buf(),
        })
    }

    /// Where the tmpfs is mounted.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Unmounts now; Err (and still mounted) while something is mounted on it or uses it.
    pub fn unmount(&self) -> std::io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let target = std::ffi::CString::new(self.dir.as_os_str().as_bytes())?;
        // SAFETY: unmounting the tmpfs this guard mounted.
        if unsafe { libc::umount2(target.as_ptr(), 0) } == 0 {
            return Ok(());
        }
        Err(std::io::Error::last_os_error())
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        if self.unmount().is_err()
            && mounts_containing(&self.dir.display().to_string())
                .iter()
                .any(|m| Path::new(m) == self.dir)
        {
            use std::os::unix::ffi::OsStrExt;
            if let Ok(target) = std::ffi::CString::new(self.dir.as_os_str().as_bytes()) {
                // SAFETY: detaching the tmpfs this guard mounted.
                unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
            }
        }
    }
}

/// `len` bytes that no compressor shrinks (xorshift from `seed`): layers of a known size
/// on disk, and layers that take a while to arrive.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Whether a process with this PID exists (and is not a zombie we reaped).
pub fn pid_alive(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ_and_fit_a_link_name() {
        let a = unique_name("t");
        let b = unique_name("t");
        assert_ne!(a, b);
        assert!(a.len() <= 15, "{a}");
    }

    #[test]
    fn default_config_has_the_args() {
        let c = default_config(&["/bin/true"]);
        assert_eq!(c["process"]["args"][0], "/bin/true");
    }
}
