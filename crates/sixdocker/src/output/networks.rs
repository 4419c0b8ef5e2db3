//! Network output: `network ls` rows with Docker's template fields (NETWORK ID, NAME, DRIVER,
//! SCOPE by default), and Docker's two predefined networks, `host` and `none`, which have
//! no bridge and no record in the store: they are listed and inspected, never created or
//! removed.

use chrono::{DateTime, Utc};
use six_gotemplate::{Struct, Value};
use six_network::Network;

use super::human;

/// `network ls`'s default table (docker/cli's defaultNetworkTableFormat).
pub const NETWORKS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}";

/// A network as `network ls` shows it: a store network or a predefined one.
pub struct NetworkRow {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub internal: bool,
    pub created: DateTime<Utc>,
    /// Containers attached now (for `--filter dangling`).
    pub containers: usize,
}

/// Docker's predefined networks other than `bridge`: (name, driver, ID). The IDs are fixed
/// here (Docker picks them once per daemon).
pub const PREDEFINED: [(&str, &str, &str); 2] = [
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

impl NetworkRow {
    pub fn of(n: &Network) -> NetworkRow {
        NetworkRow {
            id: n.id.clone(),
            name: n.name.clone(),
            driver: n.driver.clone(),
            internal: n.internal,
            created: DateTime::from_timestamp(n.created as i64, 0).unwrap_or_default(),
            containers: n.endpoints.len(),
        }
    }

    /// The predefined networks, dated at the epoch (they exist before anything).
    pub fn predefined() -> Vec<NetworkRow> {
        PREDEFINED
            .iter()
            .map(|(name, driver, id)| NetworkRow {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                driver: (*driver).to_owned(),
                internal: false,
                created: DateTime::UNIX_EPOCH,
                containers: 0,
            })
            .collect()
    }
}

/// The predefined network called `name_or_id` (a name, or an ID prefix), as `network inspect`
/// prints it.
pub fn predefined_document(name_or_id: &str) -> Option<serde_json::Value> {
    let (name, driver, id) = PREDEFINED.iter().find(|(name, _, id)| {
        *name == name_or_id || (!name_or_id.is_empty() && id.starts_with(name_or_id))
    })?;
    Some(serde_json::json!({
        "Name": name, "Id": id, "Created": "1970-01-01T00:00:00Z", "Scope": "local",
        "Driver": driver, "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": null, "Config": []},
        "Internal": false, "Attachable": false, "Ingress": false,
        "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
        "Containers": {}, "Options": {}, "Labels": {},
    }))
}

/// The column titles of `network ls`' fields.
pub fn networks_headers() -> Value {
    Value::map([
        ("ID", "NETWORK ID"),
        ("Name", "NAME"),
        ("Driver", "DRIVER"),
        ("Scope", "SCOPE"),
        ("IPv6", "IPV6"),
        ("Internal", "INTERNAL"),
        ("Labels", "LABELS"),
        ("CreatedAt", "CREATED AT"),
    ])
}

/// One `network ls` row with Docker's fields (a `networkContext`).
pub fn network_row(n: &NetworkRow, trunc: bool) -> Value {
    let id = if trunc { human::short_id(&n.id) } else { &n.id };
    Struct::formatter_context("*network.networkContext")
        .field("CreatedAt", human::go_time(n.created))
        .field("Driver", n.driver.as_str())
        .field("ID", id)
        .field("IPv6", "false")
        .field("Internal", n.internal.to_string())
        .field("Labels", "")
        .field("Name", n.name.as_str())
        .field("Scope", "local")
        .method("Label", |_| Ok(Value::from("")))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use six_gotemplate::docker::Format;

    #[test]
    fn predefined_networks_list_as_dockers() {
        let rows: Vec<Value> = NetworkRow::predefined()
            .iter()
            .map(|n| network_row(n, true))
            .collect();
        let text = Format::new("", NETWORKS_TABLE)
            .unwrap()
            .render(&rows, &networks_headers())
            .unwrap();
        assert_eq!(
            text,
            "NETWORK ID     NAME      DRIVER    SCOPE\n5d76a6a6d147   host      host      local\n7b5bfa5f151b   none      null      local\n"
        );
        assert_eq!(predefined_document("none").unwrap()["Driver"], "null");
        assert_eq!(predefined_document("5d76a6").unwrap()["Name"], "host");
        assert!(predefined_document("bridge").is_none());
    }
}
