//! Docker's `--filter key=value`, one module for every command that takes it: the set of
//! filters (`Filters`, moby's `filters.Args`), its matching rules, and what each command
//! accepts and means by each key (`containers.rs` for `ps`, `images.rs`, `networks.rs`, `events.rs`, `prune.rs`, `volumes.rs`; `time.rs` reads Docker's timestamps, `glob.rs` Go's path.Match).
//!
//! The rules, as Docker's daemon applies them:
//! - values of one key OR together (`--filter name=a --filter name=b`: either name), different
//!   keys AND together (`--filter name=a --filter status=running`: both);
//! - except `label`: every label value must hold (`label=a --filter label=b`: both labels),
//!   each `k` (the label is set) or `k=v` (set to exactly v);
//! - `name`, `id`, `status` match exactly or as an unanchored regular expression (so
//!   `name=web` also matches `myweb2`); a bad regular expression matches nothing;
//! - a key the command does not take is refused: "invalid filter 'foo'".
//!
//! Parsing the command line's `key=value` is [`FilterArg`]'s job; the CLI never interprets a
//! filter itself.

mod containers;
mod events;
mod glob;
pub(crate) mod images;
mod networks;
mod prune;
mod time;
mod volumes;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

pub use containers::PsOptions;
pub use events::EventFilter;
pub use networks::{filter_networks, NetworkView};
pub use prune::PruneFilter;
pub use time::parse_timestamp;
pub use volumes::{filter_volumes, VolumeView};

/// One `--filter key=value` as typed: the key lowercased and both sides trimmed (Docker's
/// CLI does the same). No `=`: "bad format of filter (expected name=value)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterArg {
    /// The key, lowercased.
    pub key: String,
    /// The value.
    pub value: String,
}

impl FromStr for FilterArg {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<FilterArg, String> {
        let Some((key, value)) = s.split_once('=') else {
            return Err("bad format of filter (expected name=value)".to_owned());
        };
        Ok(FilterArg {
            key: key.trim().to_lowercase(),
            value: value.trim().to_owned(),
        })
    }
}

/// A set of filters: each key with its set of values (moby's `filters.Args`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    fields: BTreeMap<String, BTreeSet<String>>,
}

impl FromIterator<FilterArg> for Filters {
    fn from_iter<I: IntoIterator<Item = FilterArg>>(args: I) -> Filters {
        let mut f = Filters::default();
        for a in args {
            f.add(&a.key, &a.value);
        }
        f
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for Filters {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(pairs: I) -> Filters {
        let mut f = Filters::default();
        for (k, v) in pairs {
            f.add(k, v);
        }
        f
    }
}

impl Filters {
    /// Adds `value` to the values of `key`.
    pub fn add(&mut self, key: &str, value: &str) {
        self.fields
            .entry(key.to_owned())
            .or_default()
            .insert(value.to_owned());
    }

    /// Whether no filter is given.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Refuses the first key not in `accepted`: "invalid filter 'foo'".
    pub fn validate(&self, accepted: &[&str]) -> Result<()> {
        match self.fields.keys().find(|k| !accepted.contains(&k.as_str())) {
            Some(key) => Err(invalid_filter(key)),
            None => Ok(()),
        }
    }

    /// Whether `key` has a value.
    pub fn contains(&self, key: &str) -> bool {
        self.fields.contains_key(key)
    }

    /// The values of `key`, sorted.
    pub fn values(&self, key: &str) -> impl Iterator<Item = &str> {
        self.fields
            .get(key)
            .into_iter()
            .flat_map(|v| v.iter().map(String::as_str))
    }

    /// True without values for `key`, else whether `source` is one of them.
    pub fn exact_match(&self, key: &str, source: &str) -> bool {
        match self.fields.get(key) {
            None => true,
            Some(values) => values.is_empty() || values.contains(source),
        }
    }

    /// [`Filters::exact_match`], or a value that is an unanchored regular expression matching
    /// `source` (Go's `regexp.MatchString`; one that does not compile matches nothing).
    pub fn matches(&self, key: &str, source: &str) -> bool {
        if self.exact_match(key, source) {
            return true;
        }
        self.values(key)
            .any(|pattern| regex::Regex::new(pattern).is_ok_and(|re| re.is_match(source)))
    }

    /// [`Filters::exact_match`], or a value that is a prefix of `source`.
    pub fn fuzzy_match(&self, key: &str, source: &str) -> bool {
        self.exact_match(key, source) || self.values(key).any(|p| source.starts_with(p))
    }

    /// True without values for `key`; else EVERY value (`k` or `k=v`) must hold in `labels`.
    pub fn match_kv_list(&self, key: &str, labels: &BTreeMap<String, String>) -> bool {
        let Some(values) = self.fields.get(key).filter(|v| !v.is_empty()) else {
            return true;
        };
        values.iter().all(|value| match value.split_once('=') {
            Some((k, v)) => labels.get(k).is_some_and(|have| have == v),
            None => labels.contains_key(value),
        })
    }

    /// `key` as a boolean ("1"/"true", "0"/"false"); `default` when absent. Values that say
    /// neither or both: "invalid filter 'key=\[values\]'".
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool> {
        let Some(values) = self.fields.get(key) else {
            return Ok(default);
        };
        let is_true = values.contains("1") || values.contains("true");
        let is_false = values.contains("0") || values.contains("false");
        if is_true == is_false {
            return Err(invalid_value(key, &self.value_list(key)));
        }
        Ok(is_true)
    }

    /// Go's `%s` of the values of `key`: "[a b]".
    pub(crate) fn value_list(&self, key: &str) -> String {
        format!("[{}]", self.values(key).collect::<Vec<_>>().join(" "))
    }
}

impl fmt::Display for Filters {
    /// `key=value` pairs, comma separated (for messages and debug output).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self
            .fields
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| format!("{k}={v}")))
            .collect();
        f.write_str(&pairs.join(","))
    }
}

/// "invalid filter 'key'": a key the command does not take.
pub(crate) fn invalid_filter(key: &str) -> Error {
    Error::Invalid(format!("invalid filter '{key}'"))
}

/// "invalid filter 'key=value'": a value the key does not take.
pub(crate) fn invalid_value(key: &str, value: &str) -> Error {
    Error::Invalid(format!("invalid filter '{key}={value}'"))
}

#[cfg(test)]
mod tests;
