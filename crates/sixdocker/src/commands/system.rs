//! `version`, `info` and `system reset`: what this sixdocker is, what its store holds, and
//! emptying it.

use std::io::{self, Write};

use six_engine::Engine;

use super::{Failure, Outcome};
use crate::output::{format, human};

/// `version` (`-f TEMPLATE` over Docker's `{Client, Server}` document).
pub fn version(template: Option<&str>) -> Outcome {
    let mut out = io::stdout().lock();
    if let Some(t) = template.filter(|t| !t.is_empty()) {
        let doc = version_document();
        format::print_each(&mut out, t, [six_gotemplate::docker::inspect_value(&doc)])?;
        return Ok(0);
    }
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

/// Docker's `version` document: what `version -f` templates read (`{{.Server.Version}}`).
fn version_document() -> serde_json::Value {
    let version = env!("CARGO_PKG_VERSION");
    serde_json::json!({
        "Client": {
            "Version": version, "ApiVersion": "1.41", "DefaultAPIVersion": "1.41",
            "GitCommit": "", "GoVersion": "", "Os": "linux", "Arch": go_arch(),
            "BuildTime": "", "Context": "default",
        },
        "Server": {
            "Platform": {"Name": "sixdocker"},
            "Components": [{"Name": "Engine", "Version": version, "Details": {
                "ApiVersion": "1.41", "Arch": go_arch(), "KernelVersion": kernel_release(), "Os": "linux",
            }}],
            "Version": version, "ApiVersion": "1.41", "MinAPIVersion": "1.12", "GitCommit": "",
            "GoVersion": "", "Os": "linux", "Arch": go_arch(), "KernelVersion": kernel_release(),
            "BuildTime": "",
        },
    })
}

/// `info` (`system info`; `-f TEMPLATE` over the same facts with Docker's field names).
pub fn info(engine: &Engine, template: Option<&str>) -> Outcome {
    let doc = info_document(engine)?;
    let mut out = io::stdout().lock();
    if let Some(t) = template.filter(|t| !t.is_empty()) {
        format::print_each(&mut out, t, [six_gotemplate::docker::inspect_value(&doc)])?;
        return Ok(0);
    }
    let field = |k: &str| doc[k].clone();
    let text = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
    // Docker's layout (docker/cli's prettyPrintInfo): a Client part, then the Server's facts.
    writeln!(out, "Client:")?;
    writeln!(out, " Context:    default")?;
    writeln!(out, " Debug Mode: false")?;
    writeln!(out)?;
    writeln!(out, "Server:")?;
    writeln!(out, " Containers: {}", field("Containers"))?;
    writeln!(out, "  Running: {}", field("ContainersRunning"))?;
    writeln!(out, "  Paused: {}", field("ContainersPaused"))?;
    writeln!(out, "  Stopped: {}", field("ContainersStopped"))?;
    writeln!(out, " Images: {}", field("Images"))?;
    writeln!(out, " Server Version: {}", text("ServerVersion"))?;
    writeln!(out, " Storage Driver: {}", text("Driver"))?;
    writeln!(out, " Logging Driver: {}", text("LoggingDriver"))?;
    writeln!(out, " Cgroup Driver: {}", text("CgroupDriver"))?;
    writeln!(out, " Cgroup Version: {}", text("CgroupVersion"))?;
    writeln!(out, " Plugins:")?;
    writeln!(out, "  Volume: local")?;
    writeln!(out, "  Network: bridge host null")?;
    writeln!(out, "  Log: json-file local none")?;
    writeln!(out, " Swarm: inactive")?;
    writeln!(out, " Runtimes: {}", text("DefaultRuntime"))?;
    writeln!(out, " Default Runtime: {}", text("DefaultRuntime"))?;
    writeln!(out, " Security Options:")?;
    writeln!(out, "  seccomp")?;
    writeln!(out, "   Profile: default")?;
    writeln!(out, " Kernel Version: {}", text("KernelVersion"))?;
    writeln!(out, " Operating System: {}", text("OperatingSystem"))?;
    writeln!(out, " OSType: {}", text("OSType"))?;
    writeln!(out, " Architecture: {}", text("Architecture"))?;
    writeln!(out, " CPUs: {}", field("NCPU"))?;
    let memory = doc["MemTotal"].as_u64().unwrap_or_default();
    writeln!(out, " Total Memory: {}", human::binary_size(memory))?;
    writeln!(out, " Name: {}", text("Name"))?;
    writeln!(out, " ID: {}", text("ID"))?;
    writeln!(out, " Docker Root Dir: {}", text("DockerRootDir"))?;
    writeln!(out, " Run Root: {}", engine.options().runroot.display())?;
    writeln!(out, " Networks: {}", field("Networks"))?;
    writeln!(out, " Debug Mode: false")?;
    writeln!(out, " Experimental: false")?;
    writeln!(out, " Live Restore Enabled: false")?;
    Ok(0)
}

/// What `info` shows, under Docker's `system info` field names.
fn info_document(engine: &Engine) -> Result<serde_json::Value, Failure> {
    let containers = engine.list(true)?;
    let count = |state: &str| containers.iter().filter(|c| c.state == state).count();
    let running = count("running");
    let paused = containers
        .iter()
        .filter(|c| c.status.contains("(Paused)"))
        .count();
    Ok(serde_json::json!({
        "Containers": containers.len(),
        "ContainersRunning": running - paused,
        "ContainersPaused": paused,
        "ContainersStopped": containers.len() - running,
        "Images": engine.images().list()?.len(),
        "Networks": engine.networks()?.list()?.len(),
        "Driver": "overlay",
        "ServerVersion": env!("CARGO_PKG_VERSION"),
        "CgroupVersion": cgroup_version().to_string(),
        "KernelVersion": kernel_release(),
        "OperatingSystem": operating_system(),
        "OSType": "linux",
        "Architecture": std::env::consts::ARCH,
        "NCPU": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "MemTotal": total_memory(),
        "DockerRootDir": engine.options().root.display().to_string(),
        "Name": nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
        "DefaultRuntime": "six-runtime",
        "ID": store_id(engine),
        "OSVersion": os_release_field("VERSION_ID"),
        "IndexServerAddress": "https://index.docker.io/v1/",
        "Swarm": {"LocalNodeState": "inactive"},
        "SecurityOptions": ["name=seccomp,profile=default"],
        "Runtimes": {"six-runtime": {"path": "six-runtime (in-process)"}},
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"], "Log": ["json-file", "local", "none"]},
        "Debug": false,
        "ExperimentalBuild": false,
        "LiveRestoreEnabled": false,
        "Isolation": "",
        "Labels": [],
        "Warnings": [],
        "SystemTime": chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
        "LoggingDriver": "json-file",
        "CgroupDriver": "cgroupfs",
    }))
}

/// `system reset -f`: every container (killed), every network with what it made on the host,
/// every image. The directories stay (empty of all that); the caller may delete them.
pub fn reset(engine: &Engine, force: bool) -> Outcome {
    if !force {
        return Err(Failure::usage(format!(
            "system reset removes every container, network, volume and image in {}: add -f to confirm",
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
    engine.prune_volumes(true, &Default::default())?;
    for image in engine.images().list()? {
        let removed = engine
            .images()
            .remove(&image.id, &|_| six_image::ImageUse::Unused, true)?;
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

/// A stable identifier of this store (Docker prints its daemon's ID): from the root's path
/// and its inode, in Docker's `XXXX:XXXX:…` shape (twelve groups).
fn store_id(engine: &Engine) -> String {
    use std::os::unix::fs::MetadataExt;
    let root = &engine.options().root;
    let inode = std::fs::metadata(root).map_or(0, |m| m.ino());
    let digest = six_image::Digest::of(format!("{}:{inode}", root.display()).as_bytes());
    let hex = digest.hex().to_uppercase();
    (0..12)
        .map(|i| &hex[i * 4..i * 4 + 4])
        .collect::<Vec<_>>()
        .join(":")
}

/// A field of /etc/os-release ("" when missing).
fn os_release_field(key: &str) -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}
