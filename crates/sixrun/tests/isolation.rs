//! Escape checks from inside a container started by the real `sixrun` (as root): host PIDs
//! invisible, no mounting, capabilities exactly as configured, seccomp active, masked paths
//! unreadable, /sys read-only, user/cwd/hostname/rlimits applied, no stray fds, and the
//! CVE guards (2019-5736, 2024-21626). Each test proves it left nothing behind.

mod common;

use common::*;

/// Runs `script` under `sh -c` in a fresh container (config edited by `edit`); returns
/// (exit code, stdout, stderr) after checking the container is gone.
fn sh(script: &str, edit: impl FnOnce(&mut serde_json::Value)) -> (i32, String, String) {
    let s = Sixrun::new();
    let b = bundle(&["sh", "-c", script], edit);
    let id = s.new_id("iso");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    s.assert_gone(&id, None, b.path());
    (out.status.code().unwrap_or(-1), stdout(&out), stderr(&out))
}

#[test]
fn host_pids_are_invisible() {
    let (code, out, err) = sh("echo $$; ls /proc | grep -c '^[0-9]'", |_| {});
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "1", "the shell is pid 1 of its namespace");
    // sh and ls (and maybe grep): a handful, never the host's hundreds.
    assert!(lines[1].parse::<u32>().unwrap() <= 3, "{out}");
}

#[test]
fn the_container_cannot_mount() {
    let (code, out, _) = sh(
        "mount -t tmpfs none /tmp && echo MOUNTED; echo done",
        |_| {},
    );
    assert_eq!(code, 0);
    assert!(!out.contains("MOUNTED"), "{out}");
}

#[test]
fn capabilities_are_exactly_the_configured_sets() {
    let (code, out, err) = sh("grep ^Cap /proc/self/status", |c| {
        let caps = serde_json::json!(["CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        c["process"]["capabilities"] = serde_json::json!({
            "bounding": caps, "effective": ["CAP_KILL"], "permitted": caps, "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]
        });
    });
    assert_eq!(code, 0, "{err}");
    let get = |k: &str| {
        let line = out.lines().find(|l| l.starts_with(k)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    let kill = 1u64 << 5;
    let bind = 1u64 << 10;
    assert_eq!(get("CapBnd:"), kill | bind, "{out}");
    // Root's execve makes permitted and effective the whole bounding set.
    assert_eq!(get("CapPrm:"), kill | bind, "{out}");
    assert_eq!(get("CapEff:"), kill | bind, "{out}");
    assert_eq!(get("CapInh:"), kill, "{out}");
    assert_eq!(get("CapAmb:"), kill, "{out}");
}

#[test]
fn a_non_root_user_keeps_only_its_ambient_capabilities() {
    let (code, out, err) = sh("grep ^Cap /proc/self/status", |c| {
        let caps = serde_json::json!(["CAP_KILL", "CAP_NET_BIND_SERVICE"]);
        c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
        c["process"]["capabilities"] = serde_json::json!({
            "bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps, "ambient": ["CAP_NET_BIND_SERVICE"]
        });
    });
    assert_eq!(code, 0, "{err}");
    let get = |k: &str| {
        let line = out.lines().find(|l| l.starts_with(k)).unwrap();
        u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
    };
    let bind = 1u64 << 10;
    assert_eq!(get("CapEff:"), bind, "{out}");
    assert_eq!(get("CapPrm:"), bind, "{out}");
    assert_eq!(get("CapAmb:"), bind, "{out}");
}

#[test]
fn a_missing_inheritable_set_is_an_empty_one() {
    // Docker's shape for a non-root user: a bounding set, nothing held, no "inheritable"
    // (nor "ambient") key at all. Both must be empty sets, not oci-spec's defaults.
    for uid in [0, 1000] {
        let (code, out, err) = sh("grep ^Cap /proc/self/status", |c| {
            let caps = serde_json::json!(["CAP_CHOWN", "CAP_SETUID"]);
            let held = if uid == 0 {
                caps.clone()
            } else {
                serde_json::json!([])
            };
            c["process"]["user"] = serde_json::json!({"uid": uid, "gid": uid});
            c["process"]["capabilities"] = serde_json::json!({
                "bounding": caps, "effective": held, "permitted": held
            });
        });
        assert_eq!(code, 0, "uid {uid}: {err}");
        let get = |k: &str| {
            let line = out.lines().find(|l| l.starts_with(k)).unwrap();
            u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
        };
        let bounding = (1u64 << 0) | (1u64 << 7);
        assert_eq!(get("CapBnd:"), bounding, "uid {uid}: {out}");
        assert_eq!(get("CapInh:"), 0, "uid {uid}: {out}");
        assert_eq!(get("CapAmb:"), 0, "uid {uid}: {out}");
        let held = if uid == 0 { bounding } else { 0 };
        assert_eq!(get("CapEff:"), held, "uid {uid}: {out}");
    }
}

#[test]
fn seccomp_blocks_what_the_profile_denies() {
    let (code, out, err) = sh("mkdir /tmp/x && echo MADE; echo done", |c| {
        c["root"]["readonly"] = false.into();
        c["linux"]["seccomp"] = serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]
        });
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "done\n", "mkdir must fail with EPERM: {err}");
    assert!(err.contains("Operation not permitted"), "{err}");
}

#[test]
fn masked_paths_are_unreadable_and_sys_is_read_only() {
    // Masked files that exist on this host must read as empty inside.
    let masked: Vec<&str> = [
        "/proc/keys",
        "/proc/timer_list",
        "/proc/sched_debug",
        "/proc/kcore",
    ]
    .into_iter()
    .filter(|p| std::path::Path::new(p).exists())
    .collect();
    assert!(
        !masked.is_empty(),
        "no masked file exists on this host to test with"
    );
    let reads: String = masked.iter().map(|p| format!("wc -c < {p}; ")).collect();
    let script = format!("{reads} ls /sys/firmware | wc -l; echo x > /sys/kernel/uevent_helper || echo RO; grep ' /sys ' /proc/mounts");
    let (code, out, err) = sh(&script, |_| {});
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    for (i, p) in masked.iter().enumerate() {
        assert_eq!(lines[i].trim(), "0", "{p} must read as empty: {out} {err}");
    }
    let n = masked.len();
    assert_eq!(lines[n].trim(), "0", "/sys/firmware must look empty: {out}");
    assert_eq!(lines[n + 1], "RO", "{out}");
    assert!(
        lines[n + 2].contains(" ro,") || lines[n + 2].contains(" ro "),
        "{out}"
    );
}

#[test]
fn user_groups_umask_cwd_and_hostname_are_applied() {
    let (code, out, err) = sh("id -u; id -g; id -G; umask; pwd; hostname", |c| {
        c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000, "additionalGids": [5, 65534], "umask": 23});
        c["process"]["cwd"] = "/home/user".into();
        c["hostname"] = "box-one".into();
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "1000\n1000\n1000 5 65534\n0027\n/home/user\nbox-one\n");
}

#[test]
fn rlimits_apply_and_one_above_our_hard_limit_fails_clearly() {
    let (code, out, err) = sh("ulimit -n; ulimit -Hn", |c| {
        c["process"]["rlimits"] =
            serde_json::json!([{"type": "RLIMIT_NOFILE", "soft": 77, "hard": 88}]);
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "77\n88\n");

    let s = Sixrun::new();
    let b = bundle(&["true"], |c| {
        c["process"]["rlimits"] =
            serde_json::json!([{"type": "RLIMIT_NOFILE", "soft": 1048576, "hard": 1048576}]);
    });
    let id = s.new_id("rlim");
    let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    let mut ours = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit into a valid struct.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut ours) };
    if ours.rlim_max < 1048576 {
        assert!(
            line.contains("RLIMIT_NOFILE")
                && line.contains("1048576")
                && line.contains("CAP_SYS_RESOURCE"),
            "{line}"
        );
    }
    s.assert_gone(&id, None, b.path());
}

#[test]
fn no_fd_but_stdio_reaches_the_container() {
    // A descriptor the caller leaks (no close-on-exec) must not arrive.
    let leak = std::fs::File::open("/").unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&leak);
    // SAFETY: clearing FD_CLOEXEC on our own fd.
    unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    let (code, out, err) = sh("ls /proc/self/fd", |_| {});
    assert_eq!(code, 0, "{err}");
    // ls sees 0 1 2 and the directory it is reading.
    assert_eq!(out.split_whitespace().count(), 4, "{out}");
    drop(leak);
}

#[test]
fn preserve_fds_passes_exactly_those() {
    let s = Sixrun::new();
    let b = bundle(&["sh", "-c", "ls /proc/self/fd; cat <&3"], |_| {});
    let id = s.new_id("pres");
    let data = b.path().join("data");
    std::fs::write(&data, "through fd 3\n").unwrap();
    let f = std::fs::File::open(&data).unwrap();
    let mut cmd = s.cmd();
    cmd.args([
        "run",
        "--preserve-fds",
        "1",
        "--bundle",
        b.path().to_str().unwrap(),
        &id,
    ]);
    let raw = std::os::fd::AsRawFd::as_raw_fd(&f);
    // SAFETY: in the child before exec, dup2 our file onto fd 3.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            // dup2(3, 3) would keep close-on-exec: clear it explicitly.
            if (raw != 3 && libc::dup2(raw, 3) < 0) || libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("through fd 3"), "{text}");
    let fds: Vec<&str> = text
        .lines()
        .take_while(|l| !l.contains("through"))
        .collect();
    assert_eq!(fds.len(), 5, "0 1 2 3 and ls's own: {text}");
    s.assert_gone(&id, None, b.path());
}

#[test]
fn cve_2024_21626_a_cwd_through_a_leaked_fd_is_refused() {
    // Leak a host directory fd into sixrun and point the cwd at it through /proc/self/fd.
    let host_dir = tempfile::tempdir().unwrap();
    let leak = std::fs::File::open(host_dir.path()).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&leak);
    // SAFETY: clearing FD_CLOEXEC on our own fd.
    unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    let s = Sixrun::new();
    let b = bundle(&["pwd"], |c| {
        c["process"]["cwd"] = format!("/proc/self/fd/{fd}").into()
    });
    let id = s.new_id("cwd");
    let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(line.contains("cwd"), "{line}");
    s.assert_gone(&id, None, b.path());
    // A missing cwd is made (runc), but never through the leaked descriptor on the host.
    let b = bundle(&["pwd"], |c| {
        c["process"]["cwd"] = format!("/proc/self/fd/{fd}/made/deeper").into()
    });
    let id = s.new_id("cwd");
    let line = s.fails(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(line.contains("cwd"), "{line}");
    assert!(
        !host_dir.path().join("made").exists(),
        "the cwd was made on the host"
    );
    s.assert_gone(&id, None, b.path());
    drop(leak);
}

#[test]
fn cve_2019_5736_the_waiting_init_exe_cannot_be_opened_from_the_container() {
    // Before start, the init is still the runtime's binary. A process in the container's pid
    // namespace with the container's capabilities (no CAP_SYS_PTRACE) must not open it.
    let s = Sixrun::new();
    let b = bundle(&["true"], |_| {});
    let id = s.new_id("dump");
    s.create(&id, &b);
    let out = s.run(&[
        "exec",
        &id,
        "sh",
        "-c",
        "cat /proc/1/exe > /dev/null && echo OPENED; readlink /proc/1/exe || echo NOLINK",
    ]);
    let text = stdout(&out);
    assert!(!text.contains("OPENED"), "{text}");
    assert!(text.contains("NOLINK"), "{text} {}", stderr(&out));
    assert!(
        stderr(&out).contains("Permission denied"),
        "{}",
        stderr(&out)
    );
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn personality_linux32_changes_the_machine_name() {
    let (code, out, err) = sh("uname -m", |c| {
        c["linux"]["personality"] = serde_json::json!({"domain": "LINUX32"})
    });
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "i686");
}

#[test]
fn a_sysctl_of_the_container_namespace_is_set() {
    let (code, out, err) = sh(
        "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni",
        |c| {
            c["linux"]["sysctl"] =
                serde_json::json!({"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234"});
        },
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "1\n1234\n");
}
