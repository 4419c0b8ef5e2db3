//! Exec instances: `POST /containers/{id}/exec` (create), `POST /exec/{id}/start` (hijacked,
//! or `Detach`), `POST /exec/{id}/resize`, `GET /exec/{id}/json`.
//!
//! The instance is six-engine's (`exec_create`, a record any process can read); a start runs
//! in an `api-worker` child (entering a container takes a single-threaded, sealed process),
//! which hands back the process's pipes or terminal, relayed here on the hijacked connection
//! (`relay_exec`) until the process has ended and its exit code is recorded, which the
//! client then reads with `GET /exec/{id}/json`. A start that fails after the hijack says why
//! on the stream, as Docker's. Resizes go to the terminal this service relays; one that
//! comes before the terminal is there is kept for it.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};

use hyper::StatusCode;
use serde_json::{json, Value};
use six_engine::types::{DetachKeys, EnvVar};
use six_engine::{
    ClientStream, Engine, ExecCreate, ExecRequest, ExecStreams, OutputStream, StreamSink,
};

use crate::body::Fields;
use crate::hijack::{FrameSink, Hijacked, Prepared};
use crate::http::{empty, json_reply, ok_json, read_json, ApiError, Reply};
use crate::query::Query;
use crate::resources::parse;
use crate::router::Call;
use crate::server::Ctx;

/// `POST /containers/{id}/exec`: 201 `{"Id"}`.
pub(crate) async fn create(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let body: Value = read_json(call.body).await?;
    if !(body.is_object() || body.is_null()) {
        return Err(ApiError::bad("the exec body must be a JSON object"));
    }
    let b = &Fields::of(&body, "")?;
    let cmd = b.strings("Cmd")?.unwrap_or_default();
    if cmd.is_empty() {
        return Err(ApiError::bad("No exec command specified"));
    }
    let env = b
        .strings("Env")?
        .unwrap_or_default()
        .iter()
        .map(|e| parse::<EnvVar>(e))
        .collect::<Result<Vec<_>, _>>()?;
    let detach_keys = b
        .string("DetachKeys")?
        .map(|k| parse::<DetachKeys>(&k))
        .transpose()?;
    let create = ExecCreate {
        request: ExecRequest {
            cmd,
            env,
            workdir: b.string("WorkingDir")?,
            user: b.string("User")?,
            tty: b.boolean("Tty")?,
            interactive: b.boolean("AttachStdin")?,
            detach: false,
            privileged: b.boolean("Privileged")?,
        },
        stdout: b.boolean("AttachStdout")?,
        stderr: b.boolean("AttachStderr")?,
        detach_keys,
    };
    let id = id.to_owned();
    let exec_id = ctx.call(move |e| Ok(e.exec_create(&id, create)?)).await?;
    Ok(json_reply(StatusCode::CREATED, &json!({ "Id": exec_id })))
}

/// `GET /exec/{id}/json`.
pub(crate) async fn inspect(ctx: &Arc<Ctx>, exec_id: &str) -> Result<Reply, ApiError> {
    let exec_id = exec_id.to_owned();
    Ok(ok_json(
        &ctx.call(move |e| Ok(e.exec_inspect(&exec_id)?)).await?,
    ))
}

/// `POST /exec/{id}/start` with `{"Detach", "Tty", "ConsoleSize"}`: detached, 200 once the
/// process runs; else the hijacked stream.
pub(crate) async fn prepare_start(
    ctx: &Arc<Ctx>,
    exec_id: &str,
    body: &[u8],
) -> Result<Prepared, ApiError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let body: Value = serde_json::from_slice(text)
        .map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))?;
    if !body.is_object() {
        return Err(ApiError::bad("the exec start body must be a JSON object"));
    }
    let b = &Fields::of(&body, "")?;
    let detach = b.boolean("Detach")?;
    let console = match b.get("ConsoleSize") {
        Some(Value::Array(hw)) if hw.len() == 2 => {
            let n = |v: &Value| v.as_u64().and_then(|n| u16::try_from(n).ok());
            n(&hw[0]).zip(n(&hw[1])).filter(|&(h, w)| h > 0 && w > 0)
        }
        _ => None,
    };
    let probe = exec_id.to_owned();
    let (tty, _stdin, keys) = ctx.call(move |e| Ok(e.exec_startable(&probe)?)).await?;
    if detach {
        crate::worker::run_in_child(ctx, &["exec-start", exec_id, "1"]).await?;
        return Ok(Prepared::Answer(StatusCode::OK));
    }
    if tty {
        ctx.terminals.open(exec_id, console);
    }
    let session = Session {
        ctx: ctx.clone(),
        runtime: tokio::runtime::Handle::current(),
        exec_id: exec_id.to_owned(),
        tty,
        keys,
    };
    Ok(Prepared::Hijack(Box::new(move |h| session.run(h))))
}

/// One hijacked exec start.
struct Session {
    ctx: Arc<Ctx>,
    runtime: tokio::runtime::Handle,
    exec_id: String,
    tty: bool,
    keys: Option<DetachKeys>,
}

impl Session {
    fn run(self, h: Hijacked) {
        let _forget = ForgetTerminal(&self.ctx, &self.exec_id);
        let Ok(out) = h.sock.try_clone() else {
            return;
        };
        let mut sink = FrameSink {
            sock: out,
            framed: !self.tty,
        };
        let started = self.runtime.block_on(crate::worker::run_in_child_fds(
            &self.ctx,
            &["exec-start", &self.exec_id, "0"],
        ));
        let streams = started.and_then(|fds| {
            ExecStreams::from_fds(fds).map_err(|e| ApiError::internal(e.to_string()))
        });
        let streams = match streams {
            Ok(s) => s,
            Err(e) => {
                // Docker's way: the reason on the stream; the exit code is in the record.
                let _ = sink.output(
                    OutputStream::Stdout,
                    format!("{}\r\n", e.message).as_bytes(),
                );
                return;
            }
        };
        if let Some(pty) = &streams.pty {
            self.ctx.terminals.attach(&self.exec_id, pty);
        }
        let Ok(engine) = Engine::open(self.ctx.engine.clone()) else {
            return;
        };
        let client = ClientStream {
            input: Some(h.sock.as_fd()),
            first_input: h.first_input,
            close_stdin_at_end: true,
            detach_keys: self.tty.then(|| self.keys.clone().unwrap_or_default()),
            sink: &mut sink,
            stdout: true,
            stderr: true,
        };
        if let Err(e) = engine.relay_exec(&self.exec_id, streams, client) {
            tracing::debug!(error = %e, "relaying an exec");
        }
    }
}

/// `POST /exec/{id}/resize?h=&w=`.
pub(crate) async fn resize(ctx: &Arc<Ctx>, exec_id: &str, q: &Query) -> Result<Reply, ApiError> {
    let (rows, cols) = crate::attach::size(q)?;
    if ctx.terminals.resize(exec_id, rows, cols) {
        return Ok(empty(StatusCode::OK));
    }
    let id = exec_id.to_owned();
    let doc = ctx.call(move |e| Ok(e.exec_inspect(&id)?)).await?;
    let why = if doc["ProcessConfig"]["tty"].as_bool() == Some(true) {
        "is not running here"
    } else {
        "has no terminal"
    };
    Err(ApiError::new(409, format!("exec {exec_id} {why}")))
}

/// The terminals of the execs this service relays, and sizes asked for before they came.
#[derive(Default)]
pub(crate) struct Terminals(Mutex<HashMap<String, Terminal>>);

#[derive(Default)]
struct Terminal {
    master: Option<OwnedFd>,
    size: Option<(u16, u16)>,
}

impl Terminals {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Terminal>) -> R) -> R {
        f(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// An exec with a terminal is being started (`size`: the size asked for at start).
    fn open(&self, exec_id: &str, size: Option<(u16, u16)>) {
        self.with(|m| m.insert(exec_id.to_owned(), Terminal { master: None, size }));
    }

    /// Its terminal is here: the size asked for meanwhile is applied.
    fn attach(&self, exec_id: &str, master: &OwnedFd) {
        let Ok(copy) = master.try_clone() else {
            return;
        };
        self.with(|m| {
            let t = m.entry(exec_id.to_owned()).or_default();
            if let Some((rows, cols)) = t.size {
                six_engine::resize_terminal(copy.as_fd(), rows, cols);
            }
            t.master = Some(copy);
        });
    }

    /// Resizes (or keeps the size for) a terminal this service relays; false if none.
    fn resize(&self, exec_id: &str, rows: u16, cols: u16) -> bool {
        self.with(|m| match m.get_mut(exec_id) {
            Some(t) => {
                match &t.master {
                    Some(fd) => six_engine::resize_terminal(fd.as_fd(), rows, cols),
                    None => t.size = Some((rows, cols)),
                }
                true
            }
            None => false,
        })
    }
}

/// Forgets an exec's terminal when its relay ends.
struct ForgetTerminal<'a>(&'a Arc<Ctx>, &'a str);

impl Drop for ForgetTerminal<'_> {
    fn drop(&mut self) {
        self.0.terminals.with(|m| m.remove(self.1));
    }
}
