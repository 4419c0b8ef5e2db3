//! Volume output: `volume ls` rows with Docker's template fields (DRIVER and VOLUME NAME by
//! default), and `volume inspect`'s document.

use six_engine::{Volume, VolumeSummary};
use six_gotemplate::{Struct, Value};

/// `volume ls`'s default table (docker/cli's defaultVolumeTableFormat).
pub const VOLUMES_TABLE: &str = "table {{.Driver}}\t{{.Name}}";

/// The column titles of `volume ls`' fields.
pub fn volumes_headers() -> Value {
    Value::map([
        ("Name", "VOLUME NAME"),
        ("Driver", "DRIVER"),
        ("Scope", "SCOPE"),
        ("Mountpoint", "MOUNTPOINT"),
        ("Labels", "LABELS"),
        ("Links", "LINKS"),
        ("Size", "SIZE"),
        ("Availability", "AVAILABILITY"),
        ("Group", "GROUP"),
        ("Status", "STATUS"),
    ])
}

/// One `volume ls` row (a `volumeContext`). Links and Size are "N/A", as Docker shows them
/// outside `system df`.
pub fn volume_row(s: &VolumeSummary) -> Value {
    row(&s.volume, "N/A".into(), "N/A".into())
}

/// `system df -v`'s row of a volume: how many containers use it (Links) and its size.
pub fn usage_row(u: &six_engine::VolumeUsage) -> Value {
    let size = super::human::size_with_precision(u.size, 4);
    row(&u.volume, u.containers.to_string(), size)
}

fn row(v: &Volume, links: String, size: String) -> Value {
    let labels: Vec<String> = v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let label_values = v.labels.clone();
    Struct::formatter_context("*formatter.volumeContext")
        .field("Availability", "N/A")
        .field("Driver", v.driver.as_str())
        .field("Group", "N/A")
        .field("Labels", labels.join(","))
        .field("Links", links)
        .field("Mountpoint", v.mountpoint.display().to_string())
        .field("Name", v.name.as_str())
        .field("Scope", "local")
        .field("Size", size)
        .field("Status", "N/A")
        .method("Label", super::format::label_method(label_values))
        .into()
}

/// `volume inspect`'s object (six-engine's [`Volume::document`]).
pub fn inspect_json(v: &Volume) -> serde_json::Value {
    v.document()
}

#[cfg(test)]
mod tests {
    use super::*;
    use six_gotemplate::docker::Format;
    use std::collections::BTreeMap;

    fn summary() -> VolumeSummary {
        VolumeSummary {
            volume: Volume {
                name: "data".into(),
                driver: "local".into(),
                labels: BTreeMap::from([("a".into(), "b".into()), ("c".into(), String::new())]),
                options: BTreeMap::new(),
                created_at: chrono::DateTime::UNIX_EPOCH,
                mountpoint: "/r/volumes/data/_data".into(),
            },
            containers: 1,
        }
    }

    #[test]
    fn rows_and_tables_as_docker_prints_them() {
        let rows = [volume_row(&summary())];
        let table = Format::new("", VOLUMES_TABLE).unwrap();
        let text = table.render(&rows, &volumes_headers()).unwrap();
        assert_eq!(text, "DRIVER    VOLUME NAME\nlocal     data\n");
        let custom = Format::new(
            "{{.Name}} {{.Labels}} {{.Label \"a\"}} {{.Scope}} {{.Size}}",
            VOLUMES_TABLE,
        )
        .unwrap();
        assert_eq!(
            custom.render(&rows, &volumes_headers()).unwrap(),
            "data a=b,c= b local N/A\n"
        );
    }

    #[test]
    fn inspect_has_dockers_fields() {
        let doc = inspect_json(&summary().volume);
        assert_eq!(doc["CreatedAt"], "1970-01-01T00:00:00Z");
        assert_eq!(doc["Labels"]["a"], "b");
        assert_eq!(doc["Options"], serde_json::Value::Null);
        assert_eq!(doc["Scope"], "local");
    }
}
