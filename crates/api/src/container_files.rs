//! A container's files as a whole: `GET /containers/{id}/changes` (the engine's `diff`, as
//! Docker's `[{"Path", "Kind"}]`, kind 0 changed, 1 added, 2 deleted) and `GET
//! /containers/{id}/export` (its file system as a tar, streamed). Single paths in and out
//! (`docker cp`) are `archive.rs`.

use std::sync::Arc;

use serde_json::{json, Value};
use six_engine::ChangeKind;

use crate::http::{ok_json, streamed, ApiError, ChannelWriter, Reply};
use crate::server::Ctx;

/// `GET /containers/{id}/changes`.
pub(crate) async fn changes(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let id = id.to_owned();
    let changes = ctx.call(move |e| Ok(e.changes(&id)?)).await?;
    let list: Vec<Value> = changes
        .iter()
        .map(|c| {
            let kind = match c.kind {
                ChangeKind::Modified => 0,
                ChangeKind::Added => 1,
                ChangeKind::Deleted => 2,
            };
            json!({"Path": c.path, "Kind": kind})
        })
        .collect();
    // Docker answers null, not [], for a container that changed nothing.
    Ok(ok_json(&match list.is_empty() {
        true => Value::Null,
        false => Value::Array(list),
    }))
}

/// `GET /containers/{id}/export`: a tar of its file system. A container that is not there is
/// a 404 before the tar begins.
pub(crate) async fn export(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let probe = id.to_owned();
    let id = ctx.call(move |e| Ok(e.resolve(&probe)?)).await?;
    let (tx, reply) = streamed("application/x-tar");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        ctx.call(move |e| {
            // A client that hangs up ends the tar; a failure half-way can only cut it short
            // (the headers are gone): the client sees a truncated archive.
            if let Err(err) = e.export(&id, &mut ChannelWriter(tx)) {
                tracing::warn!(container = %id, error = %six_engine::Chain(&err), "export");
            }
            Ok(())
        })
        .await
    });
    Ok(reply)
}
