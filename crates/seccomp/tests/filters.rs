//! Integration tests: each installs a filter in a FRESH single-threaded process (the
//! six-seccomp-probe helper, never a fork of this multi-threaded harness) and checks what
//! the real kernel then does. The probe's filter dies with it: nothing is left behind.

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Output};

const PROBE: &str = env!("CARGO_BIN_EXE_six-seccomp-probe");

/// Runs the probe with `profile` (JSON text, or "docker-default") and `args`.
fn probe(profile: &str, args: &[&str]) -> Output {
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = if profile == "docker-default" {
        profile.to_owned()
    } else {
        file.as_file().write_all(profile.as_bytes()).unwrap();
        file.path().to_str().unwrap().to_owned()
    };
    Command::new(PROBE).arg(path).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "probe failed: {:?} {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn call(profile: &str, nr: i64, args: &[u64]) -> String {
    let mut a = vec![nr.to_string()];
    a.extend(args.iter().map(|v| v.to_string()));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    stdout(&probe(profile, &[&["call"], refs.as_slice()].concat()))
}

const GETPID_ERRNO_42: &str = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]}"#;

#[test]
fn a_blocked_syscall_returns_the_configured_errno_and_others_work() {
    assert_eq!(call(GETPID_ERRNO_42, libc::SYS_getpid, &[]), "errno=42");
    assert!(call(GETPID_ERRNO_42, libc::SYS_getppid, &[]).starts_with("ret="));
    assert!(call(GETPID_ERRNO_42, libc::SYS_gettid, &[]).starts_with("ret="));
}

#[test]
fn an_argument_condition_distinguishes_values_including_the_high_word() {
    let profile = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 7,
        "args": [{"index": 0, "value": 4294967301, "op": "SCMP_CMP_EQ"}]}]}"#;
    assert_eq!(call(profile, libc::SYS_getpid, &[0x1_0000_0005]), "errno=7");
    assert!(
        call(profile, libc::SYS_getpid, &[5]).starts_with("ret="),
        "only the low word matches"
    );
    assert!(call(profile, libc::SYS_getpid, &[0x2_0000_0005]).starts_with("ret="));
    let ranged = r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 9,
        "args": [{"index": 1, "value": 100, "op": "SCMP_CMP_GE"}, {"index": 2, "value": 255, "valueTwo": 3, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#;
    assert_eq!(call(ranged, libc::SYS_getpid, &[0, 100, 0x103]), "errno=9");
    assert!(call(ranged, libc::SYS_getpid, &[0, 99, 0x103]).starts_with("ret="));
    assert!(call(ranged, libc::SYS_getpid, &[0, 100, 0x104]).starts_with("ret="));
}

#[test]
fn the_default_action_applies_to_unlisted_syscalls() {
    // What the probe itself needs after installing: write its line and exit.
    let profile = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [{"names":
        ["write", "exit", "exit_group", "sigaltstack", "munmap", "rt_sigprocmask", "futex", "getpid"], "action": "SCMP_ACT_ALLOW"}]}"#;
    assert_eq!(call(profile, libc::SYS_getppid, &[]), "errno=38");
    assert!(call(profile, libc::SYS_getpid, &[]).starts_with("ret="));
}

#[test]
fn kill_process_and_trap_end_the_process_with_sigsys() {
    for action in ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_KILL"] {
        let profile = format!(
            r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": ["getpid"], "action": "{action}"}}]}}"#
        );
        let o = probe(&profile, &["call", &libc::SYS_getpid.to_string()]);
        assert_eq!(
            o.status.signal(),
            Some(libc::SIGSYS),
            "{action}: {:?}",
            o.status
        );
    }
}

#[test]
fn flags_and_the_log_action_are_accepted_by_the_kernel() {
    let profile = r#"{"defaultAction": "SCMP_ACT_ALLOW",
        "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_TSYNC"],
        "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 5}, {"names": ["getppid"], "action": "SCMP_ACT_LOG"}]}"#;
    assert_eq!(call(profile, libc::SYS_getpid, &[]), "errno=5");
    assert!(call(profile, libc::SYS_getppid, &[]).starts_with("ret="));
}

#[test]
fn docker_default_blocks_unshare_and_mount_and_runs_busybox_sh() {
    assert_eq!(
        call(
            "docker-default",
            libc::SYS_unshare,
            &[libc::CLONE_NEWUSER as u64]
        ),
        "errno=1"
    );
    assert_eq!(
        call("docker-default", libc::SYS_mount, &[0, 0, 0, 0, 0]),
        "errno=1"
    );
    assert_eq!(
        call("docker-default", libc::SYS_clone3, &[0, 0]),
        "errno=38"
    );
    assert_eq!(
        call(
            "docker-default",
            libc::SYS_socket,
            &[40, libc::SOCK_STREAM as u64, 0]
        ),
        "errno=1"
    );
    assert!(call("docker-default", libc::SYS_getpid, &[]).starts_with("ret="));
    let o = probe(
        "docker-default",
        &[
            "exec",
            "/bin/busybox",
            "sh",
            "-c",
            "echo hello from $0; grep ^Seccomp: /proc/self/status",
        ],
    );
    assert_eq!(stdout(&o), "hello from sh\nSeccomp:\t2");
}

#[cfg(target_arch = "x86_64")]
#[test]
fn docker_default_covers_the_i386_abi_too() {
    // i386: getpid is 20, mount is 21.
    assert!(stdout(&probe("docker-default", &["call32", "20"])).starts_with("ret="));
    assert_eq!(
        stdout(&probe("docker-default", &["call32", "21", "0", "0"])),
        "errno=1"
    );
}

/// Docker's profile allows io_pgetevents, so the kernel's own answer must come back (EINVAL
/// for a null AIO context), not the filter's EPERM (the x86_64 table once lacked it).
#[test]
fn docker_default_lets_io_pgetevents_reach_the_kernel() {
    let nr: i64 = if cfg!(target_arch = "aarch64") {
        292
    } else {
        333
    };
    assert_eq!(
        call("docker-default", nr, &[0, 0, 0, 0, 0, 0]),
        format!("errno={}", libc::EINVAL)
    );
}

/// The i386 ABI's io_pgetevents (385) and 64-bit-time calls (clock_gettime64 is 403, which
/// a 32-bit glibc calls for every clock_gettime) reach the kernel too (both were missing
/// from the i386 table).
#[cfg(target_arch = "x86_64")]
#[test]
fn docker_default_lets_i386_time64_calls_reach_the_kernel() {
    for (nr, arg) in [("385", "0"), ("403", "0")] {
        let out = stdout(&probe("docker-default", &["call32", nr, arg, "0"]));
        // The kernel's answer (EINVAL or EFAULT for these null arguments), not EPERM.
        assert!(
            [libc::EINVAL, libc::EFAULT]
                .map(|e| format!("errno={e}"))
                .contains(&out),
            "i386 syscall {nr}: {out}"
        );
    }
}

#[test]
fn install_needs_no_new_privs_or_cap_sys_admin() {
    use std::os::unix::process::CommandExt;
    six_testkit::require_root();
    let run = |as_nobody: bool| {
        let mut c = Command::new(PROBE);
        c.args(["docker-default", "call", &libc::SYS_mount.to_string()])
            .env("PROBE_NO_NNP", "1");
        if as_nobody {
            c.uid(65534).gid(65534);
        }
        c.output().unwrap()
    };
    // Root has CAP_SYS_ADMIN: no no_new_privs needed.
    assert_eq!(stdout(&run(false)), "errno=1");
    let o = run(true);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(100), "{err}");
    assert!(
        err.contains(
            "installing the filter failed: Permission denied (needs no_new_privs or CAP_SYS_ADMIN)"
        ),
        "{err}"
    );
}

/// Podman's profile (Docker's format, from Debian's containers-common, installed with podman).
#[test]
fn podmans_docker_format_profile_resolves_compiles_and_runs_a_shell() {
    let path = "/usr/share/containers/seccomp.json";
    let run = |args: &[&str]| {
        Command::new(PROBE)
            .arg(path)
            .args(args)
            .env("PROBE_DOCKER_FORMAT", "1")
            .output()
            .unwrap()
    };
    assert_eq!(
        stdout(&run(&[
            "call",
            &libc::SYS_kexec_load.to_string(),
            "0",
            "0",
            "0",
            "0"
        ])),
        "errno=1"
    );
    assert_eq!(
        stdout(&run(&[
            "call",
            &libc::SYS_open_by_handle_at.to_string(),
            "0",
            "0",
            "0"
        ])),
        "errno=1",
        "needs CAP_DAC_READ_SEARCH"
    );
    assert!(stdout(&run(&["call", &libc::SYS_getpid.to_string()])).starts_with("ret="));
    assert_eq!(stdout(&run(&["exec", "/bin/busybox", "echo", "ok"])), "ok");
}

#[test]
fn bad_profiles_fail_with_one_clear_line() {
    for (profile, needle) in [
        (
            r#"{"defaultAction": "SCMP_ACT_MAYBE"}"#,
            "unknown variant `SCMP_ACT_MAYBE`",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}"#,
            "SCMP_ARCH_VAX",
        ),
        (
            r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SORTOF"}]}]}"#,
            "SCMP_CMP_SORTOF",
        ),
        (r#"{"defaultAction": "SCMP_ACT_NOTIFY"}"#, "SCMP_ACT_NOTIFY"),
    ] {
        let o = probe(profile, &["call", "39"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(100), "{profile}");
        assert!(
            err.contains(needle) && err.trim().lines().count() == 1,
            "{profile}: {err}"
        );
    }
}
