//! `_ping` (GET and HEAD, with the headers clients negotiate the version from), `version`
//! (the `Server` part of the engine's version document) and `info` (the engine's document).

use std::sync::Arc;

use bytes::Bytes;
use hyper::{Response, StatusCode};

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
