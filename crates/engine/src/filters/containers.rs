//! `ps --filter`: which containers a filter set lets through, as Docker's daemon decides
//! (moby's `daemon/list.go`). Keys: id, name, label, status, exited, ancestor, before, since,
//! network, volume, publish, expose, health, is-task.
//!
//! The filter is compiled once per listing (values checked, `before`/`since` resolved to
//! containers, `ancestor` to the set of image ids it covers), then applied to each record
//! newest first: no process is spawned and no container is touched.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::Utc;

use super::{invalid_value, Filters};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::listing::ListedConfig;
use crate::record::{State, Status};
use crate::request::ContainerSummary;
use crate::status::status_word;

/// The keys `ps` takes.
const KEYS: &[&str] = &[
    "ancestor",
    "before",
    "exited",
    "expose",
    "health",
    "id",
    "is-task",
    "isolation",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
];

/// Docker's state words a `status` filter may name.
const STATES: &[&str] = &[
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
];

/// `ps`'s options that decide which containers are listed.
#[derive(Debug, Clone, Default)]
pub struct PsOptions {
    /// `-a`: stopped containers too (a `status` filter implies it).
    pub all: bool,
    /// `--filter` (id, name, status, label, ancestor, network, ...).
    pub filters: Filters,
}

impl Engine {
    /// `docker ps [-a] [--filter ...]`: the containers that pass, newest first.
    pub fn list_filtered(&self, options: &PsOptions) -> Result<Vec<ContainerSummary>> {
        let records = self.records()?;
        let mut filter = PsFilter::compile(self, &options.filters, &records)?;
        filter.all |= options.all;
        let now = Utc::now();
        let mut included = Vec::new();
        for (config, state) in &records {
            match filter.decide(config, state) {
                Decision::Include => included.push((config, state)),
                Decision::Exclude => {}
                Decision::Stop => break,
            }
        }
        let columns = self.image_columns(included.iter().map(|(c, _)| *c));
        let rows = included
            .into_iter()
            .zip(columns)
            .map(|((config, state), image)| {
                let mut row = crate::info::summary(config, state, now);
                row.image = image;
                row
            })
            .collect();
        Ok(rows)
    }

    /// Every readable container record as listings see it, newest first (each checked for a
    /// repair on an engine opened to read: `reconcile.rs`).
    pub(crate) fn records(&self) -> Result<Vec<(ListedConfig, State)>> {
        let mut records = self.reconciled_records()?;
        records.sort_by(|(a, _), (b, _)| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(records)
    }
}

enum Decision {
    Include,
    Exclude,
    /// `since`: the container named was reached; older ones are not listed.
    Stop,
}

/// A `ps` filter set, checked and resolved.
struct PsFilter<'f> {
    filters: &'f Filters,
    all: bool,
    exited: Vec<i32>,
    /// `before`: containers are skipped until this one has been passed.
    before: Option<String>,
    since: Option<String>,
    /// `ancestor`: the image ids it covers (None: no such filter).
    images: Option<HashSet<String>>,
    is_task: Option<bool>,
    publish: HashSet<(u16, String)>,
    expose: HashSet<(u16, String)>,
    /// `network`: network ids by name, to match id prefixes.
    network_ids: HashMap<String, String>,
}

impl<'f> PsFilter<'f> {
    fn compile(
        engine: &Engine,
        filters: &'f Filters,
        records: &[(ListedConfig, State)],
    ) -> Result<PsFilter<'f>> {
        filters.validate(KEYS)?;
        let exited = filters
            .values("exited")
            .map(|v| v.parse::<i32>().map_err(|_| invalid_value("exited", v)))
            .collect::<Result<Vec<_>>>()?;
        if let Some(bad) = filters.values("status").find(|v| !STATES.contains(v)) {
            return Err(invalid_value("status", bad));
        }
        let is_task = match filters.contains("is-task") {
            false => None,
            true if filters.exact_match("is-task", "true") => Some(true),
            true if filters.exact_match("is-task", "false") => Some(false),
            true => return Err(invalid_value("is-task", &filters.value_list("is-task"))),
        };
        if let Some(bad) = filters
            .values("health")
            .find(|v| !["starting", "healthy", "unhealthy", "none"].contains(v))
        {
            return Err(Error::Invalid(format!(
                "Unrecognised filter value for health: {bad}"
            )));
        }
        let resolve = |key| -> Result<Option<String>> {
            let mut found = None;
            for value in filters.values(key) {
                found = Some(resolve_listed(engine, records, value)?);
            }
            Ok(found)
        };
        let network_ids = match filters.contains("network") {
            true => engine
                .networks()?
                .list()?
                .into_iter()
                .map(|n| (n.name, n.id))
                .collect(),
            false => HashMap::new(),
        };
        Ok(PsFilter {
            filters,
            all: filters.contains("status"),
            exited,
            before: resolve("before")?,
            since: resolve("since")?,
            images: ancestor_images(engine, filters)?,
            is_task,
            publish: ports(filters, "publish")?,
            expose: ports(filters, "expose")?,
            network_ids,
        })
    }

    /// moby's `includeContainerInList`, in its order.
    fn decide(&mut self, config: &ListedConfig, state: &State) -> Decision {
        if let Some(before) = &self.before {
            if *before == config.id {
                self.before = None;
            }
            return Decision::Exclude;
        }
        if self.since.as_deref() == Some(config.id.as_str()) {
            return Decision::Stop;
        }
        let running = matches!(state.status, Status::Running | Status::Restarting);
        let f = self.filters;
        let pass = (running || self.all)
            && (f.matches("name", &format!("/{}", config.name)) || f.matches("name", &config.name))
            && f.matches("id", &config.id)
            && self.is_task.is_none_or(|t| !t)
            && f.match_kv_list("label", &config.labels)
            && self.exit_code_passes(state, running)
            && f.matches("status", status_word(state))
            && f.exact_match("health", health_word(state))
            && volume_passes(f, config)
            && self
                .images
                .as_ref()
                .is_none_or(|ids| ids.contains(&config.image_id))
            && self.network_passes(config, state)
            && self.ports_pass(state);
        match pass {
            true => Decision::Include,
            false => Decision::Exclude,
        }
    }

    /// `exited=N`: ended (after having started) with one of the codes.
    fn exit_code_passes(&self, state: &State, running: bool) -> bool {
        self.exited.is_empty()
            || (!running
                && state.started_at.is_some()
                && state.status != Status::Created
                && self.exited.contains(&state.exit_code))
    }

    /// `network=NAME|ID-PREFIX`: connected now, or the networks it joins when it runs — also
    /// before its first start, as dockerd (20.10) fills NetworkSettings.Networks at create.
    fn network_passes(&self, config: &ListedConfig, state: &State) -> bool {
        if !self.filters.contains("network") {
            return true;
        }
        let mut names: BTreeSet<&str> = state.networks.iter().map(|n| n.network.as_str()).collect();
        names.extend(
            config
                .networks
                .iter()
                .map(String::as_str)
                .filter(|n| !n.starts_with("container:")),
        );
        self.filters.values("network").any(|value| {
            names.contains(value)
                || names.iter().any(|name| {
                    self.network_ids
                        .get(*name)
                        .is_some_and(|id| id.starts_with(value))
                })
        })
    }

    /// `publish=PORT[/PROTO]` (host side) or `expose=PORT[/PROTO]` (container side): any
    /// mapping of the container on either passes.
    fn ports_pass(&self, state: &State) -> bool {
        if self.publish.is_empty() && self.expose.is_empty() {
            return true;
        }
        state.networks.iter().flat_map(|n| &n.ports).any(|p| {
            let proto = p.proto.to_string();
            self.publish
                .contains(&(p.host_port.unwrap_or(0), proto.clone()))
                || self.expose.contains(&(p.container_port, proto))
        })
    }
}

/// Docker's health word of a container: its status, or "none" without a check.
fn health_word(state: &crate::record::State) -> &'static str {
    state.health.as_ref().map_or("none", |h| h.status.word())
}

/// `volume=DEST|SOURCE|NAME`: a mount at that destination, from that source, or of that
/// volume.
fn volume_passes(f: &Filters, config: &ListedConfig) -> bool {
    if !f.contains("volume") {
        return true;
    }
    f.values("volume").any(|value| {
        config.mounts.iter().any(|m| {
            m.destination.as_os_str() == value
                || m.source.as_os_str() == value
                || (!m.name.is_empty() && m.name == value)
        })
    })
}

/// `before=`/`since=`: a listed container by id, id prefix or name.
fn resolve_listed(
    engine: &Engine,
    records: &[(ListedConfig, State)],
    value: &str,
) -> Result<String> {
    let id = engine.store.resolve(value)?;
    match records.iter().any(|(c, _)| c.id == id) {
        true => Ok(id),
        false => Err(Error::NoSuchContainer(value.to_owned())),
    }
}

/// `ancestor=IMAGE`: the image (name, name:tag, id, id prefix, repo@digest) and every image
/// built on it (its layers are the start of theirs: a commit on top of it, say). An image
/// that does not exist covers nothing (Docker only warns).
fn ancestor_images(engine: &Engine, filters: &Filters) -> Result<Option<HashSet<String>>> {
    if !filters.contains("ancestor") {
        return Ok(None);
    }
    let all = engine.images.list()?;
    let mut ids = HashSet::new();
    for value in filters.values("ancestor") {
        let Ok(Some(image)) = engine.images.find_image(value) else {
            tracing::warn!("ancestor filter: no image {value}");
            continue;
        };
        if !image.layers.is_empty() {
            ids.extend(
                all.iter()
                    .filter(|i| i.layers.starts_with(&image.layers))
                    .map(|i| i.id.clone()),
            );
        }
        ids.insert(image.id);
    }
    Ok(Some(ids))
}

/// `publish`/`expose` values: `80`, `80/udp`, `8000-8010/tcp`; never `host:container`.
fn ports(filters: &Filters, key: &str) -> Result<HashSet<(u16, String)>> {
    let mut set = HashSet::new();
    for value in filters.values(key) {
        if value.contains(':') {
            return Err(Error::Invalid(format!(
                "filter for '{key}' should not contain ':': {value}"
            )));
        }
        let (range, proto) = value.split_once('/').unwrap_or((value, "tcp"));
        let bad = || {
            Error::Invalid(format!(
                "error while looking up for {key} {value}: expected PORT[-PORT][/PROTO]"
            ))
        };
        let (start, end) = range.split_once('-').unwrap_or((range, range));
        let (start, end) = (
            start.parse::<u16>().map_err(|_| bad())?,
            end.parse::<u16>().map_err(|_| bad())?,
        );
        if end < start {
            return Err(bad());
        }
        set.extend((start..=end).map(|p| (p, proto.to_lowercase())));
    }
    Ok(set)
}
