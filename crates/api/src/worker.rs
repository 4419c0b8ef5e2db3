//! `sixdocker api-worker OP ARGS`: the steps the service cannot take itself. Starting a
//! container, or a process in one, clones it from a single-threaded process run from a
//! sealed binary (six-runtime's rules); the service is a tokio process with many threads. So
//! it runs this short-lived child of the `sixdocker` binary, which opens the engine, takes
//! the one step and answers with one JSON line on its stdout, a unix socket: `{"status":
//! 204}` or `{"status": 404, "message": "..."}` (the status from the error's `ErrorKind`),
//! and with the descriptors the step made (SCM_RIGHTS), named in `"fds"`: the monitor's
//! primary channel of an attached start, the streams of an exec. Nothing here is async.
//!
//! Steps: `start ID`, `start-attached ID`, `restart ID SECONDS|default`,
//! `exec-start EXEC-ID 0|1` (1: detached), and `build REQUEST` (its own protocol: the context
//! on stdin, Docker's JSON stream on stdout; see `build.rs`). The service takes all but
//! `build` in children of one long-lived worker, `api-worker serve` (`zygote.rs`), which forks
//! one per step: the answer is the same.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{self, ControlMessage, MsgFlags};
use six_engine::Engine;

use crate::http::ApiError;
use crate::server::Ctx;

/// Runs one worker step and answers on stdout; the process's exit code (0 even on a failed
/// step: the outcome is in the answer). `serve`: the zygote's loop (see `zygote.rs`).
pub fn run(engine: &Engine, op: &str, args: &[String]) -> i32 {
    // A build streams Docker's JSON messages on its stdout, a pipe (`build_worker.rs`).
    if let ("build", [request]) = (op, args) {
        return crate::build_worker::run(engine, request);
    }
    if (op, args.is_empty()) == ("serve", true) {
        return crate::zygote::serve(engine.options());
    }
    match step(engine, op, args) {
        Ok(fds) => {
            let names: Vec<&str> = fds.iter().map(|(n, _)| *n).collect();
            answer(&serde_json::json!({"status": 204, "fds": names}), &fds);
        }
        Err(e) => answer_error(&e),
    }
    0
}

/// Answers a step that failed.
pub(crate) fn answer_error(e: &ApiError) {
    answer(
        &serde_json::json!({"status": e.status, "message": e.message}),
        &[],
    );
}

/// The answer, with `fds`, on stdout: the service's socket; on anything else (a person trying
/// the command) the line alone. Nobody to answer (a service killed meanwhile) is no failure:
/// the step is done.
fn answer(doc: &serde_json::Value, fds: &[(&str, OwnedFd)]) {
    let line = format!("{doc}\n");
    let raw: Vec<RawFd> = fds.iter().map(|(_, fd)| fd.as_raw_fd()).collect();
    let iov = [IoSlice::new(line.as_bytes())];
    let cmsg = [ControlMessage::ScmRights(&raw)];
    let cmsgs: &[ControlMessage] = if raw.is_empty() { &[] } else { &cmsg };
    if socket::sendmsg::<()>(1, &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None).is_err() {
        // Not print!: it panics (a release build aborts) when the reader has gone.
        let _ = std::io::Write::write_all(&mut std::io::stdout(), line.as_bytes());
    }
}

type Fds = Vec<(&'static str, OwnedFd)>;

fn step(engine: &Engine, op: &str, args: &[String]) -> Result<Fds, ApiError> {
    match (op, args) {
        ("start", [id]) => {
            engine.start(id, false, false, None)?;
            Ok(Vec::new())
        }
        ("start-attached", [id]) => Ok(vec![("channel", engine.start_attached(id)?.into_fd())]),
        ("restart", [id, secs]) => {
            let t = match secs.parse::<i64>() {
                _ if secs == "default" => None,
                Ok(n) if n >= 0 => Some(Duration::from_secs(n as u64)),
                Ok(_) => Some(Duration::MAX),
                Err(_) => return Err(ApiError::bad(format!("invalid timeout {secs:?}"))),
            };
            engine.restart(id, t)?;
            Ok(Vec::new())
        }
        ("exec-start", [exec_id, detach]) => {
            let streams = engine.exec_start(exec_id, detach == "1")?;
            Ok(streams.map(|s| s.into_fds()).unwrap_or_default())
        }
        _ => Err(ApiError::internal(format!(
            "api-worker: unknown step {op:?} with {} operands",
            args.len()
        ))),
    }
}

/// Runs `sixdocker api-worker ARGS` for this store; the step's outcome.
pub(crate) async fn run_in_child(ctx: &Arc<Ctx>, args: &[&str]) -> Result<(), ApiError> {
    run_in_child_fds(ctx, args).await.map(drop)
}

/// Takes a worker step for this store, in a child of the zygote (or, when that cannot be
/// reached, of a one-off `sixdocker api-worker ARGS`): the descriptors the step handed back,
/// by name, or its error.
pub(crate) async fn run_in_child_fds(
    ctx: &Arc<Ctx>,
    args: &[&str],
) -> Result<Vec<(String, OwnedFd)>, ApiError> {
    let ctx = ctx.clone();
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let failed = |e: std::io::Error| ApiError::internal(format!("running a worker: {e}"));
        let (ours, theirs) = socket::socketpair(
            socket::AddressFamily::Unix,
            socket::SockType::SeqPacket,
            None,
            socket::SockFlag::SOCK_CLOEXEC,
        )
        .map_err(|e| failed(e.into()))?;
        let words: Vec<&str> = args.iter().map(String::as_str).collect();
        if ctx.zygote.request(&words, &theirs) {
            drop(theirs);
            let (text, fds) = read_answer(&ours);
            return parse_answer(&text, fds, "the zygote's child", "");
        }
        // A one-off worker.
        let mut child = std::process::Command::new(&ctx.exe)
            .arg("--root")
            .arg(&ctx.engine.root)
            .arg("--runroot")
            .arg(&ctx.engine.runroot)
            .arg("api-worker")
            .args(&args)
            .stdin(std::process::Stdio::null())
            .stdout(theirs)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(failed)?;
        let (text, fds) = read_answer(&ours);
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        let status = child.wait().map_err(failed)?;
        parse_answer(&text, fds, &format!("the api worker ({status})"), &stderr)
    })
    .await
    .map_err(|e| ApiError::internal(format!("running the api worker: {e}")))?
}

/// The answer (one packet): its text and the descriptors that came with it; empty when the
/// worker ended without one.
fn read_answer(sock: &OwnedFd) -> (String, Vec<OwnedFd>) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match crate::zygote::receive(sock.as_raw_fd(), &mut buf) {
            Ok(Some((text, fds))) => return (String::from_utf8_lossy(&text).into_owned(), fds),
            Err(nix::errno::Errno::EINTR) => continue,
            Ok(None) | Err(_) => return (String::new(), Vec::new()),
        }
    }
}

/// The worker's answer as the step's outcome (`who` and its `stderr` name a worker that
/// ended without one).
fn parse_answer(
    text: &str,
    fds: Vec<OwnedFd>,
    who: &str,
    stderr: &str,
) -> Result<Vec<(String, OwnedFd)>, ApiError> {
    let reply: Option<serde_json::Value> = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok());
    let Some(reply) = reply else {
        return Err(ApiError::internal(format!(
            "{who} ended without an answer: {}",
            stderr.trim()
        )));
    };
    match reply["status"].as_u64() {
        Some(204) => {
            let names = reply["fds"].as_array().cloned().unwrap_or_default();
            if names.len() != fds.len() {
                return Err(ApiError::internal(format!(
                    "the api worker named {} descriptors and sent {}",
                    names.len(),
                    fds.len()
                )));
            }
            Ok(names
                .iter()
                .map(|n| n.as_str().unwrap_or_default().to_owned())
                .zip(fds)
                .collect())
        }
        Some(status) => Err(ApiError::new(
            status as u16,
            reply["message"].as_str().unwrap_or_default(),
        )),
        None => Err(ApiError::internal(format!("the api worker said {reply}"))),
    }
}
