//! `POST /containers/{id}/attach` (hijacked: see `hijack.rs`) and `/containers/{id}/resize`.
//!
//! An attach relays the client through six-engine's own attach (`relay_client`: the monitor
//! protocol and relay `sixdocker attach` uses). To a running container it connects at once;
//! to a stopped one (`docker run` and `start -a` attach first, then start) it waits in the
//! service's [`crate::hub`] until this service starts it, and is then handed the monitor's
//! primary channel: the container's output from its first byte, and its exit code, which
//! goes on to the waits of its next exit. `logs=1` replays the log first, `stream=0` ends
//! after that; `stdin` is passed on only to a container made with `-i`, closed at the
//! client's end only when it was made to be (`StdinOnce`); the detach keys (`detachKeys`,
//! Ctrl-P Ctrl-Q) end a tty client's relay and leave the container running.

use std::cell::RefCell;
use std::os::fd::AsFd;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use hyper::StatusCode;
use six_engine::types::DetachKeys;
use six_engine::{
    relay_client, AttachChannel, AttachTarget, ClientStream, Engine, LogOptions, OutputStream,
    StreamEnd,
};
use tokio::sync::oneshot;

use crate::hijack::{FrameSink, Hijacked, Prepared, StreamWriter};
use crate::http::{empty, ApiError, Reply};
use crate::hub::{publish, Handoff};
use crate::query::Query;
use crate::server::Ctx;

/// `POST /containers/{id}/attach?stream=&logs=&stdin=&stdout=&stderr=&detachKeys=`.
/// Registers a wait for the start before it answers, so that the start that follows finds it.
pub(crate) async fn prepare(ctx: &Arc<Ctx>, id: &str, q: &Query) -> Result<Prepared, ApiError> {
    let detach_keys = match q.get("detachKeys").filter(|k| !k.is_empty()) {
        None => DetachKeys::default(),
        Some(k) => k
            .parse()
            .map_err(|e: six_engine::types::TypeError| ApiError::bad(e.to_string()))?,
    };
    let c = id.to_owned();
    let target = ctx.call(move |e| Ok(e.attach_begin(&c)?)).await?;
    let stream = q.flag("stream");
    let waiting = (stream && !target.running).then(|| {
        let (token, rx) = ctx.hub.wait_attach(&target.id);
        Waiting {
            guard: Leave {
                ctx: ctx.clone(),
                id: target.id.clone(),
                token,
            },
            rx,
        }
    });
    let plan = Plan {
        ctx: ctx.clone(),
        stdin: q.flag("stdin") && target.open_stdin,
        stdout: q.flag("stdout"),
        stderr: q.flag("stderr"),
        logs: q.flag("logs"),
        stream,
        detach_keys: target.tty.then_some(detach_keys),
        target,
        waiting,
    };
    Ok(Prepared::Hijack(Box::new(move |h| plan.run(h))))
}

/// `POST /containers/{id}/resize?h=&w=`: the container's terminal size.
pub(crate) async fn resize(ctx: &Arc<Ctx>, id: &str, q: &Query) -> Result<Reply, ApiError> {
    let (rows, cols) = size(q)?;
    let id = id.to_owned();
    ctx.call(move |e| Ok(e.resize(&id, rows, cols)?)).await?;
    Ok(empty(StatusCode::OK))
}

/// `?h=&w=` as a terminal size.
pub(crate) fn size(q: &Query) -> Result<(u16, u16), ApiError> {
    let get = |k: &str| -> Result<u16, ApiError> {
        let v = q.get(k).unwrap_or_default();
        v.parse().map_err(|_| {
            ApiError::bad(format!(
                "invalid value for {k}: {v:?}: expected a number of {}",
                if k == "h" { "rows" } else { "columns" }
            ))
        })
    };
    Ok((get("h")?, get("w")?))
}

/// Takes a waiting attach out of the hub when it ends (or never ran).
struct Leave {
    ctx: Arc<Ctx>,
    id: String,
    token: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        self.ctx.hub.leave(&self.id, self.token);
    }
}

struct Waiting {
    guard: Leave,
    rx: mpsc::Receiver<Handoff>,
}

/// One attach, decided; run on the hijacked connection.
struct Plan {
    ctx: Arc<Ctx>,
    target: AttachTarget,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    logs: bool,
    stream: bool,
    detach_keys: Option<DetachKeys>,
    waiting: Option<Waiting>,
}

impl Plan {
    fn run(self, h: Hijacked) {
        let Ok(engine) = Engine::open(self.ctx.engine.clone()) else {
            return;
        };
        let Ok(out) = h.sock.try_clone() else {
            return;
        };
        let sink = RefCell::new(FrameSink {
            sock: out,
            framed: !self.target.tty,
        });
        let id = &self.target.id;
        // Connected before the log is replayed: nothing is lost between the two.
        let mut channel = None;
        if self.stream && self.waiting.is_none() {
            match engine.attach_channel(id) {
                Ok(c) => channel = Some((c, Vec::new(), false)),
                Err(_) => return, // it stopped meanwhile
            }
        }
        if self.logs {
            let opts = LogOptions::default();
            let mut out = StreamWriter {
                sink: &sink,
                stream: OutputStream::Stdout,
            };
            let mut err = StreamWriter {
                sink: &sink,
                stream: OutputStream::Stderr,
            };
            let (mut none, mut none2) = (std::io::sink(), std::io::sink());
            let _ = engine.logs(
                id,
                &opts,
                if self.stdout { &mut out } else { &mut none },
                if self.stderr { &mut err } else { &mut none2 },
            );
        }
        if !self.stream {
            return;
        }
        if let Some(w) = self.waiting {
            channel = wait_for_start(&engine, &w, id, &h.sock);
        }
        let Some((channel, exits, primary)) = channel else {
            return;
        };
        let mut sink = sink.into_inner();
        let end = relay_client(
            &channel,
            ClientStream {
                input: self.stdin.then(|| h.sock.as_fd()),
                first_input: h.first_input,
                close_stdin_at_end: self.target.stdin_once,
                detach_keys: self.detach_keys,
                sink: &mut sink,
                stdout: self.stdout,
                stderr: self.stderr,
            },
        );
        // The client is let go first: it sees its stream end at once.
        drop(sink);
        drop(h.sock);
        match end {
            Ok(StreamEnd::Exited(code)) => publish(exits, code),
            // The primary client must keep reading: the container waits for it.
            _ if primary => {
                if let Some(code) = channel.wait_exit() {
                    publish(exits, code);
                }
            }
            _ => {}
        }
    }
}

/// Waits for the container's start: the channel, the waits of its exit, and whether it is
/// the primary one. None when the client leaves first, or the container is removed.
fn wait_for_start(
    engine: &Engine,
    w: &Waiting,
    id: &str,
    client: &std::os::unix::net::UnixStream,
) -> Option<(AttachChannel, Vec<oneshot::Sender<i32>>, bool)> {
    let hub = &w.guard.ctx.hub;
    let token = w.guard.token;
    // Once a start took us out, its hand-off is on its way: only that is waited for.
    let mut taken = false;
    loop {
        let wait = if taken {
            Duration::from_secs(60)
        } else {
            Duration::from_millis(100)
        };
        match w.rx.recv_timeout(wait) {
            Ok(Handoff::Primary(channel, exits)) => return Some((channel, exits, true)),
            Ok(Handoff::Running) => {
                return engine
                    .attach_channel(id)
                    .ok()
                    .map(|c| (c, Vec::new(), false))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            Err(mpsc::RecvTimeoutError::Timeout) if taken => return None,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if hung_up(client) {
            if hub.leave(id, token) {
                return None;
            }
            taken = true;
            continue;
        }
        // Started by someone else (the CLI): attach as to any running container.
        match engine.attach_channel(id) {
            Ok(c) => {
                if hub.leave(id, token) {
                    return Some((c, Vec::new(), false));
                }
                taken = true;
            }
            Err(six_engine::Error::NoSuchContainer(_)) => {
                hub.leave(id, token);
                return None;
            }
            Err(_) => {}
        }
    }
}

/// Whether the client closed its connection altogether.
fn hung_up(client: &std::os::unix::net::UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut fds = [libc::pollfd {
        fd: client.as_raw_fd(),
        events: 0,
        revents: 0,
    }];
    // SAFETY: a valid pollfd array of one, no waiting.
    unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) > 0 }
}
