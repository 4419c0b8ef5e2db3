//! The checks a scenario's pid 1 runs from inside its new root: mounts, devices, links,
//! masked and read-only paths, the symlink-escape mount. Each prints `ok:` or `FAIL:`.

use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

use nix::errno::Errno;
use nix::unistd::AccessFlags;

use super::{CHECKS_FAILED, MARKER, PASSED};

#[derive(Default)]
pub struct Checks {
    failed: usize,
}

impl Checks {
    pub fn check(&mut self, what: &str, ok: bool) {
        if ok {
            println!("  ok: {what}");
        } else {
            println!("  FAIL: {what}");
            self.failed += 1;
        }
    }

    pub fn verdict(&self) -> i32 {
        if self.failed == 0 {
            PASSED
        } else {
            CHECKS_FAILED
        }
    }
}

/// `(mount point, fstype, per-mount options)` of every mount this process sees.
pub fn mountinfo() -> Vec<(String, String, String)> {
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let sep = f.iter().position(|x| *x == "-")?;
            Some((
                f.get(4)?.to_string(),
                f.get(sep + 1)?.to_string(),
                f.get(5)?.to_string(),
            ))
        })
        .collect()
}

pub fn mounted(at: &str, fstype: &str) -> bool {
    mountinfo().iter().any(|(p, t, _)| p == at && t == fstype)
}

fn is_char_device(path: &str, major: u64, minor: u64) -> bool {
    fs::metadata(path).is_ok_and(|m| {
        m.file_type().is_char_device()
            && nix::sys::stat::major(m.rdev()) == major
            && nix::sys::stat::minor(m.rdev()) == minor
    })
}

fn read_only(path: &str) -> bool {
    nix::unistd::access(path, AccessFlags::W_OK) == Err(Errno::EROFS)
}

fn link_is(path: &str, target: &str) -> bool {
    fs::read_link(path).is_ok_and(|t| t == Path::new(target))
}

pub fn check_full(c: &mut Checks, dir: &Path) {
    check_copy_up(c);
    c.check(
        "we are pid 1 and /proc is ours",
        std::process::id() == 1 && link_is("/proc/self", "1"),
    );
    c.check("/proc is a proc mount", mounted("/proc", "proc"));
    c.check("/dev is a tmpfs", mounted("/dev", "tmpfs"));
    c.check(
        "/dev/pts, /dev/shm, /dev/mqueue mounted",
        mounted("/dev/pts", "devpts")
            && mounted("/dev/shm", "tmpfs")
            && mounted("/dev/mqueue", "mqueue"),
    );
    c.check(
        "/sys is sysfs, read-only",
        mounted("/sys", "sysfs") && read_only("/sys"),
    );
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
        ("fuse", 10, 229),
    ] {
        c.check(
            &format!("/dev/{name} is char {major}:{minor}"),
            is_char_device(&format!("/dev/{name}"), major, minor),
        );
    }
    c.check(
        "/dev/null mode 0666",
        fs::metadata("/dev/null").is_ok_and(|m| m.permissions().mode() & 0o7777 == 0o666),
    );
    let fifo = fs::symlink_metadata("/dev/fifo0");
    c.check(
        "/dev/fifo0 is a fifo 0640 owned by 1000:1000",
        fifo.is_ok_and(|m| {
            m.file_type().is_fifo()
                && m.mode() & 0o7777 == 0o640
                && m.uid() == 1000
                && m.gid() == 1000
        }),
    );
    c.check(
        "writing /dev/null works",
        fs::write("/dev/null", b"x").is_ok(),
    );
    c.check("/dev/ptmx -> pts/ptmx", link_is("/dev/ptmx", "pts/ptmx"));
    c.check(
        "/dev/fd -> /proc/self/fd",
        link_is("/dev/fd", "/proc/self/fd"),
    );
    c.check(
        "/dev/stdin|stdout|stderr links",
        link_is("/dev/stdin", "/proc/self/fd/0")
            && link_is("/dev/stdout", "/proc/self/fd/1")
            && link_is("/dev/stderr", "/proc/self/fd/2"),
    );
    c.check(
        "/dev/console is the pty (char 136:*)",
        fs::metadata("/dev/console").is_ok_and(|m| {
            m.file_type().is_char_device() && nix::sys::stat::major(m.rdev()) >= 136
        }),
    );
    c.check(
        "masked /proc/keys and /etc/secret read empty",
        ["/proc/keys", "/etc/secret"]
            .iter()
            .all(|p| fs::read(p).is_ok_and(|b| b.is_empty())),
    );
    c.check(
        "masked /sys/firmware is an empty read-only dir",
        fs::read_dir("/sys/firmware").is_ok_and(|mut d| d.next().is_none())
            && read_only("/sys/firmware"),
    );
    c.check(
        "readonly /proc/sys is not writable",
        read_only("/proc/sys/kernel/hostname"),
    );
    c.check(
        "readonly /etc/rwfile (a rw bind) is not writable",
        read_only("/etc/rwfile"),
    );
    c.check(
        "root is read-only",
        fs::write("/six-rootfs-probe", b"x").is_err_and(|e| e.raw_os_error() == Some(libc::EROFS)),
    );
    c.check(
        "/tmp (on the read-only root) is read-only too",
        read_only("/tmp"),
    );
    let hostfile = fs::read_to_string("/etc/hostfile");
    c.check(
        "bound /etc/hostfile has the host's content and is read-only",
        hostfile.is_ok_and(|s| s == MARKER) && read_only("/etc/hostfile"),
    );
    c.check(
        "cgroup v1: /sys/fs/cgroup is a tmpfs",
        mounted("/sys/fs/cgroup", "tmpfs"),
    );
    c.check(
        "cgroup v1: memory dir bound, read-only",
        Path::new("/sys/fs/cgroup/memory").join(MARKER).is_file()
            && read_only("/sys/fs/cgroup/memory"),
    );
    c.check(
        "cgroup v1: cpu -> cpu,cpuacct",
        link_is("/sys/fs/cgroup/cpu", "cpu,cpuacct")
            && link_is("/sys/fs/cgroup/cpuacct", "cpu,cpuacct"),
    );
    // /evil -> <dir>/hostdir: inside the container that path is inside the rootfs.
    let escaped = dir.join("hostdir/x");
    c.check(
        "symlink-escape mount landed inside the rootfs",
        mounted(&escaped.to_string_lossy(), "tmpfs"),
    );
    c.check(
        "/evil/x is that tmpfs (writable)",
        fs::write("/evil/x/probe", b"x").is_ok(),
    );
    c.check(
        "the old root is detached (one mount at /)",
        mountinfo().iter().filter(|(p, _, _)| p == "/").count() == 1,
    );
    let busybox = Command::new("/bin/busybox")
        .args(["cat", "/etc/passwd"])
        .output();
    c.check(
        "busybox runs in the new root",
        busybox.is_ok_and(|o| {
            o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("root:")
        }),
    );
}

fn check_copy_up(c: &mut Checks) {
    let seeded =
        |dir: &str| fs::read_to_string(Path::new(dir).join(MARKER)).is_ok_and(|s| s == MARKER);
    c.check(
        "tmpcopyup: /opt/seed is a tmpfs holding the image's files, writable",
        mounted("/opt/seed", "tmpfs")
            && seeded("/opt/seed/sub")
            && link_is("/opt/seed/link", "sub")
            && fs::write("/opt/seed/new", b"x").is_ok(),
    );
    c.check(
        "tmpcopyup + ro: /opt/roseed holds the image's files, read-only",
        mounted("/opt/roseed", "tmpfs") && seeded("/opt/roseed") && read_only("/opt/roseed"),
    );
}

pub fn check_no_pivot(c: &mut Checks) {
    c.check(
        "/ is the busybox rootfs",
        fs::read_to_string("/etc/passwd").is_ok_and(|s| s.starts_with("root:x:0:0")),
    );
    c.check("/proc is a proc mount", mounted("/proc", "proc"));
    c.check(
        "/sys (no netns) is the host's sysfs bound read-only",
        mounted("/sys", "sysfs") && read_only("/sys"),
    );
    c.check(
        "root is writable (root.readonly false)",
        fs::write("/tmp/probe", b"x").is_ok(),
    );
    c.check(
        "masked /proc/keys reads empty",
        fs::read("/proc/keys").is_ok_and(|b| b.is_empty()),
    );
    c.check("/dev/null is char 1:3", is_char_device("/dev/null", 1, 3));
    c.check(
        "/dev/console is the container's own pty (bound after pivot)",
        fs::metadata("/dev/console").is_ok_and(|m| {
            m.file_type().is_char_device() && nix::sys::stat::major(m.rdev()) >= 136
        }),
    );
}

pub fn check_basic(c: &mut Checks) {
    c.check(
        "/ is the busybox rootfs",
        fs::read_to_string("/etc/passwd").is_ok_and(|s| s.starts_with("root:x:0:0")),
    );
    c.check("/proc is a proc mount", mounted("/proc", "proc"));
    c.check(
        "the old root is detached (one mount at /)",
        mountinfo().iter().filter(|(p, _, _)| p == "/").count() == 1,
    );
}

/// Run by the stand-in host after the container ended: no mount of the container's may
/// have propagated below its shared mount.
pub fn check_nothing_propagated(c: &mut Checks, shared: &Path) {
    let leaked: Vec<String> = mountinfo()
        .into_iter()
        .map(|(p, _, _)| p)
        .filter(|p| Path::new(p).starts_with(shared) && Path::new(p) != shared)
        .collect();
    c.check(
        &format!("no container mount propagated to the host's shared mount: {leaked:?}"),
        leaked.is_empty(),
    );
}

pub fn check_userns(c: &mut Checks) {
    check_basic(c);
    let uid_map = fs::read_to_string("/proc/self/uid_map").unwrap_or_default();
    c.check(
        "we run in the user namespace (uid_map 0 0 1)",
        uid_map.split_whitespace().eq(["0", "0", "1"]),
    );
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        let path = format!("/dev/{name}");
        c.check(
            &format!("{path} is the host's node, bound (char {major}:{minor})"),
            is_char_device(&path, major, minor) && mounted(&path, "devtmpfs"),
        );
    }
    c.check(
        "writing /dev/null works",
        fs::write("/dev/null", b"x").is_ok(),
    );
    c.check("/dev/ptmx -> pts/ptmx", link_is("/dev/ptmx", "pts/ptmx"));
    c.check(
        "/sys is sysfs, read-only",
        mounted("/sys", "sysfs") && read_only("/sys"),
    );
    c.check("/dev/mqueue mounted", mounted("/dev/mqueue", "mqueue"));
    c.check(
        "bound /etc/hostfile is read-only (locked flags kept)",
        fs::read_to_string("/etc/hostfile").is_ok_and(|s| s == MARKER)
            && read_only("/etc/hostfile"),
    );
    c.check(
        "masked /proc/keys reads empty",
        fs::read("/proc/keys").is_ok_and(|b| b.is_empty()),
    );
    c.check(
        "readonly /proc/sys is not writable",
        read_only("/proc/sys/kernel/hostname"),
    );
    c.check(
        "root is read-only",
        fs::write("/six-rootfs-probe", b"x").is_err_and(|e| e.raw_os_error() == Some(libc::EROFS)),
    );
}
