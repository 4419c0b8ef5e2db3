//! `container prune`, `image prune`, `network prune` and `system prune`, printed
//! as Docker's CLI prints them ("Deleted Containers:", "Total reclaimed space: 1.982MB").
//!
//! Without `-f` each asks Docker's question on stdout and reads one word from stdin: only
//! `y` or `Y` goes on; anything else (no answer, stdin not open) removes nothing and exits 0,
//! as Docker's CLI does.

use std::io::{self, BufRead, Write};

use six_engine::filters::{FilterArg, Filters};
use six_engine::{Engine, PruneReport};

use super::Outcome;
use crate::cli::{ImagePruneArgs, PruneArgs, SystemPruneArgs};
use crate::output::human;

const CONTAINERS_WARNING: &str = "WARNING! This will remove all stopped containers.";
const NETWORKS_WARNING: &str =
    "WARNING! This will remove all custom networks not used by at least one container.";
const DANGLING_WARNING: &str = "WARNING! This will remove all dangling images.";
const ALL_IMAGES_WARNING: &str =
    "WARNING! This will remove all images without at least one container associated to them.";

pub fn containers(engine: &Engine, args: PruneArgs) -> Outcome {
    if !args.force && !confirmed(CONTAINERS_WARNING)? {
        return Ok(0);
    }
    let report = engine.prune_containers(&filters(args.filter))?;
    print_section(&containers_section(&report))?;
    print_total(report.space_reclaimed)
}

pub fn images(engine: &Engine, args: ImagePruneArgs) -> Outcome {
    let warning = if args.all {
        ALL_IMAGES_WARNING
    } else {
        DANGLING_WARNING
    };
    if !args.force && !confirmed(warning)? {
        return Ok(0);
    }
    let report = engine.prune_images(&image_filters(args.filter, args.all))?;
    print_section(&images_section(&report))?;
    print_total(report.space_reclaimed)
}

pub fn networks(engine: &Engine, args: PruneArgs) -> Outcome {
    if !args.force && !confirmed(NETWORKS_WARNING)? {
        return Ok(0);
    }
    let report = engine.prune_networks(&filters(args.filter))?;
    print_section(&networks_section(&report))?;
    Ok(0)
}

/// Containers, then networks, then images, then the total (Docker's order).
pub fn system(engine: &Engine, args: SystemPruneArgs) -> Outcome {
    if !args.force && !confirmed(&system_warning(args.all, args.volumes))? {
        return Ok(0);
    }
    let filters = filters(args.filter.clone());
    if args.volumes && filters.contains("until") {
        return Err(super::Failure::other(
            "ERROR: The \"until\" filter is not supported with \"--volumes\"",
        ));
    }
    let containers = engine.prune_containers(&filters)?;
    print_section(&containers_section(&containers))?;
    let networks = engine.prune_networks(&filters)?;
    print_section(&networks_section(&networks))?;
    let volumes = match args.volumes {
        true => engine.prune_volumes(false, &filters)?,
        false => PruneReport::default(),
    };
    print_section(&section("Deleted Volumes:", &volumes.deleted))?;
    let images = engine.prune_images(&image_filters(args.filter, args.all))?;
    print_section(&images_section(&images))?;
    print_total(containers.space_reclaimed + volumes.space_reclaimed + images.space_reclaimed)
}

/// Docker's `system prune` question, listing what goes.
fn system_warning(all: bool, volumes: bool) -> String {
    let mut text = "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n".to_owned();
    if volumes {
        text.push_str("  - all anonymous volumes not used by at least one container\n");
    }
    text.push_str(match all {
        true => "  - all images without at least one container associated to them\n  - all build cache\n",
        false => "  - all dangling images\n  - all dangling build cache\n",
    });
    text
}

fn filters(args: Vec<FilterArg>) -> Filters {
    args.into_iter().collect()
}

/// `-a` is Docker's `dangling=false` filter.
fn image_filters(args: Vec<FilterArg>, all: bool) -> Filters {
    let mut f = filters(args);
    if all {
        f.add("dangling", "false");
    }
    f
}

/// Docker's `PromptForConfirmation`: the warning, "Are you sure you want to continue? [y/N] ",
/// then one word from stdin.
pub(super) fn confirmed(warning: &str) -> Result<bool, super::Failure> {
    let mut out = io::stdout().lock();
    write!(out, "{warning}\nAre you sure you want to continue? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    let _ = io::stdin().lock().read_line(&mut answer);
    Ok(matches!(answer.split_whitespace().next(), Some("y" | "Y")))
}

fn containers_section(r: &PruneReport) -> String {
    section("Deleted Containers:", &r.deleted)
}

fn networks_section(r: &PruneReport) -> String {
    section("Deleted Networks:", &r.deleted)
}

fn images_section(r: &PruneReport) -> String {
    section("Deleted Images:", &r.deleted)
}

/// "Title:\nline\nline\n", or nothing when nothing was removed.
pub(super) fn section(title: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let mut text = format!("{title}\n");
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    text
}

/// A non-empty section and a blank line after it (Docker's `Fprintln(output)`).
pub(super) fn print_section(text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    writeln!(io::stdout().lock(), "{text}")
}

/// "Total reclaimed space: 1.982MB" (go-units' HumanSize: four significant digits).
pub(super) fn print_total(bytes: u64) -> Outcome {
    writeln!(
        io::stdout().lock(),
        "Total reclaimed space: {}",
        human::size_with_precision(bytes, 4)
    )?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_and_warnings_read_as_dockers() {
        assert_eq!(section("Deleted Networks:", &[]), "");
        assert_eq!(
            section("Deleted Networks:", &["n1".into()]),
            "Deleted Networks:\nn1\n"
        );
        assert_eq!(
            system_warning(false, false),
            "WARNING! This will remove:\n  - all stopped containers\n  - all networks not used by at least one container\n  - all dangling images\n  - all dangling build cache\n"
        );
        assert!(system_warning(true, true).contains(
            "  - all anonymous volumes not used by at least one container\n  - all images without"
        ));
        let f = image_filters(vec![], true);
        assert!(f.exact_match("dangling", "false") && !f.exact_match("dangling", "true"));
    }
}
