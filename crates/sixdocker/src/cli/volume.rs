//! `volume` and its subcommands (Docker's names, `list` and `remove` as aliases).

use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VolumeCommand {
    /// Create a volume (prints its name).
    Create(VolumeCreateArgs),
    /// List volumes.
    #[command(visible_alias = "list")]
    Ls(VolumeLsArgs),
    /// Print volumes as JSON.
    Inspect(VolumeInspectArgs),
    /// Remove volumes (not while a container uses them).
    #[command(visible_alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove the volumes no container uses (anonymous ones only, unless -a).
    Prune(VolumePruneArgs),
}

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// The driver: only local.
    #[arg(short, long, default_value = "local")]
    pub driver: String,
    /// Set a label (KEY=VALUE, or KEY).
    #[arg(long, value_name = "KEY=VALUE")]
    pub label: Vec<String>,
    /// The local driver's options: type=FSTYPE, device=DEVICE, o=MOUNT-OPTIONS (as mount(8)).
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    pub opt: Vec<String>,
    /// The volume's name (also the operand; default: a generated one).
    #[arg(long = "name", value_name = "NAME", hide = true)]
    pub name_flag: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Print volume names only.
    #[arg(short, long)]
    pub quiet: bool,
    /// Only volumes that pass (KEY=VALUE; dangling, driver, label, name).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<six_engine::filters::FilterArg>,
    #[command(flatten)]
    pub format: super::FormatArg,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    #[command(flatten)]
    pub format: super::InspectFormatArg,
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// A volume that is not there is no error (one in use still is).
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Every unused volume, not only anonymous ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Only volumes that pass (label=KEY[=VALUE], label!=KEY[=VALUE]).
    #[arg(long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<six_engine::filters::FilterArg>,
}
