//! Which handler answers a request: the API version (`/v1.41/...` or none: the newest), then
//! the method and the path's segments. Every answer carries Docker's headers (`Api-Version`,
//! `Docker-Experimental`, `Ostype`, `Server`); an unknown route is Docker's 404
//! `page not found`.

use std::convert::Infallible;
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request};
use six_engine::system_docs::{API_VERSION, MIN_API_VERSION};

use crate::http::{ApiError, Reply};
use crate::query::Query;
use crate::server::Ctx;
use crate::{attach, containers, exec, hijack, images, logs, system};

/// A request, taken apart for the handlers.
pub(crate) struct Call {
    pub query: Query,
    pub headers: hyper::HeaderMap,
    pub body: Incoming,
    /// The connection, once the answer (a 101) is sent: hijacking endpoints take it.
    pub upgrade: hyper::upgrade::OnUpgrade,
    /// The API version the client asked for (`/v1.41/...`), else the newest.
    pub version: (u32, u32),
}

/// Answers one request (never fails: errors become Docker's error documents).
pub(crate) async fn handle(ctx: Arc<Ctx>, req: Request<Incoming>) -> Result<Reply, Infallible> {
    let mut reply = match route(ctx, req).await {
        Ok(r) => r,
        Err(e) => e.reply(),
    };
    let h = reply.headers_mut();
    h.insert("Api-Version", HeaderValue::from_static(API_VERSION));
    h.insert("Docker-Experimental", HeaderValue::from_static("false"));
    h.insert("Ostype", HeaderValue::from_static("linux"));
    h.insert(
        "Server",
        HeaderValue::from_static(concat!("sixdocker/", env!("CARGO_PKG_VERSION"), " (linux)")),
    );
    Ok(reply)
}

async fn route(ctx: Arc<Ctx>, mut req: Request<Incoming>) -> Result<Reply, ApiError> {
    let upgrade = hyper::upgrade::on(&mut req);
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let (path, version) = strip_version(&path)?;
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(crate::query::decode)
        .collect();
    let call = Call {
        query: Query::parse(parts.uri.query()),
        headers: parts.headers,
        body,
        upgrade,
        version,
    };
    let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = &parts.method;
    let get = m == Method::GET;
    let post = m == Method::POST;
    let delete = m == Method::DELETE;
    match seg.as_slice() {
        ["_ping"] if get || m == Method::HEAD => Ok(system::ping(m == Method::HEAD)),
        ["version"] if get => Ok(system::version()),
        ["info"] if get => system::info(&ctx).await,
        ["system", "df"] if get => system::df(&ctx).await,
        ["events"] if get => crate::events::events(&ctx, call).await,
        ["auth"] if post => crate::registry::auth(&ctx, call).await,
        ["build"] if post => crate::build::build(&ctx, call).await,
        ["build", "prune"] if post => crate::build::prune(call).await,
        ["networks", rest @ ..] => crate::networks::route(&ctx, m, rest, call).await,
        ["volumes", rest @ ..] => crate::volumes::route(&ctx, m, rest, call).await,

        ["containers", "json"] if get => crate::container_list::list(&ctx, call).await,
        ["containers", "create"] if post => containers::create(&ctx, call).await,
        ["containers", "prune"] if post => crate::container_update::prune(&ctx, call).await,
        ["containers", id, "update"] if post => {
            crate::container_update::update(&ctx, id, call).await
        }
        ["containers", id, "stats"] if get => crate::stats::stats(&ctx, id, call).await,
        ["containers", id, "changes"] if get => crate::container_files::changes(&ctx, id).await,
        ["containers", id, "export"] if get => crate::container_files::export(&ctx, id).await,
        ["containers", id, "archive"] => crate::archive::route(&ctx, m, id, call).await,
        ["containers", id, "json"] if get => containers::inspect(&ctx, id).await,
        ["containers", id, "logs"] if get => logs::logs(&ctx, id, call).await,
        ["containers", id, "top"] if get => containers::top(&ctx, id).await,
        ["containers", id, "wait"] if post => crate::wait::wait(&ctx, id, call).await,
        ["containers", id, "attach"] if post => {
            let prepared = attach::prepare(&ctx, id, &call.query).await?;
            hijack::answer(&call.headers, call.upgrade, prepared)
        }
        ["containers", id, "resize"] if post => attach::resize(&ctx, id, &call.query).await,
        ["containers", id, "exec"] if post => exec::create(&ctx, id, call).await,
        ["exec", id, "start"] if post => {
            let body = crate::http::read_body(call.body, crate::http::MAX_JSON_BODY).await?;
            let prepared = exec::prepare_start(&ctx, id, &body).await?;
            hijack::answer(&call.headers, call.upgrade, prepared)
        }
        ["exec", id, "resize"] if post => exec::resize(&ctx, id, &call.query).await,
        ["exec", id, "json"] if get => exec::inspect(&ctx, id).await,
        ["containers", id, action] if post => containers::action(&ctx, id, action, call).await,
        ["containers", id] if delete => containers::remove(&ctx, id, call).await,

        ["commit"] if post => crate::image_admin::commit(&ctx, call).await,
        ["images", "json"] if get => images::list(&ctx, call).await,
        ["images", "load"] if post => images::load(&ctx, call).await,
        ["images", "create"] if post => crate::image_pull::create(&ctx, call).await,
        ["images", "prune"] if post => crate::image_admin::prune(&ctx, call).await,
        ["images", name @ .., "history"] if get && !name.is_empty() => {
            crate::image_admin::history(&ctx, &name.join("/")).await
        }
        ["images", name @ .., "push"] if post && !name.is_empty() => {
            crate::image_pull::push(&ctx, &name.join("/"), call).await
        }
        ["images", "get"] if get => images::save(&ctx, call.query.all("names")).await,
        ["images", name @ .., "get"] if get && !name.is_empty() => {
            images::save(&ctx, vec![&name.join("/")]).await
        }
        ["images", name @ .., "json"] if get && !name.is_empty() => {
            images::inspect(&ctx, &name.join("/")).await
        }
        ["images", name @ .., "tag"] if post && !name.is_empty() => {
            images::tag(&ctx, &name.join("/"), call).await
        }
        ["images", name @ ..] if delete && !name.is_empty() => {
            images::remove(&ctx, &name.join("/"), call).await
        }
        _ => Err(ApiError::new(404, "page not found")),
    }
}

/// The path without its `/vX.Y` prefix, if it has one, and the version asked for (none: the
/// newest); a version outside 1.24–1.41 is refused as Docker refuses it.
pub(crate) fn strip_version(path: &str) -> Result<(&str, (u32, u32)), ApiError> {
    let min = parse_version(MIN_API_VERSION).unwrap_or((1, 24));
    let max = parse_version(API_VERSION).unwrap_or((1, 41));
    let Some(rest) = path.strip_prefix("/v") else {
        return Ok((path, max));
    };
    let (version, after) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let Some(v) = parse_version(version) else {
        return Ok((path, max));
    };
    if v < min {
        return Err(ApiError::bad(format!(
            "client version {version} is too old. Minimum supported API version is {MIN_API_VERSION}, please upgrade your client to a newer version"
        )));
    }
    if v > max {
        return Err(ApiError::bad(format!(
            "client version {version} is too new. Maximum supported API version is {API_VERSION}"
        )));
    }
    Ok((after, v))
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_stripped_or_refused() {
        assert_eq!(
            strip_version("/v1.41/containers/json").unwrap(),
            ("/containers/json", (1, 41))
        );
        assert_eq!(strip_version("/v1.24/_ping").unwrap(), ("/_ping", (1, 24)));
        assert_eq!(strip_version("/_ping").unwrap(), ("/_ping", (1, 41)));
        assert_eq!(strip_version("/volumes").unwrap(), ("/volumes", (1, 41)));
        assert!(strip_version("/v1.12/info")
            .unwrap_err()
            .message
            .contains("too old"));
        assert!(strip_version("/v1.99/info")
            .unwrap_err()
            .message
            .contains("too new"));
    }
}
