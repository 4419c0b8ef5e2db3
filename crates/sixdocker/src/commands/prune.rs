//! `container prune`, `image prune`, `network prune`, `system prune` and `system df`, printed
//! as Docker's CLI prints them ("Deleted Containers:", "Total reclaimed space: 1.982MB").
//!
//! Without `-f` each asks Docker's question on stdout and reads one word from stdin: only
//! `y` or `Y` goes on; anything else (no answer, stdin not open) removes nothing and exits 0,
//! as Docker's CLI does.

use std::io::{self, BufRead, Write};
use std::time::Duration;

use six_engine::filters::{FilterArg, Filters};
use six_engine::{Engine, PruneReport};

use super::Outcome;
use crate::cli::{DfArgs, ImagePruneArgs, PruneArgs, SystemPruneArgs};
use crate::output::human;
use crate::output::table::Table;

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

/// `system df [-v]`: Docker's summary table, or with `-v` each image and container.
pub fn df(engine: &Engine, args: DfArgs) -> Outcome {
    let usage = engine.disk_usage()?;
    let mut out = io::stdout().lock();
    if args.verbose {
        return df_verbose(&usage, &mut out);
    }
    let size = |b: u64| human::size_with_precision(b, 4);
    let with_percent = |reclaimable: u64, total: u64| match total {
        0 => size(reclaimable),
        t => format!("{} ({}%)", size(reclaimable), reclaimable * 100 / t),
    };
    let active_images = usage.images.iter().filter(|i| i.containers > 0).count();
    let used: u64 = usage
        .images
        .iter()
        .filter(|i| i.containers > 0)
        .map(|i| i.image.size.saturating_sub(i.shared_size))
        .sum();
    let images_reclaimable = usage.layers_size.saturating_sub(used);
    let containers_size: u64 = usage.containers.iter().map(|c| c.size_rw).sum();
    let containers_reclaimable: u64 = usage
        .containers
        .iter()
        .filter(|c| !c.active)
        .map(|c| c.size_rw)
        .sum();
    let active_containers = usage.containers.iter().filter(|c| c.active).count();
    let mut table = Table::new(&["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]);
    table.row(vec![
        "Images".into(),
        usage.images.len().to_string(),
        active_images.to_string(),
        size(usage.layers_size),
        with_percent(images_reclaimable, usage.layers_size),
    ]);
    table.row(vec![
        "Containers".into(),
        usage.containers.len().to_string(),
        active_containers.to_string(),
        size(containers_size),
        with_percent(containers_reclaimable, containers_size),
    ]);
    let volumes_size: u64 = usage.volumes.iter().map(|v| v.size).sum();
    let volumes_reclaimable: u64 = usage
        .volumes
        .iter()
        .filter(|v| v.containers == 0)
        .map(|v| v.size)
        .sum();
    table.row(vec![
        "Local Volumes".into(),
        usage.volumes.len().to_string(),
        usage
            .volumes
            .iter()
            .filter(|v| v.containers > 0)
            .count()
            .to_string(),
        size(volumes_size),
        with_percent(volumes_reclaimable, volumes_size),
    ]);
    table.row(vec![
        "Build Cache".into(),
        "0".into(),
        "0".into(),
        "0B".into(),
        "0B".into(),
    ]);
    table.write(&mut out)?;
    Ok(0)
}

fn df_verbose(usage: &six_engine::DiskUsage, out: &mut dyn Write) -> Outcome {
    let now = chrono::Utc::now();
    writeln!(out, "Images space usage:\n")?;
    let mut images = Table::new(&[
        "REPOSITORY",
        "TAG",
        "IMAGE ID",
        "CREATED",
        "SIZE",
        "SHARED SIZE",
        "UNIQUE SIZE",
        "CONTAINERS",
    ]);
    for u in &usage.images {
        let age = (now - u.image.created).to_std().unwrap_or(Duration::ZERO);
        for (repo, tag) in u.image.repo_tag_pairs() {
            images.row(vec![
                repo,
                tag,
                human::short_id(&u.image.id).to_owned(),
                format!("{} ago", human::duration(age)),
                human::size(u.image.size),
                human::size_with_precision(u.shared_size, 4),
                human::size_with_precision(u.image.size.saturating_sub(u.shared_size), 4),
                u.containers.to_string(),
            ]);
        }
    }
    images.write(out)?;
    writeln!(out, "\nContainers space usage:\n")?;
    let mut containers = Table::new(&[
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "LOCAL VOLUMES",
        "SIZE",
        "CREATED",
        "STATUS",
        "NAMES",
    ]);
    for c in &usage.containers {
        let s = &c.summary;
        containers.row(vec![
            human::short_id(&s.id).to_owned(),
            s.image.clone(),
            format!("\"{}\"", human::ellipsis(&s.command_line, 20)),
            s.local_volumes.to_string(),
            human::size_with_precision(c.size_rw, 4),
            s.created.clone(),
            s.status.clone(),
            s.names.clone(),
        ]);
    }
    containers.write(out)?;
    writeln!(out, "\nLocal Volumes space usage:\n")?;
    let mut volumes = Table::new(&["VOLUME NAME", "LINKS", "SIZE"]);
    for v in &usage.volumes {
        volumes.row(vec![
            v.volume.name.clone(),
            v.containers.to_string(),
            human::size_with_precision(v.size, 4),
        ]);
    }
    volumes.write(out)?;
    writeln!(out, "\nBuild cache usage: 0B\n")?;
    Table::new(&[
        "CACHE ID",
        "CACHE TYPE",
        "SIZE",
        "CREATED",
        "LAST USED",
        "USAGE",
        "SHARED",
    ])
    .write(out)?;
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
