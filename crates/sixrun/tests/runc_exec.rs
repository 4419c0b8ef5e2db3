//! `exec` where runc 1.1.5's behaviour is what clients rely on: a paused container,
//! `--ignore-paused`, `--cgroup` sub-cgroups, a process file without `user`, exit 255 for the
//! runtime's own errors.
//!
//! Each test also passes with `RUNC=runc` (the runtime under test is `common::runtime_binary`).

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

/// A running `sleep` container of `s`.
fn sleeping(s: &Sixrun, prefix: &str) -> (String, Bundle) {
    let b = bundle(&["sleep", "1000"], |_| {});
    let id = s.new_id(prefix);
    s.ok(&["run", "-d", "--bundle", b.path().to_str().unwrap(), &id]);
    (id, b)
}

/// The PIDs in the container's cgroup, as `ps --format json` lists them.
fn pids(s: &Sixrun, id: &str) -> Vec<i32> {
    serde_json::from_str(&s.ok(&["ps", "--format", "json", id])).unwrap()
}

/// Waits (bounded) until `ok` holds.
fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(Instant::now() < deadline, "never: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn exec_into_a_paused_container_is_refused_with_255() {
    let s = Sixrun::under_test();
    let (id, b) = sleeping(&s, "paused");
    s.ok(&["pause", &id]);
    let out = s.run(&["exec", &id, "true"]);
    assert_eq!(out.status.code(), Some(255), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("cannot exec in a paused container (use --ignore-paused to override)"),
        "{err}"
    );
    assert_eq!(pids(&s, &id).len(), 1);
    s.ok(&["resume", &id]);
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_ignore_paused_runs_once_the_container_is_resumed() {
    let s = Sixrun::under_test();
    let (id, b) = sleeping(&s, "ignpaused");
    s.ok(&["pause", &id]);
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut exec = s
        .cmd()
        .args(["exec", "--ignore-paused", &id, "echo", "ok"])
        .stdout(out.reopen().unwrap())
        .spawn()
        .unwrap();
    // The new process joins the frozen cgroup, and waits there with it.
    wait_until("the exec'd process is in the cgroup", || {
        pids(&s, &id).len() == 2
    });
    assert!(
        exec.try_wait().unwrap().is_none(),
        "exec ended while paused"
    );
    s.ok(&["resume", &id]);
    let status = exec.wait().unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(std::fs::read_to_string(out.path()).unwrap(), "ok\n");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

/// The container's directory in each hierarchy (from the init's /proc/PID/cgroup).
fn cgroup_dirs(init: i64) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{init}/cgroup")).unwrap();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (_, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let point = mounts.lines().find_map(|m| {
                let (fields, post) = m.split_once(" - ")?;
                let mut post = post.split(' ');
                let fstype = post.next()?;
                let options: Vec<&str> = post.nth(1)?.split(',').collect();
                let ours = match fstype {
                    "cgroup2" => controllers.is_empty(),
                    "cgroup" => controllers.split(',').any(|c| options.contains(&c)),
                    _ => false,
                };
                ours.then(|| PathBuf::from(fields.split(' ').nth(4).unwrap()))
            })?;
            Some(point.join(path.trim_start_matches('/')))
        })
        .collect()
}

/// Makes `<dir>/sub` in every one of `dirs` (a cpuset one gets its parent's cpus and mems).
fn make_sub(dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.iter()
        .map(|d| {
            let sub = d.join("sub");
            std::fs::create_dir(&sub).unwrap();
            for file in ["cpuset.cpus", "cpuset.mems"] {
                if let Ok(v) = std::fs::read_to_string(d.join(file)) {
                    std::fs::write(sub.join(file), v.trim()).unwrap();
                }
            }
            sub
        })
        .collect()
}

/// The lines of /proc/self/cgroup as an exec'd `cat` sees them, by controller list.
fn exec_cgroups(s: &Sixrun, id: &str, flags: &[&str]) -> Vec<(String, String)> {
    let mut args = vec!["exec"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[id, "cat", "/proc/self/cgroup"]);
    s.ok(&args)
        .lines()
        .map(|l| {
            let mut parts = l.splitn(3, ':');
            parts.next();
            (
                parts.next().unwrap().to_owned(),
                parts.next().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn exec_cgroup_joins_a_sub_cgroup_of_every_or_one_controller() {
    let s = Sixrun::under_test();
    let (id, b) = sleeping(&s, "execcg");
    let init = s.state(&id)["pid"].as_i64().unwrap();
    let subs = make_sub(&cgroup_dirs(init));
    let own = format!("/{id}");
    let below = format!("/{id}/sub");
    for (controllers, path) in exec_cgroups(&s, &id, &["--cgroup", "sub"]) {
        assert!(path.ends_with(&below), "{controllers}: {path}");
    }
    for (controllers, path) in exec_cgroups(&s, &id, &["--cgroup", "/"]) {
        assert!(path.ends_with(&own), "{controllers}: {path}");
    }
    if !Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        // cgroup v1: one controller's hierarchy only.
        for (controllers, path) in exec_cgroups(&s, &id, &["--cgroup", "memory:sub"]) {
            let want = if controllers.split(',').any(|c| c == "memory") {
                &below
            } else {
                &own
            };
            assert!(path.ends_with(want.as_str()), "{controllers}: {path}");
        }
        let out = s.run(&["exec", "--cgroup", "whaat:/", &id, "true"]);
        assert_eq!(out.status.code(), Some(255));
        assert!(
            stderr(&out).contains("unknown controller"),
            "{}",
            stderr(&out)
        );
    }
    let out = s.run(&["exec", "--cgroup", "../x", &id, "true"]);
    assert_eq!(out.status.code(), Some(255));
    assert!(
        stderr(&out).contains("not a sub cgroup path"),
        "{}",
        stderr(&out)
    );
    let out = s.run(&["exec", "--cgroup", "nonexistent", &id, "true"]);
    assert_eq!(out.status.code(), Some(255), "{}", stderr(&out));
    // A process in the sub-cgroup is the container's: ps lists it, kill --all ends it.
    s.ok(&["exec", "-d", "--cgroup", "sub", &id, "sleep", "1001"]);
    wait_until("the detached process is listed", || {
        pids(&s, &id).len() == 2
    });
    let in_sub = std::fs::read_to_string(subs[0].join("cgroup.procs")).unwrap();
    let in_sub: i32 = in_sub.trim().parse().unwrap();
    assert!(pids(&s, &id).contains(&in_sub));
    s.ok(&["kill", "--all", &id, "KILL"]);
    s.wait_status(&id, "stopped");
    wait_until("the process in the sub-cgroup is gone", || {
        !is_running(in_sub)
    });
    s.ok(&["delete", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_of_a_process_file_without_user_runs_as_root() {
    let s = Sixrun::under_test();
    let (id, b) = sleeping(&s, "execp");
    let file = b.path().join("process.json");
    std::fs::write(&file, r#"{"args": ["/bin/id"], "cwd": "/"}"#).unwrap();
    let out = s.ok(&["exec", "-p", file.to_str().unwrap(), &id]);
    assert!(out.starts_with("uid=0(root) gid=0(root)"), "{out}");
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}

#[test]
fn exec_exits_255_for_the_runtimes_own_errors_and_the_process_code_otherwise() {
    let s = Sixrun::under_test();
    let (id, b) = sleeping(&s, "exec255");
    for args in [
        vec!["exec", "no-such-container", "true"],
        vec!["exec", id.as_str(), "no-such-program"],
        vec!["exec", id.as_str()],
    ] {
        let out = s.run(&args);
        assert_eq!(out.status.code(), Some(255), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("exec failed"), "{}", stderr(&out));
    }
    let out = s.run(&["exec", &id, "sh", "-c", "exit 7"]);
    assert_eq!(out.status.code(), Some(7));
    let out = s.run(&["exec", &id, "sh", "-c", "exit 255"]);
    assert_eq!(out.status.code(), Some(255));
    s.ok(&["delete", "--force", &id]);
    s.assert_gone(&id, None, b.path());
}
