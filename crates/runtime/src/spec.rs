//! Reading and checking `config.json`: the one place raw JSON becomes a [`Spec`] we trust.
//! Every rule the rest of the runtime relies on (a process with args, an absolute cwd, a root
//! path, known namespace types) is checked here once, with a message naming the bad field.
//!
//! It also turns `linux.namespaces` into a [`NamespacePlan`]: which namespaces the clone
//! creates and which the child joins by path. It never touches the kernel.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::error::{Error, Result};

/// Reads `<bundle>/config.json`.
pub fn load(bundle: &Path) -> Result<Spec> {
    if !bundle.is_dir() {
        return Err(Error::NoBundle(bundle.to_path_buf()));
    }
    let path = bundle.join("config.json");
    let text = std::fs::read(&path).map_err(|e| Error::io("reading", &path, e))?;
    parse(&text).map_err(|msg| Error::Config { path, msg })
}

/// Parses config.json text; the error says what and where.
pub fn parse(text: &[u8]) -> std::result::Result<Spec, String> {
    let value: serde_json::Value =
        serde_json::from_slice(text).map_err(|e| format!("not valid JSON: {e}"))?;
    if !value.is_object() {
        return Err("expected a JSON object at the top level".into());
    }
    for field in ["ociVersion", "root", "process"] {
        if value.get(field).is_none() {
            return Err(format!("required field {field:?} is missing"));
        }
    }
    serde_json::from_value(value).map_err(|e| format!("{e}"))
}

/// Checks what the runtime relies on, for container `id`.
pub fn validate(id: &str, spec: &Spec) -> Result<()> {
    let bad = |msg: String| Error::Invalid {
        id: id.to_owned(),
        msg,
    };
    if spec.version().is_empty() {
        return Err(bad("ociVersion is empty".into()));
    }
    if !spec.version().starts_with("1.") {
        return Err(bad(format!(
            "ociVersion {:?} is not supported (expected 1.x)",
            spec.version()
        )));
    }
    let root = spec
        .root()
        .as_ref()
        .ok_or_else(|| bad("root is missing".into()))?;
    if root.path().as_os_str().is_empty() {
        return Err(bad("root.path is empty".into()));
    }
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| bad("process is missing".into()))?;
    match process.args() {
        Some(a) if !a.is_empty() && !a[0].is_empty() => {}
        _ => return Err(bad("process.args must name a program to run".into())),
    }
    if !process.cwd().is_absolute() {
        return Err(bad(format!(
            "process.cwd {:?} must be an absolute path",
            process.cwd()
        )));
    }
    if let Some(env) = process.env() {
        if let Some(e) = env.iter().find(|e| !e.contains('=')) {
            return Err(bad(format!("process.env entry {e:?} is not KEY=VALUE")));
        }
    }
    let plan = NamespacePlan::from_spec(spec).map_err(bad)?;
    if spec.hostname().as_deref().is_some_and(|h| !h.is_empty())
        && !plan.has(LinuxNamespaceType::Uts)
    {
        return Err(bad(
            "hostname is set but there is no uts namespace (add {\"type\": \"uts\"})".into(),
        ));
    }
    unsupported(spec).map_err(bad)?;
    if !plan.has(LinuxNamespaceType::Mount) {
        return Err(bad(
            "a mount namespace is required (add {\"type\": \"mount\"} to linux.namespaces)".into(),
        ));
    }
    if let Some(sysctl) = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref()) {
        for key in sysctl.keys() {
            check_sysctl(key, &plan).map_err(bad)?;
        }
    }
    Ok(())
}

/// Spec fields this runtime does not implement: refused by name, never silently ignored.
/// AppArmor and SELinux labels are ignored only when the host has no AppArmor/SELinux (as
/// runc does); with one enabled they are refused too.
pub fn unsupported(spec: &Spec) -> std::result::Result<(), String> {
    let nope = |field: &str| Err(format!("{field} is not supported by sixrun"));
    if let Some(p) = spec.process() {
        unsupported_in_process(p)?;
    }
    if let Some(l) = spec.linux() {
        if l.personality()
            .as_ref()
            .is_some_and(|p| p.flags().as_ref().is_some_and(|f| !f.is_empty()))
        {
            return nope("linux.personality.flags");
        }
        if l.intel_rdt().is_some() {
            return nope("linux.intelRdt");
        }
        if l.memory_policy().is_some() {
            return nope("linux.memoryPolicy");
        }
        if l.time_offsets().as_ref().is_some_and(|t| !t.is_empty()) {
            return nope("linux.timeOffsets");
        }
        if l.net_devices().as_ref().is_some_and(|t| !t.is_empty()) {
            return nope("linux.netDevices");
        }
        if l.namespaces()
            .iter()
            .flatten()
            .any(|n| n.typ() == LinuxNamespaceType::Time)
        {
            return nope("the time namespace");
        }
    }
    Ok(())
}

/// The process fields this runtime does not implement (for create's process and for exec's,
/// which are checked alike).
pub fn unsupported_in_process(p: &oci_spec::runtime::Process) -> std::result::Result<(), String> {
    let nope = |field: &str| Err(format!("{field} is not supported by sixrun"));
    if p.scheduler().is_some() {
        return nope("process.scheduler");
    }
    if p.io_priority().is_some() {
        return nope("process.ioPriority");
    }
    if p.exec_cpu_affinity().is_some() {
        return nope("process.execCPUAffinity");
    }
    let apparmor_on = std::fs::read_to_string("/sys/module/apparmor/parameters/enabled")
        .is_ok_and(|s| s.starts_with('Y'));
    if p.apparmor_profile()
        .as_deref()
        .is_some_and(|s| !s.is_empty())
        && apparmor_on
    {
        return nope("process.apparmorProfile (AppArmor is enabled on this host)");
    }
    if p.selinux_label().as_deref().is_some_and(|s| !s.is_empty())
        && Path::new("/sys/fs/selinux/enforce").exists()
    {
        return nope("process.selinuxLabel (SELinux is enabled on this host)");
    }
    Ok(())
}

/// A sysctl may be set only when it lives in a namespace the container owns (runc's rule);
/// anything else would change the host.
pub fn check_sysctl(key: &str, plan: &NamespacePlan) -> std::result::Result<(), String> {
    if key.is_empty() || key.contains('/') || key.split('.').any(|p| p.is_empty() || p == "..") {
        return Err(format!("sysctl {key:?} is not a valid name"));
    }
    const IPC: &[&str] = &[
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    let needs = if IPC.contains(&key) || key.starts_with("fs.mqueue.") {
        LinuxNamespaceType::Ipc
    } else if key.starts_with("net.") {
        LinuxNamespaceType::Network
    } else if key == "kernel.hostname" || key == "kernel.domainname" {
        LinuxNamespaceType::Uts
    } else {
        return Err(format!("sysctl {key:?} is not in a separate kernel namespace; setting it would change the host"));
    };
    if !plan.has(needs) {
        return Err(format!(
            "sysctl {key:?} needs a {} namespace",
            proc_name(needs)
        ));
    }
    Ok(())
}

/// The /proc/sys file of a checked sysctl key.
pub fn sysctl_path(key: &str) -> PathBuf {
    Path::new("/proc/sys").join(key.replace('.', "/"))
}

/// The host path of the container's root filesystem.
pub fn rootfs_path(bundle: &Path, spec: &Spec) -> PathBuf {
    let p = spec
        .root()
        .as_ref()
        .map(|r| r.path().clone())
        .unwrap_or_default();
    if p.is_absolute() {
        p
    } else {
        bundle.join(p)
    }
}

/// `CLONE_NEWTIME`; not in every libc.
pub const CLONE_NEWTIME: u64 = 0x80;

/// What to do with each namespace type.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NamespacePlan {
    /// `CLONE_NEW*` flags for the clone itself (everything new except cgroup).
    pub clone_flags: u64,
    /// New namespaces the child makes with unshare after joining a user namespace by path.
    pub unshare_flags: u64,
    /// A new cgroup namespace, made after the child is in its cgroup.
    pub new_cgroup_ns: bool,
    /// Namespaces joined by path, in the order to join them (user first, pid excluded).
    pub join: Vec<(LinuxNamespaceType, PathBuf)>,
    /// A pid namespace to join: the parent enters it for the clone so the child is born in it.
    pub join_pid: Option<PathBuf>,
    /// The types listed at all (new or joined).
    pub listed: Vec<LinuxNamespaceType>,
}

pub fn clone_flag(t: LinuxNamespaceType) -> u64 {
    match t {
        LinuxNamespaceType::Mount => libc::CLONE_NEWNS as u64,
        LinuxNamespaceType::Cgroup => libc::CLONE_NEWCGROUP as u64,
        LinuxNamespaceType::Uts => libc::CLONE_NEWUTS as u64,
        LinuxNamespaceType::Ipc => libc::CLONE_NEWIPC as u64,
        LinuxNamespaceType::User => libc::CLONE_NEWUSER as u64,
        LinuxNamespaceType::Pid => libc::CLONE_NEWPID as u64,
        LinuxNamespaceType::Network => libc::CLONE_NEWNET as u64,
        LinuxNamespaceType::Time => CLONE_NEWTIME,
    }
}

/// The name of the namespace in /proc/<pid>/ns/.
pub fn proc_name(t: LinuxNamespaceType) -> &'static str {
    match t {
        LinuxNamespaceType::Mount => "mnt",
        LinuxNamespaceType::Cgroup => "cgroup",
        LinuxNamespaceType::Uts => "uts",
        LinuxNamespaceType::Ipc => "ipc",
        LinuxNamespaceType::User => "user",
        LinuxNamespaceType::Pid => "pid",
        LinuxNamespaceType::Network => "net",
        LinuxNamespaceType::Time => "time",
    }
}

/// The order in which namespaces are joined: user first (it grants the rights to join the
/// others), mount late (it changes the root), as runc does.
pub const JOIN_ORDER: [LinuxNamespaceType; 8] = [
    LinuxNamespaceType::User,
    LinuxNamespaceType::Ipc,
    LinuxNamespaceType::Uts,
    LinuxNamespaceType::Network,
    LinuxNamespaceType::Pid,
    LinuxNamespaceType::Cgroup,
    LinuxNamespaceType::Time,
    LinuxNamespaceType::Mount,
];

impl NamespacePlan {
    pub fn from_spec(spec: &Spec) -> std::result::Result<NamespacePlan, String> {
        let mut plan = NamespacePlan::default();
        let list = spec
            .linux()
            .as_ref()
            .and_then(|l| l.namespaces().clone())
            .unwrap_or_default();
        let mut seen = HashSet::new();
        for ns in &list {
            let t = ns.typ();
            if !seen.insert(t) {
                return Err(format!("namespace {:?} is listed twice", proc_name(t)));
            }
            plan.listed.push(t);
        }
        let user_path = list
            .iter()
            .any(|n| n.typ() == LinuxNamespaceType::User && n.path().is_some());
        for t in JOIN_ORDER {
            let Some(ns) = list.iter().find(|n| n.typ() == t) else {
                continue;
            };
            match ns.path() {
                Some(p) if !p.is_absolute() => {
                    return Err(format!(
                        "namespace {} path {p:?} must be absolute",
                        proc_name(t)
                    ));
                }
                Some(p) if t == LinuxNamespaceType::Pid => plan.join_pid = Some(p.clone()),
                Some(p) => plan.join.push((t, p.clone())),
                None if t == LinuxNamespaceType::Cgroup => plan.new_cgroup_ns = true,
                None if user_path && t == LinuxNamespaceType::Pid => {
                    return Err("a new pid namespace inside a user namespace joined by path is not supported".into());
                }
                None => plan.clone_flags |= clone_flag(t),
            }
        }
        if user_path {
            // New namespaces must belong to the joined user namespace: the child makes them
            // with unshare after setns(user) instead of at clone time.
            plan.unshare_flags = plan.clone_flags;
            plan.clone_flags = 0;
        }
        Ok(plan)
    }

    pub fn has(&self, t: LinuxNamespaceType) -> bool {
        self.listed.contains(&t)
    }

    pub fn new_user(&self) -> bool {
        self.clone_flags & libc::CLONE_NEWUSER as u64 != 0
    }

    /// Whether a user namespace is joined by path (then new namespaces are made after it).
    pub fn joins_user(&self) -> bool {
        self.join
            .iter()
            .any(|(t, _)| *t == LinuxNamespaceType::User)
    }

    /// Whether the container runs in a user namespace: a new one, one joined by path, or
    /// one unshared after joining.
    pub fn in_user_ns(&self) -> bool {
        self.new_user() || self.joins_user() || self.unshare_flags & libc::CLONE_NEWUSER as u64 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: serde_json::Value) -> Spec {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn parse_names_the_missing_field() {
        let e = parse(br#"{"ociVersion":"1.0.2","root":{"path":"rootfs"}}"#).unwrap_err();
        assert!(e.contains("\"process\""), "{e}");
    }

    #[test]
    fn parse_rejects_non_json_and_wrong_types() {
        assert!(parse(b"not json").unwrap_err().contains("not valid JSON"));
        let e = parse(br#"{"ociVersion":"1.0.2","root":{"path":"r"},"process":{"args":"sh","cwd":"/","user":{"uid":0,"gid":0}}}"#)
            .unwrap_err();
        assert!(
            e.contains("expected a sequence") || e.contains("invalid type"),
            "{e}"
        );
    }

    #[test]
    fn plan_splits_new_and_joined_namespaces() {
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","linux":{"namespaces":[
            {"type":"pid"},{"type":"network","path":"/var/run/netns/x"},{"type":"mount"},{"type":"cgroup"}]}}),
        );
        let p = NamespacePlan::from_spec(&s).unwrap();
        assert_eq!(
            p.clone_flags,
            (libc::CLONE_NEWPID | libc::CLONE_NEWNS) as u64
        );
        assert_eq!(
            p.join,
            vec![(
                LinuxNamespaceType::Network,
                PathBuf::from("/var/run/netns/x")
            )]
        );
        assert!(p.new_cgroup_ns);
    }

    #[test]
    fn plan_rejects_duplicates_and_relative_paths() {
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"pid"},{"type":"pid"}]}}),
        );
        assert!(NamespacePlan::from_spec(&s).unwrap_err().contains("twice"));
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"ipc","path":"x"}]}}),
        );
        assert!(NamespacePlan::from_spec(&s)
            .unwrap_err()
            .contains("absolute"));
    }

    #[test]
    fn sysctls_must_be_namespaced() {
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"network"},{"type":"ipc"}]}}),
        );
        let p = NamespacePlan::from_spec(&s).unwrap();
        assert!(check_sysctl("net.ipv4.ip_forward", &p).is_ok());
        assert!(check_sysctl("kernel.shmmax", &p).is_ok());
        assert!(check_sysctl("vm.swappiness", &p)
            .unwrap_err()
            .contains("host"));
        assert!(check_sysctl("kernel.hostname", &p)
            .unwrap_err()
            .contains("uts"));
        assert!(check_sysctl("net/../x", &p).is_err());
        assert_eq!(
            sysctl_path("net.ipv4.ip_forward"),
            PathBuf::from("/proc/sys/net/ipv4/ip_forward")
        );
    }

    #[test]
    fn unimplemented_fields_are_refused_by_name() {
        let s = spec(serde_json::json!({"ociVersion":"1.0.2","linux":{"intelRdt":{"closID":"x"}}}));
        assert!(unsupported(&s).unwrap_err().contains("linux.intelRdt"));
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","process":{"cwd":"/","user":{"uid":0,"gid":0},
            "ioPriority":{"class":"IOPRIO_CLASS_IDLE","priority":0}}}),
        );
        assert!(unsupported(&s).unwrap_err().contains("ioPriority"));
        assert!(unsupported(&spec(serde_json::json!({"ociVersion":"1.0.2"}))).is_ok());
    }

    #[test]
    fn joined_pid_namespace_is_entered_by_the_parent() {
        let s = spec(
            serde_json::json!({"ociVersion":"1.0.2","linux":{"namespaces":[{"type":"pid","path":"/proc/1/ns/pid"}]}}),
        );
        let p = NamespacePlan::from_spec(&s).unwrap();
        assert_eq!(p.join_pid, Some(PathBuf::from("/proc/1/ns/pid")));
        assert!(p.join.is_empty());
    }
}
