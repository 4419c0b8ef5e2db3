//! `POST /containers/{id}/update` (new resource limits and restart policy, the engine's
//! `update`) and `POST /containers/prune` (the engine's container prune).

use std::sync::Arc;

use serde_json::{json, Value};
use six_engine::UpdateRequest;

use crate::body::Fields;
use crate::http::{ok_json, read_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// Update-body fields that are not resources (refused when set, except the restart policy).
const OTHER_FIELDS: &[&str] = &["RestartPolicy", "CgroupParent", "Devices", "Ulimits"];

/// `POST /containers/{id}/update`: 200 `{"Warnings": []}`.
pub(crate) async fn update(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let u = update_request(&doc)?;
    let id = id.to_owned();
    ctx.call(move |e| Ok(e.update(&id, &u)?)).await?;
    Ok(ok_json(&json!({"Warnings": []})))
}

fn update_request(doc: &Value) -> Result<UpdateRequest, ApiError> {
    let f = Fields::of(doc, "")?;
    let mut known = OTHER_FIELDS.to_vec();
    known.extend_from_slice(crate::resources::FIELDS);
    known.extend_from_slice(crate::resources::UNSUPPORTED);
    f.refuse_unknown(&known)?;
    f.refuse_set(&["CgroupParent", "Devices", "Ulimits"])?;
    Ok(UpdateRequest {
        restart: crate::host_config::restart_policy(&f)?,
        ..crate::resources::read(&f)?
    })
}

/// `POST /containers/prune?filters=`: `{"ContainersDeleted", "SpaceReclaimed"}`.
pub(crate) async fn prune(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let report = ctx.call(move |e| Ok(e.prune_containers(&filters)?)).await?;
    Ok(ok_json(&json!({
        "ContainersDeleted": report.deleted,
        "SpaceReclaimed": report.space_reclaimed,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_bodies_as_the_docker_cli_sends_them() {
        // `docker update -m 200m --restart on-failure:3 c` (20.10: every field, zero-valued).
        let doc = json!({"BlkioWeight": 0, "CpuShares": 0, "Memory": 209715200,
            "MemorySwap": 0, "KernelMemory": 0, "PidsLimit": null, "Devices": null,
            "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3}});
        let u = update_request(&doc).unwrap();
        assert_eq!(u.memory.unwrap().bytes(), 200 << 20);
        assert_eq!(u.restart.unwrap().name(), "on-failure");
        assert!(u.cpu_shares.is_none() && u.pids_limit.is_none());
        // -1: unlimited.
        let u = update_request(&json!({"PidsLimit": -1})).unwrap();
        assert_eq!(u.pids_limit, Some(-1));
        let e = update_request(&json!({"KernelMemory": 5})).unwrap_err();
        assert!(e.message.contains("KernelMemory"), "{}", e.message);
    }
}
