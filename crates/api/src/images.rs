//! Image endpoints: list, inspect, remove, tag, load (the archive streamed in), get (the
//! archive streamed out). Each is the engine call `images`, `inspect`, `rmi`, `tag`, `load`
//! and `save` make.

use std::sync::Arc;

use hyper::StatusCode;
use serde_json::{json, Value};

use crate::http::{body_reader, empty, ok_json, streamed, ApiError, ChannelWriter, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `GET /images/json?all=&filters=`.
pub(crate) async fn list(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let all = call.query.flag("all");
    let filters = call.query.filters()?;
    let rows = ctx
        .call(move |e| {
            let images = e.list_images(all, &filters)?;
            Ok(images
                .iter()
                .map(|i| {
                    let digests = e.images().repo_digests(&i.id).unwrap_or_default();
                    summary(i, &digests, -1, -1)
                })
                .collect())
        })
        .await?;
    Ok(ok_json(&Value::Array(rows)))
}

/// One image as `GET /images/json` and `GET /system/df` list it (`shared` and `containers`:
/// -1 when not counted, as Docker).
pub(crate) fn summary(
    i: &six_image::Image,
    repo_digests: &[String],
    shared: i64,
    containers: i64,
) -> Value {
    json!({
        "Id": format!("sha256:{}", i.id),
        "ParentId": "",
        "RepoTags": i.repo_tags,
        "RepoDigests": repo_digests,
        "Created": i.created.timestamp(),
        "Size": i.size,
        "VirtualSize": i.size,
        "SharedSize": shared,
        "Labels": i.config.labels,
        "Containers": containers,
    })
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
    let mut reader = body_reader(call.body);
    let loaded = ctx
        .call(move |e| {
            let images = e.load_images(&mut reader, &six_image::Progress::hidden())?;
            Ok(images)
        })
        .await?;
    let lines: Vec<Value> = loaded
        .iter()
        .map(|image| {
            let line: String = match image.repo_tags.is_empty() {
                true => format!("Loaded image ID: sha256:{}\n", image.id),
                false => image
                    .repo_tags
                    .iter()
                    .map(|t| format!("Loaded image: {t}\n"))
                    .collect(),
            };
            json!({ "stream": line })
        })
        .collect();
    Ok(crate::http::json_lines(&lines))
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
