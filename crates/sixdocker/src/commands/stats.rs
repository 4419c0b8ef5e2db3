//! `stats` (`container stats`): resource usage of containers, one sample (`--no-stream`) or
//! a new one every second, by Docker's default table or `--format`.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use six_engine::{ContainerStats, Engine};

use super::{report, Failure, Outcome};
use crate::cli::StatsArgs;
use crate::output::{containers, format};

/// Without `--no-stream`, a new sample every second until interrupted (redrawn in place on a
/// terminal, as Docker's). With `-a`, stopped containers show zeros.
pub fn stats(engine: &Engine, args: StatsArgs) -> Outcome {
    let template = args.format.format.as_deref().filter(|f| !f.is_empty());
    // A bad template is refused before any sample is taken.
    if let Some(f) = template {
        six_gotemplate::docker::Format::new(f, containers::STATS_TABLE)
            .map_err(|e| Failure::other(e.to_string()))?;
    }
    loop {
        // (as given, name, running): a stopped one is only listed by -a.
        let wanted: Vec<(String, String, bool)> = if args.containers.is_empty() {
            engine
                .list(args.all)?
                .into_iter()
                .map(|c| (c.id, c.names, c.state == "running"))
                .collect()
        } else {
            args.containers
                .iter()
                .map(|c| (c.clone(), String::new(), true))
                .collect()
        };
        let mut rows = Vec::new();
        let mut code = 0;
        for (name, stopped_name, running) in &wanted {
            let stopped = |id: String, name: String| ContainerStats {
                id,
                name,
                cpu_percent: 0.0,
                memory_usage: 0,
                memory_limit: 0,
                memory_percent: 0.0,
                net_rx: 0,
                net_tx: 0,
                block_read: 0,
                block_write: 0,
                pids: 0,
            };
            let sample = if *running {
                // A container named that is not running: zeros, as Docker shows it.
                match engine.stats(name) {
                    Err(six_engine::Error::NotRunning { name: stopped_name }) => {
                        engine.resolve(name).map(|id| stopped(id, stopped_name))
                    }
                    other => other,
                }
            } else {
                engine
                    .container_size(name)
                    .map(|_| stopped(name.clone(), stopped_name.clone()))
            };
            match sample {
                Ok(s) => rows.push(containers::stats_row(&s, name, !args.no_trunc)),
                Err(e) => code = report(Failure::from(e)),
            }
        }
        let mut out = io::stdout().lock();
        if !args.no_stream && out.is_terminal() {
            write!(out, "\x1b[2J\x1b[H")?;
        }
        format::print_list(
            &mut out,
            template,
            containers::STATS_TABLE,
            &rows,
            &containers::stats_headers(),
        )?;
        out.flush()?;
        if args.no_stream || code != 0 {
            return Ok(code);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}
