//! `POST /images/create` (a pull, `fromImage`, or an import of a tar in the body, `fromSrc=-`)
//! and `POST /images/{name}/push`, answered with Docker's JSON progress stream: one message a
//! line, `{"status", "id", "progressDetail", "progress"}`, then `{"error", "errorDetail"}` if it
//! fails half-way. As dockerd, nothing is sent until the first message: a failure before it
//! (no such repository, bad credentials, a bad name) is a plain error document with its status.
//! Credentials come from `X-Registry-Auth` (base64url JSON: username and password, or an
//! identity token); without them the service's own `config.json` is used.

use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{json, Value};
use six_registry::{Credentials, Event, LayerStatus, Progress, PullOptions};
use tokio::sync::mpsc;

use crate::http::{body_reader, streamed, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// `POST /images/create?fromImage=&tag=&platform=` or `?fromSrc=-&repo=&tag=`.
pub(crate) async fn create(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let q = &call.query;
    if let Some(src) = q.get("fromSrc").filter(|s| !s.is_empty()) {
        return import(ctx, src.to_owned(), call).await;
    }
    let image = q
        .get("fromImage")
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::bad("no image given: create needs ?fromImage= or ?fromSrc="))?;
    let tag = q.get("tag").unwrap_or_default();
    // As dockerd: a tag (or a digest) in `tag`; neither, on a bare name: every tag.
    let (reference, all_tags) = match tag {
        "" => (image.to_owned(), !has_tag_or_digest(image)),
        t if t.contains(':') => (format!("{image}@{t}"), false),
        t => (format!("{image}:{t}"), false),
    };
    let platform = q
        .get("platform")
        .filter(|p| !p.is_empty())
        .map(|p| p.parse::<six_registry::Platform>().map_err(ApiError::bad))
        .transpose()?;
    let credentials = registry_auth(&call.headers)?;
    let opts = PullOptions { platform, all_tags };
    progress_stream(ctx, move |e, progress| {
        e.pull_as(&reference, &opts, credentials, progress)?;
        Ok(Vec::new())
    })
    .await
}

/// Whether a reference names a tag or a digest (a `:` after its last `/`, or an `@`).
fn has_tag_or_digest(image: &str) -> bool {
    image.contains('@')
        || image
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

/// `fromSrc=-`: the body is a tar of a root file system; the last message is the new image's
/// ID, as dockerd's `{"status": "sha256:..."}`.
async fn import(ctx: &Arc<Ctx>, src: String, call: Call) -> Result<Reply, ApiError> {
    if src != "-" {
        return Err(ApiError::bad(format!(
            "fromSrc {src:?} is not supported by sixdocker: send the tar in the body with fromSrc=-"
        )));
    }
    let q = &call.query;
    for key in ["changes", "message", "platform"] {
        if let Some(v) = q.get(key).filter(|v| !v.is_empty()) {
            return Err(ApiError::bad(format!(
                "import {key}={v:?} is not supported by sixdocker"
            )));
        }
    }
    let repo = q.get("repo").unwrap_or_default();
    let tag = q.get("tag").unwrap_or_default();
    let reference = match (repo, tag) {
        ("", _) => None,
        (r, "") => Some(r.to_owned()),
        (r, t) => Some(format!("{r}:{t}")),
    };
    let mut input = body_reader(call.body);
    let image = ctx
        .call(move |e| {
            Ok(e.import_image(
                &mut input,
                reference.as_deref(),
                &six_image::Progress::hidden(),
            )?)
        })
        .await?;
    let line = json!({"status": format!("sha256:{}", image.id)});
    Ok(crate::http::json_lines(&[line]))
}

/// `POST /images/{name}/push?tag=`: every local tag of the repository when `tag` is empty.
pub(crate) async fn push(ctx: &Arc<Ctx>, name: &str, call: Call) -> Result<Reply, ApiError> {
    let tag = call.query.get("tag").unwrap_or_default();
    let (reference, all_tags) = match tag {
        "" => (name.to_owned(), !has_tag_or_digest(name)),
        t => (format!("{name}:{t}"), false),
    };
    let credentials = registry_auth(&call.headers)?;
    progress_stream(ctx, move |e, progress| {
        let pushed = e.push_as(&reference, all_tags, credentials, progress)?;
        // dockerd's last message for each tag: its digest and size for the client.
        Ok(pushed
            .iter()
            .map(|p| {
                json!({"progressDetail": {}, "aux": {
                    "Tag": p.reference.tag().unwrap_or("latest"),
                    "Digest": p.digest, "Size": p.size}})
            })
            .collect())
    })
    .await
}

/// `X-Registry-Auth`: base64url of `{"username", "password", "identitytoken", ...}`; `{}` or
/// none: no credentials given.
pub(crate) fn registry_auth(headers: &hyper::HeaderMap) -> Result<Option<Credentials>, ApiError> {
    let Some(value) = headers.get("X-Registry-Auth") else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad =
        || ApiError::bad("invalid X-Registry-Auth header: expected base64url of a JSON AuthConfig");
    let engines = [
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        &base64::engine::general_purpose::STANDARD,
    ];
    let bytes = engines
        .iter()
        .find_map(|e| e.decode(text).ok())
        .ok_or_else(bad)?;
    let doc: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    credentials_of(&doc)
}

/// An `AuthConfig` document's credentials (None when it has none).
pub(crate) fn credentials_of(doc: &Value) -> Result<Option<Credentials>, ApiError> {
    let text = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
    if !text("identitytoken").is_empty() {
        return Ok(Some(Credentials::IdentityToken(text("identitytoken"))));
    }
    let (mut username, mut password) = (text("username"), text("password"));
    if username.is_empty() && !text("auth").is_empty() {
        // `auth`: base64 of "user:password", as config.json keeps it.
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(text("auth"))
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::bad("invalid auth in the registry credentials"))?;
        let (u, p) = decoded.split_once(':').unwrap_or((&decoded, ""));
        (username, password) = (u.to_owned(), p.to_owned());
    }
    Ok((!username.is_empty()).then_some(Credentials::Basic { username, password }))
}

/// What a pull or push reports, sent on as Docker's progress messages.
struct ChannelProgress(mpsc::UnboundedSender<Value>);

impl Progress for ChannelProgress {
    fn report(&self, event: Event) {
        let _ = self.0.send(message(&event));
    }
}

/// One progress report as dockerd's JSON message.
fn message(event: &Event) -> Value {
    match event {
        Event::Line(line) => match line.split_once(": Pulling from ") {
            Some((id, repo)) => json!({"status": format!("Pulling from {repo}"), "id": id}),
            None => json!({"status": line}),
        },
        Event::Layer { id, status } => {
            let detail = match status {
                LayerStatus::Downloading { current, total } => {
                    json!({"current": current, "total": total})
                }
                LayerStatus::Pushing { current, total } => match total {
                    Some(t) => json!({"current": current, "total": t}),
                    None => json!({"current": current}),
                },
                _ => json!({}),
            };
            json!({"status": status.text(), "progressDetail": detail, "id": id})
        }
    }
}

/// Runs `work` on the blocking pool and answers with its progress: the error document if it
/// fails before reporting anything, else a stream of messages (an error message last if it
/// fails later), then the messages `work` returns.
async fn progress_stream<F>(ctx: &Arc<Ctx>, work: F) -> Result<Reply, ApiError>
where
    F: FnOnce(&six_engine::Engine, &dyn Progress) -> Result<Vec<Value>, ApiError> + Send + 'static,
{
    let (events_tx, mut events) = mpsc::unbounded_channel::<Value>();
    let ctx2 = ctx.clone();
    let mut done = tokio::spawn(async move {
        ctx2.call(move |e| work(e, &ChannelProgress(events_tx)))
            .await
    });
    // Wait for the first message or the end, whichever comes first.
    let first = tokio::select! {
        biased;
        m = events.recv() => m,
        outcome = &mut done => {
            let outcome = outcome.map_err(|e| ApiError::internal(format!("the pull failed: {e}")))?;
            let extra = outcome?;
            let mut lines = Vec::new();
            while let Ok(m) = events.try_recv() {
                lines.push(m);
            }
            lines.extend(extra);
            return Ok(crate::http::json_lines(&lines));
        }
    };
    let (tx, reply) = streamed("application/json");
    tokio::spawn(async move {
        let send = |v: &Value| Bytes::from(format!("{v}\n"));
        if let Some(m) = first {
            if tx.send(send(&m)).await.is_err() {
                return;
            }
        }
        while let Some(m) = events.recv().await {
            if tx.send(send(&m)).await.is_err() {
                // The client left: the transfer goes on to its end (a pull killed half-way
                // keeps what it verified), unseen.
                return;
            }
        }
        let last = match done.await {
            Ok(Ok(extra)) => extra,
            Ok(Err(e)) => vec![json!({"errorDetail": {"message": e.message}, "error": e.message})],
            Err(e) => {
                let m = format!("the transfer failed: {e}");
                vec![json!({"errorDetail": {"message": m}, "error": m})]
            }
        };
        for m in &last {
            if tx.send(send(m)).await.is_err() {
                return;
            }
        }
    });
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_headers_as_clients_send_them() {
        let mut h = hyper::HeaderMap::new();
        assert_eq!(registry_auth(&h).unwrap(), None);
        // The docker CLI's `{}` when it has no credentials.
        h.insert("X-Registry-Auth", "e30=".parse().unwrap());
        assert_eq!(registry_auth(&h).unwrap(), None);
        let doc = r#"{"username":"me","password":"p?w>","serveraddress":"localhost:5000"}"#;
        let enc = base64::engine::general_purpose::URL_SAFE.encode(doc);
        h.insert("X-Registry-Auth", enc.parse().unwrap());
        assert_eq!(
            registry_auth(&h).unwrap(),
            Some(Credentials::Basic {
                username: "me".into(),
                password: "p?w>".into()
            })
        );
        h.insert("X-Registry-Auth", "%%%".parse().unwrap());
        assert_eq!(registry_auth(&h).unwrap_err().status, 400);
        let auth = json!({"auth": base64::engine::general_purpose::STANDARD.encode("u:p:q")});
        assert_eq!(
            credentials_of(&auth).unwrap(),
            Some(Credentials::Basic {
                username: "u".into(),
                password: "p:q".into()
            })
        );
    }

    #[test]
    fn progress_messages_as_dockerd_writes_them() {
        let m = message(&Event::Line("latest: Pulling from library/busybox".into()));
        assert_eq!(
            m,
            json!({"status": "Pulling from library/busybox", "id": "latest"})
        );
        let m = message(&Event::Layer {
            id: "abc".into(),
            status: LayerStatus::Downloading {
                current: 5,
                total: 10,
            },
        });
        assert_eq!(m["progressDetail"]["total"], 10);
        assert_eq!(m["status"], "Downloading");
        assert!(has_tag_or_digest("localhost:5000/a/b:v1"));
        assert!(!has_tag_or_digest("localhost:5000/a/b"));
        assert!(has_tag_or_digest("b@sha256:00"));
    }
}
