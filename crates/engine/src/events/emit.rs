//! The event each operation records, with Docker's attributes (as dockerd 20.10 sends them):
//! - container events: the container's labels, `image`, `name`, plus what the action adds
//!   (`exitCode` for die and exec_die, `signal` for kill, `execID` for exec_*, `imageID`,
//!   `imageRef` and `comment` for commit); `from` is the image;
//! - image events: the image's labels and `name` (the tag for tag, pull and push; the
//!   `sha256:` id otherwise), the actor is the `sha256:` id (the reference for pull/push);
//! - network events: `name`, `type` (the driver) and, for connect/disconnect, `container`;
//!   a container on `host` or `none` is connected to that predefined network (`null` driver
//!   for none) at each start and disconnected at each end, as dockerd does;
//! - volume events: `driver`; `create` for each named volume at container create, made or
//!   not (dockerd's volume service logs every create it is asked for); `mount` with where and
//!   how at each start, `unmount` at each end.

use std::collections::BTreeMap;

use super::{Event, Journal};
use crate::engine::Engine;
use crate::record::ContainerConfig;

impl Engine {
    /// The store's events journal (`<root>/events`).
    pub fn journal(&self) -> Journal {
        Journal::new(&self.opts.root.join("events"))
    }

    /// Records `event`; a journal that cannot take it costs only the event.
    pub(crate) fn emit(&self, event: Event) {
        if let Err(e) = self.journal().append(&event) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "recording the event {} {}", event.kind, event.action);
        }
    }

    /// A container event: labels, image and name, then `extra`.
    pub(crate) fn emit_container(
        &self,
        config: &ContainerConfig,
        action: &str,
        extra: &[(&str, String)],
    ) {
        let mut attrs = config.labels.clone();
        attrs.insert("image".to_owned(), config.image.clone());
        attrs.insert("name".to_owned(), config.name.clone());
        for (k, v) in extra {
            attrs.insert((*k).to_owned(), v.clone());
        }
        let mut event = Event::new("container", action, &config.id, attrs);
        event.from = Some(config.image.clone());
        self.emit(event);
    }

    /// An event of container `id`, if its record can still be read.
    pub(crate) fn emit_container_id(&self, id: &str, action: &str, extra: &[(&str, String)]) {
        if let Ok(config) = self.store.config(id) {
            self.emit_container(&config, action, extra);
        }
    }

    /// An image event: actor `sha256:<id>`, `name` (default: that id) and the image's labels.
    pub(crate) fn emit_image(&self, action: &str, image: &six_image::Image, name: Option<&str>) {
        let actor = format!("sha256:{}", image.id);
        let mut attrs = image.config.labels.clone();
        attrs.insert("name".to_owned(), name.unwrap_or(&actor).to_owned());
        self.emit(Event::new("image", action, &actor, attrs));
    }

    /// `image pull`/`image push`: the actor is the reference, `name` its repository.
    pub(crate) fn emit_image_reference(&self, action: &str, reference: &str, name: &str) {
        let attrs = BTreeMap::from([("name".to_owned(), name.to_owned())]);
        self.emit(Event::new("image", action, reference, attrs));
    }

    /// A network event; `container` for connect and disconnect.
    /// Docker's predefined `host` and `none` networks too: a container started on either is
    /// connected to it (and disconnected when it stops), as under Docker.
    pub(crate) fn emit_network(&self, action: &str, network: &str, container: Option<&str>) {
        let predefined = crate::PREDEFINED_NETWORKS
            .iter()
            .find(|(name, _, _)| *name == network)
            .map(|(name, driver, id)| (name.to_string(), driver.to_string(), id.to_string()));
        let Some((name, driver, id)) = predefined.or_else(|| {
            let n = self.networks().ok()?.inspect(network).ok()?;
            Some((n.name, n.driver, n.id))
        }) else {
            return;
        };
        let mut attrs = BTreeMap::from([("name".to_owned(), name), ("type".to_owned(), driver)]);
        if let Some(c) = container {
            attrs.insert("container".to_owned(), c.to_owned());
        }
        self.emit(Event::new("network", action, &id, attrs));
    }

    /// `network destroy` of a network already gone: its id, name and driver as they were.
    pub(crate) fn emit_network_removed(&self, n: &six_network::Network) {
        let attrs = BTreeMap::from([
            ("name".to_owned(), n.name.clone()),
            ("type".to_owned(), n.driver.clone()),
        ]);
        self.emit(Event::new("network", "destroy", &n.id, attrs));
    }
}
