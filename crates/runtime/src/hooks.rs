//! OCI hooks: runs each hook of one kind with the container's state JSON on stdin, honouring
//! its timeout. The caller decides what a failure means (runc: fatal for the create-time and
//! poststart hooks, a warning for poststop).
//!
//! It never changes namespaces: a hook runs wherever the caller is (the createContainer and
//! startContainer hooks are called from inside the container's namespaces).

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use oci_spec::runtime::{Hook, Hooks, Spec};

/// The hook kinds, in the order of a container's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Prestart,
    CreateRuntime,
    CreateContainer,
    StartContainer,
    Poststart,
    Poststop,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Prestart => "prestart",
            Kind::CreateRuntime => "createRuntime",
            Kind::CreateContainer => "createContainer",
            Kind::StartContainer => "startContainer",
            Kind::Poststart => "poststart",
            Kind::Poststop => "poststop",
        }
    }

    fn of(self, h: &Hooks) -> &Option<Vec<Hook>> {
        #[allow(deprecated)]
        match self {
            Kind::Prestart => h.prestart(),
            Kind::CreateRuntime => h.create_runtime(),
            Kind::CreateContainer => h.create_container(),
            Kind::StartContainer => h.start_container(),
            Kind::Poststart => h.poststart(),
            Kind::Poststop => h.poststop(),
        }
    }
}

/// The hooks of `kind` in `spec` (empty when none).
pub fn of(spec: &Spec, kind: Kind) -> Vec<Hook> {
    spec.hooks()
        .as_ref()
        .and_then(|h| kind.of(h).clone())
        .unwrap_or_default()
}

/// Runs every hook of `kind`; stops at the first failure: (hook path, message).
pub fn run(spec: &Spec, kind: Kind, state_json: &[u8]) -> Result<(), (std::path::PathBuf, String)> {
    for hook in of(spec, kind) {
        let _span = tracing::debug_span!("hook", kind = kind.name(), path = %hook.path().display())
            .entered();
        run_one(&hook, state_json).map_err(|m| (hook.path().clone(), m))?;
    }
    Ok(())
}

fn run_one(hook: &Hook, state_json: &[u8]) -> Result<(), String> {
    let mut cmd = Command::new(hook.path());
    let args = hook.args().clone().unwrap_or_default();
    if let Some((arg0, rest)) = args.split_first() {
        cmd.arg0(arg0).args(rest);
    }
    cmd.env_clear();
    for kv in hook.env().iter().flatten() {
        if let Some((k, v)) = kv.split_once('=') {
            cmd.env(k, v);
        }
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its stdin is fine; ignore EPIPE.
        let _ = stdin.write_all(state_json);
    }
    let timeout_ms = match hook.timeout() {
        Some(t) if t > 0 => (t.min(i32::MAX as i64 / 1000) * 1000) as i32,
        Some(t) => return Err(format!("timeout {t} must be greater than zero")),
        None => -1,
    };
    let Some(pidfd) = crate::procfs::pidfd_open(child.id() as i32) else {
        return finish(child);
    };
    if !crate::procfs::wait_pidfd(&pidfd, timeout_ms) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("timed out after {}s", timeout_ms / 1000));
    }
    let _ = pidfd.as_fd();
    finish(child)
}

fn finish(child: std::process::Child) -> Result<(), String> {
    let out = child
        .wait_with_output()
        .map_err(|e| format!("waiting: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let err = err.trim();
    let status = match out.status.code() {
        Some(c) => format!("exit status {c}"),
        None => format!(
            "killed by {}",
            std::os::unix::process::ExitStatusExt::signal(&out.status).unwrap_or(0)
        ),
    };
    if err.is_empty() {
        Err(status)
    } else {
        Err(format!("{status}: {err}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(kind: &str, hook: serde_json::Value) -> Spec {
        serde_json::from_value(serde_json::json!({"ociVersion":"1.0.2","hooks":{kind:[hook]}}))
            .unwrap()
    }

    #[test]
    fn a_hook_gets_the_state_on_stdin() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let s = spec_with(
            "poststop",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c",format!("cat > {}", out.display())]}),
        );
        run(&s, Kind::Poststop, b"{\"id\":\"x\"}").unwrap();
        assert_eq!(std::fs::read_to_string(out).unwrap(), "{\"id\":\"x\"}");
    }

    #[test]
    fn a_failing_hook_reports_its_status_and_stderr() {
        let s = spec_with(
            "prestart",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c","echo nope >&2; exit 3"]}),
        );
        let (path, msg) = run(&s, Kind::Prestart, b"{}").unwrap_err();
        assert_eq!(path, std::path::PathBuf::from("/bin/sh"));
        assert!(
            msg.contains("exit status 3") && msg.contains("nope"),
            "{msg}"
        );
    }

    #[test]
    fn a_slow_hook_times_out() {
        let s = spec_with(
            "createRuntime",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c","exec sleep 30"],"timeout":1}),
        );
        let (_, msg) = run(&s, Kind::CreateRuntime, b"{}").unwrap_err();
        assert!(msg.contains("timed out"), "{msg}");
    }
}
