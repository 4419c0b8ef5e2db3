//! `inspect` (and `container inspect`, `image inspect`, `--type`): containers first, then
//! images, then networks, then volumes, as Docker looks names up; a JSON array of what was found, or each
//! document through `-f TEMPLATE`; one line per name that matched nothing.

use std::io::{self, Write};

use six_engine::Engine;

use super::{report, Failure, Outcome};
use crate::cli::{InspectArgs, ObjectKind};
use crate::output;

pub fn inspect(engine: &Engine, args: InspectArgs) -> Outcome {
    let mut found = Vec::new();
    let mut code = 0;
    for name in &args.names {
        match find(engine, name, args.kind, args.size) {
            Ok(doc) => found.push(doc),
            Err(f) => code = report(f),
        }
    }
    write_documents(&found, args.format.format.as_deref())?;
    Ok(code)
}

/// The document of `name`, of `kind` or of the first kind that has it.
fn find(
    engine: &Engine,
    name: &str,
    kind: Option<ObjectKind>,
    size: bool,
) -> Result<serde_json::Value, Failure> {
    let wants = |k| kind.is_none_or(|only| only == k);
    if wants(ObjectKind::Container) {
        match engine.inspect(name) {
            Ok(mut doc) => {
                if let (true, Some(map)) = (size, doc.as_object_mut()) {
                    let (rw, rootfs) = engine.container_size(name)?;
                    // Docker's place for them: right after GraphDriver.
                    let at = map
                        .keys()
                        .position(|k| k == "GraphDriver")
                        .map_or(map.len(), |i| i + 1);
                    map.shift_insert(at, "SizeRw".to_owned(), rw.into());
                    map.shift_insert(at + 1, "SizeRootFs".to_owned(), rootfs.into());
                }
                return Ok(doc);
            }
            Err(six_engine::Error::NoSuchContainer(_)) if kind.is_none() => {}
            Err(e) => return Err(e.into()),
        }
    }
    if wants(ObjectKind::Image) {
        if let Ok(doc) = engine.inspect_image(name) {
            return Ok(doc);
        }
        if kind.is_some() {
            return Err(Failure::other(format!("no such image: {name}")));
        }
    }
    if wants(ObjectKind::Network) {
        if let Ok(doc) = engine.inspect_network(name) {
            return Ok(doc);
        }
        if let Some(doc) = engine.inspect_predefined_network(name) {
            return Ok(doc);
        }
        if kind.is_some() {
            return Err(Failure::other(format!("network {name} not found")));
        }
    }
    if wants(ObjectKind::Volume) {
        match engine.inspect_volume(name) {
            Ok(v) => return Ok(output::volumes::inspect_json(&v)),
            Err(e) if kind.is_some() => return Err(e.into()),
            Err(_) => {}
        }
    }
    Err(Failure::other(format!("no such object: {name}")))
}

/// Inspect documents: the JSON array, or each through `-f TEMPLATE` (one per line).
pub fn write_documents(docs: &[serde_json::Value], template: Option<&str>) -> Result<(), Failure> {
    // Buffered: stdout writes each line on its own, 200 writes for one container's document.
    let mut out = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    match template.filter(|t| !t.is_empty()) {
        None => output::json::write_array(&mut out, docs)?,
        Some(t) => output::format::print_each(
            &mut out,
            t,
            docs.iter().map(six_gotemplate::docker::inspect_value),
        )?,
    }
    out.flush()?;
    Ok(())
}
