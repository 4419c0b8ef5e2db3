//! `version`, `info`, `system reset` and `system service`: what this sixdocker is, what its
//! store holds, emptying it, and serving it to Docker's clients (six-api).

use std::io::{self, Write};

use six_engine::Engine;

use super::{Failure, Outcome};
use crate::output::{format, human};

/// `version` (`-f TEMPLATE` over Docker's `{Client, Server}` document).
pub fn version(template: Option<&str>) -> Outcome {
    let mut out = io::stdout().lock();
    if let Some(t) = template.filter(|t| !t.is_empty()) {
        let doc = six_engine::system_docs::version_document();
        format::print_each(&mut out, t, [six_gotemplate::docker::inspect_value(&doc)])?;
        return Ok(0);
    }
    writeln!(out, "Client: sixdocker")?;
    writeln!(out, " Version:           {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(
        out,
        " OS/Arch:           linux/{}",
        six_engine::system_docs::go_arch()
    )?;
    writeln!(out)?;
    writeln!(out, "Engine: six-engine (daemonless, in-process)")?;
    writeln!(out, " Version:           {}", env!("CARGO_PKG_VERSION"))?;
    writeln!(out, " Runtime:           six-runtime (OCI, in-process)")?;
    writeln!(
        out,
        " Kernel Version:    {}",
        six_engine::system_docs::kernel_release()
    )?;
    Ok(0)
}

/// `info` (`system info`; `-f TEMPLATE` over the same facts with Docker's field names).
pub fn info(engine: &Engine, template: Option<&str>) -> Outcome {
    let mut doc = engine.info_document()?;
    // What Docker's CLI adds to its daemon's document, last.
    doc["ClientInfo"] = serde_json::json!({
        "Debug": false, "Context": "default", "Plugins": [], "Warnings": null,
    });
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
    writeln!(out, " Debug Mode: false")?;
    writeln!(out, " Experimental: false")?;
    writeln!(out, " Live Restore Enabled: false")?;
    Ok(0)
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
        let removed =
            match engine
                .images()
                .remove(&image.id, &|_| six_image::ImageUse::Unused, true)
            {
                Ok(lines) => lines,
                // Removed already, with a build step image above it.
                Err(six_image::Error::NotFound(_)) => continue,
                Err(e) => return Err(e.into()),
            };
        for line in removed {
            super::say(line)?;
        }
    }
    Ok(0)
}

/// `system service [--time SECONDS] [unix:///path.sock]`: the Docker Engine API (six-api)
/// until killed (`--time 0`) or idle for SECONDS. The only command that starts an async
/// runtime.
pub fn service(
    args: &crate::cli::ServiceArgs,
    root: &std::path::Path,
    runroot: &std::path::Path,
) -> Outcome {
    let socket = match args.uri.as_deref() {
        None => std::path::PathBuf::from(six_api::DEFAULT_SOCKET),
        Some(uri) => match uri.strip_prefix("unix://") {
            Some(path) if path.starts_with('/') => std::path::PathBuf::from(path),
            _ => {
                return Err(Failure::usage(format!(
                    "invalid service address {uri:?}: expected unix:///absolute/path.sock"
                )))
            }
        },
    };
    let group = args.group.as_deref().map(socket_group).transpose()?;
    let exe = std::env::current_exe()
        .map_err(|e| Failure::other(format!("finding this program's binary: {e}")))?;
    let opts = six_api::ServiceOptions {
        group,
        socket,
        idle: (args.time > 0).then(|| std::time::Duration::from_secs(args.time)),
        engine: six_engine::EngineOptions::new(Some(root.to_owned()), Some(runroot.to_owned())),
        exe,
    };
    six_api::serve(opts).map_err(|e| Failure::of_error(&e))?;
    Ok(0)
}

/// `--group`'s GID: a group of /etc/group by name, or a number.
fn socket_group(name: &str) -> Result<u32, Failure> {
    if let Ok(gid) = name.parse::<u32>() {
        return Ok(gid);
    }
    match nix::unistd::Group::from_name(name) {
        Ok(Some(group)) => Ok(group.gid.as_raw()),
        Ok(None) => Err(Failure::usage(format!(
            "invalid --group {name:?}: no such group (expected a group name or a numeric GID)"
        ))),
        Err(e) => Err(Failure::other(format!("looking up group {name:?}: {e}"))),
    }
}
