//! A create body's `HostConfig` → the engine's [`RunRequest`]: binds and mounts, ports,
//! resources, restart policy, network mode, capabilities, security options, logging, init,
//! tmpfs, ulimits, hosts and DNS, namespaces, /dev/shm, groups. Each field maps to what the
//! matching `docker run` flag gives the engine (the same types parse it); a field the engine
//! cannot honour is a 400 naming it.

use serde_json::Value;
use six_engine::types::{
    parse_dns_option, parse_dns_search, parse_dns_server, DeviceMapping, ExtraHost, LogConfig,
    LogDriver, MemorySize, MountSpec, NamespaceKind, NamespaceMode, NetworkMode, PortSpec,
    RestartPolicy, TmpfsSpec, Ulimit, VolumeSpec, VolumesFrom,
};
use six_engine::RunRequest;

use crate::body::Fields;
use crate::http::ApiError;
use crate::resources::parse;

/// HostConfig fields the engine cannot honour (refused when set).
const UNSUPPORTED: &[&str] = &[
    "Links",
    "VolumeDriver",
    "UsernsMode",
    "Sysctls",
    "OomScoreAdj",
    "Runtime",
    "MaskedPaths",
    "ReadonlyPaths",
    "StorageOpt",
    "CgroupnsMode",
    "Cgroup",
    "Capabilities",
];

/// HostConfig fields read here (or only describing, such as `ConsoleSize`), besides the
/// resources (`resources.rs`).
const KNOWN: &[&str] = &[
    "Binds",
    "Mounts",
    "PortBindings",
    "PublishAllPorts",
    "RestartPolicy",
    "NetworkMode",
    "CapAdd",
    "CapDrop",
    "SecurityOpt",
    "LogConfig",
    "Init",
    "Tmpfs",
    "Ulimits",
    "ExtraHosts",
    "Dns",
    "DnsSearch",
    "DnsOptions",
    "Privileged",
    "ReadonlyRootfs",
    "ShmSize",
    "GroupAdd",
    "AutoRemove",
    "VolumesFrom",
    "PidMode",
    "UTSMode",
    "IpcMode",
    "CgroupParent",
    "Devices",
    // Only describe the client's side: the console's size (the attach resizes it), the file
    // the CLI writes the ID to, Windows' isolation.
    "ConsoleSize",
    "ContainerIDFile",
    "Isolation",
];

/// Fills `req` from `HostConfig`.
pub(crate) fn apply(host: &Fields, req: &mut RunRequest) -> Result<(), ApiError> {
    host.refuse_set(UNSUPPORTED)?;
    let mut known: Vec<&str> = KNOWN.to_vec();
    known.extend_from_slice(crate::resources::FIELDS);
    known.extend_from_slice(crate::resources::UNSUPPORTED);
    host.refuse_unknown(&known)?;

    req.volumes = host
        .strings("Binds")?
        .unwrap_or_default()
        .iter()
        .map(|b| bind(b))
        .collect::<Result<_, _>>()?;
    req.mounts = host
        .list("Mounts")?
        .iter()
        .map(mount)
        .collect::<Result<_, _>>()?;
    req.ports = port_bindings(host)?;
    req.publish_all = host.boolean("PublishAllPorts")?;

    let r = crate::resources::read(host)?;
    req.memory = r.memory;
    req.memory_swap = r.memory_swap;
    req.cpu_shares = r.cpu_shares;
    req.cpus = r.cpus;
    req.cpu_quota = r.cpu_quota;
    req.cpu_period = r.cpu_period;
    req.cpuset_cpus = r.cpuset_cpus;
    req.cpuset_mems = r.cpuset_mems;
    req.pids_limit = r.pids_limit;

    req.restart = restart_policy(host)?.unwrap_or_default();
    req.network = match host.string("NetworkMode")? {
        None => NetworkMode::default(),
        Some(m) => parse(&m)?,
    };
    req.cap_add = host.strings("CapAdd")?.unwrap_or_default();
    req.cap_drop = host.strings("CapDrop")?.unwrap_or_default();
    security_opts(host, req)?;
    req.log = log_config(host)?;
    req.init = host.boolean("Init")?;
    req.tmpfs = host
        .string_map("Tmpfs")?
        .iter()
        .map(|(path, opts)| match opts.is_empty() {
            true => parse::<TmpfsSpec>(path),
            false => parse::<TmpfsSpec>(&format!("{path}:{opts}")),
        })
        .collect::<Result<_, _>>()?;
    req.ulimits = host
        .list("Ulimits")?
        .iter()
        .map(ulimit)
        .collect::<Result<_, _>>()?;
    req.add_hosts = each(host, "ExtraHosts", parse::<ExtraHost>)?;
    req.dns = each(host, "Dns", |d| {
        parse_dns_server(d).map_err(|e| ApiError::bad(e.to_string()))
    })?;
    req.dns_search = each(host, "DnsSearch", |d| {
        parse_dns_search(d).map_err(|e| ApiError::bad(e.to_string()))
    })?;
    req.dns_options = each(host, "DnsOptions", |d| {
        parse_dns_option(d).map_err(|e| ApiError::bad(e.to_string()))
    })?;
    req.privileged = host.boolean("Privileged")?;
    req.read_only = host.boolean("ReadonlyRootfs")?;
    req.shm_size = host.positive("ShmSize")?.map(MemorySize::from_bytes);
    req.group_add = host.strings("GroupAdd")?.unwrap_or_default();
    req.auto_remove = host.boolean("AutoRemove")?;
    req.volumes_from = each(host, "VolumesFrom", parse::<VolumesFrom>)?;
    req.pid_mode = namespace(host, "PidMode", NamespaceKind::Pid)?;
    req.uts_mode = namespace(host, "UTSMode", NamespaceKind::Uts)?;
    req.ipc_mode = namespace(host, "IpcMode", NamespaceKind::Ipc)?;
    req.cgroup_parent = host.string("CgroupParent")?;
    req.devices = host
        .list("Devices")?
        .iter()
        .map(device)
        .collect::<Result<_, _>>()?;
    Ok(())
}

/// Each string of the list `key`, through `f`.
fn each<T>(
    f: &Fields,
    key: &str,
    parse: impl Fn(&str) -> Result<T, ApiError>,
) -> Result<Vec<T>, ApiError> {
    f.strings(key)?
        .unwrap_or_default()
        .iter()
        .map(|s| parse(s))
        .collect()
}

/// A namespace mode with the modes its kind takes (`--pid`, `--uts`, `--ipc`'s).
fn namespace(f: &Fields, key: &str, kind: NamespaceKind) -> Result<NamespaceMode, ApiError> {
    match f.string(key)? {
        None => Ok(NamespaceMode::default()),
        Some(m) => NamespaceMode::parse(kind, &m)
            .map_err(|e| ApiError::bad(format!("{}: {e}", f.name(key)))),
    }
}

/// One of `Binds` (`SRC:DEST[:MODE]`, DEST alone for an anonymous volume); the source must be
/// absolute or a volume name, as the daemon reads it (the client resolved relative paths).
fn bind(b: &str) -> Result<VolumeSpec, ApiError> {
    if b.starts_with('.') {
        return Err(ApiError::bad(format!(
            "HostConfig.Binds {b:?}: invalid mount config: the source must be an absolute path or a volume name"
        )));
    }
    parse(b)
}

/// One of `Mounts`, as `--mount` would give it: `{"Type", "Source", "Target", "ReadOnly",
/// "BindOptions", "VolumeOptions", "TmpfsOptions"}`.
fn mount(v: &Value) -> Result<MountSpec, ApiError> {
    let m = Fields::of(v, "HostConfig.Mounts.")?;
    m.refuse_unknown(&[
        "Type",
        "Source",
        "Target",
        "ReadOnly",
        "Consistency",
        "BindOptions",
        "VolumeOptions",
        "TmpfsOptions",
    ])?;
    let mut fields = vec![format!("type={}", m.string("Type")?.unwrap_or_default())];
    if let Some(s) = m.string("Source")? {
        fields.push(format!("source={s}"));
    }
    fields.push(format!(
        "target={}",
        m.string("Target")?.unwrap_or_default()
    ));
    if m.boolean("ReadOnly")? {
        fields.push("readonly".into());
    }
    if let Some(c) = m.string("Consistency")? {
        fields.push(format!("consistency={c}"));
    }
    if let Some(b) = m.object("BindOptions")? {
        b.refuse_unknown(&["Propagation", "NonRecursive"])?;
        if let Some(p) = b.string("Propagation")? {
            fields.push(format!("bind-propagation={p}"));
        }
        if b.boolean("NonRecursive")? {
            fields.push("bind-nonrecursive".into());
        }
    }
    if let Some(o) = m.object("VolumeOptions")? {
        o.refuse_unknown(&["NoCopy", "Labels", "DriverConfig"])?;
        if o.boolean("NoCopy")? {
            fields.push("volume-nocopy".into());
        }
        for (k, v) in o.string_map("Labels")? {
            fields.push(format!("volume-label={k}={v}"));
        }
        if let Some(d) = o.object("DriverConfig")? {
            d.refuse_unknown(&["Name", "Options"])?;
            if let Some(n) = d.string("Name")? {
                fields.push(format!("volume-driver={n}"));
            }
            for (k, v) in d.string_map("Options")? {
                fields.push(format!("volume-opt={k}={v}"));
            }
        }
    }
    if let Some(t) = m.object("TmpfsOptions")? {
        t.refuse_unknown(&["SizeBytes", "Mode"])?;
        if let Some(size) = t.positive("SizeBytes")? {
            fields.push(format!("tmpfs-size={size}"));
        }
        if let Some(mode) = t.positive("Mode")? {
            fields.push(format!("tmpfs-mode={mode:o}"));
        }
    }
    let text: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    parse(&text.join(","))
}

/// A field of `--mount`'s CSV, quoted when it holds a comma or a quote.
fn csv_field(f: &str) -> String {
    match f.contains([',', '"']) {
        true => format!("\"{}\"", f.replace('"', "\"\"")),
        false => f.to_owned(),
    }
}

/// `{"PathOnHost", "PathInContainer", "CgroupPermissions"}`, as `--device` would give it.
fn device(v: &Value) -> Result<DeviceMapping, ApiError> {
    let d = Fields::of(v, "HostConfig.Devices.")?;
    d.refuse_unknown(&["PathOnHost", "PathInContainer", "CgroupPermissions"])?;
    let host = d.string("PathOnHost")?.unwrap_or_default();
    let mut text = host.clone();
    let inside = d.string("PathInContainer")?;
    let permissions = d.string("CgroupPermissions")?;
    if inside.is_some() || permissions.is_some() {
        text.push(':');
        text.push_str(&inside.unwrap_or(host));
    }
    if let Some(p) = permissions {
        text.push(':');
        text.push_str(&p);
    }
    parse(&text)
}

/// `{"Name": "nofile", "Soft": 1024, "Hard": 2048}`.
fn ulimit(v: &Value) -> Result<Ulimit, ApiError> {
    let u = Fields::of(v, "HostConfig.Ulimits.")?;
    u.refuse_unknown(&["Name", "Soft", "Hard"])?;
    let name = u.string("Name")?.unwrap_or_default();
    let soft = u.number("Soft")?.unwrap_or(0);
    let hard = u.number("Hard")?.unwrap_or(0);
    parse(&format!("{name}={soft}:{hard}"))
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` → `-p 8080:80/tcp`.
fn port_bindings(host: &Fields) -> Result<Vec<PortSpec>, ApiError> {
    let mut ports = Vec::new();
    let Some(map) = host.object("PortBindings")? else {
        return Ok(ports);
    };
    for (port, bindings) in map.entries() {
        let list = match bindings {
            Value::Array(a) if !a.is_empty() => a.clone(),
            // A port with no binding: published on a port the host chooses.
            _ => vec![Value::Null],
        };
        for b in &list {
            let b = Fields::of(b, "HostConfig.PortBindings.")?;
            b.refuse_unknown(&["HostIp", "HostPort"])?;
            let ip = b.string("HostIp")?.unwrap_or_default();
            let host_port = b.string("HostPort")?.unwrap_or_default();
            let text = match (ip.is_empty(), host_port.is_empty()) {
                (true, true) => port.clone(),
                (true, false) => format!("{host_port}:{port}"),
                (false, _) if ip.contains(':') => format!("[{ip}]:{host_port}:{port}"),
                (false, _) => format!("{ip}:{host_port}:{port}"),
            };
            ports.push(parse::<PortSpec>(&text)?);
        }
    }
    Ok(ports)
}

/// `{"Name": "on-failure", "MaximumRetryCount": 3}` (None: not given).
pub(crate) fn restart_policy(f: &Fields) -> Result<Option<RestartPolicy>, ApiError> {
    let Some(p) = f.object("RestartPolicy")? else {
        return Ok(None);
    };
    p.refuse_unknown(&["Name", "MaximumRetryCount"])?;
    let name = p.string("Name")?.unwrap_or_default();
    let retries = p.number("MaximumRetryCount")?.unwrap_or(0);
    match (name.as_str(), retries) {
        ("", 0) => Ok(None),
        ("on-failure", n) if n > 0 => parse(&format!("on-failure:{n}")).map(Some),
        (_, 0) => parse(&name).map(Some),
        (other, n) => Err(ApiError::bad(format!(
            "HostConfig.RestartPolicy: maximum retry count {n} cannot be used with restart policy {other:?}"
        ))),
    }
}

/// `SecurityOpt`: `seccomp=unconfined`, `seccomp=<profile JSON>` (the CLI sends a file's
/// content), `no-new-privileges[:true|false]`, `label=disable`/`apparmor=unconfined` (no
/// SELinux or AppArmor here: nothing to turn off). Anything else is refused by name.
fn security_opts(host: &Fields, req: &mut RunRequest) -> Result<(), ApiError> {
    for opt in host.strings("SecurityOpt")?.unwrap_or_default() {
        let (key, value) = opt
            .split_once(['=', ':'])
            .map_or((opt.as_str(), ""), |(k, v)| (k, v));
        match (key, value) {
            ("seccomp", "unconfined") => req.seccomp_unconfined = true,
            ("seccomp", profile) if profile.trim_start().starts_with('{') => {
                req.seccomp_profile = Some(profile.to_owned())
            }
            ("no-new-privileges", "" | "true") => req.no_new_privileges = true,
            ("no-new-privileges", "false") => req.no_new_privileges = false,
            ("label", "disable") | ("apparmor", "unconfined") => {}
            _ => {
                return Err(ApiError::bad(format!(
                    "HostConfig.SecurityOpt {opt:?} is not supported by sixdocker: expected seccomp=unconfined, seccomp=<profile JSON> or no-new-privileges"
                )))
            }
        }
    }
    Ok(())
}

fn log_config(host: &Fields) -> Result<LogConfig, ApiError> {
    let Some(c) = host.object("LogConfig")? else {
        return Ok(LogConfig::default());
    };
    c.refuse_unknown(&["Type", "Config"])?;
    let driver = c
        .string("Type")?
        .map(|d| parse::<LogDriver>(&d))
        .transpose()?;
    let opts: Vec<String> = c
        .string_map("Config")?
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    LogConfig::from_flags(driver, &opts).map_err(|e| ApiError::bad(e.to_string()))
}
