//! Image endpoints: list, inspect, remove, tag, load (the archive streamed in), get (the
//! archive streamed out). Each is the engine call `images`, `inspect`, `rmi`, `tag`, `load`
//! and `save` make.

use std::io::Read;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::StatusCode;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::http::{empty, ok_json, streamed, ApiError, ChannelWriter, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `GET /images/json?all=&filters=`.
pub(crate) async fn list(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let all = call.query.flag("all");
    let filters = call.query.filters()?;
    let images = ctx.call(move |e| Ok(e.list_images(all, &filters)?)).await?;
    let rows: Vec<Value> = images
        .iter()
        .map(|i| {
            json!({
                "Id": format!("sha256:{}", i.id),
                "ParentId": "",
                "RepoTags": i.repo_tags,
                "RepoDigests": [],
                "Created": i.created.timestamp(),
                "Size": i.size,
                "VirtualSize": i.size,
                "SharedSize": -1,
                "Labels": i.config.labels,
                "Containers": -1,
            })
        })
        .collect();
    Ok(ok_json(&Value::Array(rows)))
}

/// `GET /images/{name}/json`.
pub(crate) async fn inspect(ctx: &Arc<Ctx>, name: &str) -> Result<Reply, ApiError> {
    let name = name.to_owned();
    Ok(ok_json(
        &ctx.call(move |e| Ok(e.inspect_image(&name)?)).await?,
    ))
}

/// `DELETE /images/{name}?force=`: `[{"Untagged": ...}, {"Deleted": ...}]`.
pub(crate) async fn remove(ctx: &Arc<Ctx>, name: &str, call: Call) -> Result<Reply, ApiError> {
    let name = name.to_owned();
    let force = call.query.flag("force");
    let lines = ctx.call(move |e| Ok(e.remove_image(&name, force)?)).await?;
    let items: Vec<Value> = lines
        .iter()
        .filter_map(|l| {
            let (what, value) = l.split_once(": ")?;
            Some(json!({ what: value }))
        })
        .collect();
    Ok(ok_json(&Value::Array(items)))
}

/// `POST /images/{name}/tag?repo=&tag=`: 201.
pub(crate) async fn tag(ctx: &Arc<Ctx>, name: &str, call: Call) -> Result<Reply, ApiError> {
    let repo = call.query.get("repo").unwrap_or_default().to_owned();
    let tag = call.query.get("tag").unwrap_or_default();
    if repo.is_empty() {
        return Err(ApiError::bad("no repository given: tag needs ?repo="));
    }
    let target = if tag.is_empty() {
        repo
    } else {
        format!("{repo}:{tag}")
    };
    let name = name.to_owned();
    ctx.call(move |e| Ok(e.tag_image(&name, &target)?)).await?;
    Ok(empty(StatusCode::CREATED))
}

/// `POST /images/load?quiet=`: the body is a docker-archive; the answer a JSON stream
/// (`{"stream": "Loaded image: busybox:latest\n"}`), or one error object if it is refused.
pub(crate) async fn load(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let (chunks_tx, chunks_rx) = mpsc::channel::<Bytes>(8);
    let mut body = call.body;
    tokio::spawn(async move {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            if let Ok(data) = frame.into_data() {
                if chunks_tx.send(data).await.is_err() {
                    break;
                }
            }
        }
    });
    let loaded = ctx
        .call(move |e| {
            let mut reader = ChannelReader {
                rx: chunks_rx,
                current: Bytes::new(),
            };
            let images = e.load_images(&mut reader, &six_image::Progress::hidden())?;
            Ok(images)
        })
        .await?;
    let mut text = String::new();
    for image in &loaded {
        let line = match image.repo_tags.is_empty() {
            true => format!("Loaded image ID: sha256:{}\n", image.id),
            false => image
                .repo_tags
                .iter()
                .map(|t| format!("Loaded image: {t}\n"))
                .collect(),
        };
        text.push_str(&json!({ "stream": line }).to_string());
        text.push('\n');
    }
    Ok(hyper::Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "application/json")
        .body(crate::http::Body::Full(Some(Bytes::from(text))))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR)))
}

/// `GET /images/get?names=a&names=b` and `GET /images/{name}/get`: one docker-archive.
pub(crate) async fn save(ctx: &Arc<Ctx>, names: Vec<&str>) -> Result<Reply, ApiError> {
    let names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    if names.is_empty() {
        return Err(ApiError::bad("no image given: get needs ?names="));
    }
    let probe = names.clone();
    // Unknown names are answered with 404 before the archive begins.
    ctx.call(move |e| {
        for n in &probe {
            e.images().resolve(n)?;
        }
        Ok(())
    })
    .await?;
    let (tx, reply) = streamed("application/x-tar");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        ctx.call(move |e| {
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut out = ChannelWriter(tx);
            let _ = e.save_images(&refs, &mut out, &six_image::Progress::hidden());
            Ok(())
        })
        .await
    });
    Ok(reply)
}

/// The request body as a blocking reader, fed by the task that reads the connection.
struct ChannelReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.current = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}
