//! `version`, `info` and `system reset`: what this sixdocker is, what its store holds, and
//! emptying it.

use std::io::{self, Write};

use six_engine::Engine;

use super::{Failure, Outcome};
use crate::output::human;

pub fn version() -> Outcome {
    let mut out = io::stdout().lock();
    writeln!(out, "Client: sixdocker")?;
    writeln!(out, " Version:           {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, " OS/Arch:           linux/{}", go_arch())?;
    writeln!(out)?;
    writeln!(out, "Engine: six-engine (daemonless, in-process)")?;
    writeln!(out, " Version:           {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, " Runtime:           six-runtime (OCI, in-process)")?;
    writeln!(out, " Kernel Version:    {}", kernel_release())?;
    Ok(0)
}

pub fn info(engine: &Engine) -> Outcome {
    let containers = engine.list(true)?;
    let running = containers
        .iter()
        .filter(|c| c.status.starts_with("Up"))
        .count();
    let paused = containers
        .iter()
        .filter(|c| c.status.contains("(Paused)"))
        .count();
    let images = engine.images().list()?.len();
    let networks = engine.networks()?.list()?.len();
    let mut out = io::stdout().lock();
    writeln!(out, "Containers: {}", containers.len())?;
    writeln!(out, " Running: {}", running - paused)?;
    writeln!(out, " Paused: {paused}")?;
    writeln!(out, " Stopped: {}", containers.len() - running)?;
    writeln!(out, "Images: {images}")?;
    writeln!(out, "Networks: {networks}")?;
    writeln!(out, "Server Version: {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, "Storage Driver: overlay")?;
    writeln!(out, "Cgroup Version: {}", cgroup_version())?;
    writeln!(out, "Runtime: six-runtime (in-process)")?;
    writeln!(out, "Kernel Version: {}", kernel_release())?;
    writeln!(out, "Operating System: {}", operating_system())?;
    writeln!(out, "Architecture: {}", std::env::consts::ARCH)?;
    writeln!(
        out,
        "CPUs: {}",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )?;
    writeln!(out, "Total Memory: {}", human::binary_size(total_memory()))?;
    writeln!(out, "Docker Root Dir: {}", engine.options().root.display())?;
    writeln!(out, "Run Root: {}", engine.options().runroot.display())?;
    Ok(0)
}

/// `system reset -f`: every container (killed), every network with what it made on the host,
/// every image. The directories stay (empty of all that); the caller may delete them.
pub fn reset(engine: &Engine, force: bool) -> Outcome {
    if !force {
        return Err(Failure::usage(format!(
            "system reset removes every container, network and image in {}: add -f to confirm",
            engine.options().root.display()
        )));
    }
    for c in engine.list(true)? {
        match engine.remove(&c.id, true) {
            Ok(()) | Err(six_engine::Error::NoSuchContainer(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    engine.networks()?.remove_all()?;
    for image in engine.images().list()? {
        let removed = engine.images().remove(&image.id, &|_| false, true)?;
        for line in removed {
            super::say(line)?;
        }
    }
    Ok(0)
}

/// Go's name for the architecture, as `docker version` prints it.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn kernel_release() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// 2 when /sys/fs/cgroup is the unified hierarchy, else 1.
fn cgroup_version() -> u8 {
    if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        2
    } else {
        1
    }
}

fn operating_system() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "Linux".to_owned())
}

fn total_memory() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
}
