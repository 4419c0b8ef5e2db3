//! `exec`: builds the OCI process to run — from `--process FILE` (no `user`: root), or from
//! the container's own process with ARGS and the flags laid over it (as runc does) — runs it
//! through six-runtime, in the sub-cgroups `--cgroup` names, and unless `--detach` waits for
//! it and returns its exit code. As runc, a paused container is refused unless
//! `--ignore-paused`, and the runtime's own failures exit 255 (`main.rs`).
//!
//! It never joins namespaces itself; the runtime does.

use std::collections::{BTreeMap, HashSet};

use anyhow::Context;
use oci_spec::runtime::{Capability, Process, User};
use six_runtime::{ExecOptions, Runtime, Status};

use crate::cli::ExecArgs;

/// `uid[:gid]`.
fn parse_user(s: &str) -> anyhow::Result<(u32, Option<u32>)> {
    let bad = || anyhow::anyhow!("--user {s:?}: expected uid[:gid] with numeric ids");
    let (u, g) = match s.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (s, None),
    };
    let uid = u.parse().map_err(|_| bad())?;
    let gid = match g {
        Some(g) => Some(g.parse().map_err(|_| bad())?),
        None => None,
    };
    Ok((uid, gid))
}

fn parse_cap(name: &str) -> anyhow::Result<Capability> {
    let up = name.to_ascii_uppercase();
    let full = if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    };
    serde_json::from_value(serde_json::Value::String(full.clone()))
        .map_err(|_| anyhow::anyhow!("--cap {name:?}: unknown capability"))
}

/// An OCI process object; without `user` it runs as root (uid 0, gid 0), as in runc.
fn process_from_json(text: &[u8]) -> Result<Process, serde_json::Error> {
    let mut v: serde_json::Value = serde_json::from_slice(text)?;
    if let Some(o) = v.as_object_mut() {
        o.entry("user")
            .or_insert_with(|| serde_json::json!({"uid": 0, "gid": 0}));
    }
    serde_json::from_value(v)
}

/// runc's `--cgroup [<controller>:]<path>` values as sub-cgroup paths by controller (`""`:
/// every hierarchy, given alone); runc's refusals.
fn sub_cgroups(args: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut paths = BTreeMap::new();
    for arg in args {
        match arg.split_once(':') {
            None if args.len() > 1 => {
                anyhow::bail!("invalid --cgroup argument: {arg} (missing <controller>: prefix)")
            }
            None => {
                paths.insert(String::new(), arg.clone());
            }
            Some((_, path)) if path.contains(':') => {
                anyhow::bail!("invalid --cgroup argument: {arg}")
            }
            Some((controllers, path)) => {
                for c in controllers.split(',') {
                    if c.is_empty() {
                        anyhow::bail!(
                            "invalid --cgroup argument: {arg} (empty <controller> prefix)"
                        );
                    }
                    if paths.insert(c.to_owned(), path.to_owned()).is_some() {
                        anyhow::bail!(
                            "invalid --cgroup argument(s): controller {c} specified multiple times"
                        );
                    }
                }
            }
        }
    }
    Ok(paths)
}

pub fn build_process(base: &Process, a: &ExecArgs) -> anyhow::Result<Process> {
    let mut p = match &a.process {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("reading process file {}", path.display()))?;
            process_from_json(&text)
                .map_err(|e| anyhow::anyhow!("process file {}: {e}", path.display()))?
        }
        None => {
            if a.args.is_empty() {
                anyhow::bail!("exec needs a command to run (ARGS) or --process FILE");
            }
            let mut p = base.clone();
            p.set_args(Some(a.args.clone()));
            p.set_terminal(Some(a.tty));
            // consoleSize stays the config's, as in runc.
            p
        }
    };
    if a.process.is_some() && !a.args.is_empty() {
        anyhow::bail!("give either --process FILE or ARGS, not both");
    }
    if a.tty {
        p.set_terminal(Some(true));
    }
    if let Some(cwd) = &a.cwd {
        p.set_cwd(cwd.clone());
    }
    if !a.env.is_empty() {
        let mut env = p.env().clone().unwrap_or_default();
        for kv in &a.env {
            if !kv.contains('=') {
                anyhow::bail!("--env {kv:?}: expected KEY=VALUE");
            }
            let key = kv.split('=').next().unwrap_or_default();
            env.retain(|e| e.split('=').next() != Some(key));
            env.push(kv.clone());
        }
        p.set_env(Some(env));
    }
    if let Some(u) = &a.user {
        let (uid, gid) = parse_user(u)?;
        let mut user: User = p.user().clone();
        user.set_uid(uid);
        user.set_gid(gid.unwrap_or(0));
        p.set_user(user);
    }
    if !a.additional_gids.is_empty() {
        p.user_mut()
            .set_additional_gids(Some(a.additional_gids.clone()));
    }
    if !a.cap.is_empty() {
        let mut caps = p.capabilities().clone().unwrap_or_default();
        let add: Vec<Capability> = a
            .cap
            .iter()
            .map(|c| parse_cap(c))
            .collect::<anyhow::Result<_>>()?;
        let extend = |set: &Option<HashSet<Capability>>| {
            let mut s = set.clone().unwrap_or_default();
            s.extend(add.iter().copied());
            Some(s)
        };
        caps.set_bounding(extend(caps.bounding()));
        caps.set_effective(extend(caps.effective()));
        caps.set_permitted(extend(caps.permitted()));
        caps.set_ambient(extend(caps.ambient()));
        p.set_capabilities(Some(caps));
    }
    if a.no_new_privs {
        p.set_no_new_privileges(Some(true));
    }
    Ok(p)
}

/// runc's exit status for an exec the runtime itself could not do (its own errors, not the
/// process's): 255, never a code the process could have exited with.
pub const EXEC_FAILED: i32 = 255;

pub fn exec(rt: &Runtime, a: &ExecArgs) -> anyhow::Result<i32> {
    let c = rt.load(&a.id)?;
    if c.status() == Status::Paused && !a.ignore_paused {
        anyhow::bail!("cannot exec in a paused container (use --ignore-paused to override)");
    }
    let sub_cgroups = sub_cgroups(&a.cgroup)?;
    let base = c.spec().process().clone().unwrap_or_default();
    let process = build_process(&base, a)?;
    if process.terminal().unwrap_or(false) && a.console_socket.is_none() && a.detach {
        anyhow::bail!(
            "--tty with --detach needs --console-socket (nobody would hold the terminal)"
        );
    }
    let mask = if a.detach {
        None
    } else {
        Some(crate::run::block_signals()?)
    };
    let (pid, master) = c.exec_with_console(ExecOptions {
        process,
        console_socket: a.console_socket.clone(),
        pid_file: a.pid_file.clone(),
        preserve_fds: a.preserve_fds,
        stdio: None,
        sub_cgroups,
        ignore_paused: a.ignore_paused,
    })?;
    // The process has exec'd: its steps are all sent.
    six_trace::children_end(std::time::Duration::from_secs(2));
    match mask {
        Some(mask) => crate::run::wait_forwarding(pid, &mask, master),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_flags_parse_as_runc_reads_them() {
        let v = |a: &[&str]| sub_cgroups(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        let one = v(&["sub"]).unwrap();
        assert_eq!(one.get(""), Some(&"sub".to_owned()));
        let per = v(&["memory:m", "cpu,cpuacct:c"]).unwrap();
        assert_eq!(per.len(), 3);
        assert_eq!(per["cpuacct"], "c");
        for (bad, want) in [
            (&["a", "b"][..], "missing <controller>: prefix"),
            (&["a:b:c"][..], "invalid --cgroup argument: a:b:c"),
            (&[":x"][..], "empty <controller> prefix"),
            (&["memory:a", "memory:b"][..], "specified multiple times"),
        ] {
            let e = v(bad).unwrap_err().to_string();
            assert!(e.contains(want), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_process_file_without_user_runs_as_root() {
        let p = process_from_json(br#"{"args": ["id"], "cwd": "/"}"#).unwrap();
        assert_eq!((p.user().uid(), p.user().gid()), (0, 0));
        let p = process_from_json(br#"{"args": ["id"], "cwd": "/", "user": {"uid": 5, "gid": 6}}"#)
            .unwrap();
        assert_eq!((p.user().uid(), p.user().gid()), (5, 6));
    }

    #[test]
    fn users_parse() {
        assert_eq!(parse_user("1000").unwrap(), (1000, None));
        assert_eq!(parse_user("1:2").unwrap(), (1, Some(2)));
        assert!(parse_user("bob").is_err());
    }

    #[test]
    fn caps_parse_with_or_without_prefix() {
        assert_eq!(parse_cap("NET_ADMIN").unwrap(), Capability::NetAdmin);
        assert_eq!(parse_cap("cap_kill").unwrap(), Capability::Kill);
        assert!(parse_cap("FLY").is_err());
    }
}
