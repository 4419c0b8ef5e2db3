//! `GET /containers/{id}/logs` (`follow`, `tail`, `timestamps`, `since`, `until`): the
//! engine's log reader, streamed. Without a tty each write is
//! one of Docker's multiplexed frames (`[stream, 0, 0, 0, size as big-endian u32]` then the
//! bytes; stream 1 stdout, 2 stderr); with a tty the bytes as they are.

use std::io::Write;
use std::sync::Arc;

use six_engine::LogOptions;

use crate::http::{streamed, ApiError, ChannelWriter, Reply};
use crate::router::Call;
use crate::server::Ctx;

pub(crate) async fn logs(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let q = &call.query;
    let (stdout, stderr) = (q.flag("stdout"), q.flag("stderr"));
    if !stdout && !stderr {
        return Err(ApiError::bad(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    // Unix timestamps as the CLIs send them (`1764957600.123456789`), or Docker's other
    // forms; 0 or none: no bound.
    let time = |key: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        let Some(v) = q.get(key).filter(|v| !v.is_empty() && *v != "0") else {
            return Ok(None);
        };
        let (secs, nanos) = six_engine::filters::parse_timestamp(v, chrono::Utc::now())
            .map_err(|e| ApiError::bad(format!("{key}: {e}")))?;
        Ok(chrono::DateTime::from_timestamp(secs, nanos))
    };
    let (since, until) = (time("since")?, time("until")?);
    let tail = match q.get("tail").unwrap_or("all") {
        "all" | "" => None,
        n => match n.parse::<i64>() {
            Ok(n) if n < 0 => None,
            Ok(n) => Some(n as usize),
            Err(_) => {
                return Err(ApiError::bad(format!(
                    "invalid tail {n:?}: expected a number or all"
                )))
            }
        },
    };
    let opts = LogOptions {
        follow: q.flag("follow"),
        tail,
        timestamps: q.flag("timestamps"),
        since,
        until,
    };
    let probe = id.to_owned();
    // Errors (no such container, no log) are answered before the stream begins.
    let (id, tty) = ctx
        .call_to_read(move |e| {
            let doc = e.inspect(&probe)?;
            let id = doc["Id"].as_str().unwrap_or(&probe).to_owned();
            Ok((id, doc["Config"]["Tty"].as_bool() == Some(true)))
        })
        .await?;
    let (tx, reply) = streamed("application/vnd.docker.raw-stream");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        ctx.call_to_read(move |e| {
            let mut out = Stream::new(ChannelWriter(tx.clone()), tty, 1, stdout);
            let mut err = Stream::new(ChannelWriter(tx), tty, 2, stderr);
            // A client that hangs up ends the copy; nothing more to tell it.
            let _ = e.logs(&id, &opts, &mut out, &mut err);
            Ok(())
        })
        .await
    });
    Ok(reply)
}

/// One of the two streams of a log: framed (no tty) or raw, or dropped when not asked for.
struct Stream {
    sink: ChannelWriter,
    tty: bool,
    kind: u8,
    wanted: bool,
}

impl Stream {
    fn new(sink: ChannelWriter, tty: bool, kind: u8, wanted: bool) -> Stream {
        Stream {
            sink,
            tty,
            kind,
            wanted,
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.wanted || buf.is_empty() {
            return Ok(buf.len());
        }
        if self.tty {
            return self.sink.write(buf);
        }
        let mut frame = Vec::with_capacity(8 + buf.len());
        frame.extend_from_slice(&[self.kind, 0, 0, 0]);
        frame.extend_from_slice(&(buf.len() as u32).to_be_bytes());
        frame.extend_from_slice(buf);
        self.sink.write_all(&frame)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
