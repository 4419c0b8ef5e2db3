//! Docker's command groups: `container …`, `image …` (and `system info`), each subcommand
//! the same arguments struct as its top-level twin (`container ls` is `ps`, `image rm` is
//! `rmi`), turned into that top-level [`Command`] before anything runs, so one definition and
//! one implementation serve both spellings. Their help lines come from `about.rs`, the one
//! place both spellings read them from (`inspect` alone says something of its own: `container
//! inspect` looks at containers only).

use clap::Subcommand;

use super::*;

/// `container` subcommands (Docker's names and aliases).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ContainerCommand {
    #[command(about = about::PS, visible_aliases = ["ps", "list"])]
    Ls(PsArgs),
    #[command(about = about::RUN)]
    Run(RunArgs),
    #[command(about = about::CREATE)]
    Create(RunArgs),
    #[command(about = about::START)]
    Start(StartArgs),
    #[command(about = about::ATTACH)]
    Attach(AttachArgs),
    #[command(about = about::STOP)]
    Stop(StopArgs),
    #[command(about = about::RESTART)]
    Restart(StopArgs),
    #[command(about = about::KILL)]
    Kill(KillArgs),
    #[command(about = about::PAUSE)]
    Pause(ContainersArg),
    #[command(about = about::UNPAUSE)]
    Unpause(ContainersArg),
    #[command(about = about::RENAME)]
    Rename(RenameArgs),
    #[command(about = about::UPDATE)]
    Update(UpdateArgs),
    #[command(about = about::RM, visible_alias = "remove")]
    Rm(RmArgs),
    #[command(about = about::WAIT)]
    Wait(ContainersArg),
    /// Print containers as JSON.
    Inspect(InspectArgs),
    #[command(about = about::LOGS)]
    Logs(LogsArgs),
    #[command(about = about::EXEC)]
    Exec(ExecArgs),
    #[command(about = about::TOP)]
    Top(ContainerArg),
    #[command(about = about::STATS)]
    Stats(StatsArgs),
    #[command(about = about::PORT)]
    Port(PortArgs),
    #[command(about = about::COMMIT)]
    Commit(CommitArgs),
    #[command(about = about::EXPORT)]
    Export(ExportArgs),
    #[command(about = about::CP)]
    Cp(CpArgs),
    #[command(about = about::DIFF)]
    Diff(DiffArgs),
    /// Remove every stopped container.
    Prune(PruneArgs),
}

/// `image` subcommands (Docker's names and aliases).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ImageCommand {
    #[command(about = about::IMAGES, visible_alias = "list", alias = "images")]
    Ls(ImagesArgs),
    #[command(about = about::RMI, visible_aliases = ["rmi", "remove"])]
    Rm(RmiArgs),
    #[command(about = about::BUILD)]
    Build(BuildArgs),
    #[command(about = about::PULL)]
    Pull(PullArgs),
    #[command(about = about::PUSH)]
    Push(PushArgs),
    #[command(about = about::LOAD)]
    Load(LoadArgs),
    #[command(about = about::SAVE)]
    Save(SaveArgs),
    #[command(about = about::IMPORT)]
    Import(ImportArgs),
    #[command(about = about::TAG)]
    Tag(TagArgs),
    /// Print images as JSON.
    Inspect(InspectArgs),
    #[command(about = about::HISTORY)]
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// The top-level twin of a group's subcommand (None: it has none, or says its own).
    fn twin<'a>(group: &str, sub: &'a str) -> Option<&'a str> {
        match (group, sub) {
            (_, "inspect" | "prune") => None,
            ("container", "ls") => Some("ps"),
            ("image", "ls") => Some("images"),
            ("image", "rm") => Some("rmi"),
            ("system", "info" | "events") | ("container" | "image", _) => Some(sub),
            _ => None,
        }
    }

    #[test]
    fn both_spellings_of_a_command_say_the_same() {
        let cli = super::Cli::command();
        let mut checked = 0;
        for group in ["container", "image", "system"] {
            let g = cli.find_subcommand(group).unwrap();
            for sub in g.get_subcommands() {
                let Some(top) = twin(group, sub.get_name()) else {
                    continue;
                };
                let top = cli
                    .find_subcommand(top)
                    .unwrap_or_else(|| panic!("{group} {} has no twin {top}", sub.get_name()));
                let about = |c: &clap::Command| c.get_about().map(|a| a.to_string());
                assert!(
                    about(sub).is_some(),
                    "{group} {} says nothing",
                    sub.get_name()
                );
                assert_eq!(about(sub), about(top), "{group} {}", sub.get_name());
                checked += 1;
            }
        }
        assert!(checked >= 30, "{checked}");
    }
}
