//! `GET /containers/{id}/stats?stream=&one-shot=`: Docker's stats documents (`cpu_stats` and
//! `precpu_stats`, `memory_stats` with memory.stat, `blkio_stats`, `pids_stats`, `networks`)
//! from the engine's raw samples, so that `docker stats` computes its percentages as it does
//! against dockerd. Streamed: one document a second, each with the previous sample as its
//! `precpu_stats`. Not streamed: two samples half a second apart (dockerd's collector gives
//! the one before), or one with `one-shot`. A container that is not running gets one
//! document of zeros, as dockerd sends.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Map, Value};
use six_engine::StatsSample;

use crate::http::{ok_json, streamed, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// How far apart a non-streamed answer's two samples are.
const ONE_SHOT_GAP: Duration = Duration::from_millis(500);
/// How often a stream sends a document.
const STREAM_INTERVAL: Duration = Duration::from_secs(1);

pub(crate) async fn stats(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let stream = call.query.get("stream").is_none() || call.query.flag("stream");
    let one_shot = call.query.flag("one-shot");
    if one_shot && stream {
        return Err(ApiError::bad("cannot have stream=true and one-shot=true"));
    }
    let probe = id.to_owned();
    // 404 before anything is sent; the name and ID for a container that is not running.
    let (id, name) = ctx
        .call(move |e| {
            let doc = e.inspect(&probe)?;
            let text = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
            Ok((text("Id"), text("Name").trim_start_matches('/').to_owned()))
        })
        .await?;
    if !stream {
        let doc = ctx
            .call(move |e| {
                let first = match e.stats_sample(&id) {
                    Ok(s) => s,
                    Err(six_engine::Error::NotRunning { .. }) => return Ok(zeros(&id, &name)),
                    Err(err) => return Err(err.into()),
                };
                if one_shot {
                    return Ok(document(&first, None));
                }
                std::thread::sleep(ONE_SHOT_GAP);
                Ok(match e.stats_sample(&id) {
                    Ok(second) => document(&second, Some(&first)),
                    Err(_) => document(&first, None),
                })
            })
            .await?;
        return Ok(ok_json(&doc));
    }
    let (tx, reply) = streamed("application/json");
    let ctx = ctx.clone();
    tokio::spawn(async move {
        let mut previous: Option<StatsSample> = None;
        loop {
            let probe = id.clone();
            let sample = ctx.call(move |e| Ok(e.stats_sample(&probe)?)).await;
            let doc = match &sample {
                Ok(s) => document(s, previous.as_ref()),
                // Not running (or gone): dockerd ends the stream with one document of zeros.
                Err(_) => zeros(&id, &name),
            };
            let mut line = doc.to_string().into_bytes();
            line.push(b'\n');
            if tx.send(Bytes::from(line)).await.is_err() {
                return;
            }
            match sample {
                Ok(s) => previous = Some(s),
                Err(_) => return,
            }
            tokio::select! {
                _ = tokio::time::sleep(STREAM_INTERVAL) => {}
                _ = tx.closed() => return,
            }
        }
    });
    Ok(reply)
}

/// The document of a container that is not running.
fn zeros(id: &str, name: &str) -> Value {
    json!({
        "read": "0001-01-01T00:00:00Z", "preread": "0001-01-01T00:00:00Z",
        "pids_stats": {}, "blkio_stats": blkio_empty(), "num_procs": 0, "storage_stats": {},
        "cpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
            "usage_in_usermode": 0}, "throttling_data": throttling(None)},
        "precpu_stats": {"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
            "usage_in_usermode": 0}, "throttling_data": throttling(None)},
        "memory_stats": {},
        "name": format!("/{name}"), "id": id,
    })
}

fn blkio_empty() -> Value {
    json!({
        "io_service_bytes_recursive": null, "io_serviced_recursive": null,
        "io_queue_recursive": null, "io_service_time_recursive": null,
        "io_wait_time_recursive": null, "io_merged_recursive": null,
        "io_time_recursive": null, "sectors_recursive": null,
    })
}

fn throttling(s: Option<&StatsSample>) -> Value {
    let t = s.map(|s| &s.cgroup.cpu.throttling);
    json!({
        "periods": t.map_or(0, |t| t.periods),
        "throttled_periods": t.map_or(0, |t| t.throttled_periods),
        "throttled_time": t.map_or(0, |t| t.throttled_time),
    })
}

/// `cpu_stats` (or `precpu_stats`) of a sample; all zeros without one.
fn cpu(s: Option<&StatsSample>) -> Value {
    let Some(s) = s else {
        return json!({"cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0,
            "usage_in_usermode": 0}, "throttling_data": throttling(None)});
    };
    let u = &s.cgroup.cpu.usage;
    let mut usage = json!({
        "total_usage": u.total,
        "usage_in_kernelmode": u.kernel,
        "usage_in_usermode": u.user,
    });
    if !u.percpu.is_empty() {
        usage["percpu_usage"] = json!(u.percpu);
    }
    json!({
        "cpu_usage": usage,
        "system_cpu_usage": s.system_cpu_ns,
        "online_cpus": s.online_cpus,
        "throttling_data": throttling(Some(s)),
    })
}

/// A list of blkio entries as Docker's `{"major", "minor", "op", "value"}` (null when empty).
fn entries<T: serde::Serialize>(list: &[T]) -> Value {
    if list.is_empty() {
        return Value::Null;
    }
    let one = |e: &T| {
        let v = serde_json::to_value(e).unwrap_or_default();
        json!({
            "major": v["major"].as_u64().unwrap_or(0),
            "minor": v["minor"].as_u64().unwrap_or(0),
            "op": v["op"].as_str().unwrap_or_default(),
            "value": v["value"].as_u64().unwrap_or(0),
        })
    };
    Value::Array(list.iter().map(one).collect())
}

/// Docker's stats document for `s`, with `previous` as its `precpu_stats`.
pub(crate) fn document(s: &StatsSample, previous: Option<&StatsSample>) -> Value {
    let m = &s.cgroup.memory;
    let mut memory = json!({
        "usage": m.usage.usage,
        "stats": m.raw,
        "limit": s.memory_limit,
    });
    if m.usage.max > 0 {
        memory["max_usage"] = json!(m.usage.max);
    }
    if m.usage.failcnt > 0 {
        memory["failcnt"] = json!(m.usage.failcnt);
    }
    let networks: Map<String, Value> = s
        .networks
        .iter()
        .map(|n| {
            (
                n.name.clone(),
                json!({
                    "rx_bytes": n.rx[0], "rx_packets": n.rx[1], "rx_errors": n.rx[2],
                    "rx_dropped": n.rx[3], "tx_bytes": n.tx[0], "tx_packets": n.tx[1],
                    "tx_errors": n.tx[2], "tx_dropped": n.tx[3],
                }),
            )
        })
        .collect();
    let b = &s.cgroup.blkio;
    let mut pids = json!({"current": s.cgroup.pids.current});
    if s.cgroup.pids.limit > 0 {
        pids["limit"] = json!(s.cgroup.pids.limit);
    }
    let rfc3339 =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    let mut doc = json!({
        "read": rfc3339(s.read),
        "preread": previous.map_or("0001-01-01T00:00:00Z".to_owned(), |p| rfc3339(p.read)),
        "pids_stats": pids,
        "blkio_stats": {
            "io_service_bytes_recursive": entries(&b.io_service_bytes_recursive),
            "io_serviced_recursive": entries(&b.io_serviced_recursive),
            "io_queue_recursive": entries(&b.io_queued_recursive),
            "io_service_time_recursive": entries(&b.io_service_time_recursive),
            "io_wait_time_recursive": entries(&b.io_wait_time_recursive),
            "io_merged_recursive": entries(&b.io_merged_recursive),
            "io_time_recursive": entries(&b.io_time_recursive),
            "sectors_recursive": entries(&b.sectors_recursive),
        },
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu(Some(s)),
        "precpu_stats": cpu(previous),
        "memory_stats": memory,
        "name": format!("/{}", s.name),
        "id": s.id,
    });
    if !networks.is_empty() {
        doc["networks"] = Value::Object(networks);
    }
    doc
}
