//! Part of the iptables backend: how each firewall [`Action`] is written in iptables
//! syntax, and which of the store's chains it goes in. Nothing else lives here.

use super::Action;

/// Which of the store's chains a rule goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chain {
    /// nat: DNAT of published ports.
    Dnat,
    /// nat POSTROUTING: masquerade.
    Masquerade,
    /// filter FORWARD: accept/drop.
    Forward,
    /// raw PREROUTING: drops before connection tracking and NAT.
    Guard,
}

/// The chain and the iptables match/target arguments of an action.
pub(super) fn render(action: &Action) -> (Chain, String) {
    match action {
        Action::Dnat {
            proto,
            host_ip,
            host_port,
            to,
            to_port,
        } => {
            let destination = host_ip.map(|ip| format!("-d {ip}/32 ")).unwrap_or_default();
            (Chain::Dnat, format!("{destination}-p {proto} -m {proto} --dport {host_port} -j DNAT --to-destination {to}:{to_port}"))
        }
        Action::AcceptPublished {
            bridge,
            to,
            proto,
            port,
        } => (
            Chain::Forward,
            format!("-d {to}/32 -o {bridge} -p {proto} -m {proto} --dport {port} -j ACCEPT"),
        ),
        Action::MasqueradeOutbound { subnet, bridge } => (
            Chain::Masquerade,
            format!("-s {subnet} ! -o {bridge} -j MASQUERADE"),
        ),
        Action::MasqueradeLocal { bridge } => (
            Chain::Masquerade,
            format!("-o {bridge} -m addrtype --src-type LOCAL -j MASQUERADE"),
        ),
        Action::MasqueradeHairpin { subnet, bridge } => (
            Chain::Masquerade,
            format!("-s {subnet} -o {bridge} -m conntrack --ctstate DNAT -j MASQUERADE"),
        ),
        Action::AcceptReplies { bridge } => (
            Chain::Forward,
            format!("-o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"),
        ),
        Action::AcceptFrom { bridge } => (Chain::Forward, format!("-i {bridge} -j ACCEPT")),
        Action::DropLeaving { bridge } => {
            (Chain::Forward, format!("-i {bridge} ! -o {bridge} -j DROP"))
        }
        Action::DropEntering { bridge } => {
            (Chain::Forward, format!("! -i {bridge} -o {bridge} -j DROP"))
        }
        Action::DropToLoopback { bridge } => {
            (Chain::Guard, format!("-i {bridge} -d 127.0.0.0/8 -j DROP"))
        }
    }
}
