//! `container prune`, `image prune`, `network prune` (and `system prune`, which runs them):
//! what each removes, as Docker's daemon decides it (moby's `daemon/prune.go`), with the
//! space given back, and Docker's `prune` event with `reclaimed`.
//!
//! - containers: every one that is not running (created or exited), created before `until`,
//!   whose labels pass;
//! - images: untagged ones (all with `dangling=false`, what `-a` sends) that no container
//!   uses, not intermediate (untagged with images built on them), created before `until`;
//!   reclaimed is what their layers took that no other image shares;
//! - networks: user-defined ones without containers, created before `until`.
//!
//! Each removal goes through the same path as `rm`, `rmi` and `network rm` (so each is
//! recorded too); one that fails is skipped with a warning, as Docker does.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::engine::Engine;
use crate::error::Result;
use crate::events::Event;
use crate::filters::{Filters, PruneFilter};
use crate::record::Status;

/// What a prune removed: container ids, rmi's lines in Docker's prune words ("untagged: x",
/// "deleted: sha256:…"), or network names; and the bytes given back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// What was removed, one line each.
    pub deleted: Vec<String>,
    /// Bytes freed.
    pub space_reclaimed: u64,
}

impl Engine {
    /// `docker container prune` (filters: until, label, label!).
    pub fn prune_containers(&self, filters: &Filters) -> Result<PruneReport> {
        let filter = PruneFilter::new(filters, &["until", "label", "label!"])?;
        let mut report = PruneReport::default();
        for (config, state) in self.records()? {
            if !matches!(state.status, Status::Created | Status::Exited)
                || !filter.matches(config.created, &config.labels)
            {
                continue;
            }
            let size = crate::info::tree_bytes(&self.rootfs_mount(&config.id).upper);
            match self.remove(&config.id, false) {
                Ok(()) => {
                    report.deleted.push(config.id);
                    report.space_reclaimed += size;
                }
                Err(e) => warn_skipped(&config.name, &e),
            }
        }
        self.emit_prune("container", report.space_reclaimed);
        Ok(report)
    }

    /// `docker image prune [-a]` (filters: dangling, until, label, label!).
    pub fn prune_images(&self, filters: &Filters) -> Result<PruneReport> {
        let filter = PruneFilter::new(filters, &["dangling", "until", "label", "label!"])?;
        let dangling_only = filter.dangling_only()?;
        let uses = self.image_uses()?;
        let images = self.images.list()?;
        let mut report = PruneReport::default();
        let mut layer_sizes = HashMap::new();
        for image in &images {
            let intermediate = image.repo_tags.is_empty()
                && images.iter().any(|other| {
                    other.id != image.id && crate::filters::images::is_child(image, other)
                });
            if (dangling_only && !image.repo_tags.is_empty())
                || intermediate
                || uses.contains_key(&image.id)
                || !filter.matches(image.created, &image.config.labels)
            {
                continue;
            }
            for layer in &image.layers {
                if let Ok(d) = six_image::Digest::parse(layer) {
                    let size = self.images.layer_size(&d);
                    layer_sizes.insert(d, size.unwrap_or(0));
                }
            }
            match self.remove_image(&image.id, false) {
                Ok(lines) => report.deleted.extend(lines.iter().map(|l| prune_words(l))),
                Err(e) => warn_skipped(&image.id, &e),
            }
        }
        // What the removed images took that is gone now (not shared with a kept image).
        report.space_reclaimed = layer_sizes
            .iter()
            .filter(|(d, _)| self.images.layer_size(d).is_none())
            .map(|(_, size)| size)
            .sum();
        self.emit_prune("image", report.space_reclaimed);
        Ok(report)
    }

    /// `docker network prune` (filters: until, label, label!): user-defined networks no
    /// container is attached to or joins when it starts.
    pub fn prune_networks(&self, filters: &Filters) -> Result<PruneReport> {
        let filter = PruneFilter::new(filters, &["until", "label", "label!"])?;
        let mut report = PruneReport::default();
        let used: HashSet<String> = self
            .records()?
            .iter()
            .flat_map(|(c, _)| c.networks.iter().cloned())
            .collect();
        for n in self.networks()?.list()? {
            let created = chrono::DateTime::from_timestamp(n.created as i64, 0).unwrap_or_default();
            if n.name == six_network::DEFAULT_NETWORK
                || !n.endpoints.is_empty()
                || used.contains(&n.name)
                || !filter.matches(created, &n.labels)
            {
                continue;
            }
            match self.remove_network(&n.name) {
                Ok(()) => report.deleted.push(n.name),
                Err(e) => warn_skipped(&n.name, &e),
            }
        }
        self.emit_prune("network", 0);
        Ok(report)
    }

    /// Docker's `TYPE prune` event: no actor, `reclaimed` bytes.
    pub(crate) fn emit_prune(&self, kind: &str, reclaimed: u64) {
        let attrs = BTreeMap::from([("reclaimed".to_owned(), reclaimed.to_string())]);
        self.emit(Event::new(kind, "prune", "", attrs));
    }
}

/// rmi's "Untagged: x" / "Deleted: sha256:…" as prune prints them: "untagged: x".
fn prune_words(line: &str) -> String {
    match line.split_once(": ") {
        Some((word, rest)) => format!("{}: {rest}", word.to_lowercase()),
        None => line.to_owned(),
    }
}

fn warn_skipped(what: &str, e: &crate::Error) {
    let error = e as &dyn std::error::Error;
    tracing::warn!(error, "prune: skipping {what}");
}
