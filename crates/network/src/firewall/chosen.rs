//! Which backend a store's rules go through, and the store's firewall as the rest of the
//! crate sees it ([`Firewall`]).
//!
//! The choice, made on the store's first firewall change and then kept:
//! 1. the backend recorded in `<root>/network/firewall-backend`, while the store has rules
//!    (written with its first rules, removed with its chains or table): rules are always
//!    removed through the program that made them, whatever the setting says meanwhile;
//! 2. else the setting: `OpenOptions::firewall`, or env `SIXDOCKER_FIREWALL_BACKEND`
//!    (`nftables`, `iptables`; unset, empty or `auto`: the next step);
//! 3. else nftables when `nft` works here, iptables otherwise (as netavark chooses), and
//!    iptables when iptables' FORWARD chain drops by default (nftables accepts cannot
//!    override it);
//!
//! and a store of an earlier version, which has iptables chains and no record, stays on
//! iptables. Reaping what dead stores left looks in both backends.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::OnceLock;

use super::iptables::{self, Iptables};
use super::nftables::{self, Nftables};
use super::run::installed;
use super::{Backend, Installed, Rule, Tagged};
use crate::error::{Error, Result};

/// The environment variable that chooses the backend.
pub const BACKEND_ENV: &str = "SIXDOCKER_FIREWALL_BACKEND";

/// The firewall program a store's rules go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirewallBackend {
    /// `nft`: a table of the store's own, one transaction per change.
    Nftables,
    /// `iptables-restore`: chains of the store's own in nat, filter and raw.
    Iptables,
}

impl fmt::Display for FirewallBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FirewallBackend::Nftables => "nftables",
            FirewallBackend::Iptables => "iptables",
        })
    }
}

impl FromStr for FirewallBackend {
    type Err = Error;

    fn from_str(value: &str) -> Result<FirewallBackend> {
        match value {
            "nftables" => Ok(FirewallBackend::Nftables),
            "iptables" => Ok(FirewallBackend::Iptables),
            _ => Err(Error::InvalidFirewallBackend(value.to_string())),
        }
    }
}

impl FirewallBackend {
    /// The setting in env `SIXDOCKER_FIREWALL_BACKEND`: None when unset, empty or `auto`.
    pub fn from_env() -> Result<Option<FirewallBackend>> {
        match std::env::var(BACKEND_ENV) {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => Err(Error::InvalidFirewallBackend(
                v.to_string_lossy().into_owned(),
            )),
            Ok(v) if v.is_empty() || v == "auto" => Ok(None),
            Ok(v) => v.parse().map(Some),
        }
    }

    fn backend(self) -> Box<dyn Backend> {
        match self {
            FirewallBackend::Nftables => Box::new(Nftables),
            FirewallBackend::Iptables => Box::new(Iptables),
        }
    }
}

/// nftables when it is usable here, else iptables.
fn auto() -> FirewallBackend {
    match nftables::usable() {
        Ok(()) => FirewallBackend::Nftables,
        Err(why) => {
            tracing::debug!("firewall: using iptables, not nftables: {why}");
            FirewallBackend::Iptables
        }
    }
}

/// One store's firewall: its tag, where its choice is recorded, and the backend (chosen on
/// first use).
pub(crate) struct Firewall {
    store: String,
    record: PathBuf,
    setting: Option<FirewallBackend>,
    backend: OnceLock<Box<dyn Backend>>,
}

impl Firewall {
    /// The firewall of the store tagged `store`; its choice is recorded at `record`.
    pub(crate) fn new(store: &str, record: PathBuf, setting: Option<FirewallBackend>) -> Self {
        Firewall {
            store: store.to_string(),
            record,
            setting,
            backend: OnceLock::new(),
        }
    }

    fn backend(&self) -> Result<&dyn Backend> {
        if let Some(backend) = self.backend.get() {
            return Ok(backend.as_ref());
        }
        let kind = self.choose()?;
        tracing::debug!(store = %self.store, backend = %kind, "firewall backend");
        Ok(self.backend.get_or_init(|| kind.backend()).as_ref())
    }

    /// The recorded backend, else the setting, else the automatic choice (see the module).
    fn choose(&self) -> Result<FirewallBackend> {
        if let Some(recorded) = self.recorded()? {
            if let Some(wanted) = self.setting.filter(|w| *w != recorded) {
                tracing::warn!(
                    "the firewall rules of this store are in {recorded}: {wanted} will be used \
                     once its networks are removed ({BACKEND_ENV}={wanted})"
                );
            }
            return Ok(recorded);
        }
        let chosen = self.setting.unwrap_or_else(auto);
        if chosen == FirewallBackend::Nftables && installed("iptables-save").is_some() {
            match Iptables.read() {
                Ok(now) if now.stores.contains(&self.store) => {
                    tracing::debug!("firewall: the store has iptables chains: staying on iptables");
                    return Ok(FirewallBackend::Iptables);
                }
                Ok(_) => {}
                Err(e) => tracing::debug!("firewall: reading iptables: {e}"),
            }
        }
        Ok(chosen)
    }

    fn recorded(&self) -> Result<Option<FirewallBackend>> {
        match std::fs::read_to_string(&self.record) {
            Ok(text) => text.trim().parse().map(Some).map_err(|_| Error::Record {
                path: self.record.clone(),
                reason: format!("{:?} is not nftables or iptables", text.trim()),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(crate::error::io(format!(
                "reading {}",
                self.record.display()
            ))(e)),
        }
    }

    /// The backend this store's rules go through.
    pub(crate) fn kind(&self) -> Result<FirewallBackend> {
        Ok(self.backend()?.kind())
    }

    /// Reads what every store has installed in this store's backend.
    pub(crate) fn read(&self) -> Result<Installed> {
        self.backend()?.read()
    }

    /// Removes every rule of this store whose tag `remove` takes, then adds `add`; creates
    /// the store's chains or table when missing. One transaction. The backend is recorded
    /// before the store's first rules go in.
    #[track_caller]
    pub(crate) fn change(&self, now: &Installed, remove: &[Tagged], add: &[Rule]) -> Result<()> {
        let backend = self.backend()?;
        if !add.is_empty() && self.recorded()? != Some(backend.kind()) {
            crate::store::write_atomic(&self.record, format!("{}\n", backend.kind()).as_bytes())?;
        }
        backend.change(&self.store, now, remove, add)
    }

    /// Removes the store's chains or table (and any rule still in them), and the record.
    #[track_caller]
    pub(crate) fn remove_chains(&self, now: &Installed) -> Result<()> {
        self.backend()?.remove_store(&self.store, now)?;
        match std::fs::remove_file(&self.record) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(crate::error::io(format!(
                "removing {}",
                self.record.display()
            ))(e)),
            _ => Ok(()),
        }
    }

    /// Is any rule of this store left?
    pub(crate) fn has_rules(&self, now: &Installed) -> bool {
        now.has_rules(&self.store)
    }

    /// The tags of this store's rules.
    pub(crate) fn tags<'a>(&'a self, now: &'a Installed) -> impl Iterator<Item = &'a str> + 'a {
        now.tags(&self.store)
    }

    /// Every name this store's rules may live under: its iptables chains and its nftables
    /// table.
    pub(crate) fn names(&self) -> Vec<String> {
        vec![
            iptables::main_chain(&self.store),
            iptables::post_chain(&self.store),
            nftables::table(&self.store),
        ]
    }
}

/// Removes the chains and tables of stores not in `live` (tags of 8 hex digits only), in
/// every backend installed here. Failures are logged: reaping is housekeeping.
pub(crate) fn reap_dead_stores(live: &HashSet<String>) {
    let backends = [
        ("nft", FirewallBackend::Nftables),
        ("iptables-save", FirewallBackend::Iptables),
    ];
    for (program, kind) in backends {
        if installed(program).is_none() {
            continue;
        }
        let backend = kind.backend();
        let now = match backend.read() {
            Ok(now) => now,
            Err(e) => {
                let error = &e as &dyn std::error::Error;
                tracing::debug!(error, "reaping: reading {kind}");
                continue;
            }
        };
        let ours = |tag: &str| tag.len() == 8 && tag.chars().all(|c| c.is_ascii_hexdigit());
        for store in now.stores.iter().filter(|s| ours(s) && !live.contains(*s)) {
            tracing::debug!(store = %store, "reaping the {kind} rules of a store that is gone");
            if let Err(e) = backend.remove_store(store, &now) {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(store = %store, error, "reaping a dead store's {kind} rules");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_the_setting() {
        assert_eq!(
            "nftables".parse::<FirewallBackend>().unwrap(),
            FirewallBackend::Nftables
        );
        assert_eq!(FirewallBackend::Iptables.to_string(), "iptables");
        assert_eq!(
            "nft".parse::<FirewallBackend>().unwrap_err().to_string(),
            "SIXDOCKER_FIREWALL_BACKEND=\"nft\": expected nftables, iptables or auto"
        );
    }

    #[test]
    fn the_record_wins_over_the_setting_and_a_bad_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let record = dir.path().join("firewall-backend");
        std::fs::write(&record, "iptables\n").unwrap();
        let firewall = Firewall::new("ab", record.clone(), Some(FirewallBackend::Nftables));
        assert_eq!(firewall.kind().unwrap(), FirewallBackend::Iptables);
        std::fs::write(&record, "ipfw\n").unwrap();
        let firewall = Firewall::new("ab", record.clone(), Some(FirewallBackend::Nftables));
        let e = firewall.kind().unwrap_err().to_string();
        assert!(e.contains("\"ipfw\" is not nftables or iptables"), "{e}");
        assert_eq!(
            firewall.names(),
            ["SIXDOCKER-ab", "SIXDOCKER-ab-POST", "sixdocker-ab"]
        );
    }
}
