//! Docker's `version` and `info` documents: what this engine is and what its store holds,
//! under Docker's field names. `sixdocker version -f` / `info -f` template them and the Engine
//! API serves them (`GET /version`, `GET /info`): one shape, both front ends.
//!
//! Both are written in Docker 20.10's key order (serde_json keeps the order keys are
//! written in), which `{{json .}}` and the API print. It only reads (the store, /proc,
//! /etc/os-release, the cgroup mounts); it never changes anything.

use serde_json::{json, Value};

use crate::engine::Engine;
use crate::error::Result;

/// The newest Docker Engine API version this engine speaks (Docker 20.10's).
pub const API_VERSION: &str = "1.41";
/// The oldest Engine API version it accepts.
pub const MIN_API_VERSION: &str = "1.24";

/// Docker's `version` document (`{Client, Server}`, keys in Docker 20.10's order): what
/// `version -f` templates read (`{{.Server.Version}}`); the API's `GET /version` is its
/// `Server` part.
pub fn version_document() -> Value {
    let version = env!("CARGO_PKG_VERSION");
    // A Go map: keys in order.
    let details: std::collections::BTreeMap<&str, String> = [
        ("ApiVersion", API_VERSION.to_owned()),
        ("Arch", go_arch().to_owned()),
        ("BuildTime", String::new()),
        ("Experimental", "false".to_owned()),
        ("GitCommit", String::new()),
        ("GoVersion", String::new()),
        ("KernelVersion", kernel_release()),
        ("MinAPIVersion", MIN_API_VERSION.to_owned()),
        ("Os", "linux".to_owned()),
    ]
    .into();
    json!({
        "Client": {
            "Platform": {"Name": ""},
            "Version": version, "ApiVersion": API_VERSION, "DefaultAPIVersion": API_VERSION,
            "GitCommit": "", "GoVersion": "", "Os": "linux", "Arch": go_arch(),
            "BuildTime": "", "Context": "default", "Experimental": true,
        },
        "Server": {
            "Platform": {"Name": "sixdocker"},
            "Components": [{"Name": "Engine", "Version": version, "Details": details}],
            "Version": version, "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "GitCommit": "",
            "GoVersion": "", "Os": "linux", "Arch": go_arch(), "KernelVersion": kernel_release(),
            "BuildTime": "",
        },
    })
}

impl Engine {
    /// What `info` shows, under Docker's `system info` field names and in Docker 20.10's
    /// order (`GET /info`): the counts of this store, what the kernel's cgroups let a
    /// container be limited by, and Docker's values for what a daemonless engine does not
    /// have (goroutines, a containerd).
    pub fn info_document(&self) -> Result<Value> {
        let containers = self.list(true)?;
        let count = |state: &str| containers.iter().filter(|c| c.state == state).count();
        let running = count("running");
        let paused = containers
            .iter()
            .filter(|c| c.status.contains("(Paused)"))
            .count();
        let limits = crate::system_limits::CgroupLimits::detect();
        let sysctl = |path: &str| crate::system_limits::sysctl_is_on(path);
        let proxy = |name: &str| {
            std::env::var(name)
                .or_else(|_| std::env::var(name.to_lowercase()))
                .unwrap_or_default()
        };
        let no_commit = || json!({"ID": "", "Expected": ""});
        Ok(json!({
            "ID": self.store_id(),
            "Containers": containers.len(),
            "ContainersRunning": running - paused,
            "ContainersPaused": paused,
            "ContainersStopped": containers.len() - running,
            "Images": self.images().list()?.len(),
            "Driver": "overlay",
            "DriverStatus": [],
            "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"], "Authorization": Value::Null, "Log": ["json-file", "local", "none"]},
            "MemoryLimit": limits.memory,
            "SwapLimit": limits.swap,
            "KernelMemory": limits.kernel_memory,
            "KernelMemoryTCP": limits.kernel_memory_tcp,
            "CpuCfsPeriod": limits.cpu_cfs_period,
            "CpuCfsQuota": limits.cpu_cfs_quota,
            "CPUShares": limits.cpu_shares,
            "CPUSet": limits.cpuset,
            "PidsLimit": limits.pids,
            "IPv4Forwarding": sysctl("net/ipv4/ip_forward"),
            "BridgeNfIptables": sysctl("net/bridge/bridge-nf-call-iptables"),
            "BridgeNfIp6tables": sysctl("net/bridge/bridge-nf-call-ip6tables"),
            "Debug": false,
            "NFd": crate::system_limits::open_fds(),
            "OomKillDisable": limits.oom_kill_disable,
            "NGoroutines": 1,
            "SystemTime": chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
            "LoggingDriver": "json-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": cgroup_version().to_string(),
            "NEventsListener": 0,
            "KernelVersion": kernel_release(),
            "OperatingSystem": operating_system(),
            "OSVersion": os_release_field("VERSION_ID"),
            "OSType": "linux",
            "Architecture": std::env::consts::ARCH,
            "IndexServerAddress": "https://index.docker.io/v1/",
            "RegistryConfig": {
                "AllowNondistributableArtifactsCIDRs": [],
                "AllowNondistributableArtifactsHostnames": [],
                "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                "IndexConfigs": {"docker.io": {"Name": "docker.io", "Mirrors": [], "Secure": true, "Official": true}},
                "Mirrors": [],
            },
            "NCPU": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "MemTotal": total_memory(),
            "GenericResources": Value::Null,
            "DockerRootDir": self.options().root.display().to_string(),
            "HttpProxy": proxy("HTTP_PROXY"),
            "HttpsProxy": proxy("HTTPS_PROXY"),
            "NoProxy": proxy("NO_PROXY"),
            "Name": nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
            "Labels": [],
            "ExperimentalBuild": false,
            "ServerVersion": env!("CARGO_PKG_VERSION"),
            "Runtimes": {"six-runtime": {"path": "six-runtime (in-process)"}},
            "DefaultRuntime": "six-runtime",
            "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": Value::Null},
            "LiveRestoreEnabled": false,
            "Isolation": "",
            "InitBinary": "docker-init",
            "ContainerdCommit": no_commit(),
            "RuncCommit": no_commit(),
            "InitCommit": no_commit(),
            "SecurityOptions": ["name=seccomp,profile=default"],
            "Warnings": Value::Null,
        }))
    }

    /// A stable identifier of this store (Docker prints its daemon's ID): from the root's path
    /// and its inode, in Docker's `XXXX:XXXX:…` shape (twelve groups).
    fn store_id(&self) -> String {
        use std::os::unix::fs::MetadataExt;
        let root = &self.options().root;
        let inode = std::fs::metadata(root).map_or(0, |m| m.ino());
        let digest = six_image::Digest::of(format!("{}:{inode}", root.display()).as_bytes());
        let hex = digest.hex().to_uppercase();
        (0..12)
            .map(|i| &hex[i * 4..i * 4 + 4])
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// Go's name for the architecture, as `docker version` prints it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// The running kernel's release ("6.1.0-18-amd64").
pub fn kernel_release() -> String {
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

/// A field of /etc/os-release ("" when missing).
fn os_release_field(key: &str) -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}
