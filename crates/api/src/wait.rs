//! `POST /containers/{id}/wait?condition=not-running|next-exit|removed`: the headers at
//! once (clients wait for them before they start the container, as with dockerd), then
//! `{"StatusCode", "Error"}` once the condition holds.
//!
//! A wait for the next exit of a stopped container waits in the service's [`crate::hub`]:
//! the start this service makes hands it the exit code straight from the monitor, however
//! short the run (`docker run --rm` is gone by the time anyone could look). A container
//! someone else starts is waited for through its monitor, as `sixdocker wait` does. A client
//! that hangs up ends its wait.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use six_engine::Engine;

use crate::http::{streamed, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// The answer's channel: closed once the client has gone.
type Client = tokio::sync::mpsc::Sender<Bytes>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    NotRunning,
    NextExit,
    Removed,
}

pub(crate) async fn wait(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let condition = match call.query.get("condition").unwrap_or_default() {
        "" | "not-running" => Condition::NotRunning,
        "next-exit" => Condition::NextExit,
        "removed" => Condition::Removed,
        other => {
            return Err(ApiError::bad(format!(
                "invalid condition {other:?}: expected not-running, next-exit or removed"
            )))
        }
    };
    let given = id.to_owned();
    let (id, now) = ctx
        .call(move |e| {
            let id = e.resolve(&given)?;
            let now = state(e, &id);
            Ok((id, now))
        })
        .await?;
    let running = now.running;
    // Registered before the answer: the start that follows finds it.
    let pending = (!running && condition != Condition::NotRunning).then(|| ctx.hub.wait_exit(&id));
    let (tx, reply) = streamed("application/json");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let outcome = wait_for(&ctx, &id, condition, pending, &now, &tx).await;
        let doc = match outcome {
            Ok(code) => json!({"StatusCode": code, "Error": null}),
            Err(e) => json!({"StatusCode": -1, "Error": {"Message": e.message}}),
        };
        let _ = tx.send(Bytes::from(format!("{doc}\n"))).await;
    });
    Ok(reply)
}

async fn wait_for(
    ctx: &Arc<Ctx>,
    id: &str,
    condition: Condition,
    pending: Option<(u64, tokio::sync::oneshot::Receiver<i32>)>,
    before: &State,
    client: &Client,
) -> Result<i32, ApiError> {
    let client_left = || client.is_closed();
    let mut code = None;
    if let Some((token, mut rx)) = pending {
        let mut taken = false;
        code = loop {
            tokio::select! {
                got = &mut rx => break got.ok(),
                _ = tokio::time::sleep(Duration::from_millis(250)), if !taken => {
                    if client_left() {
                        ctx.hub.leave(id, token);
                        return Err(ApiError::new(499, "the client left"));
                    }
                    // Started by someone else (running, or already ended: started again
                    // since), or removed: waited for as any other container.
                    let probe = id.to_owned();
                    let now = ctx.call(move |e| Ok(state(e, &probe))).await?;
                    if !now.exists || now.running || now.started_at != before.started_at {
                        if ctx.hub.leave(id, token) {
                            if !now.exists && condition == Condition::Removed {
                                return Ok(before.exit_code);
                            }
                            break None;
                        }
                        taken = true; // a start has it: its code is on its way
                    }
                }
            }
        };
    }
    let code = match code {
        Some(c) => c,
        None => wait_through_monitor(ctx, id, client).await?,
    };
    if condition == Condition::Removed {
        loop {
            let probe = id.to_owned();
            if !ctx.call(move |e| Ok(state(e, &probe))).await?.exists {
                break;
            }
            if client_left() {
                return Err(ApiError::new(499, "the client left"));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(code)
}

/// Its exit code, through its monitor while it runs (as `sixdocker wait`), else the one
/// recorded; a client that leaves ends the wait (the blocking thread asks every 250 ms).
async fn wait_through_monitor(ctx: &Arc<Ctx>, id: &str, client: &Client) -> Result<i32, ApiError> {
    let probe = id.to_owned();
    let client = client.clone();
    let end = ctx
        .call(move |e| match e.attach_channel(&probe) {
            Ok(c) => Ok(Some(c.wait_exit_unless(&|| client.is_closed()))),
            Err(six_engine::Error::NotRunning { .. }) => Ok(None),
            Err(err) => Err(err.into()),
        })
        .await?;
    match end {
        Some(Ok(Some(code))) => return Ok(code),
        Some(Err(six_engine::GaveUp)) => return Err(ApiError::new(499, "the client left")),
        // Not running, or its monitor went away: what it recorded.
        Some(Ok(None)) | None => {}
    }
    let probe = id.to_owned();
    ctx.call(move |e| Ok(e.wait(&probe)?)).await
}

/// What a wait looks at in a container's state.
struct State {
    exists: bool,
    running: bool,
    /// When it last started: another value means it ran since.
    started_at: String,
    exit_code: i32,
}

fn state(e: &Engine, id: &str) -> State {
    match e.inspect(id) {
        Ok(doc) => State {
            exists: true,
            running: doc["State"]["Running"].as_bool() == Some(true),
            started_at: doc["State"]["StartedAt"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            exit_code: doc["State"]["ExitCode"].as_i64().unwrap_or(0) as i32,
        },
        Err(e) => State {
            exists: !matches!(e, six_engine::Error::NoSuchContainer(_)),
            running: false,
            started_at: String::new(),
            exit_code: 0,
        },
    }
}
