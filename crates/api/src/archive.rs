//! `/containers/{id}/archive?path=` (`docker cp`): `HEAD` answers a path's stat in the
//! `X-Docker-Container-Path-Stat` header (base64 of `{"name", "size", "mode", "mtime",
//! "linkTarget"}`, the mode as Go's `os.FileMode`, which clients test for directories and
//! symlinks), `GET` a tar of the path with the same header, `PUT` extracts the tar of the body
//! into the directory `path` (`copyUIDGID` gives what is copied the container user's ids).
//! Each is the engine call `sixdocker cp` makes; paths resolve inside the container's root.

use std::sync::Arc;

use base64::Engine as _;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use six_engine::{CopyOptions, PathStat};

use crate::http::{body_reader, empty, streamed, ApiError, ChannelWriter, Reply};
use crate::router::Call;
use crate::server::Ctx;

const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// Routes the three methods of `/containers/{id}/archive`.
pub(crate) async fn route(
    ctx: &Arc<Ctx>,
    m: &Method,
    id: &str,
    call: Call,
) -> Result<Reply, ApiError> {
    let path = call
        .query
        .get("path")
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::bad("no path given: the archive needs ?path="))?
        .to_owned();
    let id = id.to_owned();
    match *m {
        Method::HEAD => {
            let stat = stat(ctx, &id, &path).await?;
            let mut reply = empty(StatusCode::OK);
            reply.headers_mut().insert(STAT_HEADER, header(&stat)?);
            Ok(reply)
        }
        Method::GET => get(ctx, id, path).await,
        Method::PUT => put(ctx, id, path, call).await,
        _ => Err(ApiError::new(404, "page not found")),
    }
}

async fn stat(ctx: &Arc<Ctx>, id: &str, path: &str) -> Result<PathStat, ApiError> {
    let (id, path) = (id.to_owned(), path.to_owned());
    ctx.call(move |e| Ok(e.stat_path(&id, &path)?)).await
}

/// `GET`: the stat header, then the tar (a path that is not there is a 404 before it).
async fn get(ctx: &Arc<Ctx>, id: String, path: String) -> Result<Reply, ApiError> {
    let stat = stat(ctx, &id, &path).await?;
    let (tx, mut reply) = streamed("application/x-tar");
    reply.headers_mut().insert(STAT_HEADER, header(&stat)?);
    let ctx = ctx.clone();
    tokio::spawn(async move {
        ctx.call(move |e| {
            let mut out = ChannelWriter(tx);
            // A client that hangs up ends the tar; a failure half-way can only cut it short.
            if let Err(err) = e.archive_from_container(&id, &path, CopyOptions::default(), &mut out)
            {
                tracing::warn!(container = %id, error = %six_engine::Chain(&err), "archive");
            }
            Ok(())
        })
        .await
    });
    Ok(reply)
}

/// `PUT`: the body's tar extracted into the directory `path`; 200 with no body.
async fn put(ctx: &Arc<Ctx>, id: String, path: String, call: Call) -> Result<Reply, ApiError> {
    let options = CopyOptions {
        follow_link: false,
        archive: call.query.flag("copyUIDGID"),
    };
    let mut input = body_reader(call.body);
    ctx.call(move |e| {
        e.extract_into_container(&id, &mut input, &path, options)?;
        Ok(())
    })
    .await?;
    Ok(empty(StatusCode::OK))
}

/// The stat header's value.
fn header(s: &PathStat) -> Result<HeaderValue, ApiError> {
    let doc = serde_json::json!({
        "name": s.name,
        "size": s.size,
        "mode": go_file_mode(s.mode),
        "mtime": s.mtime.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "linkTarget": s.link_target,
    });
    let text = base64::engine::general_purpose::STANDARD.encode(doc.to_string());
    HeaderValue::from_str(&text).map_err(|e| ApiError::internal(format!("the stat header: {e}")))
}

/// `st_mode` → Go's `os.FileMode` (type bits high, permissions low).
fn go_file_mode(mode: u32) -> u32 {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const DEVICE: u32 = 1 << 26;
    const NAMED_PIPE: u32 = 1 << 25;
    const SOCKET: u32 = 1 << 24;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const CHAR_DEVICE: u32 = 1 << 21;
    const STICKY: u32 = 1 << 20;
    let mut m = mode & 0o777;
    m |= match mode & libc::S_IFMT {
        libc::S_IFDIR => DIR,
        libc::S_IFLNK => SYMLINK,
        libc::S_IFBLK => DEVICE,
        libc::S_IFCHR => DEVICE | CHAR_DEVICE,
        libc::S_IFIFO => NAMED_PIPE,
        libc::S_IFSOCK => SOCKET,
        _ => 0,
    };
    for (bit, go) in [
        (libc::S_ISUID, SETUID),
        (libc::S_ISGID, SETGID),
        (libc::S_ISVTX, STICKY),
    ] {
        if mode & bit != 0 {
            m |= go;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_as_go_writes_them() {
        assert_eq!(go_file_mode(libc::S_IFDIR | 0o755), (1 << 31) | 0o755);
        assert_eq!(go_file_mode(libc::S_IFREG | 0o644), 0o644);
        assert_eq!(go_file_mode(libc::S_IFLNK | 0o777), (1 << 27) | 0o777);
        assert_eq!(
            go_file_mode(libc::S_IFDIR | libc::S_ISVTX | 0o777),
            (1 << 31) | (1 << 20) | 0o777
        );
    }
}
