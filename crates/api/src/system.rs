//! `_ping` (GET and HEAD, with the headers clients negotiate the version from), `version`
//! (the `Server` part of the engine's version document), `info` (the engine's document) and
//! `system/df` (the engine's disk usage in Docker's shape).

use std::sync::Arc;

use bytes::Bytes;
use hyper::{Response, StatusCode};
use serde_json::{json, Value};

use crate::http::{ok_json, ApiError, Body, Reply};
use crate::server::Ctx;

/// `GET|HEAD /_ping`: "OK" (no body for HEAD), uncached.
pub(crate) fn ping(head: bool) -> Reply {
    let body = if head {
        Body::Full(None)
    } else {
        Body::Full(Some(Bytes::from_static(b"OK")))
    };
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Cache-Control", "no-cache, no-store, must-revalidate")
        .header("Pragma", "no-cache")
        .header("Builder-Version", "1")
        .body(body)
        .unwrap_or_else(|_| crate::http::empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// `GET /version`.
pub(crate) fn version() -> Reply {
    ok_json(&six_engine::system_docs::version_document()["Server"])
}

/// `GET /info`.
pub(crate) async fn info(ctx: &Arc<Ctx>) -> Result<Reply, ApiError> {
    let doc = ctx.call(|e| Ok(e.info_document()?)).await?;
    Ok(ok_json(&doc))
}

/// `GET /system/df`: `LayersSize`, `Images`, `Containers` (with `SizeRw`), `Volumes` (with
/// `UsageData`) and an empty `BuildCache`.
pub(crate) async fn df(ctx: &Arc<Ctx>) -> Result<Reply, ApiError> {
    let doc = ctx
        .call(|e| {
            let usage = e.disk_usage()?;
            let images: Vec<Value> = usage
                .images
                .iter()
                .map(|u| {
                    let digests = e.images().repo_digests(&u.image.id).unwrap_or_default();
                    crate::images::summary(
                        &u.image,
                        &digests,
                        u.shared_size as i64,
                        u.containers as i64,
                    )
                })
                .collect();
            let mut containers = Vec::new();
            for c in &usage.containers {
                // Removed meanwhile: not counted.
                let Ok(doc) = e.inspect(&c.summary.id) else {
                    continue;
                };
                let mut row = crate::container_list::summary(&c.summary, &doc);
                row["SizeRw"] = json!(c.size_rw);
                row["SizeRootFs"] = json!(0);
                containers.push(row);
            }
            let volumes: Vec<Value> = usage
                .volumes
                .iter()
                .map(|v| {
                    let mut doc = v.volume.document();
                    doc["UsageData"] = json!({"Size": v.size, "RefCount": v.containers});
                    doc
                })
                .collect();
            Ok(json!({
                "LayersSize": usage.layers_size,
                "Images": images,
                "Containers": containers,
                "Volumes": volumes,
                "BuildCache": [],
            }))
        })
        .await?;
    Ok(ok_json(&doc))
}
