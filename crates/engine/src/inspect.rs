//! `docker inspect`'s documents, in Docker 20.10's shape: every key dockerd prints, in its
//! order (serde_json keeps the order keys are written in; a key Docker leaves out when empty
//! is written where Docker has it and dropped by [`omit_nulls`]). Containers
//! (`container_document`), images (`image_document`) and networks (`network_document`). The
//! CLI prints them and the API sends them; both get them here.
//!
//! A container's document is read from its record every time, so it is current after each
//! start or restart (State.Pid, ExitCode, StartedAt, FinishedAt, the networks' addresses).
//! Reading one is two small files (the record, plus the spec for the masked paths): no process
//! is started and nothing is walked.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::engine::Engine;
use crate::error::Result;
use crate::mount_points::{self, MountKind, MountPoint};
use crate::record::{ContainerConfig, NetworkState, State, Status};
use crate::request::RunRequest;
use crate::status::status_word;
use crate::types::{MountSpec, MountType, NamespaceKind, VolumeSource};

/// The part of a container's OCI spec (`config.json`) its document shows.
#[derive(serde::Deserialize)]
struct SpecPaths {
    linux: Option<LinuxPaths>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct LinuxPaths {
    #[serde(default)]
    masked_paths: Vec<String>,
    #[serde(default)]
    readonly_paths: Vec<String>,
}

/// What a container's document needs besides its record.
#[derive(Debug, Default)]
pub(crate) struct Context {
    /// Network ids by name (`NetworkSettings.Networks.*.NetworkID`).
    pub network_ids: HashMap<String, String>,
    /// The spec's `linux.maskedPaths` and `readonlyPaths`.
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    /// The image's layer directories as overlayfs stacks them, top first, `:`-separated
    /// (`GraphDriver.Data.LowerDir`); empty when the image is gone.
    pub lower_dirs: String,
}

impl Engine {
    /// `docker inspect CONTAINER`.
    pub fn inspect(&self, c: &str) -> Result<Value> {
        let id = self.resolve(c)?;
        self.reconcile_one(&id)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let dir = self.container_dir(&id);
        let mut context = Context::default();
        if let Ok(text) = std::fs::read(Engine::spec_path(&dir)) {
            // Only these two lists of the spec's kilobytes: the rest is skipped, not built.
            if let Ok(SpecPaths { linux: Some(linux) }) = serde_json::from_slice(&text) {
                context.masked_paths = linux.masked_paths;
                context.readonly_paths = linux.readonly_paths;
            }
        }
        if let Ok(image) = self.images.resolve(&format!("sha256:{}", config.image_id)) {
            let dirs = self.images.layer_dirs(&image).unwrap_or_default();
            let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            context.lower_dirs = dirs.join(":");
        }
        for (name, _, id) in crate::PREDEFINED_NETWORKS {
            context.network_ids.insert(name.to_owned(), id.to_owned());
        }
        let joined = config.joined_networks();
        if joined.iter().any(|n| n != "none" && n != "host") {
            if let Ok(networks) = self.networks() {
                for n in networks.list().unwrap_or_default() {
                    context.network_ids.insert(n.name, n.id);
                }
            }
        }
        Ok(container_document(&config, &state, &dir, &context))
    }

    /// `docker inspect IMAGE`.
    pub fn inspect_image(&self, name: &str) -> Result<Value> {
        let image = self.images.resolve(name)?;
        let digests = self.images.repo_digests(&image.id).unwrap_or_default();
        let raw = self
            .images
            .image_config_json(&image)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .unwrap_or(Value::Null);
        let mut doc = image_document(&image, &digests, &raw);
        // As overlay2's: the top layer's directory, and those under it top first.
        let dirs = self.images.layer_dirs(&image).unwrap_or_default();
        let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        if let Some((top, lower)) = dirs.split_first() {
            let mut data = serde_json::Map::new();
            if !lower.is_empty() {
                data.insert("LowerDir".into(), lower.join(":").into());
            }
            data.insert("UpperDir".into(), top.as_str().into());
            doc["GraphDriver"]["Data"] = Value::Object(data);
        }
        Ok(doc)
    }

    /// `docker network inspect NETWORK` of a network of the store.
    pub fn inspect_network(&self, name: &str) -> Result<Value> {
        self.reconcile_all()?;
        let network = self.networks()?.inspect(name)?;
        Ok(network_document(&network))
    }
}

/// Go's zero time for what has not happened.
fn time_or_zero(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
}

/// The endpoint id of a container on a network (stable: derived from both ids).
pub(crate) fn endpoint_id(network_id: &str, container_id: &str) -> String {
    derived_id(&[network_id, container_id])
}

/// A stable 64-hex id derived from `parts` (endpoint and sandbox ids, which Docker keeps and
/// we do not).
fn derived_id(parts: &[&str]) -> String {
    six_image::Digest::of(parts.join("/").as_bytes())
        .hex()
        .to_owned()
}

/// One container's document.
pub(crate) fn container_document(
    config: &ContainerConfig,
    state: &State,
    dir: &Path,
    context: &Context,
) -> Value {
    let req = &config.request;
    let mount = six_image::RootfsMount::for_container_dir(dir);
    json!({
        "Id": config.id,
        "Created": time_or_zero(Some(config.created)),
        "Path": config.args.first().cloned().unwrap_or_default(),
        "Args": config.args.iter().skip(1).collect::<Vec<_>>(),
        "State": state_json(state),
        "Image": format!("sha256:{}", config.image_id),
        "ResolvConfPath": dir.join("resolv.conf"),
        "HostnamePath": dir.join("hostname"),
        "HostsPath": dir.join("hosts"),
        "LogPath": if req.log.driver == crate::types::LogDriver::None {
            std::path::PathBuf::new()
        } else {
            crate::logs::log_path(dir, &config.id)
        },
        "Name": format!("/{}", config.name),
        "RestartCount": state.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": Value::Null,
        "HostConfig": host_config_json(req, context),
        "GraphDriver": {
            "Data": graph_driver_data(&mount, &context.lower_dirs),
            "Name": "overlay",
        },
        "Mounts": mount_points::of_record(config)
            .iter()
            .filter(|m| !is_tmpfs_flag(m, req))
            .map(mount_json)
            .collect::<Vec<_>>(),
        "Config": config_json(config),
        "NetworkSettings": network_settings_json(config, state, context),
    })
}

/// A `--tmpfs` mount: Docker keeps those in `HostConfig.Tmpfs` only, not in `Mounts` (a
/// `--mount type=tmpfs` is in both; no two mounts share a destination).
fn is_tmpfs_flag(m: &MountPoint, req: &RunRequest) -> bool {
    m.kind == MountKind::Tmpfs && req.tmpfs.iter().any(|t| t.target == m.destination)
}

/// One of `Mounts`, in Docker's shape for its type.
fn mount_json(m: &MountPoint) -> Value {
    match m.kind {
        MountKind::Bind => json!({
            "Type": "bind", "Source": m.source, "Destination": m.destination, "Mode": m.mode,
            "RW": !m.read_only, "Propagation": m.propagation,
        }),
        MountKind::Volume => json!({
            "Type": "volume", "Name": m.name, "Source": m.source, "Destination": m.destination,
            "Driver": "local", "Mode": m.mode, "RW": !m.read_only, "Propagation": m.propagation,
        }),
        MountKind::Tmpfs => json!({
            "Type": "tmpfs", "Source": "", "Destination": m.destination, "Mode": m.mode,
            "RW": !m.read_only, "Propagation": "",
        }),
    }
}

/// A container's `GraphDriver.Data` in Docker's key order: the image's layers (LowerDir,
/// when it is still there), then the container's own directories.
fn graph_driver_data(mount: &six_image::RootfsMount, lower_dirs: &str) -> Value {
    let mut data = serde_json::Map::new();
    if !lower_dirs.is_empty() {
        data.insert("LowerDir".into(), lower_dirs.into());
    }
    data.insert("MergedDir".into(), json!(mount.merged));
    data.insert("UpperDir".into(), json!(mount.upper));
    data.insert("WorkDir".into(), json!(mount.work));
    Value::Object(data)
}

/// One of `HostConfig.Mounts`: a `--mount` as Docker's API keeps it.
fn mount_flag_json(m: &MountSpec) -> Value {
    // Docker's mount.Mount: Type, Source, Target, ReadOnly, then the options of its type.
    let mut doc = json!({
        "Type": m.kind.to_string(),
        "Source": m.source,
        "Target": m.target,
        "ReadOnly": m.read_only.then_some(true),
    });
    omit_nulls(&mut doc, &["Source", "ReadOnly"]);
    match m.kind {
        MountType::Bind if m.bind_propagation.is_some() || m.bind_nonrecursive => {
            let mut o = json!({});
            if let Some(p) = &m.bind_propagation {
                o["Propagation"] = json!(p);
            }
            if m.bind_nonrecursive {
                o["NonRecursive"] = json!(true);
            }
            doc["BindOptions"] = o;
        }
        MountType::Volume
            if m.volume_nocopy
                || !m.volume_labels.is_empty()
                || !m.volume_options.is_empty()
                || m.volume_driver.is_some() =>
        {
            let mut driver = json!({});
            if let Some(d) = &m.volume_driver {
                driver["Name"] = json!(d);
            }
            if !m.volume_options.is_empty() {
                driver["Options"] = json!(m.volume_options);
            }
            let mut o = json!({"DriverConfig": driver});
            if m.volume_nocopy {
                o["NoCopy"] = json!(true);
            }
            if !m.volume_labels.is_empty() {
                o["Labels"] = json!(m.volume_labels);
            }
            doc["VolumeOptions"] = o;
        }
        MountType::Tmpfs if m.tmpfs_size.is_some() || m.tmpfs_mode.is_some() => {
            let mut o = json!({});
            if let Some(size) = m.tmpfs_size {
                o["SizeBytes"] = json!(size);
            }
            if let Some(mode) = m.tmpfs_mode {
                o["Mode"] = json!(mode);
            }
            doc["TmpfsOptions"] = o;
        }
        _ => {}
    }
    doc
}

/// `Config.Volumes`: where the container has anonymous volumes (`-v /path`, the image's
/// `VOLUME`s), as Docker's map; null when none.
fn anonymous_volumes_json(config: &ContainerConfig) -> Value {
    let map: serde_json::Map<String, Value> = mount_points::of_record(config)
        .iter()
        .filter(|m| m.kind == MountKind::Volume && m.anonymous)
        .map(|m| (m.destination.display().to_string(), json!({})))
        .collect();
    match map.is_empty() {
        true => Value::Null,
        false => go_map(map),
    }
}

/// A Go map as `encoding/json` writes it: keys sorted.
fn go_map(mut map: serde_json::Map<String, Value>) -> Value {
    map.sort_keys();
    Value::Object(map)
}

/// `State`: current after every start (the record is rewritten by the monitor); `Health`
/// only with a health check, as Docker's.
fn state_json(state: &State) -> Value {
    let mut doc = json!({
        "Status": status_word(state),
        "Running": state.status == Status::Running,
        "Paused": state.paused,
        "Restarting": state.status == Status::Restarting,
        "OOMKilled": state.oom_killed,
        "Dead": false,
        "Pid": state.pid.unwrap_or(0),
        "ExitCode": state.exit_code,
        "Error": state.error.clone().or_else(|| state.log_error.clone()).unwrap_or_default(),
        "StartedAt": time_or_zero(state.started_at),
        "FinishedAt": time_or_zero(state.finished_at),
    });
    if let Some(h) = &state.health {
        let time = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        doc["Health"] = json!({
            "Status": h.status.word(),
            "FailingStreak": h.failing_streak,
            "Log": h.log.iter().map(|r| json!({
                "Start": time(&r.start),
                "End": time(&r.end),
                "ExitCode": r.exit_code,
                "Output": r.output,
            })).collect::<Vec<_>>(),
        });
    }
    doc
}

/// `Config`: what the container was made with.
fn config_json(config: &ContainerConfig) -> Value {
    let req = &config.request;
    let exposed: serde_json::Map<String, Value> = config
        .exposed_ports()
        .iter()
        .map(|p| (p.to_string(), json!({})))
        .collect();
    let mut doc = json!({
        "Hostname": config.hostname,
        "Domainname": "",
        "User": config.user,
        "AttachStdin": req.interactive && !req.detach,
        "AttachStdout": !req.detach,
        "AttachStderr": !req.detach,
        "ExposedPorts": if exposed.is_empty() { Value::Null } else { go_map(exposed) },
        "Tty": req.tty,
        "OpenStdin": req.interactive,
        "StdinOnce": req.interactive && !req.detach,
        "Env": config.env,
        "Cmd": config.cmd,
        "Healthcheck": config.healthcheck,
        "Image": config.image,
        "Volumes": anonymous_volumes_json(config),
        "WorkingDir": config.workdir,
        "Entrypoint": if config.entrypoint.is_empty() { Value::Null } else { json!(config.entrypoint) },
        "OnBuild": Value::Null,
        "Labels": config.labels,
        "StopSignal": config.stop_signal.map(|s| s.to_string()),
        "StopTimeout": req.stop_timeout,
    });
    omit_nulls(
        &mut doc,
        &["ExposedPorts", "Healthcheck", "StopSignal", "StopTimeout"],
    );
    doc
}

/// Drops `keys` where they are null: the fields Docker leaves out when empty (`omitempty`),
/// written in their place in the document so the others keep Docker's order.
fn omit_nulls(doc: &mut Value, keys: &[&str]) {
    if let Some(map) = doc.as_object_mut() {
        for key in keys {
            if map.get(*key).is_some_and(Value::is_null) {
                map.shift_remove(*key);
            }
        }
    }
}

/// `HostConfig`: the request's options as Docker names them, and Docker's defaults for what
/// this engine does not let one change.
fn host_config_json(req: &RunRequest, context: &Context) -> Value {
    // As Docker: --cpus shows as NanoCpus only, CpuQuota and CpuPeriod are their own flags.
    let (cpu_quota, cpu_period) = (req.cpu_quota.unwrap_or(0), req.cpu_period.unwrap_or(0));
    // As Docker: the -v binds and named volumes as typed; anonymous ones are Config.Volumes.
    let binds: Vec<String> = req
        .volumes
        .iter()
        .filter(|v| v.source != VolumeSource::Anonymous)
        .map(|v| v.to_string())
        .collect();
    let mut bindings = serde_json::Map::new();
    for p in &req.ports {
        let key = format!("{}/{}", p.container_port, p.proto);
        let host_ip = p.host_ip.map(|i| i.to_string()).unwrap_or_default();
        let port = p.host_port.map(|h| h.to_string()).unwrap_or_default();
        if let Some(list) = bindings
            .entry(key)
            .or_insert_with(|| json!([]))
            .as_array_mut()
        {
            list.push(json!({"HostIp": host_ip, "HostPort": port}));
        }
    }
    let max_retries = match req.restart {
        crate::types::RestartPolicy::OnFailure {
            max_retries: Some(n),
        } => n,
        _ => 0,
    };
    let list_or_null = |l: &[String]| if l.is_empty() { Value::Null } else { json!(l) };
    let tmpfs = match req.tmpfs.is_empty() {
        true => Value::Null,
        false => go_map(
            req.tmpfs
                .iter()
                .map(|t| (t.target.display().to_string(), json!(t.options)))
                .collect(),
        ),
    };
    let mounts = match req.mounts.is_empty() {
        true => Value::Null,
        false => json!(req.mounts.iter().map(mount_flag_json).collect::<Vec<_>>()),
    };
    let cgroupns = match std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        true => "private",
        false => "host",
    };
    let mut host = json!({
        "Binds": if binds.is_empty() { Value::Null } else { json!(binds) },
        "ContainerIDFile": "",
        "LogConfig": {"Type": req.log.driver.name(), "Config": req.log.opts},
        "NetworkMode": req.network.to_string(),
        "PortBindings": go_map(bindings),
        "RestartPolicy": {"Name": req.restart.name(), "MaximumRetryCount": max_retries},
        "AutoRemove": req.auto_remove,
        "VolumeDriver": "",
        "VolumesFrom": if req.volumes_from.is_empty() {
            Value::Null
        } else {
            json!(req.volumes_from.iter().map(|v| v.to_string()).collect::<Vec<_>>())
        },
        "CapAdd": list_or_null(&req.cap_add),
        "CapDrop": list_or_null(&req.cap_drop),
        "CgroupnsMode": cgroupns,
        "Dns": req.dns.iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        "DnsOptions": req.dns_options,
        "DnsSearch": req.dns_search,
        "ExtraHosts": if req.add_hosts.is_empty() {
            Value::Null
        } else {
            json!(req.add_hosts.iter().map(|h| h.to_string()).collect::<Vec<_>>())
        },
        "GroupAdd": if req.group_add.is_empty() { Value::Null } else { json!(req.group_add) },
        "IpcMode": req.ipc_mode.docker_text(NamespaceKind::Ipc),
        "Cgroup": "",
        "Links": Value::Null,
        "OomScoreAdj": 0,
        "PidMode": req.pid_mode.docker_text(NamespaceKind::Pid),
        "Privileged": req.privileged,
        "PublishAllPorts": req.publish_all,
        "ReadonlyRootfs": req.read_only,
        "SecurityOpt": security_opt_json(req),
        "Tmpfs": tmpfs,
        "UTSMode": req.uts_mode.docker_text(NamespaceKind::Uts),
        "UsernsMode": "",
        "ShmSize": req.shm_size.map(|s| s.bytes()).filter(|b| *b > 0).unwrap_or(67_108_864),
        "Runtime": "six-runtime",
        "ConsoleSize": [0, 0],
        "Isolation": "",
    });
    let resources = json!({
        "CpuShares": req.cpu_shares.unwrap_or(0),
        "Memory": req.memory.map(|m| m.bytes()).unwrap_or(0),
        "NanoCpus": req.cpus.map(|c| c.nano_cpus()).unwrap_or(0),
        "CgroupParent": req.cgroup_parent.clone().unwrap_or_default(),
        "BlkioWeight": 0,
        "BlkioWeightDevice": [],
        "BlkioDeviceReadBps": [],
        "BlkioDeviceWriteBps": [],
        "BlkioDeviceReadIOps": [],
        "BlkioDeviceWriteIOps": [],
        "CpuPeriod": cpu_period,
        "CpuQuota": cpu_quota,
        "CpuRealtimePeriod": 0,
        "CpuRealtimeRuntime": 0,
        "CpusetCpus": req.cpuset_cpus.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        "CpusetMems": req.cpuset_mems.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        "Devices": req.devices.iter().map(|d| json!({
            "PathOnHost": d.path_on_host,
            "PathInContainer": d.path_in_container,
            "CgroupPermissions": d.permissions,
        })).collect::<Vec<_>>(),
        "DeviceCgroupRules": Value::Null,
        "DeviceRequests": Value::Null,
        "KernelMemory": 0,
        "KernelMemoryTCP": 0,
        "MemoryReservation": 0,
        "MemorySwap": req.memory_swap.map(|s| s.as_spec_value()).unwrap_or(0),
        "MemorySwappiness": Value::Null,
        "OomKillDisable": false,
        "PidsLimit": req.pids_limit,
        "Ulimits": req.ulimits.iter().map(|u| json!({"Name": u.name, "Hard": u.hard, "Soft": u.soft})).collect::<Vec<_>>(),
        "CpuCount": 0,
        "CpuPercent": 0,
        "IOMaximumIOps": 0,
        "IOMaximumBandwidth": 0,
        "Mounts": mounts,
        "MaskedPaths": context.masked_paths,
        "ReadonlyPaths": context.readonly_paths,
        "Init": req.init.then_some(true),
    });
    if let (Some(doc), Value::Object(more)) = (host.as_object_mut(), resources) {
        doc.extend(more);
    }
    // As Docker's (omitempty): only when given.
    omit_nulls(&mut host, &["Tmpfs", "Mounts", "Init"]);
    host
}

/// `NetworkSettings`: every network it joins (empty addresses while it does not run, as
/// Docker's), the default bridge's address at the top level (Docker's legacy fields), the
/// published ports while it runs.
fn network_settings_json(config: &ContainerConfig, state: &State, context: &Context) -> Value {
    let running = state.status == Status::Running;
    let live = |name: &str| -> Option<&NetworkState> {
        state
            .networks
            .iter()
            .find(|n| n.network == name)
            .filter(|_| running)
    };
    let mut names = config.joined_networks();
    for n in &state.networks {
        if !names.contains(&n.network) {
            names.push(n.network.clone());
        }
    }
    let short_id = &config.id[..config.id.len().min(12)];
    let mut networks = serde_json::Map::new();
    for name in &names {
        let n = live(name);
        // dockerd 20.10 fills NetworkID at the first start and keeps it.
        let network_id = match state.started_at {
            Some(_) => context.network_ids.get(name).cloned().unwrap_or_default(),
            None => String::new(),
        };
        // On `none` or `host` a running container has an endpoint and no address.
        let predefined = name == "none" || name == "host";
        let endpoint =
            (n.is_some() || (running && predefined)).then(|| endpoint_id(&network_id, &config.id));
        let settings = config.endpoint_settings(name);
        let aliases: Vec<&str> = settings
            .aliases
            .iter()
            .map(String::as_str)
            .chain([short_id])
            .collect();
        networks.insert(
            name.clone(),
            json!({
                "IPAMConfig": settings.ip.map_or(Value::Null, |ip| json!({"IPv4Address": ip.to_string()})),
                "Links": Value::Null,
                "Aliases": if name == "bridge" || name == "none" || name == "host" { Value::Null } else { json!(aliases) },
                "NetworkID": network_id,
                "EndpointID": endpoint.unwrap_or_default(),
                "Gateway": n.map(|n| n.gateway.clone()).unwrap_or_default(),
                "IPAddress": n.map(|n| n.ip.clone()).unwrap_or_default(),
                "IPPrefixLen": n.map(|n| n.prefix).unwrap_or(0),
                "IPv6Gateway": "",
                "GlobalIPv6Address": "",
                "GlobalIPv6PrefixLen": 0,
                "MacAddress": n.map(|n| n.mac.clone()).unwrap_or_default(),
                "DriverOpts": Value::Null,
            }),
        );
    }
    let mut ports = serde_json::Map::new();
    if running {
        for p in state.networks.iter().flat_map(|n| n.ports.iter()) {
            let key = format!("{}/{}", p.container_port, p.proto);
            let host_ip = p
                .host_ip
                .map_or_else(|| "0.0.0.0".into(), |i| i.to_string());
            let port = p.host_port.map(|h| h.to_string()).unwrap_or_default();
            if let Some(list) = ports.entry(key).or_insert_with(|| json!([])).as_array_mut() {
                list.push(json!({"HostIp": host_ip, "HostPort": port}));
            }
        }
        // On a network, Docker lists the ports nobody publishes too, as null.
        if !state.networks.is_empty() {
            for p in config.exposed_ports() {
                ports.entry(p.to_string()).or_insert(Value::Null);
            }
        }
    }
    let bridge = live("bridge");
    let sandbox = match (running, state.pid) {
        (true, Some(pid)) => (
            derived_id(&["sandbox", &config.id]),
            format!("/proc/{pid}/ns/net"),
        ),
        _ => (String::new(), String::new()),
    };
    json!({
        "Bridge": "",
        "SandboxID": sandbox.0,
        "HairpinMode": false,
        "LinkLocalIPv6Address": "",
        "LinkLocalIPv6PrefixLen": 0,
        "Ports": go_map(ports),
        "SandboxKey": sandbox.1,
        "SecondaryIPAddresses": Value::Null,
        "SecondaryIPv6Addresses": Value::Null,
        "EndpointID": bridge.map(|_| derived_id(&[context.network_ids.get("bridge").map_or("", String::as_str), &config.id])).unwrap_or_default(),
        "Gateway": bridge.map(|n| n.gateway.clone()).unwrap_or_default(),
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "IPAddress": bridge.map(|n| n.ip.clone()).unwrap_or_default(),
        "IPPrefixLen": bridge.map(|n| n.prefix).unwrap_or(0),
        "IPv6Gateway": "",
        "MacAddress": bridge.map(|n| n.mac.clone()).unwrap_or_default(),
        "Networks": go_map(networks),
    })
}

/// An image's document; `raw` is its config JSON (architecture, os, author, comment, ...).
pub(crate) fn image_document(
    image: &six_image::Image,
    repo_digests: &[String],
    raw: &Value,
) -> Value {
    let c = &image.config;
    let exposed: serde_json::Map<String, Value> = c
        .exposed_ports
        .iter()
        .map(|p| (p.clone(), json!({})))
        .collect();
    let text = |key: &str| raw[key].as_str().unwrap_or_default().to_owned();
    let mut config = json!({
        "Hostname": "",
        "Domainname": "",
        "User": c.user.clone().unwrap_or_default(),
        "AttachStdin": false,
        "AttachStdout": false,
        "AttachStderr": false,
        "ExposedPorts": if exposed.is_empty() { Value::Null } else { go_map(exposed) },
        "Tty": false,
        "OpenStdin": false,
        "StdinOnce": false,
        "Env": if c.env.is_empty() { Value::Null } else { json!(c.env) },
        "Cmd": c.cmd,
        "Healthcheck": Value::Null,
        "ArgsEscaped": Value::Null,
        "Image": "",
        "Volumes": if c.volumes.is_empty() {
            Value::Null
        } else {
            go_map(c.volumes.iter().map(|v| (v.clone(), json!({}))).collect())
        },
        "WorkingDir": c.working_dir.clone().unwrap_or_default(),
        "Entrypoint": c.entrypoint,
        "OnBuild": Value::Null,
        "Labels": if c.labels.is_empty() { Value::Null } else { json!(c.labels) },
        "StopSignal": Value::Null,
        "StopTimeout": Value::Null,
        "Shell": Value::Null,
    });
    // What the image's config has beyond ImageConfig (a build's HEALTHCHECK, SHELL, ONBUILD,
    // STOPSIGNAL): as it is there, in Docker's places; the omitempty ones only when set.
    if let Some(doc) = config.as_object_mut() {
        let rc = &raw["config"];
        for key in [
            "Healthcheck",
            "ArgsEscaped",
            "OnBuild",
            "StopSignal",
            "StopTimeout",
            "Shell",
        ] {
            if !rc[key].is_null() {
                doc.insert(key.to_owned(), rc[key].clone());
            }
        }
    }
    omit_nulls(
        &mut config,
        &[
            "ExposedPorts",
            "Healthcheck",
            "ArgsEscaped",
            "StopSignal",
            "StopTimeout",
            "Shell",
        ],
    ); // omitempty in Docker's container.Config
    let architecture = match text("architecture") {
        a if a.is_empty() => match std::env::consts::ARCH {
            "x86_64" => "amd64".to_owned(),
            "aarch64" => "arm64".to_owned(),
            other => other.to_owned(),
        },
        a => a,
    };
    json!({
        "Id": format!("sha256:{}", image.id),
        "RepoTags": image.repo_tags,
        "RepoDigests": repo_digests,
        "Parent": image.parent.as_ref().map(|p| format!("sha256:{p}")).unwrap_or_default(),
        "Comment": text("comment"),
        "Created": image.created.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "Container": text("container"),
        "ContainerConfig": raw.get("container_config").cloned().unwrap_or_else(|| config.clone()),
        "DockerVersion": text("docker_version"),
        "Author": text("author"),
        "Config": config,
        "Architecture": architecture,
        "Os": if text("os").is_empty() { "linux".to_owned() } else { text("os") },
        "Size": image.size,
        "VirtualSize": image.size,
        "GraphDriver": {"Data": Value::Null, "Name": "overlay"},
        "RootFS": {"Type": "layers", "Layers": image.layers},
        "Metadata": {"LastTagTime": "0001-01-01T00:00:00Z"},
    })
}

/// A network of the store's document.
pub(crate) fn network_document(n: &six_network::Network) -> Value {
    let created = DateTime::from_timestamp(n.created as i64, 0).unwrap_or_default();
    let containers: serde_json::Map<String, Value> = n
        .endpoints
        .iter()
        .map(|e| {
            (
                e.id.clone(),
                json!({
                    "Name": e.name,
                    "EndpointID": derived_id(&[&n.id, &e.id]),
                    "MacAddress": e.mac,
                    "IPv4Address": format!("{}/{}", e.ip, n.subnet.prefix()),
                    "IPv6Address": "",
                }),
            )
        })
        .collect();
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": created.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": false,
        "IPAM": {
            "Driver": "default",
            "Options": {},
            "Config": [{"Subnet": n.subnet.to_string(), "Gateway": n.gateway.to_string()}],
        },
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": go_map(containers),
        "Options": {"com.docker.network.bridge.name": n.bridge},
        "Labels": n.labels,
    })
}

/// `HostConfig.SecurityOpt` as Docker keeps it (a profile given as a file, by its content).
fn security_opt_json(req: &RunRequest) -> Value {
    let mut opts = Vec::new();
    if req.no_new_privileges {
        opts.push("no-new-privileges".to_owned());
    }
    if req.seccomp_unconfined {
        opts.push("seccomp=unconfined".to_owned());
    } else if let Some(profile) = &req.seccomp_profile {
        opts.push(format!("seccomp={profile}"));
    }
    if opts.is_empty() {
        Value::Null
    } else {
        json!(opts)
    }
}

#[cfg(test)]
#[path = "inspect_tests.rs"]
mod tests;
