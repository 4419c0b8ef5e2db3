//! Firewall rules for networks and published ports, said in words of networks and
//! containers (`Action`). One backend turns them into its own syntax and applies them:
//! `iptables` (named by [`BACKEND`]). Nothing outside this directory knows that syntax.

pub(crate) mod iptables;
mod iptables_syntax;
mod run;

use std::net::Ipv4Addr;

pub(crate) use iptables::{Firewall, Published, Saved};

use crate::{Proto, Subnet};

/// Which program the firewall rules go through, for messages and `network inspect`.
pub const BACKEND: &str = iptables::BACKEND;

/// What one rule does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Action {
    /// A published port: traffic to a local address (only `host_ip` when given) on
    /// `host_port` goes to the container at `to:to_port`.
    Dnat {
        proto: Proto,
        host_ip: Option<Ipv4Addr>,
        host_port: u16,
        to: Ipv4Addr,
        to_port: u16,
    },
    /// Forwarding into `bridge` to a published container port is allowed.
    AcceptPublished {
        bridge: String,
        to: Ipv4Addr,
        proto: Proto,
        port: u16,
    },
    /// Traffic from the subnet leaving by another interface is masqueraded (outbound NAT).
    MasqueradeOutbound { subnet: Subnet, bridge: String },
    /// Host-originated traffic into the bridge (from 127.0.0.1 too) is masqueraded.
    MasqueradeLocal { bridge: String },
    /// DNATed traffic from the subnet back into its bridge (hairpin) is masqueraded.
    MasqueradeHairpin { subnet: Subnet, bridge: String },
    /// Replies into the bridge are forwarded.
    AcceptReplies { bridge: String },
    /// Everything coming from the bridge is forwarded.
    AcceptFrom { bridge: String },
    /// Internal network: nothing from the bridge is forwarded elsewhere.
    DropLeaving { bridge: String },
    /// Internal network: nothing from elsewhere is forwarded into the bridge.
    DropEntering { bridge: String },
    /// Nothing arriving from the bridge is addressed to the host's loopback (127.0.0.0/8).
    /// The bridge has route_localnet on (so that `-p 127.0.0.1:…` can be DNATed to its
    /// containers), which would otherwise let a container hand the host a packet for
    /// 127.0.0.1 and reach services bound to loopback (CVE-2020-8558). Dropped before NAT,
    /// where the host's own replies of a 127.0.0.1 publication still carry the gateway.
    DropToLoopback { bridge: String },
}

/// A rule and its tag (`six:<network>` or `six:<network>:<container>`), by which it is removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub action: Action,
    pub tag: String,
}

/// Which rules a removal takes, by tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tagged<'a> {
    /// Rules tagged exactly so (one network's own rules, one container's rules).
    Exactly(&'a str),
    /// Rules tagged so and every tag below it (`six:net` takes `six:net:<container>` too).
    AndBelow(&'a str),
}

impl Tagged<'_> {
    pub(crate) fn matches(&self, tag: &str) -> bool {
        match self {
            Tagged::Exactly(t) => tag == *t,
            Tagged::AndBelow(t) => {
                tag == *t
                    || tag
                        .strip_prefix(t)
                        .is_some_and(|rest| rest.starts_with(':'))
            }
        }
    }
}
