//! The steps the init and an exec'd process take in the child after clone, around the root
//! filesystem: guard the child (it dies with the parent and cannot be dumped), join the
//! container's namespaces (user first), make the new ones (after a user namespace joined by
//! path, with unshare), become root of its user namespace, the cgroup namespace (after the
//! cgroup is joined), hostname and domainname, a session keyring; after the root, the
//! personality. The parent enters a pid namespace for its clone only, through the same seam.
//!
//! Every kernel call goes through [`ProcessSys`], so the order and content of these steps are
//! unit-tested without root (`namespace_steps_tests.rs`). Errors are text for the channel. It
//! never decides which namespaces a container has; `spec::NamespacePlan` does.

use std::ffi::CString;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sched::CloneFlags;
use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::process_sys::ProcessSys;
use crate::spec::{self, NamespacePlan};

/// `PER_LINUX32`: the 32-bit execution domain (`linux.personality.domain` "LINUX32").
const PER_LINUX32: libc::c_ulong = 0x0008;

/// The child's first steps: SIGKILL when the parent dies (while the parent still waits for
/// us; undone with [`outlive_parent`] before Ready), and not dumpable: nothing in the
/// container may open its /proc/<pid>/exe — the runtime's binary — or its memory
/// (CVE-2019-5736).
pub fn guard_child<S: ProcessSys>(sys: &mut S) -> Result<(), String> {
    sys.set_parent_death_signal(libc::SIGKILL)
        .map_err(|e| format!("PR_SET_PDEATHSIG: {e}"))?;
    sys.set_undumpable()
        .map_err(|e| format!("PR_SET_DUMPABLE: {e}"))
}

/// Undoes the parent-death signal: the process must outlive `sixrun create` or `exec -d`.
pub fn outlive_parent<S: ProcessSys>(sys: &mut S) -> Result<(), String> {
    sys.set_parent_death_signal(0)
        .map_err(|e| format!("PR_SET_PDEATHSIG: {e}"))
}

fn flag(t: LinuxNamespaceType) -> CloneFlags {
    CloneFlags::from_bits_retain(spec::clone_flag(t) as libc::c_int)
}

/// The init's namespaces: joins each one given by path (user first), makes the new ones
/// that must belong to a user namespace joined by path, becomes root of its user namespace,
/// then makes its own cgroup namespace (rooted at the cgroup it has joined by now).
pub fn enter_namespaces<S: ProcessSys>(sys: &mut S, ns: &NamespacePlan) -> Result<(), String> {
    join_by_path(sys, &ns.join)?;
    if ns.unshare_flags != 0 {
        sys.unshare(CloneFlags::from_bits_retain(
            ns.unshare_flags as libc::c_int,
        ))
        .map_err(|e| format!("creating namespaces: {e}"))?;
    }
    if ns.in_user_ns() {
        become_root(sys)?;
    }
    if ns.new_cgroup_ns {
        sys.unshare(CloneFlags::CLONE_NEWCGROUP)
            .map_err(|e| format!("creating cgroup namespace: {e}"))?;
    }
    Ok(())
}

/// The init's namespace phase, in its order: [`enter_namespaces`], [`set_names`] (in its
/// own UTS namespace by now), then a new session keyring named `session_keyring` (None:
/// `--no-new-keyring`).
pub fn enter_container<S: ProcessSys>(
    sys: &mut S,
    ns: &NamespacePlan,
    spec: &Spec,
    session_keyring: Option<&str>,
) -> Result<(), String> {
    enter_namespaces(sys, ns)?;
    set_names(sys, spec)?;
    if let Some(name) = session_keyring {
        join_session_keyring(sys, name)?;
    }
    Ok(())
}

/// Joins each namespace given by path, in the order given (the plan's is user first).
pub fn join_by_path<S: ProcessSys>(
    sys: &mut S,
    join: &[(LinuxNamespaceType, PathBuf)],
) -> Result<(), String> {
    for (t, path) in join {
        let name = spec::proc_name(*t);
        let fd = sys
            .open_namespace(path)
            .map_err(|e| format!("opening {name} namespace {path:?}: {e}"))?;
        sys.setns(fd.as_fd(), flag(*t))
            .map_err(|e| format!("joining {name} namespace {path:?}: {e}"))?;
    }
    Ok(())
}

/// Joins the container's namespaces opened by the parent (an exec), in the order given.
pub fn join_opened<S: ProcessSys>(
    sys: &mut S,
    namespaces: &[(LinuxNamespaceType, OwnedFd)],
) -> Result<(), String> {
    for (t, fd) in namespaces {
        sys.setns(fd.as_fd(), flag(*t))
            .map_err(|e| format!("joining the {} namespace: {e}", spec::proc_name(*t)))?;
    }
    Ok(())
}

/// In a user namespace, become its root so the rootfs steps run with its full rights.
fn become_root<S: ProcessSys>(sys: &mut S) -> Result<(), String> {
    let refused = |e: Errno| format!("becoming root in the user namespace (is 0 mapped?): {e}");
    sys.setresgid(0).map_err(refused)?;
    sys.setresuid(0).map_err(refused)
}

/// `hostname` and `domainname`, when the spec gives them (an empty one is left alone).
pub fn set_names<S: ProcessSys>(sys: &mut S, spec: &Spec) -> Result<(), String> {
    if let Some(h) = spec.hostname().as_deref().filter(|h| !h.is_empty()) {
        sys.sethostname(h)
            .map_err(|e| format!("sethostname {h:?}: {e}"))?;
    }
    if let Some(d) = spec.domainname().as_deref().filter(|d| !d.is_empty()) {
        sys.setdomainname(d)
            .map_err(|e| format!("setdomainname {d:?}: {e}"))?;
    }
    Ok(())
}

/// A new session keyring named `name`, so the container does not share ours. A kernel
/// without keyrings (or a filter that hides them: ENOSYS) has nothing to isolate.
pub fn join_session_keyring<S: ProcessSys>(sys: &mut S, name: &str) -> Result<(), String> {
    let c = CString::new(name).map_err(|e| e.to_string())?;
    match sys.join_session_keyring(&c) {
        Ok(()) | Err(Errno::ENOSYS) => Ok(()),
        Err(e) => Err(format!("joining a new session keyring {name:?}: {e}")),
    }
}

/// `linux.personality`: the execution domain (LINUX or LINUX32).
pub fn set_personality<S: ProcessSys>(sys: &mut S, spec: &Spec) -> Result<(), String> {
    let Some(p) = spec.linux().as_ref().and_then(|l| l.personality().as_ref()) else {
        return Ok(());
    };
    let domain = match serde_json::to_value(p.domain())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .as_deref()
    {
        Some("LINUX32") => PER_LINUX32,
        _ => 0,
    };
    sys.personality(domain)
        .map_err(|e| format!("personality {domain:#x}: {e}"))
}

/// Whether setgroups(2) is allowed: not in a user namespace whose setgroups is "deny".
pub fn setgroups_allowed<S: ProcessSys>(sys: &mut S) -> bool {
    let text = sys.read_file(Path::new("/proc/self/setgroups"));
    !matches!(text, Some(s) if s.trim_ascii() == b"deny")
}

/// In the parent: makes `target` the pid namespace of our next children; returns our own,
/// to go back to with [`leave_pid_ns`] right after the clone.
pub fn enter_pid_ns<S: ProcessSys>(sys: &mut S, target: BorrowedFd) -> std::io::Result<OwnedFd> {
    let own = sys.open_namespace(Path::new("/proc/self/ns/pid"))?;
    sys.setns(target, CloneFlags::CLONE_NEWPID)?;
    Ok(own)
}

/// Sets our children's pid namespace back to our own (the one `own` names).
pub fn leave_pid_ns<S: ProcessSys>(sys: &mut S, own: OwnedFd) -> std::io::Result<()> {
    sys.setns(own.as_fd(), CloneFlags::CLONE_NEWPID)?;
    Ok(())
}

#[cfg(test)]
#[path = "namespace_steps_tests.rs"]
mod tests;
