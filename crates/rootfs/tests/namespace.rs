//! Integration tests (root): prepare → pivot → finalize against the real kernel, on a busybox
//! rootfs in a temp dir, checked from inside the new root.
//!
//! This target has no libtest harness (`harness = false`), so its `main` stays
//! single-threaded. Each scenario re-runs this binary with `SIX_ROOTFS_SCENARIO` set; that
//! fresh process unshares a mount and pid namespace (and a network namespace where the
//! scenario wants one), forks the container's pid 1, which builds the rootfs and checks it
//! from inside, reporting `FAIL:` lines on stdout and its verdict in the exit code. The
//! namespaces die with it; the driver then proves the host mount table holds nothing under
//! the temp dir and that nothing was created on the host through the rootfs's symlink.

use std::fs;
use std::os::unix::fs::{symlink, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, AccessFlags, ForkResult};
use oci_spec::runtime::Spec;
use six_rootfs::{finalize, pivot, prepare, LinuxSyscall, RootfsPlan};

const SCENARIO_ENV: &str = "SIX_ROOTFS_SCENARIO";
const DIR_ENV: &str = "SIX_ROOTFS_DIR";
const MARKER: &str = "six-rootfs-marker";

/// Exit codes of the scenario process.
const PASSED: i32 = 0;
const CHECKS_FAILED: i32 = 1;
const SETUP_FAILED: i32 = 3;

fn main() {
    if let Ok(scenario) = std::env::var(SCENARIO_ENV) {
        let dir = PathBuf::from(std::env::var(DIR_ENV).expect("the driver sets the temp dir"));
        std::process::exit(run_scenario(&scenario, &dir));
    }
    six_testkit::require_root();
    let tests: [(&str, fn()); 3] = [
        ("full_spec_with_pivot_root", full_spec_with_pivot_root),
        (
            "no_pivot_and_sysfs_without_netns",
            no_pivot_and_sysfs_without_netns,
        ),
        (
            "a_bad_mount_fails_with_a_clear_error",
            a_bad_mount_fails_with_a_clear_error,
        ),
    ];
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

// ---------------------------------------------------------------- the driver side

/// The temp dir of one scenario: `rootfs/` (busybox, with `/evil -> <dir>/hostdir`),
/// `hostdir/` (must stay empty), `hostfile`, and two stand-in cgroup directories.
struct Fixture {
    dir: six_testkit::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("six-rootfs-it-")
            .tempdir()
            .unwrap();
        let p = dir.path();
        six_testkit::busybox_rootfs(&p.join("rootfs")).unwrap();
        fs::create_dir(p.join("hostdir")).unwrap();
        symlink(p.join("hostdir"), p.join("rootfs/evil")).unwrap();
        fs::write(p.join("hostfile"), MARKER).unwrap();
        fs::write(p.join("rootfs/etc/secret"), MARKER).unwrap();
        for cg in ["cg-memory", "cg-cpu"] {
            fs::create_dir(p.join(cg)).unwrap();
            fs::write(p.join(cg).join(MARKER), MARKER).unwrap();
        }
        Fixture { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `scenario` in a fresh process; returns its exit code and stdout.
    fn run(&self, scenario: &str) -> (i32, String) {
        let out = Command::new(std::env::current_exe().unwrap())
            .env(SCENARIO_ENV, scenario)
            .env(DIR_ENV, self.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
        (out.status.code().unwrap_or(-1), stdout)
    }

    /// Nothing mounted under the temp dir on the host, nothing created through `/evil`.
    fn assert_nothing_left(&self) {
        let needle = self.path().to_string_lossy().into_owned();
        assert_eq!(
            six_testkit::mounts_containing(&needle),
            Vec::<String>::new(),
            "mounts left on the host"
        );
        let escaped: Vec<_> = fs::read_dir(self.path().join("hostdir")).unwrap().collect();
        assert!(
            escaped.is_empty(),
            "a mount target was created on the host through /evil: {escaped:?}"
        );
    }
}

fn full_spec_with_pivot_root() {
    let f = Fixture::new();
    let (code, out) = f.run("full");
    print!("{out}");
    assert_eq!(code, PASSED, "scenario failed:\n{out}");
    f.assert_nothing_left();
}

fn no_pivot_and_sysfs_without_netns() {
    let f = Fixture::new();
    let (code, out) = f.run("no-pivot");
    print!("{out}");
    assert_eq!(code, PASSED, "scenario failed:\n{out}");
    f.assert_nothing_left();
}

fn a_bad_mount_fails_with_a_clear_error() {
    let f = Fixture::new();
    let (code, out) = f.run("bad-mount");
    assert_eq!(code, SETUP_FAILED, "{out}");
    let want =
        "ERROR: mount /data (type bind, source /nonexistent-six-rootfs): bind source: ENOENT";
    assert!(out.starts_with(want), "{out}");
    f.assert_nothing_left();
}

// ---------------------------------------------------------------- the scenario side

/// The spec of a scenario, built from testkit's default config.
fn scenario_spec(scenario: &str, dir: &Path) -> Spec {
    let mut c = six_testkit::default_config(&["/bin/true"]);
    let mounts = c["mounts"].as_array_mut().unwrap();
    match scenario {
        "full" => {
            mounts.push(
                serde_json::json!({"destination": "/evil/x", "type": "tmpfs", "source": "tmpfs"}),
            );
            mounts.push(
                serde_json::json!({"destination": "/etc/hostfile", "type": "bind",
                "source": dir.join("hostfile"), "options": ["bind", "ro"]}),
            );
            mounts.push(
                serde_json::json!({"destination": "/etc/rwfile", "type": "bind",
                "source": dir.join("hostfile"), "options": ["bind"]}),
            );
            c["linux"]["maskedPaths"]
                .as_array_mut()
                .unwrap()
                .push("/etc/secret".into());
            c["linux"]["readonlyPaths"]
                .as_array_mut()
                .unwrap()
                .push("/etc/rwfile".into());
            c["linux"]["devices"] = serde_json::json!([
                {"path": "/dev/fifo0", "type": "p", "fileMode": 0o640, "uid": 1000, "gid": 1000},
                {"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229}
            ]);
        }
        "no-pivot" => {
            c["root"]["readonly"] = false.into();
            c["linux"]["namespaces"] = serde_json::json!([{"type": "pid"}, {"type": "mount"}]);
        }
        "bad-mount" => {
            mounts.push(serde_json::json!({"destination": "/data", "type": "bind",
                "source": "/nonexistent-six-rootfs", "options": ["bind"]}));
        }
        other => panic!("unknown scenario {other}"),
    }
    serde_json::from_value(c).unwrap()
}

/// In the fresh process: new namespaces, then pid 1 does the work.
fn run_scenario(scenario: &str, dir: &Path) -> i32 {
    let mut flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID;
    if scenario != "no-pivot" {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    if let Err(e) = nix::sched::unshare(flags) {
        println!("ERROR: unshare: {e}");
        return SETUP_FAILED;
    }
    // SAFETY: this process is single-threaded (no libtest harness, no threads spawned).
    match unsafe { fork() } {
        Ok(ForkResult::Child) => std::process::exit(container_init(scenario, dir)),
        Ok(ForkResult::Parent { child }) => match waitpid(child, None) {
            Ok(WaitStatus::Exited(_, code)) => code,
            other => {
                println!("ERROR: container init ended with {other:?}");
                SETUP_FAILED
            }
        },
        Err(e) => {
            println!("ERROR: fork: {e}");
            SETUP_FAILED
        }
    }
}

/// The container's pid 1: build the rootfs, then check it from inside.
fn container_init(scenario: &str, dir: &Path) -> i32 {
    let spec = scenario_spec(scenario, dir);
    let rootfs = dir.join("rootfs");
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let console = fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&pty.slave)
    ))
    .unwrap();
    let mut plan = RootfsPlan::new(&spec, &rootfs);
    plan.no_pivot = scenario == "no-pivot";
    plan.cgroup_mounts = vec![
        ("memory".into(), dir.join("cg-memory")),
        ("cpu,cpuacct".into(), dir.join("cg-cpu")),
    ];
    if scenario == "full" {
        plan.console_path = Some(console);
    }
    let sys = LinuxSyscall;
    if let Err(e) = prepare(&plan, &sys)
        .and_then(|()| pivot(&plan, &sys))
        .and_then(|()| finalize(&plan, &sys))
    {
        println!("ERROR: {e}");
        return SETUP_FAILED;
    }
    let mut checks = Checks::default();
    match scenario {
        "full" => check_full(&mut checks, dir),
        "no-pivot" => check_no_pivot(&mut checks),
        _ => {}
    }
    checks.verdict()
}

#[derive(Default)]
struct Checks {
    failed: usize,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool) {
        if ok {
            println!("  ok: {what}");
        } else {
            println!("  FAIL: {what}");
            self.failed += 1;
        }
    }

    fn verdict(&self) -> i32 {
        if self.failed == 0 {
            PASSED
        } else {
            CHECKS_FAILED
        }
    }
}

/// `(mount point, fstype, per-mount options)` of every mount this process sees.
fn mountinfo() -> Vec<(String, String, String)> {
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

fn mounted(at: &str, fstype: &str) -> bool {
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

fn check_full(c: &mut Checks, dir: &Path) {
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

fn check_no_pivot(c: &mut Checks) {
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
        "no console without a terminal",
        !Path::new("/dev/console").exists(),
    );
}
