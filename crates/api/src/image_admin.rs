//! `GET /images/{name}/history` (an image's steps, newest first, as Docker's
//! `[{"Id", "Created", "CreatedBy", "Tags", "Size", "Comment"}]`), `POST /images/prune`
//! (the engine's image prune: dangling images, or with `dangling=false` every unused one) and
//! `POST /commit` (`docker commit`: a container's changes as a new image).

use std::sync::Arc;

use serde_json::{json, Value};

use crate::http::{json_reply, ok_json, ApiError, Reply};
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

/// `POST /commit?container=&repo=&tag=`: 201 `{"Id": "sha256:…"}`, as `sixdocker commit`
/// makes it (the container is paused meanwhile, whatever `pause` says). What it cannot
/// honour is refused by name: a message, an author, `--change`s, a config in the body.
pub(crate) async fn commit(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let q = &call.query;
    let container = q.get("container").unwrap_or_default().to_owned();
    if container.is_empty() {
        return Err(ApiError::bad(
            "no container given: commit needs ?container=",
        ));
    }
    for (key, flag) in [("comment", "--message"), ("author", "--author")] {
        if q.get(key).is_some_and(|v| !v.is_empty()) {
            return Err(ApiError::bad(format!(
                "commit {flag} ({key}=) is not supported by sixdocker"
            )));
        }
    }
    if !q.all("changes").iter().all(|c| c.is_empty()) {
        return Err(ApiError::bad(
            "commit --change (changes=) is not supported by sixdocker",
        ));
    }
    let reference = match (
        q.get("repo").unwrap_or_default(),
        q.get("tag").unwrap_or_default(),
    ) {
        ("", "") => None,
        ("", tag) => return Err(ApiError::bad(format!("tag {tag:?} given without a repo"))),
        (repo, "") => Some(repo.to_owned()),
        (repo, tag) => Some(format!("{repo}:{tag}")),
    };
    let body = crate::http::read_body(call.body, crate::http::MAX_JSON_BODY).await?;
    let config: Value = match body.iter().all(u8::is_ascii_whitespace) {
        true => Value::Null,
        false => serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))?,
    };
    if !(config.is_null() || config.as_object().is_some_and(|o| o.is_empty())) {
        return Err(ApiError::bad(
            "commit with a container config in the body is not supported by sixdocker",
        ));
    }
    let image = ctx
        .call(move |e| Ok(e.commit(&container, reference.as_deref())?))
        .await?;
    Ok(json_reply(
        hyper::StatusCode::CREATED,
        &json!({"Id": format!("sha256:{}", image.id)}),
    ))
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
