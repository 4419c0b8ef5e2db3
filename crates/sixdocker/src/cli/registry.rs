//! The operands and flags of the registry commands: pull, push, login, logout.

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

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Push every tag of the repository.
    #[arg(short, long)]
    pub all_tags: bool,
    /// Print only the pushed image's digest line.
    #[arg(short, long)]
    pub quiet: bool,
    /// NAME[:TAG].
    pub name: String,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// User name.
    #[arg(short, long)]
    pub username: Option<String>,
    /// Password (prefer --password-stdin: arguments are visible to other users).
    #[arg(short, long)]
    pub password: Option<String>,
    /// Read the password from stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// The registry (default: Docker Hub).
    pub server: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// The registry (default: Docker Hub).
    pub server: Option<String>,
}
