//! The process steps against a recording [`ProcessSys`]: which calls, in which order, with
//! which values — without root. Two tests also run the real calls, in a forked child.

use std::path::PathBuf;

use caps::Capability;
use nix::errno::Errno;
use oci_spec::runtime::Process;

use super::*;
use crate::process_sys::LinuxProcessSys;
use crate::process_sys_fake::{Call, Recording};

/// For `prepare` when no notification fd is expected.
fn no_listener(_: &mut Recording, _: std::os::fd::OwnedFd) -> Result<(), String> {
    panic!("no SCMP_ACT_NOTIFY in this test")
}

fn plan(json: serde_json::Value) -> ProcessPlan {
    let p: Process = serde_json::from_value(json).unwrap();
    ProcessPlan::new(&p, None, None).unwrap()
}

fn web_plan() -> ProcessPlan {
    plan(serde_json::json!({
        "args": ["/bin/sh"], "cwd": "/srv",
        "user": {"uid": 1000, "gid": 100, "additionalGids": [5, 6], "umask": 18},
        "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"],
            "permitted": ["CAP_KILL"], "inheritable": [], "ambient": ["CAP_KILL"]},
        "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 20}],
        "oomScoreAdj": 300, "noNewPrivileges": true
    }))
}

#[test]
fn prepare_runs_the_steps_in_order_with_the_plans_values() {
    let mut sys = Recording::default();
    let p = web_plan();
    let ready = prepare(&mut sys, &p, 1, &[9, 7], true, &mut no_listener).unwrap();
    assert_eq!(ready.program.as_bytes(), b"/bin/sh");
    let calls = sys.calls;
    // Everything up to the bounding set.
    assert_eq!(
        calls[..5],
        [
            Call::Setrlimit(libc::RLIMIT_NOFILE, 10, 20),
            Call::OomScoreAdj(300),
            Call::KeepOpen(3),
            Call::CloseRange(4, 6),
            Call::CloseRange(8, 8),
        ]
    );
    assert_eq!(calls[5], Call::CloseRange(10, u32::MAX));
    let drops: Vec<&Call> = calls
        .iter()
        .filter(|c| matches!(c, Call::DropBounding(_)))
        .collect();
    assert!(!drops.contains(&&Call::DropBounding(Capability::CAP_KILL)));
    assert!(drops.contains(&&Call::DropBounding(Capability::CAP_SYS_ADMIN)));
    let rest: Vec<Call> = calls
        .into_iter()
        .skip(6)
        .filter(|c| !matches!(c, Call::DropBounding(_)))
        .collect();
    assert_eq!(
        rest,
        [
            // no_new_privs: seccomp is not loaded here (the caller loads it before execve).
            // The cwd is entered while still root (runc), and only checked at the end.
            Call::Chdir(PathBuf::from("/srv")),
            // HOME from the container's passwd, read while still root (runc).
            Call::ReadFile(PathBuf::from("/etc/passwd")),
            Call::Setgroups(vec![5, 6]),
            Call::KeepCaps(true),
            Call::Setresgid(100),
            Call::Setresuid(1000),
            Call::KeepCaps(false),
            Call::Umask(18),
            Call::SetCaps("inheritable", vec![]),
            Call::SetCaps("effective", vec![Capability::CAP_KILL]),
            Call::SetCaps("permitted", vec![Capability::CAP_KILL]),
            Call::ClearAmbient,
            Call::RaiseAmbient(Capability::CAP_KILL),
            Call::NoNewPrivs,
        ]
    );
}

#[test]
fn a_cwd_root_may_not_enter_is_entered_again_as_the_user_and_other_errors_are_final() {
    // Root refused (a directory of the user's on a root-squashed mount): again as the user.
    let mut sys = Recording {
        chdir_results: vec![Errno::EACCES],
        ..Default::default()
    };
    prepare(&mut sys, &web_plan(), 0, &[], true, &mut no_listener).unwrap();
    let chdirs: Vec<usize> = (0..sys.calls.len())
        .filter(|&i| matches!(sys.calls[i], Call::Chdir(_)))
        .collect();
    let uid_at = sys
        .calls
        .iter()
        .position(|c| *c == Call::Setresuid(1000))
        .unwrap();
    assert_eq!(chdirs.len(), 2);
    assert!(chdirs[0] < uid_at && chdirs[1] > uid_at);
    // Refused for both: the user's error.
    let mut sys = Recording {
        chdir_results: vec![Errno::EACCES, Errno::EACCES],
        ..Default::default()
    };
    let err = prepare(&mut sys, &web_plan(), 0, &[], true, &mut no_listener).unwrap_err();
    assert_eq!(err, "cwd \"/srv\": EACCES: Permission denied");
    // Missing: no second try, nothing changed after it.
    let mut sys = Recording {
        chdir_results: vec![Errno::ENOENT],
        ..Default::default()
    };
    let err = prepare(&mut sys, &web_plan(), 0, &[], true, &mut no_listener).unwrap_err();
    assert_eq!(err, "cwd \"/srv\": ENOENT: No such file or directory");
    assert!(!sys.calls.contains(&Call::Setresuid(1000)));
}

#[test]
fn without_no_new_privs_seccomp_comes_before_the_user_change() {
    let mut sys = Recording::default();
    let mut p = web_plan();
    p.no_new_privs = false;
    let filter = six_seccomp::compile(
        &serde_json::from_value(serde_json::json!({"defaultAction": "SCMP_ACT_ALLOW"})).unwrap(),
    )
    .unwrap();
    p.seccomp = Some(filter);
    prepare(&mut sys, &p, 0, &[], true, &mut no_listener).unwrap();
    let at = |want: &Call| sys.calls.iter().position(|c| c == want).unwrap();
    assert!(at(&Call::Seccomp) < at(&Call::Setresuid(1000)));
    assert!(!sys.calls.contains(&Call::NoNewPrivs));

    // With a notification fd: handed over right after the install, before any other step.
    let mut sys = Recording {
        listener: true,
        ..Default::default()
    };
    let mut hand_over = |sys: &mut Recording, _fd: std::os::fd::OwnedFd| {
        sys.calls.push(Call::HandOver);
        Ok(())
    };
    prepare(&mut sys, &p, 0, &[], true, &mut hand_over).unwrap();
    let at = |want: &Call| sys.calls.iter().position(|c| c == want).unwrap();
    assert_eq!(at(&Call::HandOver), at(&Call::Seccomp) + 1);
}

#[test]
fn a_refused_uid_and_a_denied_setgroups_are_clear_errors() {
    let mut sys = Recording {
        fail: vec!["setresuid"],
        ..Default::default()
    };
    let err = apply_user(&mut sys, &web_plan(), true).unwrap_err();
    assert!(err.starts_with("setting uid 1000: EPERM"), "{err}");
    let mut sys = Recording::default();
    let err = apply_user(&mut sys, &web_plan(), false).unwrap_err();
    assert!(err.contains("setgroups is denied"), "{err}");
    assert!(sys.calls.is_empty(), "nothing changes before the refusal");
}

#[test]
fn a_refused_rlimit_above_our_hard_limit_says_why() {
    let mut sys = Recording {
        fail: vec!["setrlimit"],
        ..Default::default()
    };
    let mut p = web_plan();
    p.rlimits[0].hard = 1000;
    let err = apply_rlimits(&mut sys, &p).unwrap_err();
    assert!(
        err.contains("above this runtime's own hard limit 100"),
        "{err}"
    );
}

#[test]
fn stdio_is_lifted_above_the_preserved_fds_then_put_on_0_1_2() {
    let mut sys = Recording::default();
    apply_stdio(&mut sys, [4, 4, 5], 3).unwrap();
    assert_eq!(
        sys.calls,
        [
            Call::DupAbove(4, 6),
            Call::DupAbove(4, 6),
            Call::DupAbove(5, 6),
            Call::Dup2(6, 0),
            Call::Dup2(7, 1),
            Call::Dup2(8, 2),
        ]
    );
}

#[test]
fn without_close_range_each_fd_is_closed_up_to_the_limit() {
    let mut sys = Recording {
        fail: vec!["close_range"],
        ..Default::default()
    };
    close_fds(&mut sys, 0, &[5]).unwrap();
    let closed: Vec<RawFd> = sys
        .calls
        .iter()
        .filter_map(|c| match c {
            Call::Close(fd) => Some(*fd),
            _ => None,
        })
        .collect();
    let want: Vec<RawFd> = (3..5).chain(6..100).collect();
    assert_eq!(closed, want);
}

#[test]
fn a_cwd_the_kernel_cannot_name_is_refused() {
    let mut sys = Recording::default();
    apply_cwd(&mut sys, &web_plan(), false).unwrap();
    // The recording getcwd names what chdir was given: here what getcwd(3) says of a
    // directory outside the root (CVE-2024-21626).
    let mut rel = web_plan();
    rel.cwd = PathBuf::from("(unreachable)/x");
    let err = apply_cwd(&mut Recording::default(), &rel, false).unwrap_err();
    assert!(err.contains("outside the container's root"), "{err}");
    // Entered early (as root), it is still checked.
    let mut sys = Recording::default();
    assert!(enter_cwd_as_root(&mut sys, &rel).unwrap());
    let err = apply_cwd(&mut sys, &rel, true).unwrap_err();
    assert!(err.contains("outside the container's root"), "{err}");
}

#[test]
fn the_real_calls_lift_stdio_and_close_by_hand() {
    // In a child: it rearranges its own fd table.
    // SAFETY: the child only makes syscalls and leaves with _exit.
    match unsafe { libc::fork() } {
        0 => {
            let open =
                |p: &str| std::os::fd::IntoRawFd::into_raw_fd(std::fs::File::open(p).unwrap());
            let mut sys = LinuxProcessSys;
            // SAFETY: our own fd table: the stdio source at 20, fd 3 preserved, fd 4 a hole
            // in the preserved range, fd 30 to be closed one by one.
            let ok = unsafe {
                let z = open("/dev/zero");
                let src = libc::fcntl(z, libc::F_DUPFD, 20);
                libc::close(z);
                let n = open("/dev/null");
                libc::dup2(n, 3);
                libc::close(4);
                let stray = libc::fcntl(src, libc::F_DUPFD, 30);
                apply_stdio(&mut sys, [src, src, src], 2).is_ok()
                    && libc::fcntl(4, libc::F_GETFD) == -1
                    && libc::fcntl(3, libc::F_GETFD) != -1
                    && {
                        close_one_by_one(&mut sys, stray as u32, stray as u32);
                        libc::fcntl(stray, libc::F_GETFD) == -1
                    }
            };
            // SAFETY: leaving the forked child.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        pid => {
            let mut status = 0;
            // SAFETY: reaping our own child.
            unsafe { libc::waitpid(pid, &mut status, 0) };
            assert_eq!(libc::WEXITSTATUS(status), 0, "see the child's checks");
        }
    }
}

#[test]
fn home_comes_from_the_containers_passwd_as_runc_sets_it() {
    let passwd = "root:x:0:0:root:/root:/bin/sh\n\n  web:x:1000:100::/srv/web:/bin/sh  \nweb2:x:1000:1:::\nshort:x:7\n";
    let home = |uid: u32, env: &[&str], passwd: Option<&'static str>| {
        let mut sys = Recording {
            passwd,
            ..Default::default()
        };
        let p = plan(serde_json::json!({"args": ["sh"], "cwd": "/",
            "user": {"uid": uid, "gid": 0}, "env": env}));
        home_entry(&mut sys, &p).map(|h| h.into_string().unwrap())
    };
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(home(0, &["PATH=/bin"], Some(passwd)), some("HOME=/root"));
    // the first line with the uid wins; lines are trimmed, blank ones skipped
    assert_eq!(home(1000, &[], Some(passwd)), some("HOME=/srv/web"));
    // no entry, an entry without the field, no passwd at all: "/" (runc's default)
    assert_eq!(home(4321, &[], Some(passwd)), some("HOME=/"));
    assert_eq!(home(7, &[], Some(passwd)), some("HOME="));
    assert_eq!(home(0, &[], None), some("HOME=/"));
    // a HOME the process has is kept; an empty one is replaced
    assert_eq!(home(0, &["HOME=/x"], Some(passwd)), None);
    assert_eq!(home(0, &["HOME="], Some(passwd)), some("HOME=/root"));
}
