//! OCI hooks: runs each hook of one kind with the container's state JSON on stdin, honouring
//! its timeout. The caller decides what a failure means (runc: fatal for the create-time and
//! poststart hooks, a warning for poststop).
//!
//! It never changes namespaces: a hook runs wherever the caller is (the createContainer and
//! startContainer hooks are called from inside the container's namespaces).

use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    /// Every kind, in the order of a container's life.
    pub const ALL: [Kind; 6] = [
        Kind::Prestart,
        Kind::CreateRuntime,
        Kind::CreateContainer,
        Kind::StartContainer,
        Kind::Poststart,
        Kind::Poststop,
    ];

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
        six_trace::call(
            six_trace::Kind::Hook,
            || run_one(&hook, state_json),
            |d| {
                let args = hook.args().as_deref().unwrap_or_default();
                std::fmt::Write::write_fmt(
                    d,
                    format_args!("{} {} {args:?}", kind.name(), hook.path().display()),
                )
            },
        )
        .map_err(|m| (hook.path().clone(), m))?;
    }
    Ok(())
}

/// How much of a failing hook's stdout and stderr its error quotes (the rest is read and
/// dropped).
const OUTPUT_KEPT: usize = 4096;
/// After a hook exits, how long its outputs may stay open (held by a child it left running).
const STDERR_GRACE: Duration = Duration::from_millis(200);

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
    let timeout = match hook.timeout() {
        Some(t) if t > 0 => Some(Duration::from_secs(t as u64)),
        Some(t) => return Err(format!("timeout {t} must be greater than zero")),
        None => None,
    };
    // Both outputs are captured, as runc does: a hook's output never lands in the runtime's
    // stdout (or, for the hooks the init runs, the container's); it goes in the error.
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("cannot run: {e}"))?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let talk = Talk {
        stdin: child.stdin.take().map(OwnedFd::from),
        outputs: [
            child.stdout.take().map(OwnedFd::from),
            child.stderr.take().map(OwnedFd::from),
        ],
        pidfd: six_sys::pidfd::Pidfd::open(child.id() as i32)
            .ok()
            .map(OwnedFd::from),
    };
    match talk.run(state_json, deadline) {
        Ok(outputs) => finish(child.wait().map_err(|e| format!("waiting: {e}"))?, &outputs),
        Err(()) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(format!(
                "timed out after {}s",
                timeout.map_or(0, |t| t.as_secs())
            ))
        }
    }
}

/// One hook's pipes and pidfd, served together in one poll loop: the state is written as the
/// hook reads it, its stdout and stderr read as it writes, and the timeout counts from the
/// start — so neither a hook that never reads a large state nor one that writes a lot can
/// block the runtime past its timeout.
struct Talk {
    stdin: Option<OwnedFd>,
    /// stdout, stderr.
    outputs: [Option<OwnedFd>; 2],
    pidfd: Option<OwnedFd>,
}

impl Talk {
    /// Until the hook exits and its outputs close (or a short grace after its exit). The first
    /// [`OUTPUT_KEPT`] bytes of its stdout and of its stderr, or Err at the deadline.
    fn run(mut self, state: &[u8], deadline: Option<Instant>) -> Result<[Vec<u8>; 2], ()> {
        for fd in std::iter::once(&self.stdin).chain(&self.outputs).flatten() {
            set_nonblocking(fd);
        }
        let mut written = 0;
        let mut kept = [Vec::new(), Vec::new()];
        let mut exited_at: Option<Instant> = None;
        loop {
            let outputs_open = self.outputs.iter().any(Option::is_some);
            if !outputs_open && (exited_at.is_some() || self.pidfd.is_none()) {
                return Ok(kept);
            }
            let until = match exited_at {
                Some(t) => Some(t + STDERR_GRACE),
                None => deadline,
            };
            let wait_ms = until.map_or(-1, |u| {
                u.saturating_duration_since(Instant::now())
                    .as_millis()
                    .min(i32::MAX as u128) as i32
            });
            let pollfd = |fd: &Option<OwnedFd>, events| libc::pollfd {
                fd: fd.as_ref().map_or(-1, |f| f.as_raw_fd()),
                events,
                revents: 0,
            };
            let mut fds = [
                pollfd(&self.stdin, libc::POLLOUT),
                pollfd(&self.outputs[0], libc::POLLIN),
                pollfd(&self.outputs[1], libc::POLLIN),
                pollfd(
                    if exited_at.is_none() {
                        &self.pidfd
                    } else {
                        &None
                    },
                    libc::POLLIN,
                ),
            ];
            // SAFETY: a valid array of pollfds (negative fds are ignored).
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, wait_ms) };
            if n < 0 {
                if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(());
            }
            if n == 0 {
                if exited_at.is_some() {
                    return Ok(kept); // outputs held open by something the hook left behind
                }
                return Err(());
            }
            if fds[0].revents != 0 {
                match write_some(self.stdin.as_ref(), &state[written..]) {
                    Some(k) => written += k,
                    None => written = state.len(), // EPIPE: the hook does not read it
                }
                if written >= state.len() {
                    self.stdin = None; // EOF for the hook
                }
            }
            for (i, output) in self.outputs.iter_mut().enumerate() {
                if fds[1 + i].revents == 0 {
                    continue;
                }
                let mut buf = [0u8; 8192];
                match read_some(output.as_ref(), &mut buf) {
                    Got::Closed => *output = None,
                    Got::Nothing => {}
                    Got::Bytes(k) => {
                        let room = OUTPUT_KEPT.saturating_sub(kept[i].len());
                        kept[i].extend_from_slice(&buf[..k.min(room)]);
                    }
                }
            }
            if fds[3].revents != 0 {
                exited_at = Some(Instant::now());
                self.stdin = None;
            }
        }
    }
}

fn set_nonblocking(fd: &OwnedFd) {
    // SAFETY: fcntl on a valid fd.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// Bytes written (0 when the pipe is full), or None when the reader is gone or on error.
fn write_some(fd: Option<&OwnedFd>, data: &[u8]) -> Option<usize> {
    let fd = fd?;
    // SAFETY: writing from our slice to a valid fd.
    let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
    if n >= 0 {
        return Some(n as usize);
    }
    match std::io::Error::last_os_error().raw_os_error() {
        Some(libc::EAGAIN) | Some(libc::EINTR) => Some(0),
        _ => None,
    }
}

/// What one read of the hook's stderr gave.
enum Got {
    Bytes(usize),
    Nothing,
    Closed,
}

fn read_some(fd: Option<&OwnedFd>, buf: &mut [u8]) -> Got {
    let Some(fd) = fd else { return Got::Closed };
    // SAFETY: reading into our buffer from a valid fd.
    let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        0 => Got::Closed,
        n if n > 0 => Got::Bytes(n as usize),
        _ => match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EAGAIN) | Some(libc::EINTR) => Got::Nothing,
            _ => Got::Closed,
        },
    }
}

/// Ok, or runc's account of a failed hook: "exit status 3, stdout: …, stderr: …" (the parts
/// it wrote).
fn finish(status: std::process::ExitStatus, outputs: &[Vec<u8>; 2]) -> Result<(), String> {
    if status.success() {
        return Ok(());
    }
    let mut msg = match status.code() {
        Some(c) => format!("exit status {c}"),
        None => format!(
            "killed by {}",
            std::os::unix::process::ExitStatusExt::signal(&status).unwrap_or(0)
        ),
    };
    for (name, bytes) in ["stdout", "stderr"].iter().zip(outputs) {
        let text = String::from_utf8_lossy(bytes);
        if !text.trim().is_empty() {
            msg.push_str(&format!(", {name}: {}", text.trim()));
        }
    }
    Err(msg)
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
    fn a_failing_hook_reports_its_status_and_output() {
        let s = spec_with(
            "prestart",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c","echo said; echo nope >&2; exit 3"]}),
        );
        let (path, msg) = run(&s, Kind::Prestart, b"{}").unwrap_err();
        assert_eq!(path, std::path::PathBuf::from("/bin/sh"));
        assert_eq!(msg, "exit status 3, stdout: said, stderr: nope");
    }

    #[test]
    fn a_hook_that_never_reads_a_large_state_still_times_out() {
        // More than a pipe holds: writing it all before the clock starts blocked forever.
        let state = vec![b'x'; 1 << 20];
        let s = spec_with(
            "prestart",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c","exec sleep 30"],"timeout":1}),
        );
        let started = std::time::Instant::now();
        let (_, msg) = run(&s, Kind::Prestart, &state).unwrap_err();
        assert!(msg.contains("timed out"), "{msg}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_hook_that_writes_much_to_stderr_finishes() {
        // 1 MiB of stderr (and of stdout): read only after exit, the hook blocked on a full
        // pipe (and with a timeout was killed as "timed out"). Its failure quotes the start.
        let s = spec_with(
            "poststart",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c",
                "head -c 1048576 /dev/zero | tr '\\0' o; echo first >&2; head -c 1048576 /dev/zero | tr '\\0' e >&2; exit 2"],"timeout":20}),
        );
        let (_, msg) = run(&s, Kind::Poststart, &vec![b'y'; 1 << 20]).unwrap_err();
        assert!(
            msg.starts_with("exit status 2, stdout: oooo") && msg.contains(", stderr: first"),
            "{}",
            &msg[..80.min(msg.len())]
        );
        assert!(msg.len() < 3 * OUTPUT_KEPT, "{}", msg.len());
        let ok = spec_with(
            "poststart",
            serde_json::json!({"path":"/bin/sh","args":["sh","-c","head -c 1048576 /dev/zero >&2"]}),
        );
        run(&ok, Kind::Poststart, b"{}").unwrap();
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
