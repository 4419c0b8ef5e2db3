//! The nftables backend: each store has a table of its own, `ip sixdocker-<store>`, and
//! every change is one `nft -f -` batch, which nft applies as one transaction (all of it or
//! none). No xtables lock; what is installed is read over netlink (`nftables_read.rs`), the
//! rules of the stores' tables only, with no process. The table holds:
//!
//! - `ports`: DNAT of published ports, jumped to from `nat-in` (prerouting) and
//!   `nat-local` (output) for local destinations (`fib daddr type local`);
//! - `nat-out` (postrouting): masquerade;
//! - `filter-fwd` (forward): accept/drop, an internal network's drops first;
//! - `raw-in` (prerouting, raw priority): drops before connection tracking and NAT.
//!
//! Every rule carries its tag as its comment (nft keeps 128 characters of one: a longer
//! tag is cut, [`MAX_TAG`]). Removing a store's last network deletes its table, and
//! everything in it, in one command. An accept here does not override a drop of another
//! table (nftables evaluates every base chain of a hook): a host whose iptables FORWARD
//! chain drops by default is given the iptables backend (`chosen.rs`).

use std::fmt::Write as _;
use std::process::Command;
use std::time::Duration;

use super::nftables_read;
use super::nftables_syntax::render;
use super::run::{installed, program, run_bounded};
use super::{cut, Backend, Chain, FirewallBackend, Installed, Rule, Tagged};
use crate::error::{Error, Result};

/// The longest comment nft keeps.
pub(crate) const MAX_TAG: usize = 128;
/// How long `nft` may run before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(15);

/// The chains of a store's table and their hooks (None: a regular chain).
const CHAINS: [(&str, Option<&str>); 6] = [
    ("ports", None),
    (
        "nat-in",
        Some("type nat hook prerouting priority -100; policy accept;"),
    ),
    (
        "nat-local",
        Some("type nat hook output priority -100; policy accept;"),
    ),
    (
        "nat-out",
        Some("type nat hook postrouting priority 100; policy accept;"),
    ),
    (
        "filter-fwd",
        Some("type filter hook forward priority 0; policy accept;"),
    ),
    (
        "raw-in",
        Some("type filter hook prerouting priority -300; policy accept;"),
    ),
];

/// The chains that jump to `ports` for local destinations.
const JUMPS_TO_PORTS: [&str; 2] = ["nat-in", "nat-local"];

/// The nftables backend (stateless: what it knows it reads back each time).
pub(crate) struct Nftables;

fn failure(what: String) -> Error {
    Error::Firewall {
        backend: "nftables",
        what,
    }
}

/// The table of a store.
pub(crate) fn table(store: &str) -> String {
    format!("sixdocker-{store}")
}

fn chain_name(chain: Chain) -> &'static str {
    match chain {
        Chain::Dnat => "ports",
        Chain::Masquerade => "nat-out",
        Chain::Forward => "filter-fwd",
        Chain::Guard => "raw-in",
    }
}

/// The `nft -f` input that removes `store`'s rules that `remove` takes and adds `add`,
/// with the table, its chains and the jumps when missing ("" when there is nothing to do).
pub(crate) fn batch(store: &str, now: &Installed, remove: &[Tagged], add: &[Rule]) -> String {
    let t = table(store);
    let mut lines = Vec::new();
    if !add.is_empty() {
        lines.push(format!("add table ip {t}"));
        for (name, hook) in CHAINS {
            if !now.chains.contains(&format!("{t} {name}")) {
                lines.push(match hook {
                    Some(hook) => format!("add chain ip {t} {name} {{ {hook} }}"),
                    None => format!("add chain ip {t} {name}"),
                });
            }
        }
        for from in JUMPS_TO_PORTS {
            let present = now
                .rules
                .iter()
                .any(|r| r.store == store && r.place == from && r.tag.is_none());
            if !present {
                lines.push(format!(
                    "add rule ip {t} {from} fib daddr type local jump ports"
                ));
            }
        }
    }
    for rule in now.rules.iter().filter(|r| r.store == store) {
        if rule
            .tag
            .as_deref()
            .is_some_and(|c| remove.iter().any(|t| t.matches_cut(c, MAX_TAG)))
        {
            lines.push(format!(
                "delete rule ip {t} {} handle {}",
                rule.place, rule.text
            ));
        }
    }
    for rule in add {
        let verb = if rule.action.goes_first() {
            "insert"
        } else {
            "add"
        };
        lines.push(format!(
            "{verb} rule ip {t} {} {} comment \"{}\"",
            chain_name(rule.action.chain()),
            render(&rule.action),
            cut(&rule.tag, MAX_TAG)
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    lines.join("\n") + "\n"
}

/// The `nft -f` input that removes `store`'s table with all in it ("" when it has none).
fn removal(store: &str, now: &Installed) -> String {
    if now.stores.iter().any(|s| s == store) {
        format!("delete table ip {}\n", table(store))
    } else {
        String::new()
    }
}

/// Runs `nft` with `args` and `input`; its stdout. With `--trace`, a batch's lines are
/// its steps.
#[track_caller]
fn nft(args: &[&str], input: &str) -> Result<String> {
    let what = format!("nft {}", args.join(" "));
    let step = six_trace::begin().filter(|_| !input.is_empty());
    let ran = run_bounded(
        Command::new(program("nft")).args(args),
        input.as_bytes(),
        RUN_LIMIT,
    );
    if let Some(t) = step {
        let changes: Vec<String> = input.lines().map(str::to_owned).collect();
        super::run::trace_batch(t, &what, &ran, &changes);
    }
    let output = ran.map_err(|e| failure(format!("running {what}: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr.lines().next().unwrap_or("").trim().to_string();
        return Err(failure(format!("{what} failed: {first}")));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Is nftables usable here for our rules? Err says why not: no `nft`, no nf_tables in the
/// kernel, or iptables' FORWARD chain dropping by default (a drop our accepts cannot
/// override; the iptables backend's accepts are in that chain).
pub(crate) fn usable() -> std::result::Result<(), String> {
    if installed("nft").is_none() {
        return Err("nft is not installed".to_string());
    }
    match nftables_read::forward_drops() {
        Err(e) => Err(format!("reading nf_tables over netlink: {e}")),
        Ok(true) => Err("iptables' FORWARD chain drops by default".to_string()),
        Ok(false) => Ok(()),
    }
}

impl Backend for Nftables {
    fn kind(&self) -> FirewallBackend {
        FirewallBackend::Nftables
    }

    #[track_caller]
    fn read(&self) -> Result<Installed> {
        let read = six_trace::begin();
        let now = nftables_read::read();
        if let Some(t) = read {
            let errno = now
                .as_ref()
                .err()
                .map_or(0, |e| e.raw_os_error().unwrap_or(-1));
            t.done(six_trace::Kind::Netlink, errno, |d| {
                let what = "NFT_MSG_GETTABLE, GETCHAIN, GETRULE of each sixdocker table (ip)";
                match &now {
                    Ok(n) => write!(
                        d,
                        "{what}: {} stores, {} rules",
                        n.stores.len(),
                        n.rules.len()
                    ),
                    Err(_) => write!(d, "{what}"),
                }
            });
        }
        now.map_err(|e| failure(format!("reading nf_tables over netlink: {e}")))
    }

    #[track_caller]
    fn change(&self, store: &str, now: &Installed, remove: &[Tagged], add: &[Rule]) -> Result<()> {
        let batch = batch(store, now, remove, add);
        if batch.is_empty() {
            return Ok(());
        }
        nft(&["-f", "-"], &batch).map(drop)
    }

    #[track_caller]
    fn remove_store(&self, store: &str, now: &Installed) -> Result<()> {
        let batch = removal(store, now);
        if batch.is_empty() {
            return Ok(());
        }
        nft(&["-f", "-"], &batch).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::nftables_read::store_of_table;
    use crate::firewall::{every_action, Action, InstalledRule};

    fn rule(action: Action, tag: &str) -> Rule {
        Rule {
            action,
            tag: tag.into(),
        }
    }

    fn installed_rule(store: &str, place: &str, handle: u32, tag: Option<&str>) -> InstalledRule {
        InstalledRule {
            store: store.into(),
            tag: tag.map(str::to_string),
            published: None,
            place: place.into(),
            text: handle.to_string(),
        }
    }

    #[test]
    fn a_first_change_makes_the_table_chains_and_jumps_in_the_same_batch() {
        assert_eq!(store_of_table(&table("ab")), Some("ab"));
        let [dnat_tcp, .., drop_entering, _] = every_action();
        let (dnat, drop) = (rule(dnat_tcp, "six:n1:c1"), rule(drop_entering, "six:n1"));
        assert_eq!(
            batch("ab", &Installed::default(), &[], &[dnat, drop]),
            "add table ip sixdocker-ab\n\
             add chain ip sixdocker-ab ports\n\
             add chain ip sixdocker-ab nat-in { type nat hook prerouting priority -100; policy accept; }\n\
             add chain ip sixdocker-ab nat-local { type nat hook output priority -100; policy accept; }\n\
             add chain ip sixdocker-ab nat-out { type nat hook postrouting priority 100; policy accept; }\n\
             add chain ip sixdocker-ab filter-fwd { type filter hook forward priority 0; policy accept; }\n\
             add chain ip sixdocker-ab raw-in { type filter hook prerouting priority -300; policy accept; }\n\
             add rule ip sixdocker-ab nat-in fib daddr type local jump ports\n\
             add rule ip sixdocker-ab nat-local fib daddr type local jump ports\n\
             add rule ip sixdocker-ab ports ip daddr 127.0.0.1 tcp dport 8080 dnat to 10.0.0.2:80 comment \"six:n1:c1\"\n\
             insert rule ip sixdocker-ab filter-fwd iifname != \"six0\" oifname \"six0\" drop comment \"six:n1\"\n"
        );
    }

    #[test]
    fn later_changes_delete_by_handle_only_the_rules_their_tags_take() {
        let mut now = Installed::default();
        now.add_store("ab");
        now.add_store("cd");
        for (name, _) in CHAINS {
            now.chains.push(format!("sixdocker-ab {name}"));
        }
        now.rules = vec![
            installed_rule("ab", "nat-in", 3, None),
            installed_rule("ab", "nat-local", 5, None),
            installed_rule("ab", "ports", 9, Some("six:n1:c1")),
            installed_rule("ab", "filter-fwd", 11, Some("six:n1:c1")),
            installed_rule("ab", "nat-out", 12, Some("six:n1")),
            installed_rule("cd", "ports", 9, Some("six:n1:c1")),
        ];
        assert_eq!(
            batch("ab", &now, &[Tagged::Exactly("six:n1:c1")], &[]),
            "delete rule ip sixdocker-ab ports handle 9\n\
             delete rule ip sixdocker-ab filter-fwd handle 11\n"
        );
        let [.., accept_from, _, _, _] = every_action();
        let accept = rule(accept_from, "six:n1");
        assert_eq!(
            batch("ab", &now, &[Tagged::Exactly("six:n1")], &[accept]),
            "add table ip sixdocker-ab\n\
             delete rule ip sixdocker-ab nat-out handle 12\n\
             add rule ip sixdocker-ab filter-fwd iifname \"six0\" accept comment \"six:n1\"\n"
        );
        assert_eq!(batch("ab", &now, &[Tagged::AndBelow("six:n9")], &[]), "");
        assert_eq!(removal("ab", &now), "delete table ip sixdocker-ab\n");
        assert_eq!(removal("ef", &now), "");
    }

    #[test]
    fn a_tag_longer_than_nft_keeps_is_cut_and_still_removed() {
        let long = format!("six:{}:{}", "n".repeat(64), "c".repeat(64));
        let [.., accept_from, _, _, _] = every_action();
        let accept = rule(accept_from, &long);
        let added = batch("ab", &Installed::default(), &[], &[accept]);
        assert!(
            added.ends_with(&format!("comment \"{}\"\n", &long[..MAX_TAG])),
            "{added}"
        );
        let now = Installed {
            rules: vec![installed_rule(
                "ab",
                "filter-fwd",
                7,
                Some(&long[..MAX_TAG]),
            )],
            ..Installed::default()
        };
        assert_eq!(
            batch("ab", &now, &[Tagged::Exactly(&long)], &[]),
            "delete rule ip sixdocker-ab filter-fwd handle 7\n"
        );
    }
}
