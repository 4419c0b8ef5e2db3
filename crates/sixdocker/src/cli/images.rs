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
    /// Show all images (intermediate build steps too).
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
    /// Only images of this repository (REPOSITORY[:TAG], a pattern as `reference=`).
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub reference: Option<String>,
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

// `build`: a Dockerfile into an image.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Name (and tag) for the image, NAME[:TAG]; may be given several times.
    #[arg(short = 't', long = "tag", value_name = "NAME[:TAG]")]
    pub tags: Vec<String>,
    /// The Dockerfile (default: CONTEXT/Dockerfile; - reads it from stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<String>,
    /// A build-time variable, KEY=VALUE (KEY alone: its value from this environment).
    #[arg(long = "build-arg", value_name = "KEY=VALUE")]
    pub build_args: Vec<String>,
    /// Build this stage (and only the stages it needs).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,
    /// Make every step again instead of taking it from the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Pull every FROM image, even one the store has.
    #[arg(long)]
    pub pull: bool,
    /// The network of RUN steps: bridge (default), none, host or a network's name.
    #[arg(long, value_name = "NETWORK")]
    pub network: Option<six_engine::types::NetworkMode>,
    /// A label of the image: KEY=VALUE (or KEY for an empty value).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<six_engine::types::Label>,
    /// Print only the image ID.
    #[arg(short, long)]
    pub quiet: bool,
    /// How to show the steps: auto (tty on a terminal, else plain), plain or tty.
    #[arg(long, value_name = "TYPE", default_value = "auto", value_parser = ["auto", "plain", "tty"])]
    pub progress: String,
    /// The platform to build for (only this host's).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Write the image ID to this file.
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Remove the build containers after each step (always done; accepted for Docker's sake).
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub rm: Option<bool>,
    /// Remove the build containers even when a step fails (always done).
    #[arg(long)]
    pub force_rm: bool,
    /// The build context: a directory, a tar file, or - (a tar, or a Dockerfile, on stdin).
    pub context: String,
}
