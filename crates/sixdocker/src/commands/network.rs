//! `network create|ls|rm|inspect|connect|disconnect` (and the original's `list`/`remove`):
//! calls into six-network through the engine, prints Docker's output.

use std::io;

use six_engine::filters::{filter_networks, NetworkView};
use six_engine::Engine;
use six_network::NetworkSpec;

use super::{for_each, report, say, Failure, Outcome};
use crate::cli::{NetworkCommand, NetworkCreateArgs, NetworkLsArgs};
use crate::output::{format, networks};

pub fn network(engine: &Engine, command: NetworkCommand) -> Outcome {
    match command {
        NetworkCommand::Create(args) => create(engine, args),
        NetworkCommand::Ls(args) => ls(engine, args),
        NetworkCommand::Rm(args) => for_each(&args.names, |name| {
            if networks::predefined_document(name).is_some() {
                return Err(Failure::other(format!(
                    "{name} is a pre-defined network and cannot be removed"
                )));
            }
            engine.remove_network(name).map_err(Failure::from)
        }),
        NetworkCommand::Inspect(args) => {
            let mut found = Vec::new();
            let mut code = 0;
            for name in &args.names {
                match engine.inspect_network(name) {
                    Ok(doc) => found.push(doc),
                    Err(e) => match engine.inspect_predefined_network(name) {
                        Some(doc) => found.push(doc),
                        None => code = report(Failure::from(e)),
                    },
                }
            }
            super::inspect::write_documents(&found, args.format.format.as_deref())?;
            Ok(code)
        }
        NetworkCommand::Connect(args) => {
            let settings = six_engine::EndpointSettings {
                ip: args.ip,
                aliases: args.alias,
            };
            engine.connect_with(&args.network, &args.container, &settings)?;
            Ok(0)
        }
        NetworkCommand::Disconnect(args) => {
            engine.disconnect(&args.network, &args.container)?;
            Ok(0)
        }
        NetworkCommand::Prune(args) => super::prune::networks(engine, args),
    }
}

/// `network ls`: the store's networks and the predefined `host` and `none`, by name.
fn ls(engine: &Engine, args: NetworkLsArgs) -> Outcome {
    let mut rows: Vec<networks::NetworkRow> = engine
        .networks()?
        .list()?
        .iter()
        .map(networks::NetworkRow::of)
        .collect();
    rows.extend(networks::NetworkRow::predefined());
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    let filters = args.filter.into_iter().collect();
    let rows = filter_networks(rows, row_view, &filters)?;
    let custom = args.format.format.as_deref().filter(|f| !f.is_empty());
    // As Docker's NewNetworkFormat: -q replaces the table, not a custom template.
    let template = match (custom, args.quiet) {
        (None | Some("table"), true) => "{{.ID}}",
        (None, false) => networks::NETWORKS_TABLE,
        (Some(f), _) => f,
    };
    let values: Vec<_> = rows
        .iter()
        .map(|n| networks::network_row(n, !args.no_trunc))
        .collect();
    let mut out = io::stdout().lock();
    format::print_list(
        &mut out,
        Some(template),
        networks::NETWORKS_TABLE,
        &values,
        &networks::networks_headers(),
    )?;
    Ok(0)
}

/// Prints the new network's ID, as Docker.
fn create(engine: &Engine, args: NetworkCreateArgs) -> Outcome {
    if args.driver != "bridge" {
        return Err(Failure::other(format!(
            "network driver \"{}\" is not supported: only bridge",
            args.driver
        )));
    }
    if networks::predefined_document(&args.name).is_some() {
        return Err(Failure::other(format!(
            "network with name {} already exists",
            args.name
        )));
    }
    let spec = NetworkSpec {
        name: args.name,
        driver: args.driver,
        subnet: args.subnet,
        gateway: args.gateway,
        internal: args.internal,
        labels: super::volume::pairs(&args.label),
    };
    let network = engine.create_network(spec)?;
    say(&network.id)?;
    Ok(0)
}

/// What `network ls --filter` looks at in a listed network (of the store or predefined).
fn row_view(n: &networks::NetworkRow) -> NetworkView {
    NetworkView {
        name: n.name.clone(),
        id: n.id.clone(),
        driver: n.driver.clone(),
        scope: "local".to_owned(),
        labels: n.labels.clone(),
        containers: n.containers,
    }
}
