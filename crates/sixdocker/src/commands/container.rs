//! The container commands that do not start processes: ps, logs, stop, restart, kill, rm,
//! wait, top, port and export. Each resolves names or ID prefixes through
//! the engine and prints Docker's output.

use std::io::{self, IsTerminal, Write};

use six_engine::{Engine, LogOptions};

use super::{for_each, for_each_parallel, in_parallel, report, say, Failure, Outcome};
use crate::cli::{
    ContainerArg, ContainersArg, ExportArgs, KillArgs, LogsArgs, PortArgs, RenameArgs, RmArgs,
    StopArgs, UpdateArgs,
};
use crate::output::{self, table::Table};

pub fn logs(engine: &Engine, args: LogsArgs) -> Outcome {
    let now = chrono::Utc::now();
    let time = |value: &Option<String>| -> Result<_, Failure> {
        let Some(v) = value.as_deref().filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let (secs, nanos) = six_engine::filters::parse_timestamp(v, now)?;
        Ok(chrono::DateTime::from_timestamp(secs, nanos))
    };
    let options = LogOptions {
        follow: args.follow,
        tail: args.tail.0,
        timestamps: args.timestamps,
        since: time(&args.since)?,
        until: time(&args.until)?,
    };
    // Buffered (a write a line was most of a `logs` of 100 lines); the engine flushes one
    // stream before it writes the other, and before it waits for more with --follow.
    let mut out = io::BufWriter::with_capacity(64 << 10, io::stdout().lock());
    let mut err = io::BufWriter::with_capacity(64 << 10, io::stderr().lock());
    let logs = engine.logs(&args.container, &options, &mut out, &mut err);
    for flushed in [out.flush(), err.flush()] {
        match flushed {
            // As the engine does while it writes: a reader gone is no failure of `logs`.
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
    }
    logs?;
    Ok(0)
}

/// `stop` (the containers at once, as Docker) and `restart` (one after the other: a start
/// forks the container's monitor, which a process with other threads must not do).
pub fn stop(engine: &Engine, args: StopArgs, restart: bool) -> Outcome {
    let timeout = args.time.map(|t| t.0);
    if restart {
        return for_each(&args.containers, |c| {
            engine.restart(c, timeout).map_err(Failure::from)
        });
    }
    for_each_parallel(&args.containers, |c| {
        engine.stop(c, timeout).map_err(Failure::from)
    })
}

/// `kill`: the containers at once, as Docker.
pub fn kill(engine: &Engine, args: KillArgs) -> Outcome {
    for_each_parallel(&args.containers, |c| {
        engine.kill(c, args.signal).map_err(Failure::from)
    })
}

/// `rename CONTAINER NEW_NAME`: prints nothing, as Docker.
pub fn rename(engine: &Engine, args: RenameArgs) -> Outcome {
    let name = args
        .new_name
        .parse::<six_engine::types::ContainerName>()
        .map_err(|e| Failure::other(e.to_string()))?;
    engine.rename(&args.container, &name)?;
    Ok(0)
}

/// `update [FLAGS] CONTAINER...`: prints each container updated, as Docker.
pub fn update(engine: &Engine, args: UpdateArgs) -> Outcome {
    let request = six_engine::UpdateRequest {
        memory: args.memory,
        memory_swap: args.memory_swap,
        cpu_shares: args.cpu_shares,
        cpus: args.cpus,
        cpu_quota: args.cpu_quota,
        cpu_period: args.cpu_period,
        cpuset_cpus: args.cpuset_cpus,
        cpuset_mems: args.cpuset_mems,
        pids_limit: args.pids_limit,
        restart: args.restart,
    };
    if request.is_empty() {
        return Err(Failure::other(
            "you must provide one or more flags when using this command",
        ));
    }
    for_each(&args.containers, |c| {
        engine.update(c, &request).map_err(Failure::from)
    })
}

/// `pause` (`pause: true`) or `unpause` each container; prints each name done.
pub fn pause(engine: &Engine, args: ContainersArg, pause: bool) -> Outcome {
    for_each(&args.containers, |c| {
        let done = if pause {
            engine.pause(c)
        } else {
            engine.unpause(c)
        };
        done.map_err(Failure::from)
    })
}

/// `rm -f` of a container that is not there succeeds silently (Docker since 20.10), so
/// `rm -f X` racing with `run --rm --name X` exits 0 whoever removes it first.
/// The containers are removed at once, as Docker's; names and errors in the order given.
pub fn rm(engine: &Engine, args: RmArgs) -> Outcome {
    let mut code = 0;
    let results = in_parallel(&args.containers, |c| {
        engine.remove_with(c, args.force, args.volumes)
    });
    for (c, result) in args.containers.iter().zip(results) {
        match result {
            Ok(()) => say(c)?,
            Err(six_engine::Error::NoSuchContainer(_)) if args.force => {}
            Err(e) => code = report(Failure::from(e)).max(code),
        }
    }
    Ok(code)
}

pub fn wait(engine: &Engine, args: ContainersArg) -> Outcome {
    let mut code = 0;
    for c in &args.containers {
        match engine.wait(c) {
            Ok(exit) => say(exit)?,
            Err(e) => code = report(Failure::from(e)),
        }
    }
    Ok(code)
}

pub fn top(engine: &Engine, args: ContainerArg) -> Outcome {
    let top = engine.top(&args.container)?;
    let titles: Vec<&str> = top.titles.iter().map(String::as_str).collect();
    let mut table = Table::new(&titles);
    for row in top.processes {
        table.row(row);
    }
    table.write(&mut io::stdout().lock())?;
    Ok(0)
}

/// `port CONTAINER [PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:8080" per mapping, or just the host
/// address of one port.
pub fn port(engine: &Engine, args: PortArgs) -> Outcome {
    let mappings = engine.port(&args.container)?;
    let mut out = io::stdout().lock();
    let Some(wanted) = args.private_port else {
        for m in &mappings {
            writeln!(out, "{}", output::containers::port_line(m))?;
        }
        return Ok(0);
    };
    let (port, proto) = wanted.split_once('/').unwrap_or((&wanted, "tcp"));
    let mut any = false;
    for m in mappings
        .iter()
        .filter(|m| m.container_port.to_string() == port && m.proto.to_string() == proto)
    {
        writeln!(out, "{}", output::containers::host_address(m))?;
        any = true;
    }
    if !any {
        return Err(Failure::other(format!(
            "no public port {port}/{proto} published for container {}",
            args.container
        )));
    }
    Ok(0)
}

pub fn export(engine: &Engine, args: ExportArgs) -> Outcome {
    match &args.output {
        Some(path) => super::image::write_file_atomically(path, |out| {
            engine.export(&args.container, out).map_err(Failure::from)
        }),
        None => {
            let mut out = refuse_terminal_stdout()?;
            engine.export(&args.container, &mut out)?;
            out.flush()?;
            Ok(0)
        }
    }
}

/// Stdout for an archive, unless it is a terminal (Docker refuses too).
pub fn refuse_terminal_stdout() -> Result<io::StdoutLock<'static>, Failure> {
    let out = io::stdout();
    if out.is_terminal() {
        return Err(Failure::other(
            "refusing to write an archive to a terminal: use -o FILE or redirect stdout",
        ));
    }
    Ok(out.lock())
}
