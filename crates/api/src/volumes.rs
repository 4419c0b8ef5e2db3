//! `/volumes`: list, create, inspect, remove, prune, each the engine call `sixdocker volume
//! ...` makes, with six-engine's documents (`volume inspect`'s).

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use six_engine::filters::{filter_volumes, VolumeView};
use six_engine::VolumeCreate;

use crate::body::Fields;
use crate::http::{empty, json_reply, ok_json, read_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// Routes `/volumes/...` (`rest`: the segments after `volumes`).
pub(crate) async fn route(
    ctx: &Arc<Ctx>,
    m: &Method,
    rest: &[&str],
    call: Call,
) -> Result<Reply, ApiError> {
    let (get, post, delete) = (m == Method::GET, m == Method::POST, m == Method::DELETE);
    match rest {
        [] if get => list(ctx, call).await,
        ["create"] if post => create(ctx, call).await,
        ["prune"] if post => prune(ctx, call).await,
        [name] if get => {
            let name = name.to_string();
            let v = ctx.call(move |e| Ok(e.inspect_volume(&name)?)).await?;
            Ok(ok_json(&v.document()))
        }
        [name] if delete => {
            let name = name.to_string();
            let force = call.query.flag("force");
            ctx.call(move |e| Ok(e.remove_volume(&name, force)?))
                .await?;
            Ok(empty(StatusCode::NO_CONTENT))
        }
        _ => Err(ApiError::new(404, "page not found")),
    }
}

/// `GET /volumes?filters=`: `{"Volumes": [...], "Warnings": null}`.
async fn list(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let volumes = ctx
        .call(move |e| Ok(filter_volumes(e.volumes()?, VolumeView::of, &filters)?))
        .await?;
    let docs: Vec<Value> = volumes.iter().map(|s| s.volume.document()).collect();
    Ok(ok_json(&json!({"Volumes": docs, "Warnings": null})))
}

/// `POST /volumes/create` `{"Name", "Driver", "DriverOpts", "Labels"}`: 201 with the volume.
async fn create(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let req = create_request(&doc)?;
    let volume = ctx.call(move |e| Ok(e.create_volume(req)?)).await?;
    Ok(json_reply(StatusCode::CREATED, &volume.document()))
}

fn create_request(doc: &Value) -> Result<VolumeCreate, ApiError> {
    let f = Fields::of(doc, "")?;
    f.refuse_unknown(&[
        "Name",
        "Driver",
        "DriverOpts",
        "Labels",
        "ClusterVolumeSpec",
    ])?;
    f.refuse_set(&["ClusterVolumeSpec"])?;
    Ok(VolumeCreate {
        name: f.string("Name")?,
        driver: f.string("Driver")?,
        labels: f.string_map("Labels")?,
        options: f.string_map("DriverOpts")?,
    })
}

/// `POST /volumes/prune?filters=`: `{"VolumesDeleted", "SpaceReclaimed"}`. Before API 1.42
/// (every version served here) Docker prunes named volumes too; `all=false` keeps them.
async fn prune(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let mut filters = call.query.filters()?;
    let all = call.version < (1, 42) && !filters.contains("all");
    if filters.contains("all") {
        // Checked (400 for a value that is not a boolean) before anything is removed.
        filters.bool_or("all", false)?;
    }
    if all {
        filters.add("all", "true");
    }
    let report = ctx
        .call(move |e| Ok(e.prune_volumes(false, &filters)?))
        .await?;
    Ok(ok_json(&json!({
        "VolumesDeleted": report.deleted,
        "SpaceReclaimed": report.space_reclaimed,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies() {
        let r = create_request(&json!({"Name": "data", "Driver": "local",
            "DriverOpts": {"type": "tmpfs"}, "Labels": {"a": "b"}}))
        .unwrap();
        assert_eq!(r.name.as_deref(), Some("data"));
        assert_eq!(r.options["type"], "tmpfs");
        assert_eq!(r.labels["a"], "b");
        assert!(create_request(&json!({})).unwrap().name.is_none());
        let e = create_request(&json!({"Name": "x", "Labels": ["a"]})).unwrap_err();
        assert!(e.message.contains("Labels"), "{}", e.message);
    }
}
