//! Firewall rules for networks and published ports, said in words of networks and
//! containers (`Action`). A [`Backend`] turns them into its own syntax and applies them, one
//! transaction per change: `nftables` (a table of each store's own, through `nft -f`) or
//! `iptables` (chains of each store's own, through `iptables-restore`). Which one a store
//! uses is chosen once and recorded (`chosen.rs`). Nothing outside this directory knows
//! either syntax.

mod chosen;
mod iptables;
mod iptables_syntax;
mod nftables;
mod nftables_read;
mod nftables_syntax;
mod run;

use std::net::Ipv4Addr;

pub(crate) use chosen::{reap_dead_stores, Firewall};
pub use chosen::{FirewallBackend, BACKEND_ENV};

use crate::error::Result;
use crate::{Proto, Subnet};

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

/// Which of a store's chains a rule goes in (each backend names them its own way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chain {
    /// nat, for local destinations: DNAT of published ports.
    Dnat,
    /// nat POSTROUTING: masquerade.
    Masquerade,
    /// filter FORWARD: accept/drop.
    Forward,
    /// PREROUTING before connection tracking: drops before NAT.
    Guard,
}

impl Action {
    /// The chain the rule goes in.
    pub(crate) fn chain(&self) -> Chain {
        match self {
            Action::Dnat { .. } => Chain::Dnat,
            Action::MasqueradeOutbound { .. }
            | Action::MasqueradeLocal { .. }
            | Action::MasqueradeHairpin { .. } => Chain::Masquerade,
            Action::AcceptPublished { .. }
            | Action::AcceptReplies { .. }
            | Action::AcceptFrom { .. }
            | Action::DropLeaving { .. }
            | Action::DropEntering { .. } => Chain::Forward,
            Action::DropToLoopback { .. } => Chain::Guard,
        }
    }

    /// Drops go first in their chain: an internal network's drops must hold whichever
    /// network was set up first (another network's accept of everything from its bridge
    /// would otherwise let its containers into the internal one).
    pub(crate) fn goes_first(&self) -> bool {
        matches!(
            self,
            Action::DropLeaving { .. } | Action::DropEntering { .. }
        )
    }
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
        self.matches_cut(tag, usize::MAX)
    }

    /// Does it take `tag`, a tag as a backend that keeps at most `max` characters of one
    /// keeps it (nftables: 128)? Tags are ASCII (names and ids are checked).
    pub(crate) fn matches_cut(&self, tag: &str, max: usize) -> bool {
        match self {
            Tagged::Exactly(t) => tag == cut(t, max),
            Tagged::AndBelow(t) => {
                tag == cut(t, max)
                    || tag
                        .strip_prefix(t)
                        .is_some_and(|rest| rest.starts_with(':'))
            }
        }
    }
}

/// The first `max` characters of an ASCII `tag`.
pub(crate) fn cut(tag: &str, max: usize) -> &str {
    tag.get(..max).unwrap_or(tag)
}

/// Does the container part of a tag as installed (`tagged`, maybe cut short by the
/// backend) name the container `id`?
pub(crate) fn names_container(tagged: &str, id: &str, tag_len: usize) -> bool {
    tagged == id || (tag_len == nftables::MAX_TAG && id.starts_with(tagged))
}

/// A published port found in the DNAT rules of any sixdocker store on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub proto: Proto,
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
}

/// One rule of a store, as a backend found it installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InstalledRule {
    /// The store's tag (from its chain or table name).
    pub store: String,
    /// Its tag (the rule's comment); None for the backend's own plumbing (jumps).
    pub tag: Option<String>,
    /// The port it publishes, for a DNAT rule.
    pub published: Option<Published>,
    /// Where it is, in the backend's words (iptables: the table; nftables: the chain).
    pub place: String,
    /// How the backend names it (iptables: the saved `-A ...` line; nftables: its handle).
    pub text: String,
}

/// What every sixdocker store has installed in one backend, read once per change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Installed {
    pub rules: Vec<InstalledRule>,
    /// The chains (iptables: "TABLE CHAIN") or tables (nftables: "TABLE CHAIN") present.
    pub chains: Vec<String>,
    /// The tags of the stores that have chains or a table (each once).
    pub stores: Vec<String>,
}

impl Installed {
    /// The tags of `store`'s rules.
    pub(crate) fn tags<'a>(&'a self, store: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.rules
            .iter()
            .filter(move |r| r.store == store)
            .filter_map(|r| r.tag.as_deref())
    }

    /// Has `store` any tagged rule left?
    pub(crate) fn has_rules(&self, store: &str) -> bool {
        self.tags(store).next().is_some()
    }

    /// Every port published by any store.
    pub(crate) fn published(&self) -> Vec<Published> {
        self.rules
            .iter()
            .filter_map(|r| r.published.clone())
            .collect()
    }

    /// Records that `store` has something (a chain, a table), once.
    pub(crate) fn add_store(&mut self, store: &str) {
        if !self.stores.iter().any(|s| s == store) {
            self.stores.push(store.to_string());
        }
    }
}

/// One firewall program and its syntax. Stores are named by their tag (8 hex digits of
/// the hash of their root); a backend touches nothing but the chains or table it made
/// for a store.
pub(crate) trait Backend: Send + Sync {
    /// Which one it is.
    fn kind(&self) -> FirewallBackend;
    /// Reads what every store has installed.
    fn read(&self) -> Result<Installed>;
    /// One transaction: removes `store`'s rules whose tag `remove` takes, adds `add`, and
    /// makes the store's chains or table (and the jumps into them) when missing.
    #[track_caller]
    fn change(&self, store: &str, now: &Installed, remove: &[Tagged], add: &[Rule]) -> Result<()>;
    /// Removes everything `store` has (chains and jumps, or its table).
    #[track_caller]
    fn remove_store(&self, store: &str, now: &Installed) -> Result<()>;
}

/// One action of each kind, in this order, for the backends' tests: DNAT of tcp
/// 127.0.0.1:8080 and of udp 5353 (to 10.0.0.2:80 and :53), then accept published, the three
/// masquerades, accept replies, accept from, drop leaving, drop entering, drop to loopback;
/// bridge `six0`, subnet 10.0.0.0/24.
#[cfg(test)]
pub(crate) fn every_action() -> [Action; 11] {
    let subnet: Subnet = "10.0.0.0/24".parse().unwrap_or_else(|e| panic!("{e}"));
    let bridge = || "six0".to_string();
    let container = Ipv4Addr::new(10, 0, 0, 2);
    [
        Action::Dnat {
            proto: Proto::Tcp,
            host_ip: Some(Ipv4Addr::LOCALHOST),
            host_port: 8080,
            to: container,
            to_port: 80,
        },
        Action::Dnat {
            proto: Proto::Udp,
            host_ip: None,
            host_port: 5353,
            to: container,
            to_port: 53,
        },
        Action::AcceptPublished {
            bridge: bridge(),
            to: container,
            proto: Proto::Udp,
            port: 53,
        },
        Action::MasqueradeOutbound {
            subnet,
            bridge: bridge(),
        },
        Action::MasqueradeLocal { bridge: bridge() },
        Action::MasqueradeHairpin {
            subnet,
            bridge: bridge(),
        },
        Action::AcceptReplies { bridge: bridge() },
        Action::AcceptFrom { bridge: bridge() },
        Action::DropLeaving { bridge: bridge() },
        Action::DropEntering { bridge: bridge() },
        Action::DropToLoopback { bridge: bridge() },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_matching() {
        assert!(Tagged::AndBelow("six:n1").matches("six:n1:c1"));
        assert!(Tagged::AndBelow("six:n1").matches("six:n1"));
        assert!(!Tagged::AndBelow("six:n1").matches("six:n10"));
        assert!(!Tagged::Exactly("six:n1").matches("six:n1:c1"));
        // a tag cut to a backend's length still matches what it was cut from
        let long = format!("six:{}:{}", "n".repeat(64), "c".repeat(64));
        let kept = cut(&long, 128);
        assert_eq!(kept.len(), 128);
        assert!(Tagged::Exactly(&long).matches_cut(kept, 128));
        assert!(Tagged::AndBelow(&format!("six:{}", "n".repeat(64))).matches_cut(kept, 128));
        assert!(!Tagged::Exactly(&long).matches(kept));
        let container = kept.rsplit(':').next().unwrap();
        assert!(names_container(container, &"c".repeat(64), kept.len()));
        assert!(!names_container("cc", &"c".repeat(64), 10));
    }
}
