//! The runtime-spec `features` document (runc's `features`): what this runtime implements,
//! gathered from the code that implements it: the hooks it runs (`hooks.rs`), the mount
//! options six-rootfs acts on, the namespaces `spec.rs` takes, the capabilities it can set,
//! what six-cgroups and six-seccomp do. Field names and order are runtime-spec's; parts this
//! runtime lacks say `enabled: false`.

use std::collections::BTreeMap;

use serde::Serialize;

/// The spec versions this runtime reads (any 1.x is taken; fields it lacks are refused by
/// name).
pub const OCI_VERSION_MIN: &str = "1.0.0";
/// The newest spec version this runtime knows.
pub const OCI_VERSION_MAX: &str = "1.2.0";

/// The namespaces a spec may ask for (the time namespace is refused: `spec.rs`).
pub const NAMESPACES: [&str; 7] = ["cgroup", "ipc", "mount", "network", "pid", "user", "uts"];

/// The features document (runtime-spec's `features.md`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Features {
    /// [`OCI_VERSION_MIN`].
    pub oci_version_min: &'static str,
    /// [`OCI_VERSION_MAX`].
    pub oci_version_max: &'static str,
    /// The hook kinds it runs ("prestart", "createRuntime"...).
    pub hooks: Vec<&'static str>,
    /// The mount options it acts on ("ro", "rbind", "rro"...).
    pub mount_options: Vec<&'static str>,
    /// The Linux-specific part.
    pub linux: LinuxFeatures,
    /// Filled by the caller (the program's name, version, commit).
    pub annotations: BTreeMap<String, String>,
}

/// The Linux-specific features.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxFeatures {
    /// The namespaces a spec may ask for.
    pub namespaces: Vec<&'static str>,
    /// The capabilities a process can be given ("CAP_CHOWN"...).
    pub capabilities: Vec<String>,
    /// The cgroup drivers and versions.
    pub cgroup: CgroupFeatures,
    /// What the seccomp compiler takes.
    pub seccomp: SeccompFeatures,
    /// AppArmor profiles.
    pub apparmor: Enabled,
    /// SELinux labels.
    pub selinux: Enabled,
    /// Intel RDT (resctrl).
    pub intel_rdt: Enabled,
    /// Mount features beyond mount(2)'s options.
    pub mount_extensions: MountExtensions,
}

/// Cgroup support.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CgroupFeatures {
    /// cgroup v1 (and hybrid) hierarchies.
    pub v1: bool,
    /// cgroup v2.
    pub v2: bool,
    /// The systemd cgroup driver.
    pub systemd: bool,
    /// The systemd driver of a user session.
    pub systemd_user: bool,
    /// The rdma controller.
    pub rdma: bool,
}

/// Seccomp support.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeccompFeatures {
    /// Whether filters are installed at all.
    pub enabled: bool,
    /// The actions ("SCMP_ACT_ERRNO"...).
    pub actions: Vec<&'static str>,
    /// The argument operators ("SCMP_CMP_EQ"...).
    pub operators: Vec<&'static str>,
    /// The architectures ("SCMP_ARCH_X86_64"...).
    pub archs: Vec<&'static str>,
    /// The filter flags it knows.
    pub known_flags: Vec<&'static str>,
    /// The filter flags it can apply (all it knows: Linux 5.3, the minimum, has them).
    pub supported_flags: Vec<&'static str>,
}

/// A feature that is there or not.
#[derive(Debug, Clone, Serialize)]
pub struct Enabled {
    /// Whether it is.
    pub enabled: bool,
}

/// Mount extensions.
#[derive(Debug, Clone, Serialize)]
pub struct MountExtensions {
    /// Idmapped mounts: refused (six-rootfs).
    pub idmap: Enabled,
}

/// The capabilities a process of a container can be given, in the kernel's order.
fn capabilities() -> Vec<String> {
    let mut all: Vec<caps::Capability> = caps::all().into_iter().collect();
    all.sort_by_key(|c| c.index());
    all.into_iter()
        .map(|c| c.to_string())
        .filter(|name| {
            serde_json::from_value::<oci_spec::runtime::Capability>(name.clone().into()).is_ok()
        })
        .collect()
}

/// What this runtime implements. AppArmor and SELinux labels are not applied (a profile is
/// refused on a host that enforces them), Intel RDT and idmapped mounts are refused, and
/// there is no systemd cgroup driver.
pub fn features() -> Features {
    Features {
        oci_version_min: OCI_VERSION_MIN,
        oci_version_max: OCI_VERSION_MAX,
        hooks: crate::hooks::Kind::ALL.iter().map(|k| k.name()).collect(),
        mount_options: six_rootfs::known_mount_options(),
        linux: LinuxFeatures {
            namespaces: NAMESPACES.to_vec(),
            capabilities: capabilities(),
            cgroup: CgroupFeatures {
                v1: true,
                v2: true,
                systemd: false,
                systemd_user: false,
                rdma: true,
            },
            seccomp: SeccompFeatures {
                enabled: true,
                actions: six_seccomp::ACTIONS.to_vec(),
                operators: six_seccomp::OPERATORS.to_vec(),
                archs: six_seccomp::archs(),
                known_flags: six_seccomp::FLAGS.to_vec(),
                // Linux 5.3, this runtime's minimum, has all three.
                supported_flags: six_seccomp::FLAGS.to_vec(),
            },
            apparmor: Enabled { enabled: false },
            selinux: Enabled { enabled: false },
            intel_rdt: Enabled { enabled: false },
            mount_extensions: MountExtensions {
                idmap: Enabled { enabled: false },
            },
        },
        annotations: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(linux: serde_json::Value) -> oci_spec::runtime::Spec {
        serde_json::from_value(serde_json::json!({"ociVersion": "1.0.2", "linux": linux})).unwrap()
    }

    #[test]
    fn the_namespaces_listed_are_the_ones_a_spec_may_ask_for() {
        for ns in NAMESPACES {
            let s = spec(serde_json::json!({"namespaces": [{"type": ns}]}));
            assert!(crate::spec::unsupported(&s).is_ok(), "{ns}");
        }
        let s = spec(serde_json::json!({"namespaces": [{"type": "time"}]}));
        assert!(crate::spec::unsupported(&s).is_err(), "time");
    }

    #[test]
    fn capabilities_are_the_kernels_in_its_order() {
        let caps = capabilities();
        assert_eq!(caps.first().map(String::as_str), Some("CAP_CHOWN"));
        assert!(caps.iter().any(|c| c == "CAP_SYS_ADMIN"));
        assert!(caps.iter().any(|c| c == "CAP_CHECKPOINT_RESTORE"));
        let v = serde_json::to_value(features()).unwrap();
        assert_eq!(v["linux"]["intelRdt"]["enabled"], false);
        assert_eq!(v["linux"]["cgroup"]["systemdUser"], false);
        assert_eq!(
            v["linux"]["seccomp"]["knownFlags"][0],
            "SECCOMP_FILTER_FLAG_LOG"
        );
        assert_eq!(v["hooks"][0], "prestart");
    }
}
