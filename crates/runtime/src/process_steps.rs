//! The process steps the init and an exec'd process share, in the child after clone, between
//! "namespaces and root ready" and `execve`: stdio, rlimits, oom score, closing stray fds,
//! the bounding set, seccomp, the cwd (first as root), `HOME` from the container's passwd
//! (as runc, when the environment has none), groups and ids, capabilities,
//! no_new_privs, the cwd checked (entered as the user if root could not).
//! [`prepare`] runs them in their one right order.
//!
//! Every kernel call goes through [`ProcessSys`], so the order and content of the steps are
//! unit-tested without root (the recording fake below). Errors are text for the channel.

use std::ffi::CString;
use std::os::fd::{OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;

use caps::CapSet;

use crate::process::ProcessPlan;
use crate::process_sys::{CapList, ProcessSys};
use six_trace::Kind;
use std::fmt::Write as _;

/// What [`prepare`] leaves for the `execve`: the program found, and the `HOME` entry the
/// process's environment lacked (see [`home_entry`]).
#[derive(Debug)]
pub struct Ready {
    pub program: CString,
    pub home: Option<CString>,
}

/// Everything from rlimits to the cwd, then finds the program (not yet exec'd: the caller
/// reports Ready first). `keep`: our fds that must stay open (the channel, the fifo...);
/// seccomp is loaded here only without no_new_privs (it then needs CAP_SYS_ADMIN, which the
/// user change drops), its notification fd given to `hand_over` at once; with it, the caller
/// loads it right before execve.
pub fn prepare<S: ProcessSys>(
    sys: &mut S,
    p: &ProcessPlan,
    preserve: u32,
    keep: &[RawFd],
    setgroups_allowed: bool,
    hand_over: &mut dyn FnMut(&mut S, OwnedFd) -> Result<(), String>,
) -> Result<Ready, String> {
    apply_rlimits(sys, p)?;
    apply_oom_score_adj(sys, p)?;
    close_fds(sys, preserve, keep)?;
    apply_bounding(sys, p)?;
    if !p.no_new_privs {
        if let Some(listener) = apply_seccomp(sys, p)? {
            // At once: the steps below may make notified syscalls.
            hand_over(sys, listener)?;
        }
    }
    let entered = enter_cwd_as_root(sys, p)?;
    let home = home_entry(sys, p);
    apply_user(sys, p, setgroups_allowed)?;
    apply_caps(sys, p)?;
    apply_no_new_privs(sys, p)?;
    apply_cwd(sys, p, entered)?;
    let program = crate::program::find_program(p)?;
    Ok(Ready { program, home })
}

/// runc's `HOME`: when the process's environment has none (or an empty one), the home
/// directory of its uid in the container's `/etc/passwd`, else `/`. Read as root, before the
/// user change, inside the container's root; None when the environment has a HOME.
pub fn home_entry<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Option<CString> {
    let has_home = plan.env.iter().any(|e| {
        let e = e.as_bytes();
        e.starts_with(b"HOME=") && e.len() > b"HOME=".len()
    });
    if has_home {
        return None;
    }
    let passwd = sys
        .read_file(std::path::Path::new("/etc/passwd"))
        .unwrap_or_default();
    let mut entry = b"HOME=".to_vec();
    entry.extend_from_slice(home_of(&passwd, plan.uid).unwrap_or(b"/"));
    CString::new(entry).ok()
}

/// The home directory (field 6) of the first `/etc/passwd` line with this uid, as runc's
/// parser reads the file (lines trimmed, blank ones skipped, missing fields empty).
fn home_of(passwd: &[u8], uid: u32) -> Option<&[u8]> {
    passwd
        .split(|b| *b == b'\n')
        .map(|l| l.trim_ascii())
        .filter(|l| !l.is_empty())
        .find(|l| {
            l.split(|b| *b == b':')
                .nth(2)
                .and_then(|f| std::str::from_utf8(f).ok()?.parse::<u32>().ok())
                == Some(uid)
        })
        .map(|l| l.split(|b| *b == b':').nth(5).unwrap_or_default())
}

/// Puts `fds` on 0, 1, 2 (each dup'd, so one fd may serve several).
pub fn apply_stdio<S: ProcessSys>(
    sys: &mut S,
    fds: [RawFd; 3],
    preserve: u32,
) -> Result<(), String> {
    // First lift them above 2 so dup2 onto 0..2 cannot clobber one still needed — and above
    // the preserved fds 3..3+N, or a copy could fill a hole there and be passed on (the
    // preserved range loses CLOEXEC in `close_fds`).
    let min = 3 + preserve as RawFd;
    let mut high = [0; 3];
    for (i, fd) in fds.iter().enumerate() {
        high[i] = sys
            .dup_above(*fd, min)
            .map_err(|e| format!("stdio fd {fd}: {e}"))?;
    }
    for (i, fd) in high.iter().enumerate() {
        sys.dup2(*fd, i as RawFd)
            .map_err(|e| format!("dup2 stdio {i}: {e}"))?;
    }
    Ok(())
}

pub fn apply_rlimits<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<(), String> {
    for r in &plan.rlimits {
        if let Err(e) = sys.setrlimit(r.resource, r.soft, r.hard) {
            let hard_now = sys.hard_rlimit(r.resource);
            if e == nix::errno::Errno::EPERM && r.hard > hard_now {
                return Err(format!(
                    "rlimit {}: hard limit {} is above this runtime's own hard limit {hard_now} (raising it needs CAP_SYS_RESOURCE)",
                    r.name, r.hard
                ));
            }
            return Err(format!(
                "rlimit {} soft {} hard {}: {e}",
                r.name, r.soft, r.hard
            ));
        }
    }
    Ok(())
}

pub fn apply_oom_score_adj<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<(), String> {
    if let Some(v) = plan.oom_score_adj {
        sys.set_oom_score_adj(v)
            .map_err(|e| format!("oomScoreAdj {v}: {e} (lowering it needs CAP_SYS_RESOURCE)"))?;
    }
    Ok(())
}

/// Closes every fd >= 3 except the `keep` ones; the preserved range loses close-on-exec.
pub fn close_fds<S: ProcessSys>(sys: &mut S, preserve: u32, keep: &[RawFd]) -> Result<(), String> {
    let first_free = 3 + preserve as RawFd;
    for fd in 3..first_free {
        sys.keep_open_on_exec(fd);
    }
    let mut kept = [u32::MAX; 16];
    let mut n = 0;
    for &k in keep.iter().filter(|k| **k >= first_free) {
        if n == kept.len() {
            return Err("too many fds to keep open".into());
        }
        kept[n] = k as u32;
        n += 1;
    }
    let kept = &mut kept[..n];
    kept.sort_unstable();
    let mut from = first_free as u32;
    for k in kept.iter().copied().chain(std::iter::once(u32::MAX)) {
        if k > from {
            let to = if k == u32::MAX { u32::MAX } else { k - 1 };
            if sys.close_range(from, to).is_err() {
                close_one_by_one(sys, from, to);
            }
        }
        from = k.saturating_add(1);
    }
    Ok(())
}

/// close_range's fallback (before Linux 5.9): close each fd number in [from, to] up to the
/// open-files limit, one by one.
fn close_one_by_one<S: ProcessSys>(sys: &mut S, from: u32, to: u32) {
    let limit = sys.hard_rlimit(libc::RLIMIT_NOFILE);
    let end = (to as u64)
        .min(limit.saturating_sub(1))
        .min(i32::MAX as u64) as u32;
    for fd in from..=end {
        sys.close(fd as RawFd);
    }
}

/// Drops bounding-set capabilities not in the spec (needs CAP_SETPCAP, so before the user).
pub fn apply_bounding<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<(), String> {
    let Some(c) = &plan.caps else { return Ok(()) };
    let mut all: Vec<caps::Capability> = caps::all().into_iter().collect();
    all.sort_by_key(|c| c.index());
    for cap in &all {
        if !c.bounding.contains(cap) {
            if let Err(e) = sys.drop_bounding(*cap) {
                // Capabilities newer than this kernel are not there to drop.
                if sys.in_bounding(*cap) {
                    return Err(format!("dropping {cap} from the bounding set: {e}"));
                }
            }
        }
    }
    six_trace::step_with!(Kind::Caps, |d| {
        write!(d, "Bounding = {}; dropped", CapList(&c.bounding))?;
        for cap in all.iter().filter(|cap| !c.bounding.contains(cap)) {
            write!(d, " {cap}")?;
        }
        Ok(())
    });
    Ok(())
}

/// Groups, gid, uid (keeping capabilities across the uid change) and umask.
pub fn apply_user<S: ProcessSys>(
    sys: &mut S,
    plan: &ProcessPlan,
    setgroups_allowed: bool,
) -> Result<(), String> {
    if setgroups_allowed {
        sys.setgroups(&plan.additional_gids)
            .map_err(|e| format!("setgroups {:?}: {e}", plan.additional_gids))?;
    } else if !plan.additional_gids.is_empty() {
        return Err(
            "additionalGids cannot be set: setgroups is denied in this user namespace".into(),
        );
    }
    sys.set_keepcaps(true)
        .map_err(|e| format!("PR_SET_KEEPCAPS: {e}"))?;
    sys.setresgid(plan.gid).map_err(|e| {
        format!(
            "setting gid {}: {e} (is it mapped in the user namespace?)",
            plan.gid
        )
    })?;
    sys.setresuid(plan.uid).map_err(|e| {
        format!(
            "setting uid {}: {e} (is it mapped in the user namespace?)",
            plan.uid
        )
    })?;
    let _ = sys.set_keepcaps(false);
    if let Some(m) = plan.umask {
        sys.umask(m);
    }
    Ok(())
}

/// Sets inheritable, effective, permitted, then ambient capabilities (each step keeps
/// effective within permitted). An ambient capability the kernel refuses (it must also be
/// permitted and inheritable) is skipped, as runc does.
pub fn apply_caps<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<(), String> {
    let Some(c) = &plan.caps else { return Ok(()) };
    sys.set_caps(CapSet::Inheritable, &c.inheritable)
        .map_err(|e| format!("inheritable capabilities: {e}"))?;
    sys.set_caps(CapSet::Effective, &c.effective)
        .map_err(|e| format!("effective capabilities: {e}"))?;
    sys.set_caps(CapSet::Permitted, &c.permitted).map_err(|e| {
        format!("permitted capabilities (effective must be a subset of permitted): {e}")
    })?;
    sys.clear_ambient()
        .map_err(|e| format!("ambient capabilities: {e}"))?;
    for cap in &c.ambient {
        if let Err(e) = sys.raise_ambient(*cap) {
            tracing::warn!("cannot raise ambient capability {cap}: {e}");
        }
    }
    Ok(())
}

pub fn apply_no_new_privs<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<(), String> {
    if plan.no_new_privs {
        sys.set_no_new_privs()
            .map_err(|e| format!("PR_SET_NO_NEW_PRIVS: {e}"))?;
    }
    Ok(())
}

/// Installs the plan's filter, if any; returns its notification fd (SCMP_ACT_NOTIFY rules),
/// which the caller hands over (`seccomp_agent::hand_over`) before anything else.
pub fn apply_seccomp<S: ProcessSys>(
    sys: &mut S,
    plan: &ProcessPlan,
) -> Result<Option<OwnedFd>, String> {
    match &plan.seccomp {
        Some(p) => six_trace::call(
            Kind::Seccomp,
            || sys.install_seccomp(p),
            |d| {
                let what = plan.seccomp_summary.as_deref().unwrap_or_default();
                let n = p.instructions().len();
                write!(d, "filter of {n} BPF instructions: {what}")
            },
        )
        .map_err(|e| format!("installing seccomp filter: {e}")),
        None => Ok(None),
    }
}

/// The first try at the cwd, before the user change, as runc does: a directory only root
/// may enter works as the cwd of any user. Refused (EACCES, EPERM: a directory of the user's
/// that root may not enter, as on a root-squashed mount), it is tried again as the user
/// (`apply_cwd`); any other error is final. True when the cwd is entered.
pub fn enter_cwd_as_root<S: ProcessSys>(sys: &mut S, plan: &ProcessPlan) -> Result<bool, String> {
    match sys.chdir(&plan.cwd) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::EACCES | nix::errno::Errno::EPERM) => Ok(false),
        Err(e) => Err(format!("cwd {:?}: {e}", plan.cwd)),
    }
}

/// chdir to the process cwd unless `entered` already, and prove the result is inside the
/// container's root: a leaked host fd used as cwd (CVE-2024-21626) leaves getcwd unable to
/// name the directory.
pub fn apply_cwd<S: ProcessSys>(
    sys: &mut S,
    plan: &ProcessPlan,
    entered: bool,
) -> Result<(), String> {
    if !entered {
        sys.chdir(&plan.cwd)
            .map_err(|e| format!("cwd {:?}: {e}", plan.cwd))?;
    }
    match sys.getcwd() {
        Some(p) if p.is_absolute() && !p.as_os_str().as_bytes().starts_with(b"(unreachable)") => {
            Ok(())
        }
        _ => Err(format!(
            "cwd {:?} is outside the container's root",
            plan.cwd
        )),
    }
}

#[cfg(test)]
#[path = "process_steps_tests.rs"]
mod tests;
