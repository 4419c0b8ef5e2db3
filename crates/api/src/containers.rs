//! One container's endpoints: create, inspect, top, remove, and the actions (`start`,
//! `stop`, `restart`, `kill`, `pause`, `unpause`, `rename`). Each is the engine call the CLI
//! makes; starts (`start.rs`) and restarts run in an `api-worker` child (see
//! [`crate::worker`]).

use std::sync::Arc;
use std::time::Duration;

use hyper::StatusCode;
use serde_json::{json, Value};
use six_engine::types::{ContainerName, Signal};
use six_engine::Engine;

use crate::http::{empty, json_reply, ok_json, read_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `POST /containers/create?name=`: 201 `{"Id", "Warnings"}`.
pub(crate) async fn create(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let name = call.query.get("name").map(str::to_owned);
    let body: Value = read_json(call.body).await?;
    let create = crate::create_body::run_request(&body, name.as_deref())?;
    let id = ctx.call(move |e| Ok(e.create(create.request)?)).await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &json!({"Id": id, "Warnings": []}),
    ))
}

/// `GET /containers/{id}/json`: the engine's inspect document.
pub(crate) async fn inspect(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    Ok(ok_json(
        &ctx.call_to_read(move |e| Ok(e.inspect(&id)?)).await?,
    ))
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
            let (id, running) = ctx
                .call(move |e| {
                    let id = e.resolve(&probe)?;
                    let running = running(e, &id)?;
                    Ok((id, running))
                })
                .await?;
            if running {
                return Ok(empty(StatusCode::NOT_MODIFIED));
            }
            crate::start::start(ctx, &id).await?;
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
