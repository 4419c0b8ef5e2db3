//! The operands and flags of the registry commands.

use clap::Args;
use six_registry::Platform;

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Pull every tagged image of the repository.
    #[arg(short, long)]
    pub all_tags: bool,
    /// The platform to pull (os/arch[/variant]; default: this machine's).
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Option<Platform>,
    /// Print only the image's full name.
    #[arg(short, long)]
    pub quiet: bool,
    /// NAME[:TAG|@DIGEST].
    pub name: String,
}
