//! `images --filter`: dangling, label, before, since, reference, as Docker's daemon reads
//! them (moby's `daemon/images/images.go`).
//!
//! `reference` narrows the names shown as well as the images: `--filter reference=busybox`
//! lists busybox's tags only, not the other names of the same image. An untagged image that
//! other images are built on (an intermediate one) is listed only with `-a`, as Docker does.

use super::glob::path_match;
use super::{invalid_value, Filters};
use crate::engine::Engine;
use crate::error::{Error, Result};
use six_image::Image;

const KEYS: &[&str] = &["before", "dangling", "label", "reference", "since"];

impl Engine {
    /// `docker images [-a] [--filter ...]`: newest first, each with the names that pass.
    pub fn list_images(&self, all: bool, filters: &Filters) -> Result<Vec<Image>> {
        filters.validate(KEYS)?;
        let dangling_only = match filters.contains("dangling") {
            false => false,
            true if filters.exact_match("dangling", "true") => true,
            true if filters.exact_match("dangling", "false") => false,
            true => return Err(invalid_value("dangling", &filters.value_list("dangling"))),
        };
        let mut patterns = Vec::new();
        for p in filters.values("reference") {
            // Refuse a malformed pattern whatever the store holds.
            path_match(p, "").map_err(|_| bad_pattern())?;
            patterns.push(p);
        }
        let before = self.image_named(filters, "before")?;
        let since = self.image_named(filters, "since")?;
        let images = self.images.list()?;
        let mut listed = Vec::new();
        for image in &images {
            if before.as_ref().is_some_and(|b| image.created >= b.created)
                || since.as_ref().is_some_and(|s| image.created <= s.created)
                || !filters.match_kv_list("label", &image.config.labels)
            {
                continue;
            }
            let mut shown = image.clone();
            if !patterns.is_empty() {
                shown.repo_tags.retain(|tag| {
                    patterns
                        .iter()
                        .any(|p| reference_matches(p, tag).unwrap_or(false))
                });
            }
            if shown.repo_tags.is_empty() {
                // Untagged (or none of its names match the reference).
                let has_children = images
                    .iter()
                    .any(|other| other.id != image.id && is_child(image, other));
                if (!all && has_children)
                    || (filters.contains("dangling") && !dangling_only)
                    || filters.contains("reference")
                {
                    continue;
                }
            } else if dangling_only {
                continue;
            }
            listed.push(shown);
        }
        Ok(listed)
    }

    /// The image a `before=`/`since=` value names ("No such image" when none).
    fn image_named(&self, filters: &Filters, key: &str) -> Result<Option<Image>> {
        let mut found = None;
        for value in filters.values(key) {
            match self.images.find_image(value)? {
                Some(image) => found = Some(image),
                None => return Err(six_image::Error::NotFound(value.to_owned()).into()),
            }
        }
        Ok(found)
    }
}

/// `child` is built on `parent`: a build step made it on `parent`, or its layers are
/// parent's and more.
pub(crate) fn is_child(parent: &Image, child: &Image) -> bool {
    child.parent.as_deref() == Some(parent.id.as_str())
        || !parent.layers.is_empty()
            && child.layers.len() > parent.layers.len()
            && child.layers.starts_with(&parent.layers)
}

/// Docker's `reference.FamiliarMatch`: the pattern against "name:tag", then against "name".
fn reference_matches(pattern: &str, tag: &str) -> Result<bool> {
    if path_match(pattern, tag).map_err(|_| bad_pattern())? {
        return Ok(true);
    }
    let name = match tag.rfind(':') {
        Some(i) if !tag[i..].contains('/') => &tag[..i],
        _ => tag,
    };
    path_match(pattern, name).map_err(|_| bad_pattern())
}

fn bad_pattern() -> Error {
    Error::Invalid("syntax error in pattern".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_match_as_dockers_familiar_match() {
        let m = |p, t| reference_matches(p, t).unwrap();
        assert!(m("busybox", "busybox:latest"));
        assert!(m("busybox:latest", "busybox:latest"));
        assert!(m("bus*", "busybox:latest"));
        assert!(m("*:v1", "mine:v1"));
        assert!(!m("busybox:v1", "busybox:latest"));
        assert!(!m("box", "busybox:latest"), "a glob, not a substring");
        assert!(m("localhost:5000/*", "localhost:5000/app:1"));
        assert!(!m("*", "localhost:5000/app:1"), "* stops at /");
        assert!(m("*/*", "team/app:1"));
        assert!(reference_matches("[", "x:1").is_err());
    }
}
