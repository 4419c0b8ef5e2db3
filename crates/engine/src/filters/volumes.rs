//! `volume ls --filter` (dangling, driver, label, name), as Docker's daemon reads them (moby's
//! `volume/service/convert.go`): `name` matches as the other name filters do, `dangling` is a
//! boolean. (`volume prune`'s filters are the prune filters: `prune.rs`.)

use std::collections::BTreeMap;

use super::Filters;
use crate::error::Result;

const LS_KEYS: &[&str] = &["dangling", "driver", "label", "name"];

/// What the volume filters look at.
#[derive(Debug, Clone, Default)]
pub struct VolumeView {
    /// The volume's name.
    pub name: String,
    /// Its driver ("local").
    pub driver: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Containers (of any state) that use it.
    pub containers: usize,
}

impl VolumeView {
    /// The view of a listed volume.
    pub fn of(s: &crate::VolumeSummary) -> VolumeView {
        VolumeView {
            name: s.volume.name.clone(),
            driver: s.volume.driver.clone(),
            labels: s.volume.labels.clone(),
            containers: s.containers,
        }
    }
}

/// The items whose view passes `volume ls`'s filters, in their order.
pub fn filter_volumes<T>(
    items: Vec<T>,
    view: impl Fn(&T) -> VolumeView,
    filters: &Filters,
) -> Result<Vec<T>> {
    filters.validate(LS_KEYS)?;
    let dangling = match filters.contains("dangling") {
        true => Some(filters.bool_or("dangling", false)?),
        false => None,
    };
    Ok(items
        .into_iter()
        .filter(|item| {
            let v = view(item);
            filters.exact_match("driver", &v.driver)
                && filters.matches("name", &v.name)
                && filters.match_kv_list("label", &v.labels)
                && dangling.is_none_or(|only| only == (v.containers == 0))
        })
        .collect())
}
