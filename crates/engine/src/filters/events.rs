//! `events --filter`: container, image, event, type, label, network, volume (and Docker's
//! daemon, scope), as Docker's daemon matches them (moby's `daemon/events/filter.go`):
//! - `container=`, `network=`, `volume=`: the actor's ID starts with the value or its `name`
//!   attribute does, and this applies to every event (`container=web` shows web's events only);
//! - `image=`: the actor's ID or its image (`image` attribute of container events, `name` of
//!   image events), with or without the tag;
//! - `event=`: the action exactly (`exec_create`, `exec_start` and `health_status` as a
//!   prefix, since those actions carry the command);
//! - `type=`, `scope=`: exactly; `label=`: the attributes, as every label filter.
//!
//! Docker's daemon ignores keys it does not know here; sixdocker refuses them, as its other
//! commands do ("invalid filter 'foo'").

use super::Filters;
use crate::error::Result;
use crate::events::Event;

const KEYS: &[&str] = &[
    "config",
    "container",
    "daemon",
    "event",
    "image",
    "label",
    "network",
    "node",
    "plugin",
    "scope",
    "secret",
    "service",
    "type",
    "volume",
];

/// A checked `events` filter set.
#[derive(Debug, Clone)]
pub struct EventFilter {
    filters: Filters,
}

impl EventFilter {
    /// The filters checked: an unknown key is refused ("invalid filter 'foo'").
    pub fn new(filters: &Filters) -> Result<EventFilter> {
        filters.validate(KEYS)?;
        Ok(EventFilter {
            filters: filters.clone(),
        })
    }

    /// Whether `e` passes every filter key (any of a key's values).
    pub fn includes(&self, e: &Event) -> bool {
        let f = &self.filters;
        self.action_passes(e)
            && f.exact_match("type", &e.kind)
            && f.exact_match("scope", &e.scope)
            && [
                "container",
                "network",
                "volume",
                "plugin",
                "service",
                "secret",
                "config",
                "node",
            ]
            .iter()
            .all(|key| self.names_actor(key, e))
            && self.image_passes(e)
            && f.match_kv_list("label", &e.actor.attributes)
            && !f.contains("daemon")
    }

    fn action_passes(&self, e: &Event) -> bool {
        let prefixed = ["health_status", "exec_create", "exec_start"];
        match self.filters.values("event").any(|v| prefixed.contains(&v)) {
            true => self.filters.fuzzy_match("event", &e.action),
            false => self.filters.exact_match("event", &e.action),
        }
    }

    /// moby's `fuzzyMatchName`: the actor's ID or its `name` attribute, by prefix.
    fn names_actor(&self, key: &str, e: &Event) -> bool {
        let name = e.actor.attributes.get("name").map_or("", String::as_str);
        self.filters.fuzzy_match(key, &e.actor.id) || self.filters.fuzzy_match(key, name)
    }

    fn image_passes(&self, e: &Event) -> bool {
        let attr = if e.kind == "image" { "name" } else { "image" };
        let name = e.actor.attributes.get(attr).map_or("", String::as_str);
        let f = &self.filters;
        f.exact_match("image", &e.actor.id)
            || f.exact_match("image", name)
            || f.exact_match("image", &strip_tag(&e.actor.id))
            || f.exact_match("image", &strip_tag(name))
    }
}

/// The repository of a reference ("busybox:latest" -> "busybox"); anything else as it is.
fn strip_tag(image: &str) -> String {
    six_registry::Reference::parse(image)
        .map(|r| r.familiar_name())
        .unwrap_or_else(|_| image.to_owned())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn ev(kind: &str, action: &str, id: &str, attrs: &[(&str, &str)]) -> Event {
        let attrs: BTreeMap<String, String> = attrs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Event::new(kind, action, id, attrs)
    }

    #[test]
    fn event_filters_as_dockers() {
        let start = ev(
            "container",
            "start",
            "abc123",
            &[("image", "busybox"), ("name", "web"), ("team", "a")],
        );
        let exec = ev(
            "container",
            "exec_start: sh -c true",
            "abc123",
            &[("image", "busybox"), ("name", "web")],
        );
        let tag = ev("image", "tag", "sha256:ff00", &[("name", "busybox:latest")]);
        let net = ev(
            "network",
            "connect",
            "n1d",
            &[
                ("container", "abc123"),
                ("name", "front"),
                ("type", "bridge"),
            ],
        );
        let all = [&start, &exec, &tag, &net];
        let pass = |pairs: &[(&str, &str)]| -> Vec<String> {
            let f = EventFilter::new(&pairs.iter().copied().collect()).unwrap();
            all.iter()
                .filter(|e| f.includes(e))
                .map(|e| format!("{} {}", e.kind, e.action))
                .collect()
        };
        assert_eq!(pass(&[]).len(), 4);
        assert_eq!(pass(&[("type", "image")]), ["image tag"]);
        assert_eq!(pass(&[("event", "start")]), ["container start"]);
        assert_eq!(
            pass(&[("event", "exec_start")]),
            ["container exec_start: sh -c true"]
        );
        assert_eq!(
            pass(&[("event", "tag"), ("event", "connect")]),
            ["image tag", "network connect"]
        );
        assert_eq!(pass(&[("container", "web")]).len(), 2, "by name");
        assert_eq!(
            pass(&[("container", "abc")]).len(),
            2,
            "by id prefix; not the network's event"
        );
        assert_eq!(pass(&[("network", "front")]), ["network connect"]);
        assert_eq!(
            pass(&[("image", "busybox")]),
            [
                "container start",
                "container exec_start: sh -c true",
                "image tag"
            ]
        );
        assert_eq!(pass(&[("image", "busybox:latest")]), ["image tag"]);
        assert_eq!(pass(&[("image", "sha256:ff00")]), ["image tag"]);
        assert_eq!(pass(&[("label", "team=a")]), ["container start"]);
        assert_eq!(
            pass(&[("type", "container"), ("event", "tag")]).len(),
            0,
            "different keys: both"
        );
        assert_eq!(pass(&[("scope", "local")]).len(), 4);
        assert_eq!(
            EventFilter::new(&[("foo", "1")].into_iter().collect())
                .unwrap_err()
                .to_string(),
            "invalid filter 'foo'"
        );
    }
}
