//! Docker's `POST /containers/create` body → the engine's [`RunRequest`]. Every field the
//! engine can honour is mapped; a field it cannot honour is refused with a 400 naming it when
//! the client set it (a value other than null, false, 0, "" or empty), never silently
//! dropped. Fields that only describe (`AttachStdout`, `ExposedPorts`...) are read as Docker
//! reads them or left alone.

use std::str::FromStr;

use serde_json::{Map, Value};
use six_engine::types::{
    CpuSet, Cpus, EnvVar, LogConfig, LogDriver, MemorySize, MemorySwap, NetworkMode, PortSpec,
    RestartPolicy, VolumeSpec,
};
use six_engine::RunRequest;

use crate::http::ApiError;

/// Top-level fields this engine cannot honour yet.
const UNSUPPORTED: &[&str] = &[
    "Domainname",
    "Volumes",
    "Healthcheck",
    "StopSignal",
    "StopTimeout",
    "MacAddress",
    "OnBuild",
    "Shell",
    "NetworkDisabled",
];

/// HostConfig fields this engine cannot honour yet.
const UNSUPPORTED_HOST: &[&str] = &[
    "Mounts",
    "Tmpfs",
    "ExtraHosts",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "Links",
    "VolumesFrom",
    "VolumeDriver",
    "Privileged",
    "PublishAllPorts",
    "Devices",
    "DeviceRequests",
    "DeviceCgroupRules",
    "Ulimits",
    "Init",
    "IpcMode",
    "PidMode",
    "UTSMode",
    "UsernsMode",
    "CgroupParent",
    "GroupAdd",
    "Sysctls",
    "ShmSize",
    "OomScoreAdj",
    "OomKillDisable",
    "MemoryReservation",
    "KernelMemory",
    "MemorySwappiness",
    "CpuPeriod",
    "CpuQuota",
    "CpuRealtimePeriod",
    "CpuRealtimeRuntime",
    "CpusetMems",
    "BlkioWeight",
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "Runtime",
    "MaskedPaths",
    "ReadonlyPaths",
    "ContainerIDFile",
];

/// The run request for this create body and `?name=`.
pub(crate) fn run_request(body: &Value, name: Option<&str>) -> Result<RunRequest, ApiError> {
    let top = body
        .as_object()
        .ok_or_else(|| ApiError::bad("the create body must be a JSON object"))?;
    let empty = Map::new();
    let host = match top.get("HostConfig") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(h)) => h,
        Some(_) => return Err(ApiError::bad("HostConfig must be a JSON object")),
    };
    refuse_set(top, UNSUPPORTED, "")?;
    refuse_set(host, UNSUPPORTED_HOST, "HostConfig.")?;
    let mut req = RunRequest {
        detach: true,
        ..RunRequest::default()
    };
    req.image = match top.get("Image") {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => {
            return Err(ApiError::bad(
                "no image given: the create body needs \"Image\"",
            ))
        }
    };
    req.name = name.filter(|n| !n.is_empty()).map(parse).transpose()?;
    req.cmd = strings(top, "Cmd")?.unwrap_or_default();
    req.entrypoint = strings(top, "Entrypoint")?.map(|e| {
        // `--entrypoint ""` arrives as [""]: no entrypoint at all.
        if e.len() == 1 && e[0].is_empty() {
            Vec::new()
        } else {
            e
        }
    });
    req.env = strings(top, "Env")?
        .unwrap_or_default()
        .iter()
        .map(|e| parse::<EnvVar>(e))
        .collect::<Result<_, _>>()?;
    req.workdir = string(top, "WorkingDir")?;
    req.user = string(top, "User")?;
    req.hostname = string(top, "Hostname")?;
    req.tty = boolean(top, "Tty")?;
    req.interactive = boolean(top, "OpenStdin")?;
    // Made to be attached (`docker run` without -d): its stdin closes with the attached
    // client's (Docker's StdinOnce), and inspect says so.
    req.detach = !(boolean(top, "AttachStdin")?
        || boolean(top, "AttachStdout")?
        || boolean(top, "AttachStderr")?);
    req.labels = labels(top)?;

    req.volumes = strings(host, "Binds")?
        .unwrap_or_default()
        .iter()
        .map(|b| parse::<VolumeSpec>(b))
        .collect::<Result<_, _>>()?;
    req.ports = port_bindings(host)?;
    req.memory = positive(host, "Memory")?.map(MemorySize::from_bytes);
    req.memory_swap = match number(host, "MemorySwap")? {
        None | Some(0) => None,
        Some(n) => Some(parse::<MemorySwap>(&n.to_string())?),
    };
    req.cpu_shares = positive(host, "CpuShares")?;
    req.cpus = match positive(host, "NanoCpus")? {
        None => None,
        Some(n) => Some(parse::<Cpus>(&format!("{}", n as f64 / 1e9))?),
    };
    req.cpuset_cpus = string(host, "CpusetCpus")?
        .map(|c| parse::<CpuSet>(&c))
        .transpose()?;
    req.pids_limit = number(host, "PidsLimit")?.filter(|n| *n != 0);
    req.restart = restart_policy(host)?;
    req.network = match string(host, "NetworkMode")? {
        None => NetworkMode::default(),
        Some(m) => parse(&m)?,
    };
    req.cap_add = strings(host, "CapAdd")?.unwrap_or_default();
    req.cap_drop = strings(host, "CapDrop")?.unwrap_or_default();
    req.auto_remove = boolean(host, "AutoRemove")?;
    req.read_only = boolean(host, "ReadonlyRootfs")?;
    for opt in strings(host, "SecurityOpt")?.unwrap_or_default() {
        match opt.as_str() {
            "seccomp=unconfined" | "seccomp:unconfined" => req.seccomp_unconfined = true,
            other => {
                return Err(ApiError::bad(format!(
                    "HostConfig.SecurityOpt {other:?} is not supported: only seccomp=unconfined is"
                )))
            }
        }
    }
    req.log = log_config(host)?;
    Ok(req)
}

/// 400 for the first of `fields` that is set.
fn refuse_set(map: &Map<String, Value>, fields: &[&str], prefix: &str) -> Result<(), ApiError> {
    for f in fields {
        // Go's "not set" for these is -1.
        let unset_minus_one =
            *f == "MemorySwappiness" && map.get(*f).and_then(Value::as_i64) == Some(-1);
        if map.get(*f).is_some_and(is_set) && !unset_minus_one {
            return Err(ApiError::bad(format!(
                "{prefix}{f} is not supported by sixdocker (given: {})",
                map[*f]
            )));
        }
    }
    Ok(())
}

/// Whether a JSON value says more than Go's zero value.
fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

pub(crate) fn parse<T: FromStr<Err = six_engine::types::TypeError>>(
    s: &str,
) -> Result<T, ApiError> {
    s.parse::<T>().map_err(|e| ApiError::bad(e.to_string()))
}

fn wrong(key: &str, expected: &str, v: &Value) -> ApiError {
    ApiError::bad(format!("{key}: expected {expected}, got {v}"))
}

pub(crate) fn string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(v) => Err(wrong(key, "a string", v)),
    }
}

/// A list of strings; a lone string is a one-element list (Docker's `StrSlice`).
pub(crate) fn strings(
    map: &Map<String, Value>,
    key: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| wrong(key, "strings", v))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(v) => Err(wrong(key, "a list of strings", v)),
    }
}

pub(crate) fn boolean(map: &Map<String, Value>, key: &str) -> Result<bool, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(wrong(key, "true or false", v)),
    }
}

fn number(map: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| wrong(key, "an integer", &map[key])),
        Some(v) => Err(wrong(key, "an integer", v)),
    }
}

/// A number that must not be negative (0: not set).
fn positive(map: &Map<String, Value>, key: &str) -> Result<Option<u64>, ApiError> {
    match number(map, key)? {
        None | Some(0) => Ok(None),
        Some(n) if n < 0 => Err(ApiError::bad(format!(
            "HostConfig.{key}: {n} is negative; expected a positive number"
        ))),
        Some(n) => Ok(Some(n as u64)),
    }
}

fn labels(
    top: &Map<String, Value>,
) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    match top.get("Labels") {
        None | Some(Value::Null) => Ok(Default::default()),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(wrong("Labels", "string values", other)),
            })
            .collect(),
        Some(v) => Err(wrong("Labels", "an object of strings", v)),
    }
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` → `-p 8080:80/tcp`.
fn port_bindings(host: &Map<String, Value>) -> Result<Vec<PortSpec>, ApiError> {
    let mut ports = Vec::new();
    let Some(Value::Object(map)) = host.get("PortBindings") else {
        return match host.get("PortBindings") {
            None | Some(Value::Null) => Ok(ports),
            Some(v) => Err(wrong("PortBindings", "an object", v)),
        };
    };
    for (port, bindings) in map {
        let list = match bindings {
            Value::Array(a) if !a.is_empty() => a.clone(),
            // A port with no binding: published on a port the host chooses.
            _ => vec![Value::Object(Map::new())],
        };
        for b in &list {
            let field = |k: &str| b.get(k).and_then(Value::as_str).unwrap_or_default();
            let (ip, host_port) = (field("HostIp"), field("HostPort"));
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

fn restart_policy(host: &Map<String, Value>) -> Result<RestartPolicy, ApiError> {
    let Some(p) = host.get("RestartPolicy").filter(|v| !v.is_null()) else {
        return Ok(RestartPolicy::default());
    };
    let name = p.get("Name").and_then(Value::as_str).unwrap_or_default();
    let retries = p
        .get("MaximumRetryCount")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    match (name, retries) {
        ("on-failure", n) if n > 0 => parse(&format!("on-failure:{n}")),
        (_, 0) => parse(name),
        (other, n) => Err(ApiError::bad(format!(
            "HostConfig.RestartPolicy: maximum retry count {n} cannot be used with restart policy {other:?}"
        ))),
    }
}

fn log_config(host: &Map<String, Value>) -> Result<LogConfig, ApiError> {
    let Some(c) = host.get("LogConfig").filter(|v| !v.is_null()) else {
        return Ok(LogConfig::default());
    };
    let driver = match c.get("Type").and_then(Value::as_str).unwrap_or_default() {
        "" => None,
        d => Some(parse::<LogDriver>(d)?),
    };
    let opts: Vec<String> = match c.get("Config") {
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect(),
        _ => Vec::new(),
    };
    LogConfig::from_flags(driver, &opts).map_err(|e| ApiError::bad(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What docker CLI 20.10 sends for `docker run -d -p 8080:80 -m 64m --name web busybox sleep 9`.
    #[test]
    fn docker_cli_body_maps_to_a_request() {
        let body = json!({
            "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "Tty": false,
            "OpenStdin": false, "Env": ["A=b"], "Cmd": ["sleep", "9"], "Image": "busybox",
            "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "Labels": {"x": "y"},
            "HostConfig": {"Binds": null, "NetworkMode": "default", "Memory": 67108864,
                "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
                "Dns": [], "ExtraHosts": null, "Privileged": false, "PidsLimit": null,
                "LogConfig": {"Type": "", "Config": {}}, "ConsoleSize": [0, 0]},
        });
        let r = run_request(&body, Some("web")).unwrap();
        assert_eq!(r.image.as_deref(), Some("busybox"));
        assert_eq!(r.cmd, ["sleep", "9"]);
        assert_eq!(r.name.unwrap().as_str(), "web");
        assert_eq!(r.memory.unwrap().bytes(), 64 << 20);
        assert_eq!(r.ports.len(), 1);
        assert_eq!(r.ports[0].host_port, Some(8080));
        assert_eq!(r.labels["x"], "y");
        assert!(r.detach && r.entrypoint.is_none());
    }

    #[test]
    fn unsupported_and_bad_fields_are_refused() {
        let body = json!({"Image": "busybox", "HostConfig": {"Dns": ["1.1.1.1"]}});
        let e = run_request(&body, None).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.message.contains("HostConfig.Dns"), "{}", e.message);
        let body = json!({"Image": "busybox", "HostConfig": {"Memory": -5}});
        assert!(run_request(&body, None)
            .unwrap_err()
            .message
            .contains("Memory"));
        assert!(run_request(&json!({"Cmd": ["x"]}), None).is_err());
        assert!(run_request(&json!({"Image": "b", "Tty": "yes"}), None).is_err());
        assert!(run_request(&json!({"Image": "b"}), Some("bad name!")).is_err());
        let body = json!({"Image": "b", "HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}}});
        assert!(run_request(&body, None).is_err());
    }
}
