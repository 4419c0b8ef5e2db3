//! Part of the iptables backend: how each firewall [`Action`] is written in iptables
//! syntax (its match and target arguments). Nothing else lives here.

use super::Action;

/// The iptables match/target arguments of an action.
pub(super) fn render(action: &Action) -> String {
    match action {
        Action::Dnat {
            proto,
            host_ip,
            host_port,
            to,
            to_port,
        } => {
            let destination = host_ip.map(|ip| format!("-d {ip}/32 ")).unwrap_or_default();
            format!("{destination}-p {proto} -m {proto} --dport {host_port} -j DNAT --to-destination {to}:{to_port}")
        }
        Action::AcceptPublished {
            bridge,
            to,
            proto,
            port,
        } => format!("-d {to}/32 -o {bridge} -p {proto} -m {proto} --dport {port} -j ACCEPT"),
        Action::MasqueradeOutbound { subnet, bridge } => {
            format!("-s {subnet} ! -o {bridge} -j MASQUERADE")
        }
        Action::MasqueradeLocal { bridge } => {
            format!("-o {bridge} -m addrtype --src-type LOCAL -j MASQUERADE")
        }
        Action::MasqueradeHairpin { subnet, bridge } => {
            format!("-s {subnet} -o {bridge} -m conntrack --ctstate DNAT -j MASQUERADE")
        }
        Action::AcceptReplies { bridge } => {
            format!("-o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        }
        Action::AcceptFrom { bridge } => format!("-i {bridge} -j ACCEPT"),
        Action::DropLeaving { bridge } => format!("-i {bridge} ! -o {bridge} -j DROP"),
        Action::DropEntering { bridge } => format!("! -i {bridge} -o {bridge} -j DROP"),
        Action::DropToLoopback { bridge } => format!("-i {bridge} -d 127.0.0.0/8 -j DROP"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::every_action;

    /// Every action's text, as iptables-save prints it back (so that a saved line is found
    /// again by its text).
    const TEXTS: [&str; 11] = [
        "-d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80",
        "-p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53",
        "-d 10.0.0.2/32 -o six0 -p udp -m udp --dport 53 -j ACCEPT",
        "-s 10.0.0.0/24 ! -o six0 -j MASQUERADE",
        "-o six0 -m addrtype --src-type LOCAL -j MASQUERADE",
        "-s 10.0.0.0/24 -o six0 -m conntrack --ctstate DNAT -j MASQUERADE",
        "-o six0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        "-i six0 -j ACCEPT",
        "-i six0 ! -o six0 -j DROP",
        "! -i six0 -o six0 -j DROP",
        "-i six0 -d 127.0.0.0/8 -j DROP",
    ];

    #[test]
    fn every_action_in_iptables_words() {
        for (action, text) in every_action().iter().zip(TEXTS) {
            assert_eq!(render(action), text, "{action:?}");
        }
    }
}
