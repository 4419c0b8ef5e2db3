//! `network` and its subcommands (with the original's `list` and `remove`).

use std::net::Ipv4Addr;

use clap::{Args, Subcommand};
use six_network::Subnet;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum NetworkCommand {
    /// Create a network.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(alias = "list")]
    Ls(NetworkLsArgs),
    /// Remove networks.
    #[command(alias = "remove")]
    Rm(NamesArg),
    /// Print networks as JSON.
    Inspect(NetworkInspectArgs),
    /// Connect a container to a network.
    Connect(NetworkConnectArgs),
    /// Disconnect a container from a network.
    Disconnect(NetworkContainerArgs),
    /// Remove every user-defined network no container uses.
    Prune(super::PruneArgs),
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// The driver (only bridge).
    #[arg(short, long, default_value = "bridge")]
    pub driver: String,
    /// The subnet in CIDR form (e.g. 172.18.0.0/16; default: a free one).
    #[arg(long)]
    pub subnet: Option<Subnet>,
    /// The gateway address (default: the first address of the subnet).
    #[arg(long, value_parser = parse_gateway)]
    pub gateway: Option<Ipv4Addr>,
    /// No route to the outside.
    #[arg(long)]
    pub internal: bool,
    /// Set metadata on the network (KEY=VALUE, or KEY for an empty value).
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Print network IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    /// Only networks that pass (KEY=VALUE; driver, id, label, name, scope, type, dangling).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<six_engine::filters::FilterArg>,
    /// Do not truncate IDs.
    #[arg(long)]
    pub no_trunc: bool,
    #[command(flatten)]
    pub format: super::FormatArg,
}

#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    #[command(flatten)]
    pub format: super::InspectFormatArg,
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NamesArg {
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Its IPv4 address there (a user-defined network whose subnet was given at create).
    #[arg(long, value_name = "ADDRESS", value_parser = six_engine::types::parse_ipv4)]
    pub ip: Option<Ipv4Addr>,
    /// Another name the network's containers resolve to it (user-defined networks).
    #[arg(long, value_name = "NAME", value_parser = six_engine::types::parse_network_alias)]
    pub alias: Vec<String>,
    pub network: String,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct NetworkContainerArgs {
    pub network: String,
    pub container: String,
}

/// `--gateway`: an IPv4 address.
fn parse_gateway(s: &str) -> Result<Ipv4Addr, String> {
    s.parse().map_err(|_| {
        format!("invalid gateway \"{s}\": expected an IPv4 address such as 172.18.0.1")
    })
}
