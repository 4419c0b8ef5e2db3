//! `completion SHELL` and `man-pages DIR`: shell completion scripts and manual pages made
//! from the clap definition itself (clap_complete, clap_mangen), so they always list the
//! commands and flags this binary takes. `scripts/install-docs.sh` installs both.

use std::io::{self, Write};
use std::path::Path;

use clap::CommandFactory;

use super::{Failure, Outcome};
use crate::cli::Cli;

pub fn completion(shell: clap_complete::Shell) -> Outcome {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "sixdocker", &mut script);
    io::stdout().lock().write_all(&script)?;
    Ok(0)
}

/// `sixdocker.1`, then `sixdocker-COMMAND.1` for each visible command and
/// `sixdocker-GROUP-COMMAND.1` for each command of a group.
pub fn man_pages(dir: &Path) -> Outcome {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::other(format!("creating {}: {e}", dir.display())))?;
    let mut command = Cli::command();
    command.build();
    let mut written = 0;
    write_pages(&command, "sixdocker", dir, &mut written)?;
    super::say(format!("{written} manual pages in {}", dir.display()))?;
    Ok(0)
}

fn write_pages(
    command: &clap::Command,
    name: &str,
    dir: &Path,
    written: &mut usize,
) -> Result<(), Failure> {
    let page = command
        .clone()
        .name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .map_err(|e| Failure::other(format!("rendering the manual page of {name}: {e}")))?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, text)
        .map_err(|e| Failure::other(format!("writing {}: {e}", path.display())))?;
    *written += 1;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}
