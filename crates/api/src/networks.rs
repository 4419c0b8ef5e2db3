//! `/networks`: list, inspect, create, connect, disconnect, remove, prune. The documents are
//! six-engine's (`network inspect`'s), the predefined `host` and `none` included; each change
//! is the engine call `sixdocker network ...` makes. A create field the engine cannot honour
//! (IPv6, IP ranges, driver options...) is a 400 naming it.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::{json, Value};
use six_engine::filters::{filter_networks, NetworkView};
use six_network::NetworkSpec;

use crate::body::Fields;
use crate::http::{empty, json_reply, ok_json, read_json, ApiError, Reply};
use crate::router::Call;
use crate::server::Ctx;

/// Routes `/networks/...` (`rest`: the segments after `networks`).
pub(crate) async fn route(
    ctx: &Arc<Ctx>,
    m: &Method,
    rest: &[&str],
    call: Call,
) -> Result<Reply, ApiError> {
    let (get, post, delete) = (m == Method::GET, m == Method::POST, m == Method::DELETE);
    match rest {
        [] if get => list(ctx, call).await,
        ["create"] if post => create(ctx, call).await,
        ["prune"] if post => prune(ctx, call).await,
        [id] if get => inspect(ctx, id).await,
        [id] if delete => remove(ctx, id).await,
        [id, "connect"] if post => connect(ctx, id, call).await,
        [id, "disconnect"] if post => disconnect(ctx, id, call).await,
        _ => Err(ApiError::new(404, "page not found")),
    }
}

/// `GET /networks?filters=`: the store's networks and `host` and `none`, by name.
async fn list(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let docs = ctx
        .call(move |e| {
            let mut docs: Vec<(Value, usize)> = e
                .networks()?
                .list()?
                .iter()
                .map(|n| (e.inspect_network(&n.name), n.endpoints.len()))
                .filter_map(|(doc, count)| doc.ok().map(|d| (d, count)))
                .collect();
            docs.extend(
                six_engine::PREDEFINED_NETWORKS
                    .iter()
                    .filter_map(|(name, _, _)| six_engine::predefined_network_document(name))
                    .map(|d| (d, 0)),
            );
            docs.sort_by(|a, b| a.0["Name"].as_str().cmp(&b.0["Name"].as_str()));
            Ok(filter_networks(docs, view, &filters)?)
        })
        .await?;
    Ok(ok_json(&Value::Array(
        docs.into_iter().map(|(d, _)| d).collect(),
    )))
}

/// What the filters look at in a listed network.
fn view((doc, containers): &(Value, usize)) -> NetworkView {
    let text = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
    NetworkView {
        name: text("Name"),
        id: text("Id"),
        driver: text("Driver"),
        scope: text("Scope"),
        labels: serde_json::from_value(doc["Labels"].clone()).unwrap_or_default(),
        containers: *containers,
    }
}

/// `GET /networks/{id}`.
async fn inspect(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    if let Some(doc) = six_engine::predefined_network_document(id) {
        let id = id.to_owned();
        let listed = ctx
            .call(move |e| Ok(e.inspect_predefined_network(&id)))
            .await?;
        return Ok(ok_json(&listed.unwrap_or(doc)));
    }
    let id = id.to_owned();
    Ok(ok_json(
        &ctx.call(move |e| Ok(e.inspect_network(&id)?)).await?,
    ))
}

/// `POST /networks/create`: 201 `{"Id", "Warning"}`.
async fn create(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let spec = create_spec(&doc)?;
    if six_engine::predefined_network_document(&spec.name).is_some() {
        return Err(ApiError::new(
            409,
            format!("network with name {} already exists", spec.name),
        ));
    }
    let network = ctx.call(move |e| Ok(e.create_network(spec)?)).await?;
    Ok(json_reply(
        StatusCode::CREATED,
        &json!({"Id": network.id, "Warning": ""}),
    ))
}

/// Docker's `NetworkCreateRequest` → the engine's spec.
fn create_spec(doc: &Value) -> Result<NetworkSpec, ApiError> {
    let f = Fields::of(doc, "")?;
    f.refuse_unknown(&[
        "Name",
        "CheckDuplicate",
        "Driver",
        "Internal",
        "Attachable",
        "Ingress",
        "IPAM",
        "EnableIPv6",
        "Options",
        "Labels",
        "ConfigOnly",
        "ConfigFrom",
        "Scope",
    ])?;
    // `Attachable` (compose sends it on every network) only matters for swarm networks:
    // standalone containers can always join a local bridge network.
    f.refuse_set(&[
        "Ingress",
        "EnableIPv6",
        "Options",
        "ConfigOnly",
        "ConfigFrom",
    ])?;
    let name = f
        .string("Name")?
        .ok_or_else(|| ApiError::bad("no network name given: the create body needs \"Name\""))?;
    let driver = f.string("Driver")?.unwrap_or_else(|| "bridge".to_owned());
    if driver != "bridge" {
        return Err(ApiError::bad(format!(
            "network driver {driver:?} is not supported by sixdocker: only bridge"
        )));
    }
    if let Some(scope) = f.string("Scope")?.filter(|s| s != "local") {
        return Err(ApiError::bad(format!(
            "network scope {scope:?} is not supported by sixdocker: only local"
        )));
    }
    let mut spec = NetworkSpec::bridge(&name);
    spec.internal = f.boolean("Internal")?;
    spec.labels = f.string_map("Labels")?;
    if let Some(ipam) = f.object("IPAM")? {
        ipam_config(&ipam, &mut spec)?;
    }
    Ok(spec)
}

/// `IPAM: {"Driver": "default", "Config": [{"Subnet", "Gateway"}]}` (one IPv4 pool).
fn ipam_config(ipam: &Fields, spec: &mut NetworkSpec) -> Result<(), ApiError> {
    ipam.refuse_unknown(&["Driver", "Config", "Options"])?;
    ipam.refuse_set(&["Options"])?;
    if let Some(d) = ipam.string("Driver")?.filter(|d| d != "default") {
        return Err(ApiError::bad(format!(
            "IPAM.Driver {d:?} is not supported by sixdocker: only default"
        )));
    }
    let configs = ipam.list("Config")?;
    if configs.len() > 1 {
        return Err(ApiError::bad(
            "IPAM.Config: sixdocker networks have one IPv4 subnet; more than one was given",
        ));
    }
    if let Some(c) = configs.first() {
        let c = Fields::of(c, "IPAM.Config.")?;
        c.refuse_unknown(&["Subnet", "IPRange", "Gateway", "AuxiliaryAddresses"])?;
        c.refuse_set(&["IPRange", "AuxiliaryAddresses"])?;
        spec.subnet = c
            .string("Subnet")?
            .map(|s| s.parse().map_err(|e: six_network::Error| bad_value(e)))
            .transpose()?;
        spec.gateway = c
            .string("Gateway")?
            .map(|g| {
                g.parse().map_err(|_| {
                    ApiError::bad(format!(
                        "IPAM.Config.Gateway {g:?}: expected an IPv4 address"
                    ))
                })
            })
            .transpose()?;
    }
    Ok(())
}

fn bad_value(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad(e.to_string())
}

/// `DELETE /networks/{id}`: 204; the predefined ones are 403 as Docker's.
async fn remove(ctx: &Arc<Ctx>, id: &str) -> Result<Reply, ApiError> {
    let predefined = six_engine::predefined_network_document(id)
        .map(|d| d["Name"].as_str().unwrap_or(id).to_owned())
        .or_else(|| (id == six_network::DEFAULT_NETWORK).then(|| id.to_owned()));
    if let Some(name) = predefined {
        return Err(ApiError::new(
            403,
            format!("{name} is a pre-defined network and cannot be removed"),
        ));
    }
    let id = id.to_owned();
    ctx.call(move |e| Ok(e.remove_network(&id)?)).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// `POST /networks/{id}/connect` `{"Container", "EndpointConfig": {"Aliases", "IPAMConfig"}}`.
async fn connect(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let f = Fields::of(&doc, "")?;
    f.refuse_unknown(&["Container", "EndpointConfig"])?;
    let container = container_of(&f)?;
    let settings = match f.object("EndpointConfig")? {
        Some(endpoint) => crate::create_body::endpoint_settings(&endpoint)?,
        None => Default::default(),
    };
    let network = network_name(ctx, id).await?;
    ctx.call(move |e| Ok(e.connect_with(&network, &container, &settings)?))
        .await?;
    Ok(empty(StatusCode::OK))
}

/// `POST /networks/{id}/disconnect` `{"Container", "Force"}`.
async fn disconnect(ctx: &Arc<Ctx>, id: &str, call: Call) -> Result<Reply, ApiError> {
    let doc: Value = read_json(call.body).await?;
    let f = Fields::of(&doc, "")?;
    f.refuse_unknown(&["Container", "Force"])?;
    let container = container_of(&f)?;
    let network = network_name(ctx, id).await?;
    ctx.call(move |e| Ok(e.disconnect(&network, &container)?))
        .await?;
    Ok(empty(StatusCode::OK))
}

fn container_of(f: &Fields) -> Result<String, ApiError> {
    f.string("Container")?
        .ok_or_else(|| ApiError::bad("no container given: the body needs \"Container\""))
}

/// The name of the network `id` names (a name, an ID or an ID prefix; `host`, `none`).
async fn network_name(ctx: &Arc<Ctx>, id: &str) -> Result<String, ApiError> {
    if let Some(doc) = six_engine::predefined_network_document(id) {
        return Ok(doc["Name"].as_str().unwrap_or(id).to_owned());
    }
    let id = id.to_owned();
    ctx.call(move |e| Ok(e.networks()?.inspect(&id)?.name))
        .await
}

/// `POST /networks/prune?filters=`: `{"NetworksDeleted": [...]}`.
async fn prune(ctx: &Arc<Ctx>, call: Call) -> Result<Reply, ApiError> {
    let filters = call.query.filters()?;
    let report = ctx.call(move |e| Ok(e.prune_networks(&filters)?)).await?;
    Ok(ok_json(&json!({"NetworksDeleted": report.deleted})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compose_create_body_maps_to_a_spec() {
        // What docker-compose 1.29 sends for a project's default network.
        let doc = json!({"Name": "p_default", "CheckDuplicate": true, "Driver": null,
            "Options": {}, "IPAM": null, "Internal": false, "Attachable": true,
            "Labels": {"com.docker.compose.network": "default", "com.docker.compose.project": "p"}});
        let spec = create_spec(&doc).unwrap();
        assert_eq!(spec.name, "p_default");
        assert_eq!(spec.labels["com.docker.compose.project"], "p");
        let doc = json!({"Name": "n", "IPAM": {"Driver": "default",
            "Config": [{"Subnet": "10.77.0.0/24", "Gateway": "10.77.0.1"}]}});
        let spec = create_spec(&doc).unwrap();
        assert_eq!(spec.subnet.unwrap().to_string(), "10.77.0.0/24");
    }

    #[test]
    fn what_cannot_be_honoured_is_refused_by_name() {
        for (doc, named) in [
            (json!({"Name": "n", "EnableIPv6": true}), "EnableIPv6"),
            (json!({"Name": "n", "Options": {"mtu": "1400"}}), "Options"),
            (json!({"Name": "n", "Driver": "overlay"}), "overlay"),
            (json!({"Name": "n", "Bogus": 1}), "Bogus"),
            (
                json!({"Name": "n", "IPAM": {"Config": [{"Subnet": "10.1.0.0/16", "IPRange": "10.1.2.0/24"}]}}),
                "IPRange",
            ),
            (json!({"Driver": "bridge"}), "Name"),
        ] {
            let e = create_spec(&doc).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.message.contains(named), "{named}: {}", e.message);
        }
    }
}
