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
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, ForkResult};
use oci_spec::runtime::Spec;
use six_rootfs::{finalize, pivot, prepare, LinuxSyscall, RootfsPlan};

mod inside;
use inside::Checks;

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
    let tests: [(&str, fn()); 5] = [
        ("full_spec_with_pivot_root", full_spec_with_pivot_root),
        (
            "no_pivot_and_sysfs_without_netns",
            no_pivot_and_sysfs_without_netns,
        ),
        (
            "a_non_recursive_root_propagation_leaks_nothing_to_a_shared_host_mount",
            a_non_recursive_root_propagation_leaks_nothing_to_a_shared_host_mount,
        ),
        (
            "in_a_user_namespace_devices_are_bound_from_the_host",
            in_a_user_namespace_devices_are_bound_from_the_host,
        ),
        (
            "a_bad_mount_fails_with_a_clear_error",
            a_bad_mount_fails_with_a_clear_error,
        ),
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Speak enough of libtest's command line for `cargo test -- --list` and `--ignored`.
    if args.iter().any(|a| a == "--list") {
        for (name, _) in tests {
            println!("{name}: test");
        }
        return;
    }
    if args.iter().any(|a| a == "--ignored") {
        return;
    }
    let filter: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
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
        for seed in ["rootfs/opt/seed/sub", "rootfs/opt/roseed"] {
            fs::create_dir_all(p.join(seed)).unwrap();
            fs::write(p.join(seed).join(MARKER), MARKER).unwrap();
        }
        symlink("sub", p.join("rootfs/opt/seed/link")).unwrap();
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

fn a_non_recursive_root_propagation_leaks_nothing_to_a_shared_host_mount() {
    let f = Fixture::new();
    let (code, out) = f.run("propagation");
    print!("{out}");
    assert_eq!(code, PASSED, "scenario failed:\n{out}");
    f.assert_nothing_left();
}

fn in_a_user_namespace_devices_are_bound_from_the_host() {
    let f = Fixture::new();
    let (code, out) = f.run("userns");
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
            mounts.push(
                serde_json::json!({"destination": "/opt/seed", "type": "tmpfs",
                "source": "tmpfs", "options": ["tmpcopyup", "mode=755"]}),
            );
            mounts.push(
                serde_json::json!({"destination": "/opt/roseed", "type": "tmpfs",
                "source": "tmpfs", "options": ["tmpcopyup", "ro"]}),
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
        "userns" => {
            mounts.push(
                serde_json::json!({"destination": "/etc/hostfile", "type": "bind",
                "source": dir.join("locked/hostfile"), "options": ["bind", "ro"]}),
            );
            c["linux"]["namespaces"]
                .as_array_mut()
                .unwrap()
                .push(serde_json::json!({"type": "user"}));
        }
        "no-pivot" => {
            c["root"]["readonly"] = false.into();
            c["linux"]["namespaces"] = serde_json::json!([{"type": "pid"}, {"type": "mount"}]);
        }
        "propagation" => {
            c["linux"]["rootfsPropagation"] = "private".into();
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
    if scenario == "userns" {
        // Everything after this is owned by a user namespace where we are root (uid 0 -> 0
        // only): mknod is refused there, and the flags of the mounts seen are locked.
        if let Err(e) = nosuid_mount_for_the_bind_source(dir).and_then(|()| enter_user_namespace())
        {
            println!("ERROR: {e}");
            return SETUP_FAILED;
        }
    }
    if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWNS) {
        println!("ERROR: unshare: {e}");
        return SETUP_FAILED;
    }
    let mut rootfs = dir.join("rootfs");
    if scenario == "propagation" {
        // Before the pid namespace: this runs busybox, whose exit would end that namespace.
        match stand_in_host_with_a_shared_mount(dir) {
            Ok(r) => rootfs = r,
            Err(e) => {
                println!("ERROR: {e}");
                return SETUP_FAILED;
            }
        }
    }
    let mut flags = CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWIPC;
    if scenario != "no-pivot" {
        flags |= CloneFlags::CLONE_NEWNET;
    }
    if let Err(e) = nix::sched::unshare(flags) {
        println!("ERROR: unshare: {e}");
        return SETUP_FAILED;
    }
    // SAFETY: this process is single-threaded (no libtest harness, no threads spawned).
    let code = match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            if scenario == "propagation" {
                // The container's own mount namespace, a peer of the stand-in host's.
                if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWNS) {
                    println!("ERROR: unshare: {e}");
                    std::process::exit(SETUP_FAILED);
                }
            }
            std::process::exit(container_init(scenario, dir, &rootfs))
        }
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
    };
    if scenario == "propagation" && code == PASSED {
        let mut checks = Checks::default();
        inside::check_nothing_propagated(&mut checks, &dir.join("shared"));
        return checks.verdict();
    }
    code
}

/// A private mount namespace with a nosuid,nodev,noexec tmpfs at `<dir>/locked` holding a
/// copy of the host file: bound from a user namespace, its flags are locked, so making the
/// bind read-only must keep them (`Syscall::mount_flags` retry).
fn nosuid_mount_for_the_bind_source(dir: &Path) -> Result<(), String> {
    let none: Option<&str> = None;
    let locked = dir.join("locked");
    nix::sched::unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("unshare mount: {e}"))?;
    nix::mount::mount(none, "/", none, MsFlags::MS_PRIVATE | MsFlags::MS_REC, none)
        .map_err(|e| format!("making / rprivate: {e}"))?;
    fs::create_dir(&locked).map_err(|e| format!("mkdir {}: {e}", locked.display()))?;
    let flags = MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
    nix::mount::mount(Some("tmpfs"), &locked, Some("tmpfs"), flags, none)
        .map_err(|e| format!("tmpfs at {}: {e}", locked.display()))?;
    fs::write(locked.join("hostfile"), MARKER).map_err(|e| format!("writing the locked file: {e}"))
}

/// `unshare(CLONE_NEWUSER)` and map root to root, the one mapping a process may write for
/// itself.
fn enter_user_namespace() -> Result<(), String> {
    nix::sched::unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| format!("unshare user: {e}"))?;
    for (file, text) in [
        ("setgroups", "deny"),
        ("uid_map", "0 0 1"),
        ("gid_map", "0 0 1"),
    ] {
        fs::write(format!("/proc/self/{file}"), text)
            .map_err(|e| format!("writing {file}: {e}"))?;
    }
    Ok(())
}

/// Makes this process's mount namespace stand in for a host whose rootfs sits on a shared
/// mount: `<dir>/shared` (a tmpfs, MS_SHARED) holding a busybox rootfs. Everything stays in
/// this namespace (made rprivate first), never on the real host.
fn stand_in_host_with_a_shared_mount(dir: &Path) -> Result<PathBuf, String> {
    let shared = dir.join("shared");
    let none: Option<&str> = None;
    nix::mount::mount(none, "/", none, MsFlags::MS_PRIVATE | MsFlags::MS_REC, none)
        .map_err(|e| format!("making / rprivate: {e}"))?;
    fs::create_dir(&shared).map_err(|e| format!("mkdir {}: {e}", shared.display()))?;
    nix::mount::mount(
        Some("tmpfs"),
        &shared,
        Some("tmpfs"),
        MsFlags::empty(),
        none,
    )
    .map_err(|e| format!("tmpfs at {}: {e}", shared.display()))?;
    nix::mount::mount(none, &shared, none, MsFlags::MS_SHARED, none)
        .map_err(|e| format!("making {} shared: {e}", shared.display()))?;
    six_testkit::busybox_rootfs(&shared.join("rootfs"))
        .map_err(|e| format!("busybox rootfs: {e}"))?;
    Ok(shared.join("rootfs"))
}

/// The container's pid 1: build the rootfs, then check it from inside.
fn container_init(scenario: &str, dir: &Path, rootfs: &Path) -> i32 {
    let spec = scenario_spec(scenario, dir);
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let console = fs::read_link(format!(
        "/proc/self/fd/{}",
        std::os::fd::AsRawFd::as_raw_fd(&pty.slave)
    ))
    .unwrap();
    let mut plan = RootfsPlan::new(&spec, rootfs);
    plan.no_pivot = scenario == "no-pivot";
    plan.cgroup_mounts = vec![
        ("memory".into(), dir.join("cg-memory")),
        ("cpu,cpuacct".into(), dir.join("cg-cpu")),
    ];
    if scenario == "full" {
        plan.console_path = Some(console);
    }
    let sys = LinuxSyscall;
    let started = Instant::now();
    if let Err(e) = prepare(&plan, &sys).and_then(|()| pivot(&plan, &sys)) {
        println!("ERROR: {e}");
        return SETUP_FAILED;
    }
    let setup_took = started.elapsed();
    // runc's way: a pty from the container's own devpts, bound at /dev/console after pivot.
    let _container_pty = if scenario == "no-pivot" {
        let pty = nix::pty::openpty(None, None).expect("openpty in the container");
        let fd = std::os::fd::AsRawFd::as_raw_fd(&pty.slave);
        let slave = fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        if let Err(e) = six_rootfs::bind_console(&slave, &sys) {
            println!("ERROR: {e}");
            return SETUP_FAILED;
        }
        Some(pty)
    } else {
        None
    };
    let started = Instant::now();
    if let Err(e) = finalize(&plan, &sys) {
        println!("ERROR: {e}");
        return SETUP_FAILED;
    }
    println!(
        "  took: prepare + pivot + finalize {:?}",
        setup_took + started.elapsed()
    );
    let mut checks = Checks::default();
    match scenario {
        "full" => inside::check_full(&mut checks, dir),
        "no-pivot" => inside::check_no_pivot(&mut checks),
        "propagation" => inside::check_basic(&mut checks),
        "userns" => inside::check_userns(&mut checks),
        _ => {}
    }
    checks.verdict()
}
