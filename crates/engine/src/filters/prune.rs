//! The filters of the prune commands: `until` (created before; Docker's timestamps, one value
//! at most), `label` (every value holds) and `label!` (not all of its values hold), plus
//! `dangling` for images, as Docker's daemon reads them (moby's `daemon/prune.go`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{parse_timestamp, Filters};
use crate::error::{Error, Result};

/// A checked prune filter set.
#[derive(Debug, Clone)]
pub struct PruneFilter {
    filters: Filters,
    until: Option<(i64, u32)>,
}

impl PruneFilter {
    /// `accepted`: the keys the command takes ("until", "label", "label!" and maybe "dangling").
    pub fn new(filters: &Filters, accepted: &[&str]) -> Result<PruneFilter> {
        filters.validate(accepted)?;
        let until = match filters.values("until").collect::<Vec<_>>()[..] {
            [] => None,
            [value] => Some(parse_timestamp(value, Utc::now())?),
            _ => {
                return Err(Error::Invalid(
                    "more than one until filter specified".to_owned(),
                ))
            }
        };
        Ok(PruneFilter {
            filters: filters.clone(),
            until,
        })
    }

    /// Created no later than `until`, and the labels pass `label` and `label!`.
    pub fn matches(&self, created: DateTime<Utc>, labels: &BTreeMap<String, String>) -> bool {
        let created = (created.timestamp(), created.timestamp_subsec_nanos());
        self.until.is_none_or(|until| created <= until)
            && self.filters.match_kv_list("label", labels)
            && !(self.filters.contains("label!") && self.filters.match_kv_list("label!", labels))
    }

    /// `dangling` for image prune: true (the default: untagged images only) or false (`-a`).
    pub fn dangling_only(&self) -> Result<bool> {
        self.filters.bool_or("dangling", true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn until_and_labels_as_dockers_prune() {
        let keys = ["until", "label", "label!"];
        let f = |pairs: &[(&str, &str)]| PruneFilter::new(&pairs.iter().copied().collect(), &keys);
        let old = Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap();
        let new = Utc::now();
        let labels: BTreeMap<String, String> = [("keep".to_owned(), "yes".to_owned())]
            .into_iter()
            .collect();
        let none = BTreeMap::new();
        let until = f(&[("until", "2021-01-01T00:00:00Z")]).unwrap();
        assert!(until.matches(old, &none));
        assert!(!until.matches(new, &none));
        let until = f(&[("until", "24h")]).unwrap();
        assert!(until.matches(old, &none) && !until.matches(new, &none));
        let keep = f(&[("label!", "keep")]).unwrap();
        assert!(
            !keep.matches(old, &labels),
            "label! excludes what has the label"
        );
        assert!(keep.matches(old, &none));
        assert!(!f(&[("label!", "keep=yes")]).unwrap().matches(old, &labels));
        assert!(f(&[("label!", "keep=no")]).unwrap().matches(old, &labels));
        assert!(f(&[("label", "keep")]).unwrap().matches(old, &labels));
        assert!(!f(&[("label", "keep")]).unwrap().matches(old, &none));
        let err = |pairs: &[(&str, &str)]| f(pairs).unwrap_err().to_string();
        assert_eq!(err(&[("foo", "1")]), "invalid filter 'foo'");
        assert_eq!(
            err(&[("until", "1h"), ("until", "2h")]),
            "more than one until filter specified"
        );
        assert_eq!(
            err(&[("until", "x")]),
            "failed to parse value as time or duration: \"x\""
        );
        let images = ["until", "label", "label!", "dangling"];
        let dangling = |v| PruneFilter::new(&[("dangling", v)].into_iter().collect(), &images);
        assert!(dangling("true").unwrap().dangling_only().unwrap());
        assert!(!dangling("false").unwrap().dangling_only().unwrap());
        assert_eq!(
            dangling("x")
                .unwrap()
                .dangling_only()
                .unwrap_err()
                .to_string(),
            "invalid filter 'dangling=[x]'"
        );
    }
}
