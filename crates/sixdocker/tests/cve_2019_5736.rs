//! CVE-2019-5736 through the engine: `sixdocker exec` clones the exec'd process straight from
//! the CLI (the monitor is not involved), so a hostile image whose `#!` files name
//! `/proc/self/exe` would run the host's sixdocker inside the container, where the
//! container's init (six-testkit's attacker) holds its exe and writes it after it exits. The
//! sixdocker under attack is a copy made for the test, used only for the `exec`s (the
//! container's monitor runs the test's own build: a running monitor of the same binary would
//! keep the file busy, which is no defence once it is gone); its bytes must not change.
//! `SIXDOCKER=/path/to/sixdocker` attacks (a copy of) another build the same way.

mod common;

use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use six_testkit::cve_2019_5736 as attacker;

/// `bin --root R --runroot S ARGS` in the sandbox, to its end (its exit code is no matter).
fn run_with(bin: &Path, sb: &Sandbox, args: &[&str]) {
    Command::new(bin)
        .arg("--root")
        .arg(sb.root())
        .arg("--runroot")
        .arg(sb.runroot())
        .args(args)
        .env("SIXDOCKER_IMAGE_DIR", sb.image_dir())
        .env("SIXDOCKER_ORIGINAL_IMAGE_DIR", sb.original_image_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
}

#[test]
fn hostile_shebangs_cannot_overwrite_sixdocker_through_exec() {
    let sb = Sandbox::new();
    let dir = tempfile::Builder::new()
        .prefix("sixdocker-bin-")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("sixdocker");
    let under_attack = std::env::var_os("SIXDOCKER").unwrap_or_else(|| BIN.into());
    std::fs::copy(under_attack, &bin).unwrap();
    let before = std::fs::read(&bin).unwrap();

    // The hostile image: busybox plus the attacker, its files and a C library.
    let src = host_path(&sb, "evil-src");
    std::fs::create_dir(&src).unwrap();
    attacker::install(&src, &bin);
    let prep = unique_name("prep");
    let volume = format!("{}:/src:ro", src.display());
    sb.run([
        "run", "--name", &prep, "-v", &volume, "busybox", "cp", "-a", "/src/.", "/",
    ])
    .ok();
    let image = unique_name("evil");
    sb.run(["commit", &prep, &image]).ok();
    sb.run(["rm", &prep]).ok();

    let name = unique_name("atk");
    sb.run(["run", "-d", "--name", &name, &image, "/attacker"])
        .ok();
    let exists = |path: &str| {
        sb.run(["exec", &name, "/bin/busybox", "test", "-e", path])
            .code
            == 0
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !exists("/ready") {
        assert!(Instant::now() < deadline, "the attacker never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    for round in 0..40 {
        if round >= 2 && exists("/captured") {
            break;
        }
        for evil in attacker::hostile_names() {
            // The exec'd sixdocker runs inside the container and fails there.
            run_with(&bin, &sb, &["exec", &name, &format!("/{evil}")]);
        }
    }
    sb.run(["exec", &name, "/bin/busybox", "touch", "/stop"])
        .ok();
    let code = sb.run(["wait", &name]).code;
    let overwritten = std::fs::read(&bin).unwrap() != before;
    if overwritten {
        std::fs::write(&bin, &before).unwrap();
    }
    assert_eq!(code, 0, "wait for the attacker");
    let result = sb.run(["logs", &name]).ok().to_owned();
    sb.run(["rm", &name]).ok();

    assert!(
        !overwritten,
        "sixdocker was overwritten from inside the container ({result})"
    );
    let (captured, written) = attacker::outcome(&result);
    assert_eq!(written, 0, "a write reached sixdocker's binary: {result}");
    assert!(
        captured > 0,
        "the attacker never caught sixdocker's exe, so the test proved nothing: {result}"
    );
}

/// Whether the file `path` (a `/proc/PID/exe`) is a sealed view: on a read-only overlayfs,
/// or a memfd sealed against writes (six-runtime's `sealed_exe`).
fn is_sealed_view(path: &str) -> bool {
    let file = std::fs::File::open(path).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
    // SAFETY: fcntl on an open fd.
    let seals = unsafe { libc::fcntl(fd, libc::F_GET_SEALS) };
    if seals >= 0 && seals & libc::F_SEAL_WRITE != 0 {
        return true;
    }
    // SAFETY: a zeroed statfs is a valid out-buffer.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatfs on an open fd into our buffer.
    let statfs = unsafe { libc::fstatfs(fd, &mut st) };
    assert_eq!(statfs, 0);
    // SAFETY: a zeroed statvfs is a valid out-buffer.
    let mut vfs: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: fstatvfs on an open fd into our buffer.
    let statvfs = unsafe { libc::fstatvfs(fd, &mut vfs) };
    assert_eq!(statvfs, 0);
    st.f_type as i64 == 0x794c_7630 && vfs.f_flag & libc::ST_RDONLY != 0
}

/// The `mnt_id` an fdinfo file (`/proc/PID/fdinfo/FD`) names.
fn mount_id(fdinfo: &str) -> u64 {
    let text = std::fs::read_to_string(fdinfo).unwrap();
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("mnt_id:"))
        .unwrap();
    id.trim().parse().unwrap()
}

/// `run` no longer re-executes itself sealed (only its monitor clones into the container):
/// the monitor, whose clone the container's init is, still runs from a sealed view of
/// sixdocker, never from the host's file (and so do those of `start` and `restart`).
#[test]
fn the_monitor_that_starts_a_container_runs_sealed() {
    let sb = Sandbox::new();
    let name = unique_name("seal");
    sb.run(detached_args(&name, &["sleep", "60"])).ok();
    let monitor_of = |name: &str| {
        let pid = sb.inspect(name)["State"]["Pid"].as_i64().unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let after = stat.rsplit_once(')').unwrap().1;
        after.split_whitespace().nth(1).unwrap().to_owned()
    };
    let monitor = monitor_of(&name);
    assert!(
        is_sealed_view(&format!("/proc/{monitor}/exe")),
        "the monitor of run runs from the host's binary"
    );
    // The view's detached mount is the monitor's to close (closing its last fd waits for an
    // RCU grace period, which `run` should not): the monitor holds an fd on it.
    let exe = std::fs::File::open(format!("/proc/{monitor}/exe")).unwrap();
    let exe_mount = mount_id(&format!("/proc/self/fdinfo/{}", exe.as_raw_fd()));
    let held: Vec<u64> = std::fs::read_dir(format!("/proc/{monitor}/fdinfo"))
        .unwrap()
        .map(|e| mount_id(&e.unwrap().path().display().to_string()))
        .collect();
    assert!(
        held.contains(&exe_mount),
        "the monitor holds no fd on its seal's mount {exe_mount}: {held:?}"
    );
    sb.run(["restart", "-t", "0", &name]).ok();
    let monitor = monitor_of(&name);
    assert!(
        is_sealed_view(&format!("/proc/{monitor}/exe")),
        "the monitor after restart runs from the host's binary"
    );
    sb.run(["rm", "-f", &name]).ok();
}
