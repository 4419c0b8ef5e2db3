//! Hijacked connections: `POST /containers/{id}/attach` and `/exec/{id}/start` turn their
//! connection into a raw stream both ways. Docker's clients ask for that with `Connection:
//! Upgrade` + `Upgrade: tcp` and get `101`; older ones send a plain POST and get `200 OK`
//! (`application/vnd.docker.raw-stream`), then the same stream, on the same connection.
//! hyper hands over upgraded connections ([`answer`]). The older form it cannot hand over, so
//! each connection's first request is looked at here before hyper sees it ([`sniff`]): a
//! hijacking POST without `Upgrade` is answered here, anything else goes on to hyper with
//! the bytes already read ([`Prefixed`]).
//!
//! A hijacked connection is a blocking socket, relayed on a thread of its own by the
//! endpoint's [`Session`]; without a tty its output is Docker's multiplexed frames
//! ([`FrameSink`]).

use std::io::Write;
use std::os::unix::net::UnixStream as StdStream;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use six_engine::{OutputStream, StreamSink};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::UnixStream;

use crate::http::{empty, ApiError, Body, Reply};
use crate::query::Query;
use crate::server::Ctx;

/// A hijacked connection: the client's socket (blocking) and what it sent that was read
/// already.
pub(crate) struct Hijacked {
    pub sock: StdStream,
    pub first_input: Vec<u8>,
}

/// What relays a hijacked connection, on a thread of its own.
pub(crate) type Session = Box<dyn FnOnce(Hijacked) + Send + 'static>;

/// What a hijacking endpoint decided before answering.
pub(crate) enum Prepared {
    /// Hijack the connection and run this on it.
    Hijack(Session),
    /// No stream after all (a detached exec start): this status, no body.
    Answer(StatusCode),
}

/// Docker's content type of a hijacked stream (API 1.41: also with multiplexed frames).
const RAW_STREAM: &str = "application/vnd.docker.raw-stream";

/// Answers a hijacking request that came through hyper: 101 and the session on the upgraded
/// connection. A client that did not ask for the upgrade (on a connection already used for
/// other requests) is refused: its connection cannot be handed over.
pub(crate) fn answer(
    headers: &hyper::HeaderMap,
    upgrade: hyper::upgrade::OnUpgrade,
    prepared: Prepared,
) -> Result<Reply, ApiError> {
    let session = match prepared {
        Prepared::Answer(status) => return Ok(empty(status)),
        Prepared::Hijack(s) => s,
    };
    let asked = headers
        .get(hyper::header::UPGRADE)
        .is_some_and(|v| !v.is_empty());
    if !asked {
        return Err(ApiError::bad(
            "this endpoint hijacks its connection: send it with Connection: Upgrade and \
             Upgrade: tcp, or as the first request of its connection",
        ));
    }
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else {
            return; // the client went away: the session's guards clean up
        };
        let Ok(parts) = upgraded.downcast::<TokioIo<Prefixed>>() else {
            tracing::warn!("a hijacked connection of an unknown kind");
            return;
        };
        let (stream, mut first_input) = parts.io.into_inner().into_parts();
        first_input.extend_from_slice(&parts.read_buf);
        hand_over(stream, first_input, session);
    });
    let mut reply = Response::new(Body::Full(None));
    *reply.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = reply.headers_mut();
    h.insert("Content-Type", HeaderValue::from_static(RAW_STREAM));
    h.insert("Connection", HeaderValue::from_static("Upgrade"));
    h.insert("Upgrade", HeaderValue::from_static("tcp"));
    Ok(reply)
}

/// Runs `session` on `stream`, made blocking, on a thread of its own.
fn hand_over(stream: UnixStream, first_input: Vec<u8>, session: Session) {
    let sock = match stream.into_std() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "taking over a hijacked connection");
            return;
        }
    };
    if sock.set_nonblocking(false).is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("api-stream".into())
        .spawn(move || session(Hijacked { sock, first_input }));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "starting a stream's thread");
    }
}

/// A connection with the bytes read from it before hyper took it, given back first.
pub(crate) struct Prefixed {
    prefix: Bytes,
    inner: UnixStream,
}

impl Prefixed {
    fn into_parts(self) -> (UnixStream, Vec<u8>) {
        (self.inner, self.prefix.to_vec())
    }
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// The most of a first request's head read here (hyper's own limit is larger; a head this
/// long goes on to hyper, which judges it).
const MAX_HEAD: usize = 64 << 10;
/// The most of a first request's body (an exec start's JSON) read here.
const MAX_BODY: usize = 64 << 10;

/// Looks at a connection's first request: answers an older client's hijack itself (None),
/// or gives the connection, with what was read of it, to hyper.
pub(crate) async fn sniff(ctx: &Arc<Ctx>, mut stream: UnixStream) -> Option<Prefixed> {
    let mut buf = Vec::with_capacity(1024);
    let give_back = |stream, buf: Vec<u8>| {
        Some(Prefixed {
            prefix: Bytes::from(buf),
            inner: stream,
        })
    };
    let head_end = loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            break end + 4;
        }
        // Only a POST can hijack: anything else goes to hyper as soon as that is clear.
        let seen = buf.len().min(5);
        if buf[..seen] != b"POST "[..seen] || buf.len() >= MAX_HEAD {
            return give_back(stream, buf);
        }
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await;
        match read {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            // Closed or silent: hyper answers (or times out) as it does for any client.
            _ => return give_back(stream, buf),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let Some(target) = legacy_hijack(&head) else {
        return give_back(stream, buf);
    };
    let mut rest = buf.split_off(head_end);
    let length = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if length > MAX_BODY {
        let e = ApiError::new(
            413,
            format!("request body too large: the limit is {MAX_BODY} bytes"),
        );
        write_error(&mut stream, &e).await;
        return None;
    }
    while rest.len() < length {
        let mut chunk = vec![0u8; length - rest.len()];
        match tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => rest.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
    let first_input = rest.split_off(length);
    let prepared = match target {
        Target::Attach { id, query } => crate::attach::prepare(ctx, &id, &query).await,
        Target::ExecStart { id } => crate::exec::prepare_start(ctx, &id, &rest).await,
    };
    match prepared {
        Err(e) => write_error(&mut stream, &e).await,
        Ok(Prepared::Answer(status)) => {
            let head = format!(
                "HTTP/1.1 {} {}\r\nContent-Length: 0\r\nConnection: close\r\n{}\r\n",
                status.as_u16(),
                status.canonical_reason().unwrap_or(""),
                docker_headers()
            );
            let _ = stream.write_all(head.as_bytes()).await;
        }
        Ok(Prepared::Hijack(session)) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {RAW_STREAM}\r\n{}\r\n",
                docker_headers()
            );
            if stream.write_all(head.as_bytes()).await.is_ok() {
                hand_over(stream, first_input, session);
            }
        }
    }
    None
}

/// Which endpoint an older client's hijack is for.
enum Target {
    Attach { id: String, query: Query },
    ExecStart { id: String },
}

/// The hijacking endpoint a request head without `Upgrade` asks for, if any.
fn legacy_hijack(head: &str) -> Option<Target> {
    if header(head, "upgrade").is_some() {
        return None;
    }
    let line = head.lines().next()?;
    let mut words = line.split(' ');
    let (method, uri) = (words.next()?, words.next()?);
    if method != "POST" {
        return None;
    }
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let (path, _) = crate::router::strip_version(path).ok()?;
    let seg: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(crate::query::decode)
        .collect();
    let seg: Vec<&str> = seg.iter().map(String::as_str).collect();
    match seg.as_slice() {
        ["containers", id, "attach"] => Some(Target::Attach {
            id: (*id).to_owned(),
            query: Query::parse(Some(query)),
        }),
        ["exec", id, "start"] => Some(Target::ExecStart {
            id: (*id).to_owned(),
        }),
        _ => None,
    }
}

/// The value of header `name` (lower case) in a request head.
fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The headers every answer carries (see `router.rs`), as raw lines.
fn docker_headers() -> String {
    format!(
        "Api-Version: {}\r\nDocker-Experimental: false\r\nOstype: linux\r\nServer: sixdocker/{} (linux)\r\n",
        six_engine::system_docs::API_VERSION,
        env!("CARGO_PKG_VERSION")
    )
}

async fn write_error(stream: &mut UnixStream, e: &ApiError) {
    let body = serde_json::json!({ "message": e.message }).to_string() + "\n";
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{body}",
        status.as_u16(),
        status.canonical_reason().unwrap_or(""),
        body.len(),
        docker_headers()
    );
    let _ = stream.write_all(text.as_bytes()).await;
}

/// A hijacked connection's output: Docker's multiplexed frames (`[stream, 0, 0, 0, size as
/// big-endian u32]` then the bytes; 1 stdout, 2 stderr) without a tty, the bytes as they are
/// with one.
pub(crate) struct FrameSink {
    pub sock: StdStream,
    pub framed: bool,
}

impl StreamSink for FrameSink {
    fn output(&mut self, stream: OutputStream, data: &[u8]) -> std::io::Result<()> {
        if !self.framed {
            return self.sock.write_all(data);
        }
        let kind = match stream {
            OutputStream::Stdout => 1,
            OutputStream::Stderr => 2,
        };
        for piece in data.chunks(u32::MAX as usize) {
            let mut frame = Vec::with_capacity(8 + piece.len());
            frame.extend_from_slice(&[kind, 0, 0, 0]);
            frame.extend_from_slice(&(piece.len() as u32).to_be_bytes());
            frame.extend_from_slice(piece);
            self.sock.write_all(&frame)?;
        }
        Ok(())
    }
}

/// One stream of a [`FrameSink`] as a writer (the engine's log reader writes to two).
pub(crate) struct StreamWriter<'a> {
    pub sink: &'a std::cell::RefCell<FrameSink>,
    pub stream: OutputStream,
}

impl Write for StreamWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sink.borrow_mut().output(self.stream, buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_hijacks_are_told_apart() {
        let attach =
            "POST /v1.24/containers/web/attach?stream=1&stdout=1 HTTP/1.1\r\nHost: d\r\n\r\n";
        assert!(matches!(legacy_hijack(attach), Some(Target::Attach { id, .. }) if id == "web"));
        let upgraded =
            "POST /containers/web/attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n";
        assert!(legacy_hijack(upgraded).is_none());
        let exec = "POST /exec/abc/start HTTP/1.1\r\nContent-Length: 2\r\n\r\n";
        assert!(matches!(legacy_hijack(exec), Some(Target::ExecStart { id }) if id == "abc"));
        assert!(legacy_hijack("POST /containers/web/start HTTP/1.1\r\n\r\n").is_none());
        assert_eq!(header(exec, "content-length"), Some("2"));
    }
}
