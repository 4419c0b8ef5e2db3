//! `network ls --filter`: driver, id, label, name, scope, type, dangling, as Docker's daemon
//! reads them (moby's `daemon/network/filter.go`). It works on a [`NetworkView`] of each
//! network, so whatever lists networks (the store's, plus `host` and `none`) filters the same.

use std::collections::BTreeMap;

use super::{invalid_filter, invalid_value, Filters};
use crate::error::{Error, Result};

const KEYS: &[&str] = &["dangling", "driver", "id", "label", "name", "scope", "type"];

/// The networks Docker predefines: never dangling, `type=builtin`.
const PREDEFINED: &[&str] = &["bridge", "host", "none"];

/// What the network filters look at.
#[derive(Debug, Clone, Default)]
pub struct NetworkView {
    /// Its name.
    pub name: String,
    /// Its full ID.
    pub id: String,
    /// "bridge", "host", "null".
    pub driver: String,
    /// "local" for every network here.
    pub scope: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Containers attached now.
    pub containers: usize,
}

/// The items whose view passes `filters`, in their order.
pub fn filter_networks<T>(
    items: Vec<T>,
    view: impl Fn(&T) -> NetworkView,
    filters: &Filters,
) -> Result<Vec<T>> {
    filters.validate(KEYS)?;
    let dangling = match filters.values("dangling").collect::<Vec<_>>()[..] {
        [] => None,
        ["0" | "false"] => Some(false),
        ["1" | "true"] => Some(true),
        [_] => {
            return Err(Error::Invalid(
                "invalid value for filter 'dangling', must be \"true\" (or \"1\"), or \"false\" (or \"0\")"
                    .to_owned(),
            ))
        }
        _ => {
            return Err(Error::Invalid(
                "got more than one value for filter key \"dangling\"".to_owned(),
            ))
        }
    };
    if let Some(bad) = filters
        .values("type")
        .find(|t| !["builtin", "custom"].contains(t))
    {
        return Err(invalid_value("type", bad));
    }
    if filters.contains("type") && filters.values("type").next().is_none() {
        return Err(invalid_filter("type"));
    }
    let mut kept = Vec::new();
    for item in items {
        let n = view(&item);
        let predefined = PREDEFINED.contains(&n.name.as_str());
        let pass = filters.exact_match("driver", &n.driver)
            && filters.matches("name", &n.name)
            && filters.matches("id", &n.id)
            && filters.match_kv_list("label", &n.labels)
            && filters.exact_match("scope", &n.scope)
            && dangling.is_none_or(|only| only == (!predefined && n.containers == 0))
            && (!filters.contains("type")
                || filters
                    .values("type")
                    .any(|t| (t == "builtin") == predefined));
        if pass {
            kept.push(item);
        }
    }
    Ok(kept)
}
