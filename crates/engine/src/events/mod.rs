//! Docker's events: what happened to containers, images and networks, in Docker's JSON shape
//! (`status`, `id`, `from`, `Type`, `Action`, `Actor{ID, Attributes}`, `scope`, `time`,
//! `timeNano`) and its text line (`2026-12-05T18:00:00.000000000Z container start ID
//! (image=busybox, name=x)`).
//!
//! Every command and every monitor appends what it does to one bounded journal on disk
//! (`journal.rs`: records appended whole under a lock, rotated at a fixed size, a torn tail
//! skipped by readers); `emit.rs` says which event each operation records; `read.rs` serves
//! `sixdocker events` (history between `--since` and `--until`, then the live stream).
//! Recording an event never fails an operation: a journal that cannot be written (a full
//! disk, a lock held too long) costs the event, with a warning in the debug trace.

mod emit;
mod journal;
mod read;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use journal::Journal;
pub use read::EventQuery;

/// One event, as Docker's API and `--format '{{json .}}'` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The action again (Docker's older field; container and image events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The actor's ID again (container and image events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The container's image (container events only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// container, image, network, volume.
    #[serde(rename = "Type")]
    pub kind: String,
    /// create, start, die, ..., `exec_start: sh -c true`.
    #[serde(rename = "Action")]
    pub action: String,
    /// What the event is about.
    #[serde(rename = "Actor")]
    pub actor: Actor,
    /// Always "local" here.
    pub scope: String,
    /// Unix seconds.
    pub time: i64,
    /// Unix nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

/// The object of an event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Its full ID (a network's, an image's...).
    #[serde(rename = "ID")]
    pub id: String,
    /// Its details ("name", "image", "exitCode"...).
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

impl Event {
    /// An event of `kind` that happens now; container and image events carry Docker's older
    /// `status` and `id` fields too.
    pub fn new(kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) -> Event {
        Event::at(Utc::now(), kind, action, id, attributes)
    }

    /// Like [`Event::new`], at `when`.
    pub fn at(
        when: DateTime<Utc>,
        kind: &str,
        action: &str,
        id: &str,
        attributes: BTreeMap<String, String>,
    ) -> Event {
        // Docker fills its older fields for these two types; empty ones are left out.
        let legacy = matches!(kind, "container" | "image");
        let time_nano = when.timestamp_nanos_opt().unwrap_or(i64::MAX);
        let from = attributes
            .get("image")
            .filter(|_| kind == "container")
            .cloned();
        Event {
            status: legacy.then(|| action.to_owned()),
            id: (legacy && !id.is_empty()).then(|| id.to_owned()),
            from,
            kind: kind.to_owned(),
            action: action.to_owned(),
            actor: Actor {
                id: id.to_owned(),
                attributes,
            },
            scope: "local".to_owned(),
            time: time_nano.div_euclid(1_000_000_000),
            time_nano,
        }
    }

    /// (seconds, nanoseconds) since the epoch, for comparisons with `--since`/`--until`.
    pub fn instant(&self) -> (i64, u32) {
        (
            self.time_nano.div_euclid(1_000_000_000),
            self.time_nano.rem_euclid(1_000_000_000) as u32,
        )
    }
}

impl fmt::Display for Event {
    /// Docker's text line: local time with nanoseconds, type, action, actor, then the
    /// attributes as `k=v` sorted as strings.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (secs, nanos) = self.instant();
        let when = DateTime::from_timestamp(secs, nanos)
            .unwrap_or_default()
            .with_timezone(&chrono::Local);
        let zone = match when.format("%:z").to_string().as_str() {
            "+00:00" => "Z".to_owned(),
            other => other.to_owned(),
        };
        write!(
            f,
            "{}{zone} {} {} {}",
            when.format("%Y-%m-%dT%H:%M:%S%.9f"),
            self.kind,
            self.action,
            self.actor.id
        )?;
        let mut attrs: Vec<String> = self
            .actor
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        attrs.sort();
        if !attrs.is_empty() {
            write!(f, " ({})", attrs.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn attrs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn dockers_json_shape() {
        let when = Utc.timestamp_opt(1_796_493_747, 71_175_884).unwrap();
        let mut e = Event::at(
            when,
            "container",
            "create",
            "3182c4",
            attrs(&[("image", "busybox"), ("name", "web")]),
        );
        e.from = Some("busybox".into());
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"status":"create","id":"3182c4","from":"busybox","Type":"container","Action":"create","Actor":{"ID":"3182c4","Attributes":{"image":"busybox","name":"web"}},"scope":"local","time":1796493747,"timeNano":1796493747071175884}"#
        );
        let n = Event::at(
            when,
            "network",
            "create",
            "6722",
            attrs(&[("name", "n2"), ("type", "bridge")]),
        );
        assert_eq!(
            serde_json::to_string(&n).unwrap(),
            r#"{"Type":"network","Action":"create","Actor":{"ID":"6722","Attributes":{"name":"n2","type":"bridge"}},"scope":"local","time":1796493747,"timeNano":1796493747071175884}"#
        );
        let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }

    #[test]
    fn dockers_text_line() {
        let when = Utc.timestamp_opt(1_796_493_747, 975_396_851).unwrap();
        let e = Event::at(
            when,
            "container",
            "die",
            "a5a0a3",
            attrs(&[("exitCode", "3"), ("image", "busybox"), ("name", "ex")]),
        );
        let line = e.to_string();
        let local = when.with_timezone(&chrono::Local);
        let expected_time = if local.offset().local_minus_utc() == 0 {
            "2026-12-05T18:02:27.975396851Z".to_owned()
        } else {
            local.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string()
        };
        assert_eq!(
            line,
            format!("{expected_time} container die a5a0a3 (exitCode=3, image=busybox, name=ex)")
        );
        let bare = Event::at(when, "image", "delete", "sha256:1", BTreeMap::new());
        assert!(bare.to_string().ends_with(" image delete sha256:1"));
    }
}
