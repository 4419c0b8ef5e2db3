//! The operands and flags of the system-wide commands: `events`, the prune commands and
//! `system df`, `system service`.

use clap::Args;
use six_engine::filters::FilterArg;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Show events from this time on (RFC 3339, unix timestamp, or a duration such as 10m).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stop at this time (same forms); without it, follow until interrupted.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Only events that pass (KEY=VALUE; container, image, event, type, label, network, volume).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<FilterArg>,
    /// A Go template per event ('{{json .}}': Docker's JSON objects, one a line).
    #[arg(long, value_name = "TEMPLATE")]
    pub format: Option<String>,
}

// `container prune` and `network prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Only what passes (KEY=VALUE; until, label, label!).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<FilterArg>,
}

// `image prune`.
#[derive(Debug, Args)]
pub struct ImagePruneArgs {
    /// Every image no container uses, not only the untagged ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Only what passes (KEY=VALUE; until, label, label!).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<FilterArg>,
}

// `system prune`.
#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Every image no container uses, not only the untagged ones.
    #[arg(short, long)]
    pub all: bool,
    /// Anonymous volumes no container uses too.
    #[arg(long)]
    pub volumes: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Only what passes (KEY=VALUE; until, label, label!).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<FilterArg>,
}

// `system df`.
#[derive(Debug, Args)]
pub struct DfArgs {
    /// Every image and container, with its size.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub format: super::FormatArg,
}

// `system service`.
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// Exit after this many seconds without a connection (0: run until killed).
    #[arg(short, long, value_name = "SECONDS", default_value_t = 5)]
    pub time: u64,
    /// The group of the socket (a name or a GID): its members may use the API (default: root's).
    #[arg(short = 'G', long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Where to listen: unix:///path/to.sock (default unix:///run/sixdocker/docker.sock).
    #[arg(value_name = "URI")]
    pub uri: Option<String>,
}
