//! The iptables backend: rules go in through `iptables-restore --noflush` batches (one exec
//! per change, applied atomically) and are read back with `iptables-save`. Both variants of
//! iptables (nf_tables and legacy) work the same.
//!
//! Each store has its own chains: `SIXDOCKER-<tag>` in nat (DNAT of published ports, jumped
//! to from PREROUTING and OUTPUT for local destinations), `SIXDOCKER-<tag>-POST` in nat
//! (masquerade, from POSTROUTING), `SIXDOCKER-<tag>` in filter (from FORWARD) and
//! `SIXDOCKER-<tag>` in raw (drops before connection tracking, from PREROUTING). Every rule
//! carries a comment tag (`six:<network>` or `six:<network>:<container>`), so removing a
//! container or a network removes exactly its own rules; an internal network's drops go
//! first in its chain. This module never decides which rules a network needs (see `portmap`
//! and `lib`), and never touches chains of others.

use std::process::Command;
use std::time::Duration;

use super::iptables_syntax::render;
use super::run::{program, run_bounded};
use super::{Backend, Chain, FirewallBackend, Installed, InstalledRule, Published, Rule, Tagged};
use crate::error::{Error, Result};
use crate::Proto;

/// How long `iptables-restore` waits for the xtables lock (`-w`) before it gives up with an
/// error of its own (legacy iptables; the nf_tables variant takes no lock).
const LOCK_WAIT_SECONDS: u32 = 5;
/// How long any iptables program may run, lock wait included, before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Nat,
    Filter,
    Raw,
}

impl Table {
    /// Every table the store has chains in.
    const ALL: [Table; 3] = [Table::Nat, Table::Filter, Table::Raw];

    fn name(self) -> &'static str {
        match self {
            Table::Nat => "nat",
            Table::Filter => "filter",
            Table::Raw => "raw",
        }
    }

    fn of(chain: Chain) -> Table {
        match chain {
            Chain::Dnat | Chain::Masquerade => Table::Nat,
            Chain::Forward => Table::Filter,
            Chain::Guard => Table::Raw,
        }
    }
}

/// The iptables backend (stateless: what it knows it reads back each time).
pub(crate) struct Iptables;

fn failure(what: String) -> Error {
    Error::Firewall {
        backend: "iptables",
        what,
    }
}

/// The DNAT/forward/guard chain of a store (`SIXDOCKER-<store>`, in nat, filter and raw).
pub(crate) fn main_chain(store: &str) -> String {
    format!("SIXDOCKER-{store}")
}

/// The masquerade chain of a store (`SIXDOCKER-<store>-POST`, in nat).
pub(crate) fn post_chain(store: &str) -> String {
    format!("SIXDOCKER-{store}-POST")
}

/// The store a chain of ours belongs to.
fn store_of(chain: &str) -> Option<&str> {
    let tag = chain.strip_prefix("SIXDOCKER-")?;
    Some(tag.strip_suffix("-POST").unwrap_or(tag))
}

fn chain_name(store: &str, chain: Chain) -> String {
    match chain {
        Chain::Dnat | Chain::Forward | Chain::Guard => main_chain(store),
        Chain::Masquerade => post_chain(store),
    }
}

/// The store's chains in `table`.
fn ours(store: &str, table: Table) -> Vec<String> {
    match table {
        Table::Nat => vec![main_chain(store), post_chain(store)],
        Table::Filter | Table::Raw => vec![main_chain(store)],
    }
}

/// The jumps from built-in chains into a store's: (table, built-in chain, match arguments,
/// its chain).
fn jumps(store: &str) -> [(Table, &'static str, &'static str, String); 5] {
    let local = "-m addrtype --dst-type LOCAL";
    [
        (Table::Nat, "PREROUTING", local, main_chain(store)),
        (Table::Nat, "OUTPUT", local, main_chain(store)),
        (Table::Nat, "POSTROUTING", "", post_chain(store)),
        (Table::Filter, "FORWARD", "", main_chain(store)),
        (Table::Raw, "PREROUTING", "", main_chain(store)),
    ]
}

/// The comment of a saved rule line, without quotes.
fn comment_of(line: &str) -> Option<&str> {
    let rest = &line[line.find("--comment ")? + "--comment ".len()..];
    if let Some(quoted) = rest.strip_prefix('"') {
        quoted.split('"').next()
    } else {
        rest.split(' ').next()
    }
}

/// The chain a saved line jumps to (`-j chain` as the last words).
fn jump_target(line: &str) -> Option<&str> {
    let (before, target) = line.rsplit_once(' ')?;
    before.ends_with(" -j").then_some(target)
}

/// The port a saved DNAT line publishes.
fn published_by(line: &str) -> Option<Published> {
    if !line.contains("-j DNAT") {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let after = |flag: &str| {
        words
            .iter()
            .position(|w| *w == flag)
            .and_then(|i| words.get(i + 1))
            .copied()
    };
    let proto = match after("-p") {
        Some("tcp") => Proto::Tcp,
        Some("udp") => Proto::Udp,
        _ => return None,
    };
    let host_port = after("--dport")?.parse().ok()?;
    let host_ip = after("-d").and_then(|d| d.trim_end_matches("/32").parse().ok());
    Some(Published {
        proto,
        host_ip,
        host_port,
    })
}

/// What the stores have, from `iptables-save` output: the rules of chains named
/// `SIXDOCKER-*` and the jumps into them.
pub(crate) fn parse(saved: &str) -> Installed {
    let mut now = Installed::default();
    let mut table = "";
    for line in saved.lines() {
        if let Some(name) = line.strip_prefix('*') {
            table = name;
        } else if let Some(declared) = line.strip_prefix(':') {
            let chain = declared.split(' ').next().unwrap_or_default();
            if let Some(store) = store_of(chain) {
                now.chains.push(format!("{table} {chain}"));
                now.add_store(store);
            }
        } else if let Some(rule) = line.strip_prefix("-A ") {
            let chain = rule.split(' ').next().unwrap_or_default();
            let (store, tag, published) = match store_of(chain) {
                Some(store) => (
                    store,
                    comment_of(line).map(str::to_string),
                    published_by(line).filter(|_| table == "nat"),
                ),
                None => match jump_target(line).and_then(store_of) {
                    Some(store) => (store, None, None),
                    None => continue,
                },
            };
            now.rules.push(InstalledRule {
                store: store.to_string(),
                tag,
                published,
                place: table.to_string(),
                text: line.to_string(),
            });
        }
    }
    now
}

/// The iptables-restore input that removes `store`'s rules that `remove` takes and adds
/// `add` (drops first in their chain), with the chains and jumps when missing ("" when
/// there is nothing to do).
pub(crate) fn batch(store: &str, now: &Installed, remove: &[Tagged], add: &[Rule]) -> String {
    let mut batch = String::new();
    for table in Table::ALL {
        let mut lines = Vec::new();
        let name = table.name();
        let adding: Vec<&Rule> = add
            .iter()
            .filter(|r| Table::of(r.action.chain()) == table)
            .collect();
        if !adding.is_empty() {
            for chain in ours(store, table) {
                if !now.chains.contains(&format!("{name} {chain}")) {
                    lines.push(format!(":{chain} - [0:0]"));
                }
            }
            for (t, builtin, matches, target) in jumps(store) {
                let present = now.rules.iter().any(|r| {
                    r.place == name
                        && r.text.starts_with(&format!("-A {builtin} "))
                        && jump_target(&r.text) == Some(&target)
                });
                if t == table && !present {
                    lines.push(format!("-A {builtin} {matches} -j {target}").replace("  ", " "));
                }
            }
        }
        for rule in now
            .rules
            .iter()
            .filter(|r| r.store == store && r.place == name)
        {
            if rule
                .tag
                .as_deref()
                .is_some_and(|c| remove.iter().any(|t| t.matches(c)))
            {
                lines.push(format!("-D {}", &rule.text[3..]));
            }
        }
        for rule in adding {
            let chain = chain_name(store, rule.action.chain());
            let at = if rule.action.goes_first() {
                format!("-I {chain} 1")
            } else {
                format!("-A {chain}")
            };
            let args = render(&rule.action);
            lines.push(format!("{at} -m comment --comment {} {args}", rule.tag));
        }
        if !lines.is_empty() {
            batch.push_str(&format!("*{name}\n{}\nCOMMIT\n", lines.join("\n")));
        }
    }
    batch
}

/// The iptables-restore input that removes `store`'s jumps and chains (and any rule still
/// in them).
fn removal(store: &str, now: &Installed) -> String {
    let mut batch = String::new();
    for table in Table::ALL {
        let name = table.name();
        let mut lines = Vec::new();
        for jump in now
            .rules
            .iter()
            .filter(|r| r.store == store && r.place == name && r.tag.is_none())
            .filter(|r| !r.text.starts_with("-A SIXDOCKER-"))
        {
            lines.push(format!("-D {}", &jump.text[3..]));
        }
        for chain in ours(store, table) {
            if now.chains.contains(&format!("{name} {chain}")) {
                lines.push(format!("-F {chain}"));
                lines.push(format!("-X {chain}"));
            }
        }
        if !lines.is_empty() {
            batch.push_str(&format!("*{name}\n{}\nCOMMIT\n", lines.join("\n")));
        }
    }
    batch
}

/// `--trace`: an iptables-restore batch as the changes it makes (`added: -t nat ...`).
fn changes(batch: &str) -> Vec<String> {
    let mut table = "filter";
    let mut out = Vec::new();
    for line in batch.lines() {
        if let Some(name) = line.strip_prefix('*') {
            table = name;
            continue;
        }
        if line == "COMMIT" || line.is_empty() {
            continue;
        }
        let (what, rest) = match line.split_at_checked(2) {
            Some(("-A", rest)) => ("added", rest),
            Some(("-I", rest)) => ("inserted", rest),
            Some(("-D", rest)) => ("removed", rest),
            Some(("-F", rest)) => ("flushed chain", rest),
            Some(("-X", rest)) => ("deleted chain", rest),
            _ => ("new chain", line.trim_start_matches(':')),
        };
        out.push(format!("{what}: -t {table} {}", rest.trim()));
    }
    out
}

impl Iptables {
    #[track_caller]
    fn restore(batch: &str) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let wait = LOCK_WAIT_SECONDS.to_string();
        let mut cmd = Command::new(program("iptables-restore"));
        cmd.args(["--noflush", "-w", &wait]);
        let step = six_trace::begin();
        let ran = run_bounded(&mut cmd, batch.as_bytes(), RUN_LIMIT);
        if let Some(t) = step {
            super::run::trace_batch(t, "iptables-restore --noflush", &ran, &changes(batch));
        }
        let output = ran.map_err(|e| failure(format!("running iptables-restore: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().next().unwrap_or("").trim().to_string();
            return Err(failure(format!(
                "iptables-restore refused the rules: {first}"
            )));
        }
        Ok(())
    }
}

impl Backend for Iptables {
    fn kind(&self) -> FirewallBackend {
        FirewallBackend::Iptables
    }

    fn read(&self) -> Result<Installed> {
        let output = run_bounded(&mut Command::new(program("iptables-save")), b"", RUN_LIMIT)
            .map_err(|e| failure(format!("running iptables-save: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failure(format!("iptables-save failed: {}", stderr.trim())));
        }
        Ok(parse(&String::from_utf8_lossy(&output.stdout)))
    }

    #[track_caller]
    fn change(&self, store: &str, now: &Installed, remove: &[Tagged], add: &[Rule]) -> Result<()> {
        Self::restore(&batch(store, now, remove, add))
    }

    #[track_caller]
    fn remove_store(&self, store: &str, now: &Installed) -> Result<()> {
        Self::restore(&removal(store, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{every_action, Action};
    use std::net::Ipv4Addr;

    const SAVED: &str = "*filter\n:FORWARD ACCEPT [0:0]\n:SIXDOCKER-ab - [0:0]\n-A FORWARD -j SIXDOCKER-ab\n-A SIXDOCKER-ab -i six1 -j ACCEPT -m comment --comment six:n1\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:SIXDOCKER-ab - [0:0]\n-A SIXDOCKER-ab -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment six:n1:c1 -j DNAT --to-destination 10.0.0.2:80\n-A SIXDOCKER-cd -p udp -m udp --dport 53 -m comment --comment \"six:n2:c9\" -j DNAT --to-destination 10.1.0.2:53\nCOMMIT\n";

    fn rule(action: Action, tag: &str) -> Rule {
        Rule {
            action,
            tag: tag.into(),
        }
    }

    #[test]
    fn batches_add_chains_jumps_and_remove_only_tagged_rules() {
        let empty = parse(
            "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n",
        );
        let [_, dnat_udp, ..] = every_action();
        let dnat = rule(dnat_udp, "six:n1:c2");
        assert_eq!(
            batch("ab", &empty, &[], &[dnat]),
            "*nat\n:SIXDOCKER-ab - [0:0]\n:SIXDOCKER-ab-POST - [0:0]\n\
             -A PREROUTING -m addrtype --dst-type LOCAL -j SIXDOCKER-ab\n\
             -A OUTPUT -m addrtype --dst-type LOCAL -j SIXDOCKER-ab\n\
             -A POSTROUTING -j SIXDOCKER-ab-POST\n\
             -A SIXDOCKER-ab -m comment --comment six:n1:c2 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53\nCOMMIT\n"
        );
        let saved = parse(SAVED);
        assert_eq!(
            batch("ab", &saved, &[Tagged::Exactly("six:n1:c1")], &[]),
            "*nat\n-D SIXDOCKER-ab -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment six:n1:c1 -j DNAT --to-destination 10.0.0.2:80\nCOMMIT\n"
        );
        assert_eq!(batch("ab", &saved, &[Tagged::AndBelow("six:n9")], &[]), "");
        // another store's rules are never taken
        assert_eq!(batch("ab", &saved, &[Tagged::AndBelow("six:n2")], &[]), "");
    }

    #[test]
    fn an_internal_networks_drops_go_first_and_the_existing_jump_is_kept() {
        let saved = parse(SAVED);
        let [.., accept_from, _, drop_entering, _] = every_action();
        let drops = [rule(drop_entering, "six:n3"), rule(accept_from, "six:n3")];
        assert_eq!(
            batch("ab", &saved, &[], &drops),
            "*filter\n\
             -I SIXDOCKER-ab 1 -m comment --comment six:n3 ! -i six0 -o six0 -j DROP\n\
             -A SIXDOCKER-ab -m comment --comment six:n3 -i six0 -j ACCEPT\nCOMMIT\n"
        );
    }

    #[test]
    fn removal_takes_jumps_and_chains_of_one_store() {
        let saved = parse(SAVED);
        assert_eq!(
            removal("ab", &saved),
            "*nat\n-F SIXDOCKER-ab\n-X SIXDOCKER-ab\nCOMMIT\n\
             *filter\n-D FORWARD -j SIXDOCKER-ab\n-F SIXDOCKER-ab\n-X SIXDOCKER-ab\nCOMMIT\n"
        );
        assert_eq!(removal("zz", &saved), "");
    }

    #[test]
    fn reads_published_ports_tags_and_stores() {
        let saved = parse(SAVED);
        assert_eq!(
            saved.published(),
            vec![
                Published {
                    proto: Proto::Tcp,
                    host_ip: Some(Ipv4Addr::LOCALHOST),
                    host_port: 8080
                },
                Published {
                    proto: Proto::Udp,
                    host_ip: None,
                    host_port: 53
                },
            ]
        );
        let ours: Vec<&str> = saved.tags("ab").collect();
        assert_eq!(ours, vec!["six:n1", "six:n1:c1"]);
        assert!(saved.has_rules("cd"));
        assert_eq!(saved.stores, vec!["ab"]);
        assert!(saved.chains.contains(&"filter SIXDOCKER-ab".to_string()));
        assert!(!saved.chains.contains(&"nat SIXDOCKER-ab-POST".to_string()));
    }
}
