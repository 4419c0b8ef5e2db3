//! `ps` (`container ls`): which containers (`-a`, `-n N`, `-l`), with which fields (`-s`,
//! `--no-trunc`), printed by Docker's default table, `-q`, or `--format`.

use std::io::{self, Write};

use six_engine::filters::PsOptions;
use six_engine::Engine;

use super::{Failure, Outcome};
use crate::cli::PsArgs;
use crate::output::{containers, format};

/// Docker's `-q` format and raw format (`--format raw`).
const QUIET: &str = "{{.ID}}";
const RAW: &str = "container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n";

pub fn ps(engine: &Engine, args: PsArgs) -> Outcome {
    let custom = args.format.format.as_deref().filter(|f| !f.is_empty());
    if custom.is_some() && args.quiet {
        eprintln!("WARNING: Ignoring custom format, because both --format and --quiet are set.");
    }
    // Docker checks the template before listing anything.
    if let Some(f) = custom {
        format::parse(f).map_err(|e| {
            Failure::other(e.message.replacen(
                "template parsing error",
                "failed to parse template",
                1,
            ))
        })?;
    }
    // As Docker's daemon: a limit of 0 or less is no limit (and does not imply -a).
    let limit = match (args.last, args.latest) {
        (n, _) if n > 0 => Some(n as usize),
        (-1, true) => Some(1),
        _ => None,
    };
    let size = args.size || (!args.quiet && format::reads_field(custom, "Size"));
    let mut containers = engine.list_filtered(&PsOptions {
        all: args.all || limit.is_some(),
        filters: args.filter.into_iter().collect(),
    })?;
    if let Some(n) = limit {
        containers.truncate(n);
    }
    let template = match (custom, args.quiet) {
        (_, true) => QUIET.to_owned(),
        (None | Some("table"), false) if size => {
            format!("{}\\t{{{{.Size}}}}", containers::PS_TABLE)
        }
        (None | Some("table"), false) => containers::PS_TABLE.to_owned(),
        (Some("raw"), false) => RAW.to_owned(),
        (Some(f), false) => f.to_owned(),
    };
    let rows: Vec<_> = containers
        .iter()
        .map(|c| {
            let sizes = size.then(|| engine.container_size(&c.id).unwrap_or((0, 0)));
            containers::ps_row(c, !args.no_trunc, sizes, &c.labels)
        })
        .collect();
    let mut out = io::stdout().lock();
    format::print_list(
        &mut out,
        Some(&template),
        containers::PS_TABLE,
        &rows,
        &containers::ps_headers(),
    )
    .map_err(|e| {
        Failure::other(e.message.replacen(
            "template parsing error",
            "failed to execute template",
            1,
        ))
    })?;
    out.flush()?;
    // The process ends with this command: its memory goes with it, unfreed (a hundred
    // rows' allocations).
    std::mem::forget((rows, containers));
    Ok(0)
}
