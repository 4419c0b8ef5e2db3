//! `GET /containers/json?all=&limit=&filters=&size=`: the engine's filtered `ps` rows in
//! Docker's list shape (`Id`, `Names`, `Image`, `ImageID`, `Command`, `Created`, `Ports`,
//! `Labels`, `State`, `Status`, `HostConfig`, `NetworkSettings`, `Mounts`, and with `size`
//! `SizeRw` and `SizeRootFs`, as `ps -s` asks); the parts a row lacks are read from the
//! container's inspect document, so both agree.

use std::sync::Arc;

use serde_json::{json, Value};
use six_engine::filters::PsOptions;

use crate::http::{ok_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

pub(crate) async fn list(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let q = &call.query;
    let options = PsOptions {
        all: q.flag("all"),
        filters: q.filters()?,
    };
    let limit = q.int("limit")?.filter(|n| *n > 0).map(|n| n as usize);
    let size = q.flag("size");
    let rows = ctx
        .call_to_read(move |e| {
            let mut rows = e.list_filtered(&options)?;
            if let Some(n) = limit {
                rows.truncate(n);
            }
            let mut out = Vec::new();
            for row in rows {
                // Removed since the listing: not listed.
                let Ok(doc) = e.inspect(&row.id) else {
                    continue;
                };
                let mut item = summary(&row, &doc);
                if size {
                    let (rw, root) = e.container_size(&row.id).unwrap_or_default();
                    item["SizeRw"] = json!(rw);
                    item["SizeRootFs"] = json!(root);
                }
                out.push(item);
            }
            Ok(out)
        })
        .await?;
    Ok(ok_json(&Value::Array(rows)))
}

/// One container as `GET /containers/json` (and `/system/df`) lists it.
pub(crate) fn summary(row: &six_engine::ContainerSummary, doc: &Value) -> Value {
    json!({
        "Id": row.id,
        "Names": [format!("/{}", row.names)],
        "Image": row.image,
        "ImageID": doc["Image"],
        "Command": row.command_line,
        "Created": row.created_at.timestamp(),
        "Ports": ports(&doc["NetworkSettings"]["Ports"]),
        "Labels": row.labels,
        "State": row.state,
        "Status": row.status,
        "HostConfig": {"NetworkMode": doc["HostConfig"]["NetworkMode"]},
        "NetworkSettings": {"Networks": doc["NetworkSettings"]["Networks"]},
        "Mounts": doc["Mounts"],
    })
}

/// Inspect's `{"80/tcp": [{"HostIp", "HostPort"}]}` → the list's
/// `[{"IP", "PrivatePort", "PublicPort", "Type"}]`.
fn ports(map: &Value) -> Value {
    let mut out = Vec::new();
    for (key, bindings) in map.as_object().into_iter().flatten() {
        let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
        let private: u16 = port.parse().unwrap_or(0);
        match bindings.as_array().filter(|a| !a.is_empty()) {
            None => out.push(json!({"PrivatePort": private, "Type": proto})),
            Some(list) => {
                for b in list {
                    let public: u16 = b["HostPort"]
                        .as_str()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(0);
                    out.push(json!({
                        "IP": b["HostIp"].as_str().unwrap_or("0.0.0.0"),
                        "PrivatePort": private, "PublicPort": public, "Type": proto,
                    }));
                }
            }
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_ports_become_list_ports() {
        let p =
            ports(&json!({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "53/udp": null}));
        let p = p.as_array().unwrap();
        assert!(p.contains(
            &json!({"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"})
        ));
        assert!(p.contains(&json!({"PrivatePort": 53, "Type": "udp"})));
    }
}
