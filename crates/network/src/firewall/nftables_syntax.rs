//! Part of the nftables backend: how each firewall [`Action`] is written in nft's rule
//! language (its matches and statement), each the equivalent of the iptables backend's
//! rule for it (`iptables_syntax.rs`). Nothing else lives here.

use super::Action;

/// The nft matches and statement of an action. Bridge names are ours (`six…`), so quoting
/// them needs no escapes.
pub(super) fn render(action: &Action) -> String {
    match action {
        Action::Dnat {
            proto,
            host_ip,
            host_port,
            to,
            to_port,
        } => {
            let destination = host_ip
                .map(|ip| format!("ip daddr {ip} "))
                .unwrap_or_default();
            format!("{destination}{proto} dport {host_port} dnat to {to}:{to_port}")
        }
        Action::AcceptPublished {
            bridge,
            to,
            proto,
            port,
        } => format!("ip daddr {to} oifname \"{bridge}\" {proto} dport {port} accept"),
        Action::MasqueradeOutbound { subnet, bridge } => {
            format!("ip saddr {subnet} oifname != \"{bridge}\" masquerade")
        }
        // iptables' `-m addrtype --src-type LOCAL`
        Action::MasqueradeLocal { bridge } => {
            format!("oifname \"{bridge}\" fib saddr type local masquerade")
        }
        // iptables' `-m conntrack --ctstate DNAT`
        Action::MasqueradeHairpin { subnet, bridge } => {
            format!("ip saddr {subnet} oifname \"{bridge}\" ct status dnat masquerade")
        }
        Action::AcceptReplies { bridge } => {
            format!("oifname \"{bridge}\" ct state established,related accept")
        }
        Action::AcceptFrom { bridge } => format!("iifname \"{bridge}\" accept"),
        Action::DropLeaving { bridge } => {
            format!("iifname \"{bridge}\" oifname != \"{bridge}\" drop")
        }
        Action::DropEntering { bridge } => {
            format!("iifname != \"{bridge}\" oifname \"{bridge}\" drop")
        }
        Action::DropToLoopback { bridge } => {
            format!("iifname \"{bridge}\" ip daddr 127.0.0.0/8 drop")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::every_action;

    /// Every action's text, as `nft list` prints it back.
    const TEXTS: [&str; 11] = [
        "ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.0.0.2:80",
        "udp dport 5353 dnat to 10.0.0.2:53",
        "ip daddr 10.0.0.2 oifname \"six0\" udp dport 53 accept",
        "ip saddr 10.0.0.0/24 oifname != \"six0\" masquerade",
        "oifname \"six0\" fib saddr type local masquerade",
        "ip saddr 10.0.0.0/24 oifname \"six0\" ct status dnat masquerade",
        "oifname \"six0\" ct state established,related accept",
        "iifname \"six0\" accept",
        "iifname \"six0\" oifname != \"six0\" drop",
        "iifname != \"six0\" oifname \"six0\" drop",
        "iifname \"six0\" ip daddr 127.0.0.0/8 drop",
    ];

    #[test]
    fn every_action_in_nft_words() {
        for (action, text) in every_action().iter().zip(TEXTS) {
            assert_eq!(render(action), text, "{action:?}");
        }
    }
}
