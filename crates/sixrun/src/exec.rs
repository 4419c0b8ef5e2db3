//! `exec`: builds the OCI process to run — from `--process FILE`, or from the container's own
//! process with ARGS and the flags laid over it (as runc does) — runs it through six-runtime,
//! and unless `--detach` waits for it and returns its exit code.
//!
//! It never joins namespaces itself; the runtime does.

use std::collections::HashSet;

use anyhow::Context;
use oci_spec::runtime::{Capability, Process, User};
use six_runtime::{ExecOptions, Runtime};

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

pub fn build_process(base: &Process, a: &ExecArgs) -> anyhow::Result<Process> {
    let mut p = match &a.process {
        Some(path) => {
            let text = std::fs::read(path)
                .with_context(|| format!("reading process file {}", path.display()))?;
            serde_json::from_slice::<Process>(&text)
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

pub fn exec(rt: &Runtime, a: &ExecArgs) -> anyhow::Result<i32> {
    let c = rt.load(&a.id)?;
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
    })?;
    match mask {
        Some(mask) => crate::run::wait_forwarding(pid, &mask, master),
        None => Ok(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
