//! Container output: `ps` rows with Docker's template fields (CONTAINER ID, IMAGE, COMMAND,
//! CREATED, STATUS, PORTS, NAMES by default), `stats` rows and `port` lines, from the
//! engine's summaries.

use std::collections::BTreeMap;

use six_engine::{ContainerStats, ContainerSummary};
use six_gotemplate::{Struct, Value};
use six_network::PortMapping;

use super::human;

/// Docker truncates the command to 20 characters before quoting it.
const COMMAND_WIDTH: usize = 20;

/// `ps`'s default table (docker/cli's defaultContainerTableFormat).
pub const PS_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/// The column titles of `ps`'s fields.
pub fn ps_headers() -> Value {
    Value::map([
        ("ID", "CONTAINER ID"),
        ("Names", "NAMES"),
        ("Image", "IMAGE"),
        ("Command", "COMMAND"),
        ("CreatedAt", "CREATED AT"),
        ("RunningFor", "CREATED"),
        ("Ports", "PORTS"),
        ("State", "STATE"),
        ("Status", "STATUS"),
        ("Size", "SIZE"),
        ("Labels", "LABELS"),
        ("Mounts", "MOUNTS"),
        ("LocalVolumes", "LOCAL VOLUMES"),
        ("Networks", "NETWORKS"),
    ])
}

/// One `ps` row with Docker's fields (a `ContainerContext`): `trunc` unless `--no-trunc`;
/// `size` (written, with the image) when asked for; `labels` for `.Labels` and `.Label "k"`.
pub fn ps_row(
    c: &ContainerSummary,
    trunc: bool,
    size: Option<(u64, u64)>,
    labels: &BTreeMap<String, String>,
) -> Value {
    let (id, command) = if trunc {
        (
            human::short_id(&c.id).to_owned(),
            human::ellipsis(&c.command_line, COMMAND_WIDTH),
        )
    } else {
        (c.id.clone(), c.command_line.clone())
    };
    let mounts: Vec<String> = c
        .mounts
        .iter()
        .map(|m| {
            if trunc {
                human::ellipsis(m, 15)
            } else {
                m.clone()
            }
        })
        .collect();
    let size = size.map_or_else(
        || "0B".to_owned(),
        |(rw, rootfs)| match rootfs {
            0 => human::size(rw),
            _ => format!("{} (virtual {})", human::size(rw), human::size(rootfs)),
        },
    );
    let joined_labels: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let label_values = labels.clone();
    // Fields in name order: Docker's MarshalJSON sorts them.
    Struct::formatter_context("*formatter.ContainerContext")
        .field("Command", six_gotemplate::quote(&command))
        .field("CreatedAt", human::go_time(c.created_at))
        .field("ID", id)
        .field("Image", c.image.as_str())
        .field("Labels", joined_labels.join(","))
        .field("LocalVolumes", c.local_volumes.to_string())
        .field("Mounts", mounts.join(","))
        .field("Names", c.names.as_str())
        .field("Networks", c.networks.join(","))
        .field("Ports", c.ports.as_str())
        .field("RunningFor", c.created.as_str())
        .field("Size", size)
        .field("State", c.state.as_str())
        .field("Status", c.status.as_str())
        .method("Label", super::format::label_method(label_values))
        .into()
}

/// `stats`'s default table (docker/cli's defaultStatsTableFormat).
pub const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// The column titles of `stats`'s fields.
pub fn stats_headers() -> Value {
    Value::map([
        ("Container", "CONTAINER"),
        ("ID", "CONTAINER ID"),
        ("Name", "NAME"),
        ("CPUPerc", "CPU %"),
        ("MemUsage", "MEM USAGE / LIMIT"),
        ("MemPerc", "MEM %"),
        ("NetIO", "NET I/O"),
        ("BlockIO", "BLOCK I/O"),
        ("PIDs", "PIDS"),
    ])
}

/// One `stats` row with Docker's fields; `container` is the name or ID as the user gave it
/// (`.Container`).
pub fn stats_row(s: &ContainerStats, container: &str, trunc: bool) -> Value {
    let id = if trunc { human::short_id(&s.id) } else { &s.id };
    Struct::formatter_context("*container.statsContext")
        .field(
            "BlockIO",
            format!(
                "{} / {}",
                human::size(s.block_read),
                human::size(s.block_write)
            ),
        )
        .field("CPUPerc", format!("{:.2}%", s.cpu_percent))
        .field("Container", container)
        .field("ID", id)
        .field("MemPerc", format!("{:.2}%", s.memory_percent))
        .field(
            "MemUsage",
            format!(
                "{} / {}",
                human::binary_size(s.memory_usage),
                human::binary_size(s.memory_limit)
            ),
        )
        .field("Name", if s.name.is_empty() { "--" } else { &s.name })
        .field(
            "NetIO",
            format!("{} / {}", human::size(s.net_rx), human::size(s.net_tx)),
        )
        .field("PIDs", s.pids.to_string())
        .into()
}

/// "0.0.0.0:8080" (or "[::]:8080") for a published port.
pub fn host_address(m: &PortMapping) -> String {
    let ip = m.host_ip.map_or_else(
        || "0.0.0.0".to_owned(),
        |ip| match ip {
            std::net::IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        },
    );
    let port = m.host_port.map_or_else(String::new, |p| p.to_string());
    format!("{ip}:{port}")
}

/// `docker port`'s line: "80/tcp -> 0.0.0.0:8080".
pub fn port_line(m: &PortMapping) -> String {
    format!("{}/{} -> {}", m.container_port, m.proto, host_address(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use six_gotemplate::docker::Format;

    fn summary(command_line: &str) -> ContainerSummary {
        ContainerSummary {
            id: "0123456789abcdef0123".into(),
            image: "busybox".into(),
            command: format!("\"{command_line}\""),
            created: "5 seconds ago".into(),
            status: "Up 3 seconds".into(),
            ports: "0.0.0.0:8080->80/tcp".into(),
            names: "web".into(),
            command_line: command_line.into(),
            created_at: chrono::DateTime::from_timestamp(1_000_000_000, 0).unwrap(),
            state: "running".into(),
            networks: vec!["bridge".into()],
            mounts: vec!["/a/very/long/host/path".into()],
            local_volumes: 0,
            labels: BTreeMap::new(),
        }
    }

    fn render(format: &str, rows: &[Value]) -> String {
        Format::new(format, PS_TABLE)
            .unwrap()
            .render(rows, &ps_headers())
            .unwrap()
    }

    #[test]
    fn a_ps_row_like_dockers() {
        let no_labels = BTreeMap::new();
        let rows = [ps_row(&summary("top"), true, None, &no_labels)];
        let text = render("", &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "CONTAINER ID   IMAGE     COMMAND   CREATED         STATUS         PORTS                  NAMES"
        );
        assert_eq!(
            lines[1],
            "0123456789ab   busybox   \"top\"     5 seconds ago   Up 3 seconds   0.0.0.0:8080->80/tcp   web"
        );
    }

    #[test]
    fn commands_are_cut_then_quoted_as_go_quotes() {
        let no_labels = BTreeMap::new();
        let long = summary("nginx -g 'daemon off;'");
        let row = |trunc| ps_row(&long, trunc, None, &no_labels);
        assert_eq!(
            render("{{.Command}}", &[row(true)]),
            "\"nginx -g 'daemon of…\"\n"
        );
        assert_eq!(
            render("{{.Command}}", &[row(false)]),
            "\"nginx -g 'daemon off;'\"\n"
        );
        let quoted = summary("sh -c \"echo \\\"hi\\\"\"");
        assert_eq!(
            render("{{.Command}}", &[ps_row(&quoted, false, None, &no_labels)]),
            "\"sh -c \\\"echo \\\\\\\"hi\\\\\\\"\\\"\"\n"
        );
    }

    #[test]
    fn every_docker_field() {
        let labels: BTreeMap<String, String> = [
            ("tier".to_owned(), "web".to_owned()),
            ("a".to_owned(), "b".to_owned()),
        ]
        .into();
        let row = ps_row(&summary("top"), true, Some((12, 4_000_012)), &labels);
        assert_eq!(
            render(
                "{{.ID}}|{{.Names}}|{{.State}}|{{.Size}}|{{.Labels}}|{{.Label \"tier\"}}|{{.Label \"x\"}}|{{.Networks}}|{{.Mounts}}|{{.LocalVolumes}}|{{.RunningFor}}",
                std::slice::from_ref(&row)
            ),
            "0123456789ab|web|running|12B (virtual 4MB)|a=b,tier=web|web||bridge|/a/very/long/h…|0|5 seconds ago\n"
        );
        let json = render("{{json .}}", &[row]);
        assert!(
            json.starts_with(r#"{"Command":"\"top\"","CreatedAt":"2001-09-09 "#),
            "{json}"
        );
        assert!(
            json.contains(r#""Ports":"0.0.0.0:8080-\u003e80/tcp""#),
            "{json}"
        );
    }
}
