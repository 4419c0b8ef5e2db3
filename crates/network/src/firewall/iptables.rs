//! The iptables backend: rules go in through `iptables-restore --noflush` batches (one exec
//! per change, applied atomically) and are read back with `iptables-save`. On this host
//! iptables is the nf_tables variant; the legacy one works the same.
//!
//! Each store has its own chains: `SIXDOCKER-<tag>` in nat (DNAT of published ports, jumped
//! to from PREROUTING and OUTPUT for local destinations), `SIXDOCKER-<tag>-POST` in nat
//! (masquerade, from POSTROUTING), `SIXDOCKER-<tag>` in filter (from FORWARD) and
//! `SIXDOCKER-<tag>` in raw (drops before connection tracking, from PREROUTING). Every rule
//! carries a comment tag (`six:<network>` or `six:<network>:<container>`), so removing a
//! container or a network removes exactly its own rules. This module never decides which
//! rules a network needs (see `portmap` and `lib`), and never touches chains of others.

use std::net::Ipv4Addr;
use std::process::Command;
use std::time::Duration;

use super::iptables_syntax::{render, Chain};
use super::run::run_bounded;
use super::{Rule, Tagged};
use crate::error::{Error, Result};
use crate::Proto;

pub(crate) const BACKEND: &str = "iptables";

/// How long `iptables-restore` waits for the xtables lock (`-w`) before it gives up with an
/// error of its own (legacy iptables; the nf_tables variant takes no lock).
const LOCK_WAIT_SECONDS: u32 = 5;
/// How long any iptables program may run, lock wait included, before it is killed.
const RUN_LIMIT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
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
}

/// A published port found in the DNAT chains of any sixdocker store on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Published {
    pub proto: Proto,
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
}

/// The chains of one store.
pub(crate) struct Firewall {
    dnat: String,
    masquerade: String,
}

/// The output of `iptables-save`, read once per change.
pub(crate) struct Saved {
    text: String,
}

fn program(name: &str) -> String {
    for dir in ["/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        let path = format!("{dir}/{name}");
        if std::path::Path::new(&path).exists() {
            return path;
        }
    }
    name.to_string()
}

fn failure(what: String) -> Error {
    Error::Firewall {
        backend: BACKEND,
        what,
    }
}

impl Saved {
    /// Lines `-A ...` of `table`.
    fn rules(&self, table: Table) -> impl Iterator<Item = &str> {
        let header = format!("*{}", table.name());
        self.text
            .lines()
            .skip_while(move |l| *l != header)
            .skip(1)
            .take_while(|l| *l != "COMMIT")
            .filter(|l| l.starts_with("-A "))
    }

    fn has_chain(&self, table: Table, chain: &str) -> bool {
        let header = format!("*{}", table.name());
        let declaration = format!(":{chain} ");
        self.text
            .lines()
            .skip_while(|l| *l != header)
            .take_while(|l| *l != "COMMIT")
            .any(|l| l.starts_with(&declaration))
    }
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

/// Does the saved line jump to `chain` (`-j chain` as the last word)?
fn jumps_to(line: &str, chain: &str) -> bool {
    line.ends_with(&format!("-j {chain}"))
}

impl Firewall {
    pub(crate) fn new(store_tag: &str) -> Firewall {
        Firewall {
            dnat: format!("SIXDOCKER-{store_tag}"),
            masquerade: format!("SIXDOCKER-{store_tag}-POST"),
        }
    }

    /// Names of the store's chains: the DNAT/forward chain and the masquerade chain.
    pub(crate) fn chain_names(&self) -> [String; 2] {
        [self.dnat.clone(), self.masquerade.clone()]
    }

    fn chain_name(&self, chain: Chain) -> &str {
        match chain {
            Chain::Dnat | Chain::Forward | Chain::Guard => &self.dnat,
            Chain::Masquerade => &self.masquerade,
        }
    }

    fn table_of(chain: Chain) -> Table {
        match chain {
            Chain::Dnat | Chain::Masquerade => Table::Nat,
            Chain::Forward => Table::Filter,
            Chain::Guard => Table::Raw,
        }
    }

    /// The store's chains in `table`.
    fn ours(&self, table: Table) -> Vec<&str> {
        match table {
            Table::Nat => vec![&self.dnat, &self.masquerade],
            Table::Filter | Table::Raw => vec![&self.dnat],
        }
    }

    /// The jumps from built-in chains into ours: (table, built-in chain, match arguments, our chain).
    fn jumps(&self) -> [(Table, &'static str, &'static str, &str); 5] {
        [
            (
                Table::Nat,
                "PREROUTING",
                "-m addrtype --dst-type LOCAL",
                &self.dnat,
            ),
            (
                Table::Nat,
                "OUTPUT",
                "-m addrtype --dst-type LOCAL",
                &self.dnat,
            ),
            (Table::Nat, "POSTROUTING", "", &self.masquerade),
            (Table::Filter, "FORWARD", "", &self.dnat),
            (Table::Raw, "PREROUTING", "", &self.dnat),
        ]
    }

    pub(crate) fn save() -> Result<Saved> {
        let output = run_bounded(&mut Command::new(program("iptables-save")), b"", RUN_LIMIT)
            .map_err(|e| failure(format!("running iptables-save: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            return Err(failure(format!("iptables-save failed: {}", stderr.trim())));
        }
        Ok(Saved {
            text: String::from_utf8_lossy(&output.stdout).into_owned(),
        })
    }

    fn restore(batch: &str) -> Result<()> {
        let wait = LOCK_WAIT_SECONDS.to_string();
        let mut cmd = Command::new(program("iptables-restore"));
        cmd.args(["--noflush", "-w", &wait]);
        let output = run_bounded(&mut cmd, batch.as_bytes(), RUN_LIMIT)
            .map_err(|e| failure(format!("running iptables-restore: {e}")))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().next().unwrap_or("").trim().to_string();
            return Err(failure(format!(
                "iptables-restore refused the rules: {first}"
            )));
        }
        Ok(())
    }

    /// Removes every rule whose tag is `remove` or below it (`remove:...`), then appends
    /// `add`; creates our chains and jumps when missing. One atomic batch.
    pub(crate) fn change(&self, saved: &Saved, remove: &[Tagged], add: &[Rule]) -> Result<()> {
        let batch = self.batch(saved, remove, add);
        if batch.is_empty() {
            return Ok(());
        }
        Self::restore(&batch)
    }

    /// The iptables-restore input for [`Firewall::change`] ("" when there is nothing to do).
    fn batch(&self, saved: &Saved, remove: &[Tagged], add: &[Rule]) -> String {
        let rendered: Vec<(&Rule, (Chain, String))> =
            add.iter().map(|r| (r, render(&r.action))).collect();
        let mut batch = String::new();
        for table in Table::ALL {
            let mut lines = Vec::new();
            let ours = self.ours(table);
            let adding = rendered
                .iter()
                .any(|(_, (chain, _))| Self::table_of(*chain) == table);
            if adding {
                for chain in &ours {
                    if !saved.has_chain(table, chain) {
                        lines.push(format!(":{chain} - [0:0]"));
                    }
                }
                for (t, builtin, matches, target) in self.jumps() {
                    let present = saved
                        .rules(t)
                        .any(|l| l.starts_with(&format!("-A {builtin} ")) && jumps_to(l, target));
                    if t == table && !present {
                        lines
                            .push(format!("-A {builtin} {matches} -j {target}").replace("  ", " "));
                    }
                }
            }
            for line in saved.rules(table) {
                let in_ours = ours.iter().any(|c| line.starts_with(&format!("-A {c} ")));
                let tagged = comment_of(line).is_some_and(|c| remove.iter().any(|t| t.matches(c)));
                if in_ours && tagged {
                    lines.push(format!("-D {}", &line[3..]));
                }
            }
            for (rule, (chain, args)) in rendered
                .iter()
                .filter(|(_, (chain, _))| Self::table_of(*chain) == table)
            {
                let chain = self.chain_name(*chain);
                lines.push(format!(
                    "-A {chain} -m comment --comment {} {args}",
                    rule.tag
                ));
            }
            if !lines.is_empty() {
                batch.push_str(&format!(
                    "*{}\n{}\nCOMMIT\n",
                    table.name(),
                    lines.join("\n")
                ));
            }
        }
        batch
    }

    /// Removes our jumps and chains (and any rule still in them).
    pub(crate) fn remove_chains(&self, saved: &Saved) -> Result<()> {
        let mut batch = String::new();
        for table in Table::ALL {
            let ours = self.ours(table);
            let mut lines = Vec::new();
            for line in saved.rules(table) {
                if ours.iter().any(|c| jumps_to(line, c)) {
                    lines.push(format!("-D {}", &line[3..]));
                }
            }
            for chain in ours.iter().filter(|c| saved.has_chain(table, c)) {
                lines.push(format!("-F {chain}"));
                lines.push(format!("-X {chain}"));
            }
            if !lines.is_empty() {
                batch.push_str(&format!(
                    "*{}\n{}\nCOMMIT\n",
                    table.name(),
                    lines.join("\n")
                ));
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        Self::restore(&batch)
    }

    /// Is any rule left in this store's chains?
    pub(crate) fn has_rules(&self, saved: &Saved) -> bool {
        Table::ALL.iter().flat_map(|t| saved.rules(*t)).any(|l| {
            l.starts_with(&format!("-A {} ", self.dnat))
                || l.starts_with(&format!("-A {} ", self.masquerade))
        })
    }

    /// The tags of every rule in this store's chains.
    pub(crate) fn tags<'a>(&'a self, saved: &'a Saved) -> impl Iterator<Item = &'a str> + 'a {
        Table::ALL
            .into_iter()
            .flat_map(|t| saved.rules(t))
            .filter(|l| {
                l.starts_with(&format!("-A {} ", self.dnat))
                    || l.starts_with(&format!("-A {} ", self.masquerade))
            })
            .filter_map(comment_of)
    }

    /// Tags of every store that has chains (`SIXDOCKER-<8 hex>`), in any table.
    pub(crate) fn store_tags(saved: &Saved) -> Vec<String> {
        let mut tags: Vec<String> = Table::ALL
            .iter()
            .flat_map(|table| {
                let header = format!("*{}", table.name());
                saved
                    .text
                    .lines()
                    .skip_while(move |l| *l != header)
                    .take_while(|l| *l != "COMMIT")
            })
            .filter_map(|l| l.strip_prefix(":SIXDOCKER-"))
            .filter_map(|l| l.split(' ').next())
            .filter(|t| t.len() == 8 && t.chars().all(|c| c.is_ascii_hexdigit()))
            .map(str::to_string)
            .collect();
        tags.sort();
        tags.dedup();
        tags
    }

    /// Every host port published by any sixdocker store (DNAT rules in `SIXDOCKER-*` chains).
    pub(crate) fn published(saved: &Saved) -> Vec<Published> {
        let mut out = Vec::new();
        for line in saved.rules(Table::Nat) {
            if !line.starts_with("-A SIXDOCKER-") || !line.contains("-j DNAT") {
                continue;
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
                _ => continue,
            };
            let Some(host_port) = after("--dport").and_then(|p| p.parse().ok()) else {
                continue;
            };
            let host_ip = after("-d").and_then(|d| d.trim_end_matches("/32").parse().ok());
            out.push(Published {
                proto,
                host_ip,
                host_port,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::Action;

    const SAVED: &str = "*filter\n:FORWARD ACCEPT [0:0]\n:SIXDOCKER-ab - [0:0]\n-A FORWARD -j SIXDOCKER-ab\n-A SIXDOCKER-ab -i six1 -j ACCEPT -m comment --comment six:n1\nCOMMIT\n*nat\n:PREROUTING ACCEPT [0:0]\n:SIXDOCKER-ab - [0:0]\n-A SIXDOCKER-ab -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment six:n1:c1 -j DNAT --to-destination 10.0.0.2:80\n-A SIXDOCKER-cd -p udp -m udp --dport 53 -m comment --comment \"six:n2:c9\" -j DNAT --to-destination 10.1.0.2:53\nCOMMIT\n";

    #[test]
    fn batches_add_chains_jumps_and_remove_only_tagged_rules() {
        let empty = Saved {
            text:
                "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n"
                    .into(),
        };
        let firewall = Firewall::new("ab");
        let rule = Rule {
            action: Action::Dnat {
                proto: Proto::Udp,
                host_ip: None,
                host_port: 5353,
                to: Ipv4Addr::new(10, 0, 0, 2),
                to_port: 53,
            },
            tag: "six:n1:c2".into(),
        };
        let batch = firewall.batch(&empty, &[], &[rule]);
        assert_eq!(
            batch,
            "*nat\n:SIXDOCKER-ab - [0:0]\n:SIXDOCKER-ab-POST - [0:0]\n\
             -A PREROUTING -m addrtype --dst-type LOCAL -j SIXDOCKER-ab\n\
             -A OUTPUT -m addrtype --dst-type LOCAL -j SIXDOCKER-ab\n\
             -A POSTROUTING -j SIXDOCKER-ab-POST\n\
             -A SIXDOCKER-ab -m comment --comment six:n1:c2 -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.0.2:53\nCOMMIT\n"
        );
        let saved = Saved {
            text: SAVED.to_string(),
        };
        let batch = firewall.batch(&saved, &[Tagged::Exactly("six:n1:c1")], &[]);
        assert_eq!(
            batch,
            "*nat\n-D SIXDOCKER-ab -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -m comment --comment six:n1:c1 -j DNAT --to-destination 10.0.0.2:80\nCOMMIT\n"
        );
        assert_eq!(
            firewall.batch(&saved, &[Tagged::AndBelow("six:n9")], &[]),
            ""
        );
    }

    #[test]
    fn tag_matching() {
        assert!(Tagged::AndBelow("six:n1").matches("six:n1:c1"));
        assert!(Tagged::AndBelow("six:n1").matches("six:n1"));
        assert!(!Tagged::AndBelow("six:n1").matches("six:n10"));
        assert!(!Tagged::Exactly("six:n1").matches("six:n1:c1"));
    }

    #[test]
    fn reads_published_ports_and_tags() {
        let saved = Saved {
            text: SAVED.to_string(),
        };
        let published = Firewall::published(&saved);
        assert_eq!(
            published,
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
        let firewall = Firewall::new("ab");
        let ours: Vec<&str> = firewall.tags(&saved).collect();
        assert_eq!(ours, vec!["six:n1:c1", "six:n1"]);
        assert!(saved.has_chain(Table::Filter, "SIXDOCKER-ab"));
        assert!(!saved.has_chain(Table::Nat, "SIXDOCKER-ab-POST"));
    }
}
