//! Docker's seccomp profile file format (`docker run --security-opt seccomp=FILE`), resolved
//! into OCI `linux.seccomp` the way Docker resolves it: `archMap` picks this host's
//! architecture and its sub-architectures; a rule's `includes`/`excludes` (caps, arches,
//! minKernel) decide whether it applies to a container with the given capabilities.
//! It never compiles or installs anything.

use oci_spec::runtime::{LinuxSeccomp, LinuxSyscall};
use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    syscalls: Vec<Rule>,
    /// Everything else (defaultAction, defaultErrnoRet, architectures, flags, ...) is OCI.
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    #[serde(default)]
    sub_architectures: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Rule {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Filter {
    #[serde(default)]
    caps: Vec<String>,
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    min_kernel: Option<String>,
}

/// This host's architecture as Docker's profiles name it (Go's GOARCH) and as OCI does.
fn native_names() -> (&'static str, &'static str) {
    if cfg!(target_arch = "aarch64") {
        ("arm64", "SCMP_ARCH_AARCH64")
    } else {
        ("amd64", "SCMP_ARCH_X86_64")
    }
}

/// "5.10.0-21-amd64" → (5, 10).
fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

fn running_kernel() -> Option<(u32, u32)> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
    kernel_version(release.trim())
}

/// Parses a profile in Docker's format for a container with `caps` ("CAP_SYS_ADMIN" or
/// "SYS_ADMIN"). A plain OCI `linux.seccomp` object is valid input too.
pub fn parse_docker_profile(json: &str, caps: &[&str]) -> Result<LinuxSeccomp> {
    resolve(json, caps, running_kernel())
}

fn resolve(json: &str, caps: &[&str], kernel: Option<(u32, u32)>) -> Result<LinuxSeccomp> {
    let p: Profile = serde_json::from_str(json).map_err(|e| Error::Parse(e.to_string()))?;
    let (go_arch, oci_arch) = native_names();
    let has_cap = |c: &String| {
        let bare = c.trim_start_matches("CAP_");
        caps.iter()
            .any(|have| have.trim_start_matches("CAP_").eq_ignore_ascii_case(bare))
    };
    let at_least = |v: &Option<String>| -> Result<Option<bool>> {
        let Some(v) = v else { return Ok(None) };
        let want = kernel_version(v).ok_or_else(|| {
            Error::Parse(format!(
                "minKernel {v:?}: expected a version such as \"4.8\""
            ))
        })?;
        Ok(Some(kernel.is_some_and(|k| k >= want)))
    };
    let mut out = p.rest;
    if !p.arch_map.is_empty() {
        let arches: Vec<String> = p
            .arch_map
            .iter()
            .filter(|m| m.architecture == oci_arch)
            .flat_map(|m| {
                std::iter::once(m.architecture.clone())
                    .chain(m.sub_architectures.clone().unwrap_or_default())
            })
            .collect();
        out.insert("architectures".into(), serde_json::json!(arches));
    }
    let mut syscalls: Vec<LinuxSyscall> = Vec::new();
    for rule in p.syscalls {
        let inc = &rule.includes;
        let exc = &rule.excludes;
        let included = (inc.arches.is_empty() || inc.arches.iter().any(|a| a == go_arch))
            && inc.caps.iter().all(has_cap)
            && at_least(&inc.min_kernel)? != Some(false);
        let excluded = exc.arches.iter().any(|a| a == go_arch)
            || exc.caps.iter().any(has_cap)
            || at_least(&exc.min_kernel)? == Some(true);
        if !included || excluded {
            continue;
        }
        let mut names = rule.names;
        names.extend(rule.name);
        let mut oci = rule.rest;
        oci.insert("names".into(), serde_json::json!(names));
        oci.remove("comment");
        let one: LinuxSyscall = serde_json::from_value(serde_json::Value::Object(oci))
            .map_err(|e| Error::Parse(format!("syscalls {names:?}: {e}")))?;
        syscalls.push(one);
    }
    out.insert(
        "syscalls".into(),
        serde_json::to_value(syscalls).map_err(|e| Error::Parse(e.to_string()))?,
    );
    serde_json::from_value(serde_json::Value::Object(out)).map_err(|e| Error::Parse(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROFILE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "comment": "basics"},
            {"name": "getpid", "action": "SCMP_ACT_ALLOW"},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm", "arm64"]}}
        ]}"#;

    fn names(s: &LinuxSeccomp) -> Vec<String> {
        s.syscalls()
            .iter()
            .flatten()
            .flat_map(|r| r.names().clone())
            .collect()
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn includes_and_excludes_follow_caps_arches_and_kernel() {
        let plain = resolve(PROFILE, &["CAP_CHOWN"], Some((6, 1))).unwrap();
        assert_eq!(
            names(&plain),
            ["read", "write", "getpid", "ptrace", "clone3", "arch_prctl"]
        );
        assert_eq!(plain.architectures().as_ref().unwrap().len(), 3);
        let admin = resolve(PROFILE, &["SYS_ADMIN"], Some((4, 4))).unwrap();
        assert_eq!(
            names(&admin),
            ["read", "write", "getpid", "mount", "arch_prctl"]
        );
        assert!(crate::compile(&admin).is_ok());
    }

    #[test]
    fn bad_input_is_one_line() {
        let e = resolve(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_NOPE"}]}"#, &[], None).unwrap_err().to_string();
        assert!(
            e.contains("SCMP_ACT_NOPE") && e.contains("[\"x\"]") && !e.contains('\n'),
            "{e}"
        );
        let e = resolve(r#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]}"#, &[], None).unwrap_err().to_string();
        assert!(e.contains("minKernel \"new\""), "{e}");
        assert_eq!(kernel_version("6.18.44-fc-v669"), Some((6, 18)));
    }
}
