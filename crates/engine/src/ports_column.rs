//! `ps`'s PORTS column, as Docker's CLI writes it (`DisplayablePorts`): every port sorted
//! by container port, address, host port and protocol; exposed ports nobody publishes and
//! ports published on the same host port grouped into ranges (`90-91/tcp`,
//! `127.0.0.1:7000-7001->7000-7001/udp`), those first; then each port published on another
//! host port (`0.0.0.0:8080->80/tcp`).

use crate::types::{ExposedPort, PortSpec, Proto};

/// One row of Docker's port list: `ip` None for an exposed port nobody publishes.
struct Row {
    private: u16,
    ip: Option<String>,
    public: u16,
    proto: Proto,
}

/// The PORTS text of a container publishing `published` (host ports chosen) and exposing
/// `exposed` (those `published` does not cover are listed as exposed only).
pub(crate) fn ports_column(published: &[PortSpec], exposed: &[ExposedPort]) -> String {
    let mut rows: Vec<Row> = published
        .iter()
        .map(|p| Row {
            private: p.container_port,
            ip: Some(
                p.host_ip
                    .map_or_else(|| "0.0.0.0".into(), |i| i.to_string()),
            ),
            public: p.host_port.unwrap_or(0),
            proto: p.proto,
        })
        .collect();
    rows.extend(
        exposed
            .iter()
            .filter(|e| {
                !published
                    .iter()
                    .any(|p| p.container_port == e.port && p.proto == e.proto)
            })
            .map(|e| Row {
                private: e.port,
                ip: None,
                public: 0,
                proto: e.proto,
            }),
    );
    rows.sort_by(|a, b| {
        (
            a.private,
            a.ip.as_deref().unwrap_or(""),
            a.public,
            a.proto as u8,
        )
            .cmp(&(
                b.private,
                b.ip.as_deref().unwrap_or(""),
                b.public,
                b.proto as u8,
            ))
    });
    // Groups of consecutive ports by (address, protocol), in the order each group began.
    let mut groups: Vec<(Option<String>, Proto, u16, u16)> = Vec::new();
    let mut closed: Vec<String> = Vec::new();
    let mut mappings: Vec<String> = Vec::new();
    for row in rows {
        if let Some(ip) = &row.ip {
            if row.public != row.private {
                mappings.push(format!(
                    "{}->{}/{}",
                    host_and_port(ip, &row.public.to_string()),
                    row.private,
                    row.proto
                ));
                continue;
            }
        }
        match groups
            .iter_mut()
            .find(|g| g.0 == row.ip && g.1 == row.proto)
        {
            None => groups.push((row.ip, row.proto, row.private, row.private)),
            Some(g) if row.private == g.3.wrapping_add(1) => g.3 = row.private,
            Some(g) => {
                closed.push(group_text(&g.0, g.1, g.2, g.3));
                g.2 = row.private;
                g.3 = row.private;
            }
        }
    }
    closed.extend(groups.iter().map(|g| group_text(&g.0, g.1, g.2, g.3)));
    closed.extend(mappings);
    closed.join(", ")
}

/// `80/tcp`, `90-91/tcp`, `127.0.0.1:7000->7000/udp`.
fn group_text(ip: &Option<String>, proto: Proto, first: u16, last: u16) -> String {
    let ports = if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    };
    match ip {
        Some(ip) => format!("{}->{ports}/{proto}", host_and_port(ip, &ports)),
        None => format!("{ports}/{proto}"),
    }
}

/// `0.0.0.0:80`, `[::1]:80` (Go's `net.JoinHostPort`).
fn host_and_port(ip: &str, port: &str) -> String {
    if ip.contains(':') {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(p: &str) -> ExposedPort {
        ExposedPort::from_image(p).unwrap()
    }

    #[test]
    fn docker_groups_exposed_ports_and_same_port_mappings_first() {
        // What Docker 20.10's ps printed for `--expose 90-91 -p 8000-8001:80-81
        // -p 127.0.0.1:7000:7000/udp` of an image exposing 80 and 81/udp (less its [::] rows).
        let published: Vec<PortSpec> = ["8000:80", "8001:81", "127.0.0.1:7000:7000/udp"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        let exposed = [
            port("80"),
            port("81"),
            port("81/udp"),
            port("90"),
            port("91"),
            port("7000/udp"),
        ];
        assert_eq!(
            ports_column(&published, &exposed),
            "81/udp, 90-91/tcp, 127.0.0.1:7000->7000/udp, 0.0.0.0:8000->80/tcp, 0.0.0.0:8001->81/tcp"
        );
    }

    #[test]
    fn same_port_ranges_and_ipv6_addresses() {
        let published: Vec<PortSpec> = ["8000:8000", "8001:8001", "[::1]:9000:90"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            ports_column(&published, &[]),
            "0.0.0.0:8000-8001->8000-8001/tcp, [::1]:9000->90/tcp"
        );
        assert_eq!(
            ports_column(&[], &[port("80"), port("82")]),
            "80/tcp, 82/tcp"
        );
        assert_eq!(ports_column(&[], &[]), "");
    }
}
