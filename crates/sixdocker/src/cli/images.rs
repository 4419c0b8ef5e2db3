//! The operands and flags of the image commands.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// The container (the original's `-n`).
    #[arg(short = 'n', long = "container", value_name = "CONTAINER")]
    pub container_flag: Option<String>,
    /// The new image's name (the original's `-t`).
    #[arg(short = 't', long = "tag", value_name = "IMAGE")]
    pub tag_flag: Option<String>,
    pub container: Option<String>,
    /// REPOSITORY[:TAG] for the new image.
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Print image IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    /// Only images that pass (KEY=VALUE; dangling, label, before, since, reference).
    #[arg(short, long = "filter", value_name = "KEY=VALUE")]
    pub filter: Vec<six_engine::filters::FilterArg>,
    /// Show all images (there are no intermediate images to hide here).
    #[arg(short, long)]
    pub all: bool,
    /// Show the digests images were pulled or pushed by.
    #[arg(long)]
    pub digests: bool,
    /// Do not truncate IDs.
    #[arg(long)]
    pub no_trunc: bool,
    #[command(flatten)]
    pub format: super::FormatArg,
}

#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove even when tagged more than once or used by stopped containers.
    #[arg(short, long)]
    pub force: bool,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    pub source: String,
    pub target: String,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A rootfs tarball, or - for stdin.
    pub file: String,
    /// REPOSITORY[:TAG] for the new image.
    pub reference: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    pub container: String,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from this file instead of stdin.
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[arg(required = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Print sizes and dates in human-readable form (-H=false: bytes and RFC 3339 dates).
    #[arg(
        short = 'H',
        long,
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub human: bool,
    /// Do not truncate IDs and commands.
    #[arg(long)]
    pub no_trunc: bool,
    /// Print image IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub format: super::FormatArg,
    pub image: String,
}
