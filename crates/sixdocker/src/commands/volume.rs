//! `volume create|ls|inspect|rm|prune` (and the aliases `list`, `remove`): calls the engine,
//! prints what Docker prints.

use std::collections::BTreeMap;
use std::io;

use six_engine::filters::{filter_volumes, VolumeView};
use six_engine::{Engine, VolumeCreate};

use super::{for_each, prune, report, say, Failure, Outcome};
use crate::cli::{VolumeCommand, VolumeCreateArgs, VolumeLsArgs, VolumePruneArgs};
use crate::output::{format, volumes};

pub fn volume(engine: &Engine, command: VolumeCommand) -> Outcome {
    match command {
        VolumeCommand::Create(args) => create(engine, args),
        VolumeCommand::Ls(args) => ls(engine, args),
        VolumeCommand::Inspect(args) => {
            let mut found = Vec::new();
            let mut code = 0;
            for name in &args.names {
                match engine.inspect_volume(name) {
                    Ok(v) => found.push(volumes::inspect_json(&v)),
                    Err(e) => code = report(Failure::from(e)),
                }
            }
            super::inspect::write_documents(&found, args.format.format.as_deref())?;
            Ok(code)
        }
        VolumeCommand::Rm(args) => for_each(&args.names, |name| {
            engine
                .remove_volume(name, args.force)
                .map_err(Failure::from)
        }),
        VolumeCommand::Prune(args) => prune(engine, args),
    }
}

/// `KEY=VALUE` (or `KEY`, an empty value) pairs, as Docker's list and map options read them.
pub(super) fn pairs(values: &[String]) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (v.clone(), String::new()),
        })
        .collect()
}

/// Prints the volume's name, as Docker.
fn create(engine: &Engine, args: VolumeCreateArgs) -> Outcome {
    let name = match (args.name, args.name_flag) {
        (Some(a), Some(b)) if a != b => {
            return Err(Failure::usage(format!(
                "conflicting options: either specify --name or provide positional arg, not both ({b}, {a})"
            )))
        }
        (a, b) => a.or(b),
    };
    let volume = engine.create_volume(VolumeCreate {
        name,
        driver: Some(args.driver),
        labels: pairs(&args.label),
        options: pairs(&args.opt),
    })?;
    say(&volume.name)?;
    Ok(0)
}

fn ls(engine: &Engine, args: VolumeLsArgs) -> Outcome {
    let filters = args.filter.into_iter().collect();
    let rows = filter_volumes(engine.volumes()?, VolumeView::of, &filters)?;
    let custom = args.format.format.as_deref().filter(|f| !f.is_empty());
    let template = match (custom, args.quiet) {
        (None | Some("table"), true) => "{{.Name}}",
        (None, false) => volumes::VOLUMES_TABLE,
        (Some(f), _) => f,
    };
    let values: Vec<_> = rows.iter().map(volumes::volume_row).collect();
    let mut out = io::stdout().lock();
    format::print_list(
        &mut out,
        Some(template),
        volumes::VOLUMES_TABLE,
        &values,
        &volumes::volumes_headers(),
    )?;
    Ok(0)
}

/// Asks first (unless `-f`), as Docker: anything but y/Y cancels, quietly, with 0.
fn prune(engine: &Engine, args: VolumePruneArgs) -> Outcome {
    let filters = args.filter.into_iter().collect();
    let which = if args.all { "all" } else { "anonymous" };
    let warning = format!(
        "WARNING! This will remove {which} local volumes not used by at least one container."
    );
    if !args.force && !prune::confirmed(&warning)? {
        return Ok(0);
    }
    let report = engine.prune_volumes(args.all, &filters)?;
    prune::print_section(&prune::section("Deleted Volumes:", &report.deleted))?;
    prune::print_total(report.space_reclaimed)
}
