//! Reaping what sixdocker stores that no longer exist left on the host: their bridges
//! (which would otherwise hold subnets of the default pool forever) and their firewall
//! chains. A store is alive while one of its network records is in the host-wide subnet
//! registry; anything of a store not alive, and idle (a bridge with no port in it), goes.
//!
//! It touches only devices named like ours (`six0`, `six` + 10 hex digits) and chains or
//! tables named like ours (`SIXDOCKER-` / `sixdocker-` + 8 hex digits), in both firewall
//! backends. Run it under the host-wide lock.

use std::collections::HashSet;
use std::path::Path;

use crate::bridge::short_hash;
use crate::error::{netlink, Result};
use crate::netlink::Netlink;
use crate::store::SubnetRegistry;

/// Is `name` a bridge name sixdocker gives (`six0` or `six` + 10 lowercase hex digits)?
pub(crate) fn is_our_bridge_name(name: &str) -> bool {
    name == "six0"
        || (name.len() == 13
            && name.starts_with("six")
            && name[3..]
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)))
}

/// The chain tag of the store owning the network record at `record` (<root>/network/networks/<name>.json).
fn store_tag_of(record: &Path) -> Option<String> {
    let root = record.ancestors().nth(3)?;
    Some(short_hash(&[root.as_os_str().as_encoded_bytes()], 8))
}

/// Deletes idle bridges and chains of stores that are gone. Errors about single items are
/// logged and skipped: reaping is housekeeping and never blocks the caller's own work.
pub(crate) fn reap_dead_stores(registry: &SubnetRegistry) -> Result<()> {
    let _span = tracing::debug_span!("reap_dead_stores").entered();
    let live_subnets: Vec<_> = registry.entries().map(|(subnet, _)| *subnet).collect();
    let live_tags: HashSet<String> = registry
        .entries()
        .filter_map(|(_, record)| store_tag_of(record))
        .collect();

    let mut host = Netlink::new().map_err(netlink("opening a netlink socket"))?;
    let links = host.links().map_err(netlink("listing host links"))?;
    let addresses = host
        .addresses_v4()
        .map_err(netlink("listing host addresses"))?;
    for link in links.iter().filter(|l| is_our_bridge_name(&l.name)) {
        let live = addresses
            .iter()
            .any(|a| a.index == link.index && live_subnets.iter().any(|s| s.contains(a.ip)));
        let busy = links.iter().any(|l| l.master == Some(link.index));
        if !live && !busy {
            tracing::debug!(bridge = %link.name, "reaping the bridge of a store that is gone");
            if let Err(e) = host.delete_link(link.index) {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(bridge = %link.name, error, "reaping a dead store's bridge");
            }
        }
    }

    crate::firewall::reap_dead_stores(&live_tags);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_our_names_only() {
        assert!(is_our_bridge_name("six0"));
        assert!(is_our_bridge_name("sixc5a9326b60"));
        assert!(!is_our_bridge_name("sixC5A9326B60"));
        assert!(!is_our_bridge_name("six1"));
        assert!(!is_our_bridge_name("docker0"));
        assert_eq!(
            store_tag_of(Path::new("/var/lib/sixdocker/network/networks/bridge.json")),
            Some(short_hash(&[b"/var/lib/sixdocker"], 8))
        );
    }
}
