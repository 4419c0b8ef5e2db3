//! `GET /images/{name}/history` (an image's steps, newest first, as Docker's
//! `[{"Id", "Created", "CreatedBy", "Tags", "Size", "Comment"}]`) and `POST /images/prune`
//! (the engine's image prune: dangling images, or with `dangling=false` every unused one).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::http::{ok_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `GET /images/{name}/history`.
pub(crate) async fn history(ctx: &Arc<Ctx>, name: &str) -> Result<Reply, ApiError> {
    let name = name.to_owned();
    let steps = ctx
        .call(move |e| {
            let image = e.images().resolve(&name)?;
            let images = e.images().list()?;
            let steps = e.images().history(&image)?;
            Ok(steps
                .iter()
                .map(|h| {
                    // The tags of the stored image that ends at this step (null: none).
                    let tags = images
                        .iter()
                        .find(|i| format!("sha256:{}", i.id) == h.id)
                        .filter(|i| !i.repo_tags.is_empty())
                        .map(|i| json!(i.repo_tags));
                    json!({
                        "Id": h.id,
                        "Created": h.created.map_or(0, |t| t.timestamp()),
                        "CreatedBy": h.created_by,
                        "Tags": tags,
                        "Size": h.size,
                        "Comment": h.comment,
                    })
                })
                .collect::<Vec<Value>>())
        })
        .await?;
    Ok(ok_json(&Value::Array(steps)))
}

/// `POST /images/prune?filters=`: `{"ImagesDeleted": [{"Untagged"}|{"Deleted"}],
/// "SpaceReclaimed"}`.
pub(crate) async fn prune(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let report = ctx.call(move |e| Ok(e.prune_images(&filters)?)).await?;
    Ok(ok_json(&json!({
        "ImagesDeleted": deleted_items(&report.deleted),
        "SpaceReclaimed": report.space_reclaimed,
    })))
}

/// The engine's "untagged: x" / "deleted: sha256:…" lines as Docker's items (null: none).
fn deleted_items(lines: &[String]) -> Value {
    let items: Vec<Value> = lines
        .iter()
        .filter_map(|l| {
            let (word, what) = l.split_once(": ")?;
            let key = match word.to_ascii_lowercase().as_str() {
                "untagged" => "Untagged",
                "deleted" => "Deleted",
                _ => return None,
            };
            Some(json!({ key: what }))
        })
        .collect();
    match items.is_empty() {
        true => Value::Null,
        false => Value::Array(items),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_lines_become_docker_items() {
        let v = deleted_items(&["untagged: a:1".into(), "deleted: sha256:00".into()]);
        assert_eq!(v, json!([{"Untagged": "a:1"}, {"Deleted": "sha256:00"}]));
        assert_eq!(deleted_items(&[]), Value::Null);
    }
}
