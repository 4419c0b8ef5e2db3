//! Container tables: `ps` (CONTAINER ID, IMAGE, COMMAND, CREATED, STATUS, PORTS, NAMES),
//! `stats` and `port` lines, from the engine's summaries.

use six_engine::{ContainerStats, ContainerSummary};
use six_network::PortMapping;

use super::human;
use super::table::Table;

/// Docker truncates the quoted command to 20 characters inside its quotes.
const COMMAND_WIDTH: usize = 20;

pub fn ps_table(containers: &[ContainerSummary], no_trunc: bool) -> Table {
    let mut table = Table::new(&[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]);
    for c in containers {
        let (id, command) = if no_trunc {
            (c.id.clone(), c.command.clone())
        } else {
            (
                human::short_id(&c.id).to_owned(),
                truncate_quoted(&c.command),
            )
        };
        table.row(vec![
            id,
            c.image.clone(),
            command,
            c.created.clone(),
            c.status.clone(),
            c.ports.clone(),
            c.names.clone(),
        ]);
    }
    table
}

/// `"nginx -g 'daemon off;'"` → `"nginx -g 'daemon of…"`; quotes are added if missing.
fn truncate_quoted(command: &str) -> String {
    let inner = command
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(command);
    format!("\"{}\"", human::ellipsis(inner, COMMAND_WIDTH))
}

pub fn stats_table(samples: &[ContainerStats]) -> Table {
    let mut table = Table::new(&[
        "CONTAINER ID",
        "NAME",
        "CPU %",
        "MEM USAGE / LIMIT",
        "MEM %",
        "NET I/O",
        "BLOCK I/O",
        "PIDS",
    ]);
    for s in samples {
        table.row(vec![
            human::short_id(&s.id).to_owned(),
            s.name.clone(),
            format!("{:.2}%", s.cpu_percent),
            format!(
                "{} / {}",
                human::binary_size(s.memory_usage),
                human::binary_size(s.memory_limit)
            ),
            format!("{:.2}%", s.memory_percent),
            format!("{} / {}", human::size(s.net_rx), human::size(s.net_tx)),
            format!(
                "{} / {}",
                human::size(s.block_read),
                human::size(s.block_write)
            ),
            s.pids.to_string(),
        ]);
    }
    table
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

    #[test]
    fn commands_are_truncated_inside_their_quotes() {
        assert_eq!(truncate_quoted("\"top\""), "\"top\"");
        assert_eq!(truncate_quoted("top"), "\"top\"");
        assert_eq!(
            truncate_quoted("\"nginx -g 'daemon off;'\""),
            "\"nginx -g 'daemon of…\""
        );
    }

    #[test]
    fn a_ps_row_like_dockers() {
        let row = ContainerSummary {
            id: "0123456789abcdef0123".into(),
            image: "busybox".into(),
            command: "\"top\"".into(),
            created: "5 seconds ago".into(),
            status: "Up 3 seconds".into(),
            ports: "0.0.0.0:8080->80/tcp".into(),
            names: "web".into(),
        };
        let mut out = Vec::new();
        ps_table(&[row], false).write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
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
}
