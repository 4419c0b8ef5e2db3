//! Capabilities for a container: Docker's 14 defaults, `--cap-add` and `--cap-drop` (names
//! with or without `CAP_`, and `ALL`), and the seccomp profile that goes with them (Docker's
//! default for those capabilities, a `--security-opt seccomp=` one, or none). Reads only the
//! caller's bounding set.

use std::collections::HashSet;

use oci_spec::runtime::{Capability, LinuxSeccomp};

use crate::error::{Error, Result};

/// Docker's 14 default capabilities (six-seccomp's list: its default profile opens the
/// syscalls of exactly these).
pub(crate) const DEFAULT_CAPS: &[&str] = six_seccomp::DOCKER_DEFAULT_CAPS;

/// Every capability, in kernel number order (index n is capability n).
pub(crate) const ALL_CAPS: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Docker's 14 defaults, plus `--cap-add`, minus `--cap-drop`; "ALL" on either side
/// ("ALL" added means every capability this host's bounding set still has).
pub(crate) fn capabilities(add: &[String], drop: &[String]) -> Result<HashSet<Capability>> {
    capabilities_within(add, drop, host_bounding_set())
}

/// The caller's bounding set (CapBnd of /proc/self/status), bit n = capability n.
fn host_bounding_set() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(u64::MAX)
}

/// [`capabilities`] with the host's bounding set given (`ALL_CAPS[n]` is capability n).
pub(crate) fn capabilities_within(
    add: &[String],
    drop: &[String],
    bounding: u64,
) -> Result<HashSet<Capability>> {
    let normalize = |name: &str| -> Result<String> {
        let upper = name.to_ascii_uppercase();
        let full = if upper.starts_with("CAP_") {
            upper
        } else {
            format!("CAP_{upper}")
        };
        if ALL_CAPS.contains(&full.as_str()) {
            Ok(full)
        } else {
            Err(Error::Invalid(format!(
                "unknown capability \"{name}\": expected a name like NET_ADMIN or ALL"
            )))
        }
    };
    let mut names: Vec<String> = DEFAULT_CAPS.iter().map(|s| s.to_string()).collect();
    if drop.iter().any(|d| d.eq_ignore_ascii_case("all")) {
        names.clear();
    }
    for d in drop.iter().filter(|d| !d.eq_ignore_ascii_case("all")) {
        let d = normalize(d)?;
        names.retain(|n| *n != d);
    }
    if add.iter().any(|a| a.eq_ignore_ascii_case("all")) {
        names = ALL_CAPS
            .iter()
            .enumerate()
            .filter(|(n, _)| bounding & (1 << n) != 0)
            .map(|(_, s)| s.to_string())
            .collect();
    }
    for a in add.iter().filter(|a| !a.eq_ignore_ascii_case("all")) {
        let a = normalize(a)?;
        if !names.contains(&a) {
            names.push(a);
        }
    }
    names
        .iter()
        .map(|n| {
            serde_json::from_value::<Capability>(serde_json::Value::String(n.clone()))
                .map_err(|_| Error::Invalid(format!("capability {n} is not known to this build")))
        })
        .collect()
}

/// The container's seccomp profile, as Docker picks it: none with `seccomp=unconfined` or
/// `--privileged`; the
/// `seccomp=FILE` profile (Docker's format, its includes and excludes resolved for the
/// container's capabilities); else Docker's default profile for its capabilities.
pub(crate) fn seccomp_profile(req: &crate::request::RunRequest) -> Result<Option<LinuxSeccomp>> {
    if req.seccomp_unconfined || req.privileged {
        return Ok(None);
    }
    if req.seccomp_profile.is_none() && req.cap_add.is_empty() && req.cap_drop.is_empty() {
        return Ok(Some(six_seccomp::docker_default()));
    }
    let caps = capabilities(&req.cap_add, &req.cap_drop)?;
    let names: Vec<String> = caps
        .iter()
        .filter_map(|c| serde_json::to_value(c).ok()?.as_str().map(str::to_owned))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    match &req.seccomp_profile {
        Some(json) => six_seccomp::parse_docker_profile(json, &names)
            .map(Some)
            .map_err(|e| Error::Invalid(format!("--security-opt seccomp: {e}"))),
        None => Ok(Some(six_seccomp::docker_profile(&names))),
    }
}
