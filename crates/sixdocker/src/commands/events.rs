//! `events` (and `system events`): the events journal as Docker prints it, one line an event,
//! flushed as each arrives: the live stream, or the history between `--since` and `--until`.

use std::io::{self, Write};

use chrono::Utc;
use six_engine::events::{Event, EventQuery};
use six_engine::filters::parse_timestamp;
use six_engine::Engine;
use six_gotemplate::{Struct, Value};

use super::{Failure, Outcome};
use crate::cli::EventsArgs;

pub fn events(engine: &Engine, args: EventsArgs) -> Outcome {
    let now = Utc::now();
    let time = |v: &Option<String>| v.as_deref().map(|v| parse_timestamp(v, now)).transpose();
    let query = EventQuery {
        since: time(&args.since)?,
        until: time(&args.until)?,
        filters: args.filter.into_iter().collect(),
    };
    // `{{json .}}` is Docker's JSON shape (its json tags); any other template sees the Go
    // struct (events.Message: Status, ID, From, Type, Action, Actor, Scope, Time, TimeNano).
    let format = args
        .format
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let json = matches!(format, Some("{{json .}}" | "json"));
    let template = match format {
        Some(f) if !json => Some(crate::output::format::parse(f)?),
        _ => None,
    };
    let mut out = io::stdout().lock();
    let mut print = |e: &Event| -> io::Result<()> {
        match &template {
            Some(t) => {
                let mut text = String::new();
                t.execute_into(&message(e), &mut text)
                    .map_err(|err| io::Error::other(format!("template parsing error: {err}")))?;
                writeln!(out, "{text}")?;
            }
            None if json => writeln!(
                out,
                "{}",
                serde_json::to_string(e).map_err(io::Error::other)?
            )?,
            None => writeln!(out, "{e}")?,
        }
        out.flush()
    };
    engine.events(&query, &mut print).map_err(|e| match e {
        six_engine::Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe => {
            Failure::from(source)
        }
        e => Failure::from(e),
    })?;
    Ok(0)
}

/// Docker's `events.Message` as a template sees it.
fn message(e: &Event) -> Value {
    let text = |s: &Option<String>| Value::from(s.clone().unwrap_or_default());
    let attributes = Value::map(
        e.actor
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    let actor = Struct::new("events.Actor")
        .field("ID", e.actor.id.clone())
        .field("Attributes", attributes);
    Value::Struct(std::rc::Rc::new(
        Struct::new("events.Message")
            .field("Status", text(&e.status))
            .field("ID", text(&e.id))
            .field("From", text(&e.from))
            .field("Type", e.kind.clone())
            .field("Action", e.action.clone())
            .field("Actor", Value::Struct(std::rc::Rc::new(actor)))
            .field("Scope", e.scope.clone())
            .field("Time", e.time)
            .field("TimeNano", e.time_nano),
    ))
}
