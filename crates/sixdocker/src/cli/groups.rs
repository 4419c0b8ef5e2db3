//! Docker's command groups: `container …`, `image …` (and `system info`), each subcommand
//! the same arguments struct as its top-level twin (`container ls` is `ps`, `image rm` is
//! `rmi`), turned into that top-level [`Command`] before anything runs, so one definition and
//! one implementation serve both spellings.

use clap::Subcommand;

use super::*;

/// `container` subcommands (Docker's names and aliases).
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// List containers.
    #[command(visible_aliases = ["ps", "list"])]
    Ls(PsArgs),
    /// Create and start a container.
    Run(RunArgs),
    /// Create a container without starting it.
    Create(RunArgs),
    /// Start stopped containers.
    Start(StartArgs),
    /// Attach to a running container's output (and stdin, if it was started with -i).
    Attach(AttachArgs),
    /// Stop running containers.
    Stop(StopArgs),
    /// Restart containers.
    Restart(StopArgs),
    /// Send a signal to running containers.
    Kill(KillArgs),
    /// Freeze every process of running containers.
    Pause(ContainersArg),
    /// Thaw paused containers.
    Unpause(ContainersArg),
    /// Rename a container.
    Rename(RenameArgs),
    /// Change the resource limits or restart policy of containers.
    Update(UpdateArgs),
    /// Remove containers.
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Wait for containers to stop and print their exit codes.
    Wait(ContainersArg),
    /// Print containers as JSON.
    Inspect(InspectArgs),
    /// Print a container's output.
    Logs(LogsArgs),
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Show the processes of a container.
    Top(ContainerArg),
    /// Show resource usage of containers.
    Stats(StatsArgs),
    /// List a container's published ports.
    Port(PortArgs),
    /// Make an image from a container's changes.
    Commit(CommitArgs),
    /// Write a container's filesystem as a tar archive.
    Export(ExportArgs),
    /// Copy files between a container and the host.
    Cp(CpArgs),
    /// List what a container changed in its file system.
    Diff(DiffArgs),
    /// Remove every stopped container.
    Prune(PruneArgs),
}

/// `image` subcommands (Docker's names and aliases).
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// List images.
    #[command(visible_alias = "list", alias = "images")]
    Ls(ImagesArgs),
    /// Remove images.
    #[command(visible_aliases = ["rmi", "remove"])]
    Rm(RmiArgs),
    /// Build an image from a Dockerfile.
    Build(BuildArgs),
    /// Download an image from a registry.
    Pull(PullArgs),
    /// Upload an image to a registry.
    Push(PushArgs),
    /// Load images from a docker-archive or OCI archive.
    Load(LoadArgs),
    /// Save images to a docker-archive.
    Save(SaveArgs),
    /// Make an image from a root filesystem tarball.
    Import(ImportArgs),
    /// Give an image another name.
    Tag(TagArgs),
    /// Print images as JSON.
    Inspect(InspectArgs),
    /// Show an image's steps.
    History(HistoryArgs),
    /// Remove untagged images (every unused one with -a).
    Prune(ImagePruneArgs),
}

impl Command {
    /// The top-level command a group's subcommand stands for (itself for the others).
    /// `container inspect` and `image inspect` look only at their kind of object.
    pub fn ungrouped(self) -> Command {
        match self {
            Command::Container(c) => match c {
                ContainerCommand::Ls(a) => Command::Ps(a),
                ContainerCommand::Run(a) => Command::Run(a),
                ContainerCommand::Create(a) => Command::Create(a),
                ContainerCommand::Start(a) => Command::Start(a),
                ContainerCommand::Attach(a) => Command::Attach(a),
                ContainerCommand::Stop(a) => Command::Stop(a),
                ContainerCommand::Restart(a) => Command::Restart(a),
                ContainerCommand::Kill(a) => Command::Kill(a),
                ContainerCommand::Pause(a) => Command::Pause(a),
                ContainerCommand::Unpause(a) => Command::Unpause(a),
                ContainerCommand::Rename(a) => Command::Rename(a),
                ContainerCommand::Update(a) => Command::Update(a),
                ContainerCommand::Rm(a) => Command::Rm(a),
                ContainerCommand::Wait(a) => Command::Wait(a),
                ContainerCommand::Inspect(a) => Command::Inspect(a.only(ObjectKind::Container)),
                ContainerCommand::Logs(a) => Command::Logs(a),
                ContainerCommand::Exec(a) => Command::Exec(a),
                ContainerCommand::Top(a) => Command::Top(a),
                ContainerCommand::Stats(a) => Command::Stats(a),
                ContainerCommand::Port(a) => Command::Port(a),
                ContainerCommand::Commit(a) => Command::Commit(a),
                ContainerCommand::Export(a) => Command::Export(a),
                ContainerCommand::Cp(a) => Command::Cp(a),
                ContainerCommand::Diff(a) => Command::Diff(a),
                // No top-level twin: dispatched as it is.
                ContainerCommand::Prune(a) => Command::Container(ContainerCommand::Prune(a)),
            },
            Command::Image(c) => match c {
                ImageCommand::Ls(a) => Command::Images(a),
                ImageCommand::Rm(a) => Command::Rmi(a),
                ImageCommand::Build(a) => Command::Build(a),
                ImageCommand::Pull(a) => Command::Pull(a),
                ImageCommand::Push(a) => Command::Push(a),
                ImageCommand::Load(a) => Command::Load(a),
                ImageCommand::Save(a) => Command::Save(a),
                ImageCommand::Import(a) => Command::Import(a),
                ImageCommand::Tag(a) => Command::Tag(a),
                ImageCommand::Inspect(a) => Command::Inspect(a.only(ObjectKind::Image)),
                ImageCommand::History(a) => Command::History(a),
                // No top-level twin: dispatched as it is.
                ImageCommand::Prune(a) => Command::Image(ImageCommand::Prune(a)),
            },
            Command::System(SystemCommand::Info(a)) => Command::Info(a),
            Command::System(SystemCommand::Events(a)) => Command::Events(a),
            other => other,
        }
    }
}
