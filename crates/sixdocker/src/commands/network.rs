//! `network create|ls|rm|inspect|connect|disconnect` (and the original's `list`/`remove`):
//! calls into six-network through the engine, prints Docker's output.

use std::io::{self, Write};

use six_engine::filters::{filter_networks, NetworkView};
use six_engine::Engine;
use six_network::NetworkSpec;

use super::{for_each, report, say, Failure, Outcome};
use crate::cli::{NetworkCommand, NetworkCreateArgs};
use crate::output::{json, networks::networks_table};

pub fn network(engine: &Engine, command: NetworkCommand) -> Outcome {
    match command {
        NetworkCommand::Create(args) => create(engine, args),
        NetworkCommand::Ls(args) => {
            let filters = args.filter.into_iter().collect();
            let networks = filter_networks(engine.networks()?.list()?, network_view, &filters)?;
            let mut out = io::stdout().lock();
            if args.quiet {
                for n in &networks {
                    writeln!(out, "{}", crate::output::human::short_id(&n.id))?;
                }
            } else {
                networks_table(&networks).write(&mut out)?;
            }
            Ok(0)
        }
        NetworkCommand::Rm(args) => {
            let networks = engine.networks()?;
            for_each(&args.names, |name| {
                networks.remove(name).map_err(Failure::from)
            })
        }
        NetworkCommand::Inspect(args) => {
            let mut found = Vec::new();
            let mut code = 0;
            let networks = engine.networks()?;
            for name in &args.names {
                match networks.inspect(name) {
                    Ok(n) => found.push(n),
                    Err(e) => code = report(Failure::from(e)),
                }
            }
            json::write_array(&mut io::stdout().lock(), &found)?;
            Ok(code)
        }
        NetworkCommand::Connect(args) => {
            engine.connect(&args.network, &args.container)?;
            Ok(0)
        }
        NetworkCommand::Disconnect(args) => {
            engine.disconnect(&args.network, &args.container)?;
            Ok(0)
        }
    }
}

/// Prints the new network's ID, as Docker.
fn create(engine: &Engine, args: NetworkCreateArgs) -> Outcome {
    if args.driver != "bridge" {
        return Err(Failure::other(format!(
            "network driver \"{}\" is not supported: only bridge",
            args.driver
        )));
    }
    let spec = NetworkSpec {
        name: args.name,
        driver: args.driver,
        subnet: args.subnet,
        gateway: args.gateway,
        internal: args.internal,
    };
    let network = engine.networks()?.create(spec)?;
    say(&network.id)?;
    Ok(0)
}

/// What `network ls --filter` looks at in a network of the store.
fn network_view(n: &six_network::Network) -> NetworkView {
    NetworkView {
        name: n.name.clone(),
        id: n.id.clone(),
        driver: n.driver.clone(),
        scope: "local".to_owned(),
        labels: Default::default(),
        containers: n.endpoints.len(),
    }
}
