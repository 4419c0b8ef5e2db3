//! The operands and flags of the system-wide commands: `events`.

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
