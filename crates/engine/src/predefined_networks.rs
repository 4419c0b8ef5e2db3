//! Docker's two predefined networks other than `bridge`: `host` and `none`. They have no
//! bridge and no record in the store; they are listed and inspected (by the CLI and the API
//! alike, from here), never created or removed. Inspected through the engine, each lists
//! the running containers on it, as dockerd lists their endpoints.

use serde_json::{json, Value};

use crate::engine::Engine;
use crate::record::Status;

/// (name, driver, ID) of each. The IDs are fixed here (Docker picks them once per daemon).
pub const PREDEFINED_NETWORKS: [(&str, &str, &str); 2] = [
    (
        "host",
        "host",
        "5d76a6a6d14762a0000e790943b65e826459eefbe3056bd22a7dd6abaaec73dd",
    ),
    (
        "none",
        "null",
        "7b5bfa5f151bca369d9889dd9eb146e738ab8e3c1ad557223572929a49579974",
    ),
];

/// The predefined network called `name_or_id` (a name, or an ID prefix), as `network inspect`
/// shows it; None for any other name.
pub fn predefined_network_document(name_or_id: &str) -> Option<Value> {
    let (name, driver, id) = PREDEFINED_NETWORKS.iter().find(|(name, _, id)| {
        *name == name_or_id || (!name_or_id.is_empty() && id.starts_with(name_or_id))
    })?;
    Some(json!({
        "Name": name, "Id": id, "Created": "1970-01-01T00:00:00Z", "Scope": "local",
        "Driver": driver, "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": null, "Config": []},
        "Internal": false, "Attachable": false, "Ingress": false,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
        "Containers": {}, "Options": {}, "Labels": {},
    }))
}

impl Engine {
    /// The predefined network called `name_or_id` with its `Containers`: each running
    /// container on it, by id, with its name and endpoint id (the one its own document shows,
    /// `NetworkSettings.Networks.NAME.EndpointID`) and no addresses, as dockerd 20.10 shows
    /// them. None for any other name.
    pub fn inspect_predefined_network(&self, name_or_id: &str) -> Option<Value> {
        let mut doc = predefined_network_document(name_or_id)?;
        let name = doc["Name"].as_str().unwrap_or_default().to_owned();
        let id = doc["Id"].as_str().unwrap_or_default().to_owned();
        let mut containers = serde_json::Map::new();
        for (config, state) in self.reconciled_records().unwrap_or_default() {
            if state.status == Status::Running && config.networks.contains(&name) {
                let endpoint = crate::inspect::endpoint_id(&id, &config.id);
                containers.insert(
                    config.id.clone(),
                    json!({
                        "Name": config.name, "EndpointID": endpoint, "MacAddress": "",
                        "IPv4Address": "", "IPv6Address": "",
                    }),
                );
            }
        }
        doc["Containers"] = Value::Object(containers);
        Some(doc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_by_name_or_id_prefix() {
        assert_eq!(
            predefined_network_document("none").unwrap()["Driver"],
            "null"
        );
        assert_eq!(
            predefined_network_document("5d76a6").unwrap()["Name"],
            "host"
        );
        assert!(predefined_network_document("bridge").is_none());
        assert!(predefined_network_document("").is_none());
    }
}
