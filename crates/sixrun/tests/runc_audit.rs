//! Behaviours of runc 1.1.5 found different in the audit of issue 9's list, now matched:
//! hooks' state (runc's field order, createContainer's status, the init's own pid for the
//! hooks it runs) and their captured output; mount propagation (runc's default `rslave`, so a
//! bind sees what the host mounts below its source later); `nosymfollow`. And a hardening
//! runc lacks: descriptors `--preserve-fds` passes beyond the caller's own are never the
//! runtime's (a cgroup directory, a namespace). Each test passes with RUNC=runc too, except
//! the parts that say runc 1.1.5 differs (tests/compat/RUNTIME_CALLS.md lists those).

mod common;

use std::os::fd::AsRawFd;
use std::path::Path;

use common::*;
use six_testkit::SmallTmpfs;

/// Whether the runtime under test is runc (RUNC=runc), not a sixrun.
fn under_runc() -> bool {
    runtime_binary()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("runc"))
}

/// `cmd` with `file` as its fd 3 (inheritable) and fds 4..8 closed.
fn with_fd3(cmd: &mut std::process::Command, file: &std::fs::File) {
    let raw = file.as_raw_fd();
    // SAFETY: in the child before exec: dup2 our file onto fd 3, close 4..8.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(cmd, move || {
            if (raw != 3 && libc::dup2(raw, 3) < 0) || libc::fcntl(3, libc::F_SETFD, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            for fd in 4..8 {
                libc::close(fd);
            }
            Ok(())
        });
    }
}

/// Lines "N -> target" for each of the process's fds but ls's own, then the content of fd 3.
const LIST_FDS: &str =
    "for f in /proc/self/fd/*; do echo \"${f##*/} -> $(readlink $f)\"; done; cat <&3";

fn assert_nothing_of_the_runtime(listing: &str) {
    for line in listing.lines().filter(|l| l.contains(" -> ")) {
        let (fd, target) = line.split_once(" -> ").unwrap();
        let fd: i32 = fd.parse().unwrap_or(-1);
        if fd <= 3 || target.is_empty() {
            continue; // stdio, the file passed, and the directory ls reads (gone by readlink)
        }
        let runtimes = target.starts_with("/sys/fs/cgroup")
            || target.contains(":[")
            || target.starts_with("anon_inode");
        assert!(!runtimes, "fd {fd} is the runtime's: {target}\n{listing}");
    }
}

/// Runs `args` with `data` opened as fd 3 (and 4, 5 closed): fd 3 reaches the container,
/// and no other descriptor of it is the runtime's.
fn passes_fd3_and_nothing_else(s: &Sixrun, args: &[&str], data: &Path) {
    let mut cmd = s.cmd();
    cmd.args(args);
    // A file of its own: a container reads it to its end.
    let f = std::fs::File::open(data).unwrap();
    with_fd3(&mut cmd, &f);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    assert!(stdout(&out).contains("through fd 3"), "{}", stdout(&out));
    // runc 1.1.5 hands its own there: /sys/fs/cgroup and an epoll descriptor.
    if !under_runc() {
        assert_nothing_of_the_runtime(&stdout(&out));
    }
}

#[test]
fn preserved_fds_beyond_the_callers_hold_nothing_of_the_runtime() {
    let s = Sixrun::under_test();
    let b = bundle(&["sh", "-c", LIST_FDS], |_| {});
    let data = b.path().join("data");
    std::fs::write(&data, "through fd 3\n").unwrap();
    let id = s.new_id("pfd");
    let bundle_path = b.path().to_str().unwrap();
    passes_fd3_and_nothing_else(
        &s,
        &["run", "--preserve-fds", "3", "--bundle", bundle_path, &id],
        &data,
    );
    // exec, into a container with its own pid namespace (joined for the clone).
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id("pfd");
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    passes_fd3_and_nothing_else(
        &s,
        &["exec", "--preserve-fds", "3", &id, "sh", "-c", LIST_FDS],
        &data,
    );
    s.ok(&["delete", "--force", &id]);
}

#[test]
fn hooks_get_runcs_state_and_their_output_is_captured() {
    let s = Sixrun::under_test();
    let out_dir = tempfile::tempdir().unwrap();
    let o = out_dir.path().display().to_string();
    // createContainer runs before pivot_root (host paths), startContainer after (the rootfs').
    let b = bundle(&["true"], |c| {
        let save = |to: String| serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", format!("cat > {to}; echo hello-from-hook")]});
        c["hooks"] = serde_json::json!({
            "prestart": [save(format!("{o}/prestart"))],
            "createContainer": [save(format!("{o}/createContainer"))],
            "startContainer": [save("/tmp/startContainer".into())],
        });
        c["root"]["readonly"] = false.into();
        c["annotations"] = serde_json::json!({"z": "1", "a": "2"});
    });
    let id = s.new_id("hst");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        !stdout(&out).contains("hello-from-hook"),
        "a hook's output reached the runtime's stdout: {}",
        stdout(&out)
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
    let states = [
        ("prestart", read(&out_dir.path().join("prestart"))),
        (
            "createContainer",
            read(&out_dir.path().join("createContainer")),
        ),
        (
            "startContainer",
            read(&b.rootfs().join("tmp/startContainer")),
        ),
    ];
    for (kind, text) in &states {
        // The spec version the state follows: the runtime's (runc: "1.0.2-dev").
        let rest = text
            .strip_prefix("{\"ociVersion\":\"1.")
            .and_then(|r| r.split_once("\","))
            .map(|(_, r)| r)
            .unwrap_or_else(|| panic!("{kind}: {text}"));
        let want = format!("\"id\":\"{id}\",\"status\":");
        assert!(rest.starts_with(&want), "{kind}: {text}");
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert!(
            text.find("\"pid\"") < text.find("\"bundle\""),
            "{kind}: {text}"
        );
        assert!(
            text.ends_with("\"annotations\":{\"a\":\"2\",\"z\":\"1\"}}"),
            "{kind}: {text}"
        );
        assert_eq!(keys.len(), 6, "{kind}: {text}");
    }
    let v = |i: usize| serde_json::from_str::<serde_json::Value>(&states[i].1).unwrap();
    assert_eq!(v(0)["status"], "creating");
    assert_eq!(v(1)["status"], "creating");
    assert_eq!(v(2)["status"], "created");
    // The hooks the init runs see its pid as it sees itself: 1 in its pid namespace.
    assert_eq!(v(1)["pid"], 1);
    assert_eq!(v(2)["pid"], 1);
    assert!(v(0)["pid"].as_i64().unwrap() > 1);

    // A failing hook: its stdout and stderr in the error, not on the runtime's stdout.
    let b = bundle(&["true"], |c| {
        c["hooks"] = serde_json::json!({"prestart": [{"path": "/bin/sh",
            "args": ["sh", "-c", "echo said-on-stdout; echo said-on-stderr >&2; exit 3"]}]});
    });
    let id = s.new_id("hst");
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(!out.status.success());
    assert!(!stdout(&out).contains("said-on-stdout"), "{}", stdout(&out));
    let err = stderr(&out);
    for word in ["exit status 3", "said-on-stdout", "said-on-stderr"] {
        assert!(err.contains(word), "{word}: {err}");
    }

    // A hook past its timeout fails the create at the timeout.
    let b = bundle(&["true"], |c| {
        c["hooks"] = serde_json::json!({"prestart": [{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]});
    });
    let id = s.new_id("hst");
    let started = std::time::Instant::now();
    let out = s.run(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
    assert!(!out.status.success());
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let err = stderr(&out);
    assert!(
        err.contains("timeout") || err.contains("timed out"),
        "{err}"
    );
}

/// A bundle running `sleep` with `source` bound at /mnt with `options`.
fn with_bind(source: &Path, options: &[&str]) -> Bundle {
    bundle(&["sleep", "1000"], |c| {
        c["mounts"].as_array_mut().unwrap().push(serde_json::json!({
            "destination": "/mnt", "type": "bind",
            "source": source.to_str().unwrap(), "options": options
        }));
    })
}

#[test]
fn a_bind_receives_the_hosts_later_mounts_unless_rprivate() {
    let dir = tempfile::tempdir().unwrap();
    let shared = SmallTmpfs::mount(&dir.path().join("shared"), 1 << 20).unwrap();
    let sub_dir = shared.path().join("sub");
    std::fs::create_dir(&sub_dir).unwrap();
    // Our own tmpfs, shared, as a host's / usually is.
    nix::mount::mount(
        None::<&str>,
        shared.path(),
        None::<&str>,
        nix::mount::MsFlags::MS_SHARED,
        None::<&str>,
    )
    .unwrap();
    let s = Sixrun::under_test();
    let mut ids = Vec::new();
    for options in [&["rbind"][..], &["rbind", "rslave"], &["rbind", "rprivate"]] {
        let b = with_bind(shared.path(), options);
        let id = s.new_id("prop");
        s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
        ids.push((id, options, b));
    }
    // Mounted after the containers started.
    let sub = SmallTmpfs::mount(&sub_dir, 1 << 20).unwrap();
    for (id, options, _b) in &ids {
        let seen = s.ok(&[
            "exec",
            id,
            "sh",
            "-c",
            "grep -c ' /mnt/sub ' /proc/self/mountinfo || true",
        ]);
        let want = if options.contains(&"rprivate") {
            "0"
        } else {
            "1"
        };
        assert_eq!(seen.trim(), want, "{options:?}");
    }
    for (id, _, _) in &ids {
        s.ok(&["delete", "--force", id]);
    }
    drop(sub);
}

#[test]
fn root_propagation_applies_to_the_containers_root() {
    let s = Sixrun::under_test();
    let root_line = "head -n 1 /proc/self/mountinfo";
    let run = |propagation: &str| {
        let b = bundle(&["sh", "-c", root_line], |c| {
            c["linux"]["rootfsPropagation"] = propagation.into();
        });
        let id = s.new_id("rprop");
        s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id])
    };
    let private = run("private");
    assert!(
        !private.contains("shared:") && !private.contains("master:"),
        "{private}"
    );
    let slave = run("rslave");
    assert!(!slave.contains("shared:"), "{slave}");
    // runc 1.1.5 sets it on the tree before binding the rootfs, so its / stays private;
    // runtime-spec (and runc 1.2) mean the container's root mount.
    if !under_runc() {
        let shared = run("shared");
        assert!(shared.contains(" shared:"), "{shared}");
    }
}

#[test]
fn nosymfollow_mounts_refuse_symlinks() {
    let s = Sixrun::under_test();
    let script =
        "ln -s /etc/passwd /m/link && cat /m/link >/dev/null && echo followed || echo refused";
    for (options, want) in [(&["nosymfollow"][..], "refused"), (&[][..], "followed")] {
        let b = bundle(&["sh", "-c", script], |c| {
            c["mounts"].as_array_mut().unwrap().push(serde_json::json!({
                "destination": "/m", "type": "tmpfs", "source": "tmpfs", "options": options
            }));
        });
        let id = s.new_id("nsf");
        let out = s.ok(&["run", "--bundle", b.path().to_str().unwrap(), &id]);
        assert_eq!(out.trim(), want, "{options:?}");
    }
}

/// The words clients look for in the runtime's errors: containerd's shim takes "container
/// not running" from kill as "process already finished" and "does not exist" as "no such
/// container"; the rest are runc's own words for the same refusals.
#[test]
fn refusals_carry_the_words_clients_match() {
    let s = Sixrun::under_test();
    let has = |args: &[&str], words: &str| {
        let out = s.run(args);
        assert!(!out.status.success(), "{args:?} was taken");
        assert!(stderr(&out).contains(words), "{args:?}: {}", stderr(&out));
    };
    has(&["kill", "nosuch", "KILL"], "does not exist");
    has(&["delete", "nosuch"], "does not exist");
    has(&["state", "nosuch"], "does not exist");

    let b = bundle(&["true"], |_| {});
    let id = s.new_id("words");
    s.create(&id, &b);
    has(&["resume", &id], "container not paused");
    has(
        &["create", "--bundle", b.path().to_str().unwrap(), &id],
        "already exists",
    );
    s.ok(&["start", &id]);
    s.wait_status(&id, "stopped");
    has(&["kill", &id, "KILL"], "container not running");
    has(&["pause", &id], "container not running");
    has(&["start", &id], "cannot start a container that has stopped");
    has(&["exec", &id, "true"], "cannot exec in a stopped container");
    has(
        &["update", "--pids-limit", "5", &id],
        "container not running",
    );
    s.ok(&["delete", &id]);
}
