//! `GET /events?since=&until=&filters=`: the engine's events journal as Docker's stream of
//! JSON messages, one a line, each sent as it is recorded. As dockerd: without `since` or
//! `until` only new events; with either, the kept history first; the answer ends once `until`
//! has passed, else when the client hangs up (noticed within 200 ms even when nothing
//! happens, so an idle stream holds no thread after its client has gone).

use std::sync::Arc;

use bytes::Bytes;
use chrono::Utc;
use six_engine::events::EventQuery;
use six_engine::filters::{parse_timestamp, EventFilter};

use crate::http::{streamed, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

pub(crate) async fn events(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let q = &call.query;
    let now = Utc::now();
    let time = |key: &str| -> Result<Option<(i64, u32)>, ApiError> {
        match q.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => parse_timestamp(v, now).map(Some).map_err(ApiError::from),
        }
    };
    let query = EventQuery {
        since: time("since")?,
        until: time("until")?,
        filters: q.filters()?,
    };
    // A bad filter is a 400 before the stream begins.
    EventFilter::new(&query.filters)?;
    let (tx, reply) = streamed("application/json");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let gone = tx.clone();
        let _ = ctx
            .call(move |e| {
                let mut send = |event: &six_engine::events::Event| -> std::io::Result<()> {
                    let mut line = serde_json::to_vec(event).map_err(std::io::Error::other)?;
                    line.push(b'\n');
                    tx.blocking_send(Bytes::from(line))
                        .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
                };
                // The client left: nothing more to tell it.
                let _ = e.events_while(&query, &mut send, &|| !gone.is_closed());
                Ok(())
            })
            .await;
    });
    Ok(reply)
}
