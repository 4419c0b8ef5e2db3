//! Docker's `POST /containers/create` body → the engine's [`RunRequest`]: the container's
//! `Config` here, its `HostConfig` in `host_config.rs`, its one network's settings
//! (`NetworkingConfig`) here. Every field the engine can honour is mapped, through the same
//! types the `run` flags parse into; a field it cannot honour is refused with a 400 naming it
//! when the client set it (a value other than Go's zero value), never silently dropped.
//! Fields that only describe the client (`AttachStdout`, `ConsoleSize`...) are left alone.

use serde_json::Value;
use six_engine::types::{
    check_health_config, parse_ipv4, parse_network_alias, EnvVar, ExposedPort, HealthConfig,
    Signal, VolumeSource, VolumeSpec,
};
use six_engine::EndpointSettings;
use six_engine::RunRequest;

use crate::body::Fields;
use crate::http::ApiError;
use crate::resources::parse;

/// Config fields the engine cannot honour (refused when set).
const UNSUPPORTED: &[&str] = &[
    "Domainname",
    "MacAddress",
    "OnBuild",
    "Shell",
    "NetworkDisabled",
];

/// Config fields read here, or that only describe the client's side.
const KNOWN: &[&str] = &[
    "Hostname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "HostConfig",
    "NetworkingConfig",
];

/// A create body read: the request.
#[derive(Debug)]
pub(crate) struct Create {
    pub request: RunRequest,
}

/// The run request for this create body and `?name=`.
pub(crate) fn run_request(body: &Value, name: Option<&str>) -> Result<Create, ApiError> {
    if !body.is_object() {
        return Err(ApiError::bad("the create body must be a JSON object"));
    }
    let top = Fields::of(body, "")?;
    top.refuse_set(UNSUPPORTED)?;
    let mut known = KNOWN.to_vec();
    known.extend_from_slice(UNSUPPORTED);
    top.refuse_unknown(&known)?;
    let image = top
        .string("Image")?
        .ok_or_else(|| ApiError::bad("no image given: the create body needs \"Image\""))?;
    let mut req = RunRequest {
        image: Some(image),
        name: name.filter(|n| !n.is_empty()).map(parse).transpose()?,
        ..RunRequest::default()
    };
    req.cmd = top.strings("Cmd")?.unwrap_or_default();
    req.entrypoint = top.strings("Entrypoint")?.map(|e| {
        // `--entrypoint ""` arrives as [""]: no entrypoint at all.
        if e.len() == 1 && e[0].is_empty() {
            Vec::new()
        } else {
            e
        }
    });
    req.env = top
        .strings("Env")?
        .unwrap_or_default()
        .iter()
        .map(|e| parse::<EnvVar>(e))
        .collect::<Result<_, _>>()?;
    req.workdir = top.string("WorkingDir")?;
    req.user = top.string("User")?;
    req.hostname = top.string("Hostname")?;
    req.tty = top.boolean("Tty")?;
    req.interactive = top.boolean("OpenStdin")?;
    // Made to be attached (`docker run` without -d): its stdin closes with the attached
    // client's (Docker's StdinOnce), and inspect says so.
    req.detach = !(top.boolean("AttachStdin")?
        || top.boolean("AttachStdout")?
        || top.boolean("AttachStderr")?);
    req.labels = top.string_map("Labels")?;
    req.stop_signal = top
        .string("StopSignal")?
        .map(|s| parse::<Signal>(&s))
        .transpose()?;
    req.stop_timeout = top.number("StopTimeout")?;
    req.healthcheck = healthcheck(&top)?;

    let empty = Value::Null;
    let host = Fields::of(top.get("HostConfig").unwrap_or(&empty), "HostConfig.")?;
    crate::host_config::apply(&host, &mut req)?;
    anonymous_volumes(&top, &mut req)?;
    networking_config(&top, &mut req)?;
    req.expose = exposed_ports(&top, &req)?;
    Ok(Create { request: req })
}

/// `Healthcheck: {"Test", "Interval", "Timeout", "StartPeriod", "Retries"}` (durations in
/// nanoseconds; `["NONE"]`: no check, not even the image's), checked by the daemon's rules.
fn healthcheck(top: &Fields) -> Result<Option<HealthConfig>, ApiError> {
    let Some(h) = top.object("Healthcheck")? else {
        return Ok(None);
    };
    h.refuse_unknown(&["Test", "Interval", "Timeout", "StartPeriod", "Retries"])?;
    let number = |k: &str| h.number(k).map(Option::unwrap_or_default);
    let config = HealthConfig {
        test: h.strings("Test")?.unwrap_or_default(),
        interval: number("Interval")?,
        timeout: number("Timeout")?,
        start_period: number("StartPeriod")?,
        retries: number("Retries")?,
    };
    check_health_config(&config).map_err(|e| ApiError::bad(format!("Healthcheck: {e}")))?;
    Ok(Some(config))
}

/// `Volumes: {"/data": {}}`: an anonymous volume at each path no bind or mount covers.
fn anonymous_volumes(top: &Fields, req: &mut RunRequest) -> Result<(), ApiError> {
    let Some(volumes) = top.object("Volumes")? else {
        return Ok(());
    };
    for (path, _) in volumes.entries() {
        let covered = req
            .volumes
            .iter()
            .any(|v| v.container == std::path::Path::new(path))
            || req
                .mounts
                .iter()
                .any(|m| m.target == std::path::Path::new(path))
            || req
                .tmpfs
                .iter()
                .any(|t| t.target == std::path::Path::new(path));
        if !covered {
            let spec: VolumeSpec = parse(path)?;
            debug_assert!(matches!(spec.source, VolumeSource::Anonymous));
            req.volumes.push(spec);
        }
    }
    Ok(())
}

/// `NetworkingConfig: {"EndpointsConfig": {NET: {...}}}`: at most the one network the
/// container is created on (`HostConfig.NetworkMode`), with its aliases and address.
fn networking_config(top: &Fields, req: &mut RunRequest) -> Result<(), ApiError> {
    let Some(n) = top.object("NetworkingConfig")? else {
        return Ok(());
    };
    n.refuse_unknown(&["EndpointsConfig"])?;
    let Some(endpoints) = n.object("EndpointsConfig")? else {
        return Ok(());
    };
    let list: Vec<(&String, &Value)> = endpoints.entries().collect();
    if list.len() > 1 {
        return Err(ApiError::bad(
            "NetworkingConfig.EndpointsConfig: a container is created on one network; connect it to the others after",
        ));
    }
    if let Some((net, settings)) = list.first() {
        let mode = req.network.to_string();
        let same = *net == &mode || (mode == "bridge" && *net == "default");
        if !same {
            return Err(ApiError::bad(format!(
                "NetworkingConfig.EndpointsConfig names network {net:?} but HostConfig.NetworkMode is {mode:?}"
            )));
        }
        let settings = endpoint_settings(&Fields::of(
            settings,
            &format!("NetworkingConfig.EndpointsConfig.{net}."),
        )?)?;
        req.ip = settings.ip;
        req.network_aliases = settings.aliases;
    }
    Ok(())
}

/// An `EndpointSettings` object (create, and `network connect`): `Aliases` and
/// `IPAMConfig.IPv4Address`; its read-only parts are ignored; what the engine cannot honour
/// (links, MAC addresses, IPv6, driver options) is refused when set.
pub(crate) fn endpoint_settings(e: &Fields) -> Result<EndpointSettings, ApiError> {
    e.refuse_set(&["Links", "MacAddress", "DriverOpts"])?;
    e.refuse_unknown(&[
        "IPAMConfig",
        "Links",
        "Aliases",
        "MacAddress",
        "DriverOpts",
        "NetworkID",
        "EndpointID",
        "Gateway",
        "IPAddress",
        "IPPrefixLen",
        "IPv6Gateway",
        "GlobalIPv6Address",
        "GlobalIPv6PrefixLen",
    ])?;
    let mut settings = EndpointSettings::default();
    if let Some(ipam) = e.object("IPAMConfig")? {
        ipam.refuse_unknown(&["IPv4Address", "IPv6Address", "LinkLocalIPs"])?;
        ipam.refuse_set(&["IPv6Address", "LinkLocalIPs"])?;
        settings.ip = ipam
            .string("IPv4Address")?
            .map(|ip| parse_ipv4(&ip).map_err(|e| ApiError::bad(e.to_string())))
            .transpose()?;
    }
    for alias in e.strings("Aliases")?.unwrap_or_default() {
        let alias = parse_network_alias(&alias).map_err(|e| ApiError::bad(e.to_string()))?;
        if !settings.aliases.contains(&alias) {
            settings.aliases.push(alias);
        }
    }
    Ok(settings)
}

/// The ports of `ExposedPorts` (`{"80/tcp": {}}`) no port binding covers: `--expose`'s.
fn exposed_ports(top: &Fields, req: &RunRequest) -> Result<Vec<ExposedPort>, ApiError> {
    let Some(exposed) = top.object("ExposedPorts")? else {
        return Ok(Vec::new());
    };
    let mut uncovered = Vec::new();
    for (key, _) in exposed.entries() {
        let port = ExposedPort::from_image(&key.to_ascii_lowercase()).ok_or_else(|| {
            ApiError::bad(format!(
                "ExposedPorts: invalid port {key:?}: expected PORT[/tcp|udp] with a port 1-65535"
            ))
        })?;
        let covered = req
            .ports
            .iter()
            .any(|p| p.container_port == port.port && p.proto == port.proto);
        if !covered {
            uncovered.push(port);
        }
    }
    Ok(uncovered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> Result<RunRequest, ApiError> {
        run_request(&body, None).map(|c| c.request)
    }

    /// What docker CLI 20.10 sends for `docker run -d -p 8080:80 -m 64m --name web busybox sleep 9`.
    #[test]
    fn docker_cli_body_maps_to_a_request() {
        let body = json!({
            "Hostname": "", "Domainname": "", "User": "", "AttachStdin": false, "Tty": false,
            "OpenStdin": false, "Env": ["A=b"], "Cmd": ["sleep", "9"], "Image": "busybox",
            "Volumes": {}, "WorkingDir": "", "Entrypoint": null, "Labels": {"x": "y"},
            "ExposedPorts": {"80/tcp": {}},
            "HostConfig": {"Binds": null, "NetworkMode": "default", "Memory": 67108864,
                "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]},
                "RestartPolicy": {"Name": "no", "MaximumRetryCount": 0}, "AutoRemove": false,
                "Dns": [], "ExtraHosts": null, "Privileged": false, "PidsLimit": null,
                "LogConfig": {"Type": "", "Config": {}}, "ConsoleSize": [0, 0]},
            "NetworkingConfig": {"EndpointsConfig": {}},
        });
        let c = run_request(&body, Some("web")).unwrap();
        assert!(c.request.expose.is_empty());
        let r = c.request;
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
    fn the_full_host_config_maps() {
        let body = json!({"Image": "busybox", "StopSignal": "SIGQUIT", "StopTimeout": 30,
            "Volumes": {"/scratch": {}, "/data": {}},
            "HostConfig": {
                "Binds": ["vol:/data:ro"], "Mounts": [{"Type": "tmpfs", "Target": "/cache",
                    "TmpfsOptions": {"SizeBytes": 1048576}}],
                "PublishAllPorts": true, "CpuQuota": 50000, "CpuPeriod": 100000,
                "CpusetMems": "0", "PidsLimit": 64,
                "Ulimits": [{"Name": "nofile", "Soft": 1024, "Hard": 2048}],
                "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
                "CapAdd": ["NET_ADMIN"], "CapDrop": ["MKNOD"],
                "SecurityOpt": ["no-new-privileges", "seccomp=unconfined"],
                "LogConfig": {"Type": "json-file", "Config": {"max-size": "10m"}},
                "Init": true, "Tmpfs": {"/run": "size=64m"}, "ExtraHosts": ["db:10.0.0.5"],
                "Dns": ["10.0.0.53"], "DnsSearch": ["example.com"], "DnsOptions": ["ndots:2"],
                "Privileged": true, "ReadonlyRootfs": true, "ShmSize": 268435456,
                "GroupAdd": ["audio"], "PidMode": "host", "MemorySwappiness": -1,
                "Devices": [{"PathOnHost": "/dev/null", "PathInContainer": "/dev/xnull",
                    "CgroupPermissions": "rw"}]}});
        let r = request(body).unwrap();
        assert_eq!(r.stop_signal.unwrap().number(), libc::SIGQUIT);
        assert_eq!(r.stop_timeout, Some(30));
        // /data is the bind's; /scratch gets an anonymous volume.
        assert_eq!(r.volumes.len(), 2);
        assert!(matches!(r.volumes[1].source, VolumeSource::Anonymous));
        assert_eq!(r.mounts[0].tmpfs_size, Some(1 << 20));
        assert!(r.publish_all && r.init && r.privileged && r.read_only);
        assert!(r.no_new_privileges && r.seccomp_unconfined);
        assert_eq!((r.cpu_quota, r.cpu_period), (Some(50000), Some(100000)));
        assert_eq!(r.pids_limit, Some(64));
        assert_eq!(r.ulimits[0].hard, 2048);
        assert_eq!(r.tmpfs[0].options, "size=64m");
        assert_eq!(r.add_hosts[0].name, "db");
        assert_eq!(r.dns.len(), 1);
        assert_eq!(r.dns_search, ["example.com"]);
        assert_eq!(r.shm_size.unwrap().bytes(), 256 << 20);
        assert_eq!(r.group_add, ["audio"]);
        assert!(r.pid_mode.is_host());
        assert_eq!(r.restart.name(), "on-failure");
        assert_eq!(r.devices[0].path_in_container.to_str(), Some("/dev/xnull"));
        assert_eq!(r.devices[0].permissions, "rw");
    }

    #[test]
    fn unsupported_and_bad_fields_are_refused_by_name() {
        for (body, named) in [
            (
                json!({"Image": "b", "HostConfig": {"Sysctls": {"a": "1"}}}),
                "HostConfig.Sysctls",
            ),
            (
                json!({"Image": "b", "HostConfig": {"Memory": -5}}),
                "HostConfig.Memory",
            ),
            (
                json!({"Image": "b", "HostConfig": {"BlkioWeight": 10}}),
                "HostConfig.BlkioWeight",
            ),
            (
                json!({"Image": "b", "HostConfig": {"Bogus": [1]}}),
                "HostConfig.Bogus",
            ),
            (json!({"Image": "b", "Domainname": "x"}), "Domainname"),
            (json!({"Image": "b", "Tty": "yes"}), "Tty"),
            (
                json!({"Image": "b", "Healthcheck": {"Test": ["CMD"]}}),
                "Healthcheck",
            ),
            (
                json!({"Image": "b", "Healthcheck": {"Test": ["X", "true"]}}),
                "Healthcheck",
            ),
            (
                json!({"Image": "b", "HostConfig": {"Binds": ["./x:/x"]}}),
                "Binds",
            ),
            (
                json!({"Image": "b", "HostConfig": {"SecurityOpt": ["apparmor=x"]}}),
                "SecurityOpt",
            ),
            (
                json!({"Image": "b", "HostConfig": {"NetworkMode": "n"}, "NetworkingConfig":
                    {"EndpointsConfig": {"n": {"IPAMConfig": {"IPv6Address": "fd00::9"}}}}}),
                "IPv6Address",
            ),
            (
                json!({"Image": "b", "HostConfig": {"RestartPolicy": {"Name": "always", "MaximumRetryCount": 3}}}),
                "maximum retry count",
            ),
            (json!({"Cmd": ["x"]}), "Image"),
        ] {
            let e = request(body).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.message.contains(named), "{named}: {}", e.message);
        }
        assert!(run_request(&json!({"Image": "b"}), Some("bad name!")).is_err());
        let r = request(json!({"Image": "b", "Healthcheck": {"Test": ["NONE"]}})).unwrap();
        assert_eq!(r.healthcheck.unwrap().test, ["NONE"]);
    }

    /// What docker-compose 1.29 sends for a service on its project's network.
    #[test]
    fn compose_networking_config_and_healthcheck() {
        let r = request(
            json!({"Image": "b", "HostConfig": {"NetworkMode": "p_default"},
            "NetworkingConfig": {"EndpointsConfig": {"p_default": {"Aliases": ["web", "web"],
                "IPAMConfig": {}}}},
            "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1000000000, "Retries": 2}}),
        )
        .unwrap();
        assert_eq!(r.network_aliases, ["web"]);
        assert!(r.ip.is_none());
        let h = r.healthcheck.unwrap();
        assert_eq!((h.interval, h.retries), (1_000_000_000, 2));
        let r = request(
            json!({"Image": "b", "HostConfig": {"NetworkMode": "n"}, "NetworkingConfig":
            {"EndpointsConfig": {"n": {"IPAMConfig": {"IPv4Address": "10.1.0.9"}}}}}),
        )
        .unwrap();
        assert_eq!(r.ip.unwrap().to_string(), "10.1.0.9");
    }

    #[test]
    fn exposed_ports_without_a_binding_are_exposed_only() {
        let c = run_request(
            &json!({"Image": "b", "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                "HostConfig": {"PortBindings": {"80/tcp": [{"HostPort": "8080"}]}}}),
            None,
        )
        .unwrap();
        let exposed: Vec<String> = c.request.expose.iter().map(|p| p.to_string()).collect();
        assert_eq!(exposed, ["53/udp"]);
    }
}
