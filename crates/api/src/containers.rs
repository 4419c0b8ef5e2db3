//! One container's endpoints: create, inspect, top, wait, remove, and the actions (`start`,
//! `stop`, `restart`, `kill`, `pause`, `unpause`, `rename`). Each is the engine call the CLI
//! makes; starts and restarts run in an `api-worker` child (see [`crate::worker`]).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::StatusCode;
use serde_json::{json, Value};
use six_engine::types::{ContainerName, Signal};
use six_engine::Engine;

use crate::http::{empty, json_reply, ok_json, read_json, streamed, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `POST /containers/create?name=`: 201 `{"Id", "Warnings"}`.
pub(crate) async fn create(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let name = call.query.get("name").map(str::to_owned);
    let body: Value = read_json(call.body).await?;
    let req = crate::create_body::run_request(&body, name.as_deref())?;
    let id = ctx.call(move |e| Ok(e.create(req)?)).await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &json!({"Id": id, "Warnings": []}),
    ))
}

/// `GET /containers/{id}/json`: the engine's inspect document.
pub(crate) async fn inspect(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    Ok(ok_json(&ctx.call(move |e| Ok(e.inspect(&id)?)).await?))
}

/// `GET /containers/{id}/top`: `{"Titles", "Processes"}`.
pub(crate) async fn top(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    let top = ctx.call(move |e| Ok(e.top(&id)?)).await?;
    Ok(ok_json(
        &json!({"Titles": top.titles, "Processes": top.processes}),
    ))
}

/// `DELETE /containers/{id}?force=&v=`: 204. (`v`: the engine removes what the container
/// made with it; there are no anonymous volumes to keep.)
pub(crate) async fn remove(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    let force = call.query.flag("force");
    ctx.call(move |e| {
        e.resolve(&id)?;
        Ok(e.remove(&id, force)?)
    })
    .await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST /containers/{id}/wait?condition=not-running|next-exit|removed`: the headers at
/// once (clients wait for them before they start the container, as with dockerd), then
/// `{"StatusCode", "Error"}` once the condition holds. A client that hangs up ends the wait.
pub(crate) async fn wait(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    let condition = call
        .query
        .get("condition")
        .unwrap_or("not-running")
        .to_owned();
    if !matches!(
        condition.as_str(),
        "" | "not-running" | "next-exit" | "removed"
    ) {
        return Err(ApiError::bad(format!(
            "invalid condition {condition:?}: expected not-running, next-exit or removed"
        )));
    }
    let id = ctx.call(move |e| Ok(e.resolve(&id)?)).await?;
    let (tx, reply) = streamed("application/json");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let gone = tx.clone();
        let client_left = move || gone.is_closed();
        let outcome = ctx
            .call(move |e| {
                if condition == "next-exit" {
                    wait_until(&client_left, || Ok(running(e, &id)?))?;
                }
                let code = e.wait(&id)?;
                if condition == "removed" {
                    wait_until(&client_left, || match e.resolve(&id) {
                        Err(six_engine::Error::NoSuchContainer(_)) => Ok(true),
                        Err(err) => Err(err.into()),
                        Ok(_) => Ok(false),
                    })?;
                }
                Ok(code)
            })
            .await;
        let doc = match outcome {
            Ok(code) => json!({"StatusCode": code, "Error": null}),
            Err(e) => json!({"StatusCode": -1, "Error": {"Message": e.message}}),
        };
        let _ = tx.send(Bytes::from(format!("{doc}\n"))).await;
    });
    Ok(reply)
}

/// Checks `done` every 50 ms until it holds, or until the client has left (an error then:
/// nobody is told).
fn wait_until(
    client_left: &dyn Fn() -> bool,
    mut done: impl FnMut() -> Result<bool, ApiError>,
) -> Result<(), ApiError> {
    while !done()? {
        if client_left() {
            return Err(ApiError::new(499, "the client left"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Whether the container runs now (`State.Running`, paused or not).
fn running(e: &Engine, id: &str) -> six_engine::Result<bool> {
    Ok(e.inspect(id)?["State"]["Running"].as_bool() == Some(true))
}

/// `POST /containers/{id}/{action}`.
pub(crate) async fn action(
    ctx: &Arc<Ctx>,
    id: &str,
    action: &str,
    call: Call,
) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    let q = &call.query;
    match action {
        "start" => {
            if q.get("checkpoint").is_some_and(|c| !c.is_empty()) {
                return Err(ApiError::bad("checkpoints are not supported by sixdocker"));
            }
            let probe = id.clone();
            if ctx.call(move |e| Ok(running(e, &probe)?)).await? {
                return Ok(empty(StatusCode::NOT_MODIFIED));
            }
            crate::worker::run_in_child(ctx, &["start", &id]).await?;
        }
        "restart" => {
            let secs = q.int("t")?.map_or("default".to_owned(), |n| n.to_string());
            crate::worker::run_in_child(ctx, &["restart", &id, &secs]).await?;
        }
        "stop" => {
            let t = timeout(q.int("t")?);
            let stopped = ctx
                .call(move |e| {
                    if !running(e, &id)? {
                        return Ok(false);
                    }
                    e.stop(&id, t)?;
                    Ok(true)
                })
                .await?;
            if !stopped {
                return Ok(empty(StatusCode::NOT_MODIFIED));
            }
        }
        "kill" => {
            let signal = match q.get("signal").filter(|s| !s.is_empty()) {
                None => Signal::from_number(libc::SIGKILL),
                Some(s) => Some(
                    s.parse::<Signal>()
                        .map_err(|e| ApiError::bad(e.to_string()))?,
                ),
            }
            .ok_or_else(|| ApiError::internal("SIGKILL has no number"))?;
            ctx.call(move |e| Ok(e.kill(&id, signal)?)).await?;
        }
        "pause" => ctx.call(move |e| Ok(e.pause(&id)?)).await?,
        "unpause" => ctx.call(move |e| Ok(e.unpause(&id)?)).await?,
        "rename" => {
            let name = q.get("name").unwrap_or_default();
            let name: ContainerName = name
                .parse()
                .map_err(|e: six_engine::types::TypeError| ApiError::bad(e.to_string()))?;
            ctx.call(move |e| Ok(e.rename(&id, &name)?)).await?;
        }
        _ => return Err(ApiError::new(404, "page not found")),
    }
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `?t=` seconds: absent, the container's own stop timeout (else 10 s); negative waits for
/// ever.
fn timeout(t: Option<i64>) -> Option<Duration> {
    t.map(|n| match n {
        n if n < 0 => Duration::MAX,
        n => Duration::from_secs(n as u64),
    })
}
