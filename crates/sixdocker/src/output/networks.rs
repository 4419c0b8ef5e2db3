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
    /// Its labels.
    pub labels: std::collections::BTreeMap<String, String>,
}

impl NetworkRow {
    pub fn of(n: &Network) -> NetworkRow {
        NetworkRow {
            id: n.id.clone(),
            name: n.name.clone(),
            driver: n.driver.clone(),
            internal: n.internal,
            created: DateTime::from_timestamp(n.created as i64, 0).unwrap_or_default(),
            containers: n.endpoints.len(),
            labels: n.labels.clone(),
        }
    }

    /// Docker's predefined networks other than `bridge` (six-engine's), dated at the epoch
    /// (they exist before anything).
    pub fn predefined() -> Vec<NetworkRow> {
        six_engine::PREDEFINED_NETWORKS
            .iter()
            .map(|(name, driver, id)| NetworkRow {
                id: (*id).to_owned(),
                name: (*name).to_owned(),
                driver: (*driver).to_owned(),
                internal: false,
                created: DateTime::UNIX_EPOCH,
                containers: 0,
                labels: Default::default(),
            })
            .collect()
    }
}

/// The predefined network called `name_or_id`, as `network inspect` prints it.
pub fn predefined_document(name_or_id: &str) -> Option<serde_json::Value> {
    six_engine::predefined_network_document(name_or_id)
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
    let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Struct::formatter_context("*network.networkContext")
        .field("CreatedAt", human::go_time(n.created))
        .field("Driver", n.driver.as_str())
        .field("ID", id)
        .field("IPv6", "false")
        .field("Internal", n.internal.to_string())
        .field("Labels", labels.join(","))
        .field("Name", n.name.as_str())
        .field("Scope", "local")
        .method("Label", super::format::label_method(n.labels.clone()))
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
