//! What handlers hand back: response bodies (whole, or streamed from a blocking task through a
//! channel), Docker's error document `{"message": "..."}` with the status its errdefs class
//! gives, and reading a request's body with a size cap.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Response, StatusCode};
use tokio::sync::mpsc;

/// The largest request body read into memory (JSON bodies; archives are streamed).
pub(crate) const MAX_JSON_BODY: usize = 1 << 20;

/// A response body: whole bytes, or chunks a blocking task sends as it makes them.
pub(crate) enum Body {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl HttpBody for Body {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Body::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            Body::Stream(rx) => rx.poll_recv(cx).map(|c| c.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Body::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Body::Full(None) => SizeHint::with_exact(0),
            Body::Stream(_) => SizeHint::default(),
        }
    }
}

/// A handler's answer.
pub(crate) type Reply = Response<Body>;

/// A failed request, as Docker answers it: a status and one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400: a bad parameter.
    pub(crate) fn bad(message: impl Into<String>) -> ApiError {
        ApiError::new(400, message)
    }

    /// 500: the service's own failure.
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(500, message)
    }

    /// Docker's `{"message": ...}` document with this status.
    pub(crate) fn reply(&self) -> Reply {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = json_reply(status, &serde_json::json!({ "message": self.message }));
        *r.status_mut() = status;
        r
    }
}

impl From<six_engine::Error> for ApiError {
    fn from(e: six_engine::Error) -> ApiError {
        let status = e.kind().http_status();
        // Docker's own words for what is not there: clients match on them.
        let message = match &e {
            six_engine::Error::NoSuchContainer(c) => format!("No such container: {c}"),
            six_engine::Error::Image(six_image::Error::NotFound(i)) => {
                format!("No such image: {i}")
            }
            // Docker's CLI exits 127 when the message says so, as runc's does.
            six_engine::Error::CommandNotFound { cmd, .. } => {
                format!("{e}: exec: \"{cmd}\": executable file not found in $PATH")
            }
            six_engine::Error::StartFailed { code: 127, message }
                if !message.contains("executable file not found") =>
            {
                format!("{message}: executable file not found in $PATH")
            }
            six_engine::Error::NoSuchVolume(v) => format!("get {v}: no such volume"),
            six_engine::Error::Network(six_network::Error::UnknownNetwork(n)) => {
                format!("network {n} not found")
            }
            other => six_engine::Chain(other).to_string(),
        };
        ApiError { status, message }
    }
}

impl From<six_image::Error> for ApiError {
    fn from(e: six_image::Error) -> ApiError {
        six_engine::Error::from(e).into()
    }
}

impl From<six_network::Error> for ApiError {
    fn from(e: six_network::Error) -> ApiError {
        six_engine::Error::from(e).into()
    }
}

impl From<six_registry::Error> for ApiError {
    fn from(e: six_registry::Error) -> ApiError {
        use six_engine::Classify;
        ApiError::new(e.kind().http_status(), six_engine::Chain(&e).to_string())
    }
}

/// A JSON document with this status.
pub(crate) fn json_reply(status: StatusCode, value: &serde_json::Value) -> Reply {
    let mut text = serde_json::to_vec(value).unwrap_or_default();
    text.push(b'\n');
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Body::Full(Some(Bytes::from(text))))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// 200 with JSON messages, one a line (a progress stream that ended before it began).
pub(crate) fn json_lines(lines: &[serde_json::Value]) -> Reply {
    let mut text = Vec::new();
    for l in lines {
        text.extend_from_slice(l.to_string().as_bytes());
        text.push(b'\n');
    }
    Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", "application/json")
        .body(Body::Full(Some(Bytes::from(text))))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR))
}

/// 200 with a JSON document.
pub(crate) fn ok_json(value: &serde_json::Value) -> Reply {
    json_reply(StatusCode::OK, value)
}

/// A status with no body (204 No Content, 304 Not Modified...).
pub(crate) fn empty(status: StatusCode) -> Reply {
    let mut r = Response::new(Body::Full(None));
    *r.status_mut() = status;
    r
}

/// A streamed body of this content type; the sender end goes to the task that writes it.
pub(crate) fn streamed(content_type: &str) -> (mpsc::Sender<Bytes>, Reply) {
    let (tx, rx) = mpsc::channel(16);
    let reply = Response::builder()
        .status(StatusCode::OK)
        .header("Content-Type", content_type)
        .body(Body::Stream(rx))
        .unwrap_or_else(|_| empty(StatusCode::INTERNAL_SERVER_ERROR));
    (tx, reply)
}

/// The whole request body, refused past `limit` bytes (413) without reading further.
pub(crate) async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, limit);
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(ApiError::new(
            413,
            format!("request body too large: the limit is {limit} bytes"),
        )),
        Err(e) => Err(ApiError::bad(format!("reading the request body: {e}"))),
    }
}

/// A request body parsed as JSON (an empty body is `null`): 400 naming what is wrong.
pub(crate) async fn read_json<T: serde::de::DeserializeOwned>(
    body: Incoming,
) -> Result<T, ApiError> {
    let bytes = read_body(body, MAX_JSON_BODY).await?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &bytes
    };
    serde_json::from_slice(text).map_err(|e| ApiError::bad(format!("invalid JSON body: {e}")))
}

/// A writer that sends what it is given down a streamed body, from a blocking task. A client
/// that went away makes the write fail (BrokenPipe), which stops the producer.
pub(crate) struct ChannelWriter(pub mpsc::Sender<Bytes>);

impl std::io::Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request body as a blocking reader (for an engine call on the blocking pool), fed by a
/// task that reads the connection; the reader sees the end of the body, or of the connection.
pub(crate) fn body_reader(mut body: Incoming) -> BodyReader {
    let (tx, rx) = mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { break };
            if let Ok(data) = frame.into_data() {
                if tx.send(data).await.is_err() {
                    break;
                }
            }
        }
    });
    BodyReader {
        rx,
        current: Bytes::new(),
    }
}

/// See [`body_reader`].
pub(crate) struct BodyReader {
    rx: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for BodyReader {
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
