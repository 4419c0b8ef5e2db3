//! `system df [-v] [--format]`: what images, containers, volumes and the build cache take on
//! disk, as Docker prints it: its summary table (TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE),
//! with `-v` each image, container and volume, and with `--format` Docker's fields (the
//! summary's rows, or with `-v` one document of `Images`, `Containers`, `Volumes` and
//! `BuildCache` lists). Only reads.

use std::io::{self, Write};
use std::time::Duration;

use six_engine::{DiskUsage, Engine};
use six_gotemplate::{Struct, Value};

use super::Outcome;
use crate::cli::DfArgs;
use crate::output::table::Table;
use crate::output::{containers, format, human, images, volumes};

/// docker/cli's defaultDiskUsageTableFormat.
const DF_TABLE: &str = "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}";

pub fn df(engine: &Engine, args: DfArgs) -> Outcome {
    let usage = engine.disk_usage()?;
    let custom = args
        .format
        .format
        .as_deref()
        .filter(|f| !f.is_empty() && !f.starts_with("table"));
    let mut out = io::stdout().lock();
    match (args.verbose, custom) {
        (true, None) => {
            verbose_tables(&usage, &mut out)?;
        }
        (true, Some(f)) => format::print_each(&mut out, f, [verbose_document(&usage)])?,
        (false, _) => {
            let headers = Value::map([
                ("Type", "TYPE"),
                ("TotalCount", "TOTAL"),
                ("Active", "ACTIVE"),
                ("Size", "SIZE"),
                ("Reclaimable", "RECLAIMABLE"),
            ]);
            let format = args.format.format.as_deref();
            format::print_list(&mut out, format, DF_TABLE, &summary_rows(&usage), &headers)?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// The four rows of the summary (Docker's diskUsage*Context, fields in name order).
fn summary_rows(usage: &DiskUsage) -> Vec<Value> {
    let size = |b: u64| human::size_with_precision(b, 4);
    let with_percent = |reclaimable: u64, total: u64| match total {
        0 => size(reclaimable),
        t => format!("{} ({}%)", size(reclaimable), reclaimable * 100 / t),
    };
    let row = |kind: &str, total: usize, active: usize, bytes: u64, reclaimable: String| {
        Value::from(
            Struct::formatter_context("*formatter.diskUsageContext")
                .field("Active", active.to_string())
                .field("Reclaimable", reclaimable)
                .field("Size", size(bytes))
                .field("TotalCount", total.to_string())
                .field("Type", kind),
        )
    };
    let used: u64 = usage
        .images
        .iter()
        .filter(|i| i.containers > 0)
        .map(|i| i.image.size.saturating_sub(i.shared_size))
        .sum();
    let images = row(
        "Images",
        usage.images.len(),
        usage.images.iter().filter(|i| i.containers > 0).count(),
        usage.layers_size,
        with_percent(usage.layers_size.saturating_sub(used), usage.layers_size),
    );
    let containers_size: u64 = usage.containers.iter().map(|c| c.size_rw).sum();
    let stopped_size: u64 = usage
        .containers
        .iter()
        .filter(|c| !c.active)
        .map(|c| c.size_rw)
        .sum();
    let containers = row(
        "Containers",
        usage.containers.len(),
        usage.containers.iter().filter(|c| c.active).count(),
        containers_size,
        with_percent(stopped_size, containers_size),
    );
    let volumes_size: u64 = usage.volumes.iter().map(|v| v.size).sum();
    let unused_size: u64 = usage
        .volumes
        .iter()
        .filter(|v| v.containers == 0)
        .map(|v| v.size)
        .sum();
    let volumes = row(
        "Local Volumes",
        usage.volumes.len(),
        usage.volumes.iter().filter(|v| v.containers > 0).count(),
        volumes_size,
        with_percent(unused_size, volumes_size),
    );
    let build_cache = row("Build Cache", 0, 0, 0, "0B".into());
    vec![images, containers, volumes, build_cache]
}

/// `-v --format`: one document, each list of Docker's rows for its kind.
fn verbose_document(usage: &DiskUsage) -> Value {
    let now = chrono::Utc::now();
    let image_rows: Vec<Value> = usage
        .images
        .iter()
        .flat_map(|u| images::usage_rows(u, now))
        .collect();
    let container_rows: Vec<Value> = usage
        .containers
        .iter()
        .map(|c| {
            let labels = &c.summary.labels;
            containers::ps_row(&c.summary, false, Some((c.size_rw, 0)), labels)
        })
        .collect();
    let volume_rows: Vec<Value> = usage.volumes.iter().map(volumes::usage_row).collect();
    Struct::new("formatter.diskUsageContext")
        .field("Images", image_rows)
        .field("Containers", container_rows)
        .field("Volumes", volume_rows)
        .field("BuildCache", Vec::<Value>::new())
        .into()
}

/// `-v`: Docker's four tables.
fn verbose_tables(usage: &DiskUsage, out: &mut dyn Write) -> Outcome {
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
