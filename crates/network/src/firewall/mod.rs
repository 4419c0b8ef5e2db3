//! Firewall rules for networks and published ports. One backend, [`iptables`], chosen here;
//! the rest of the crate speaks in [`Rule`]s and tags, never in command lines.

pub(crate) mod iptables;

pub(crate) use iptables::{Firewall, Published, Rule, Saved};

/// Which program the firewall rules go through, for messages and `network inspect`.
pub const BACKEND: &str = iptables::BACKEND;
