//! The process half of a container: everything between "the namespaces and root are ready"
//! and `execve` that `create` (the init) and `exec` (a joined process) share — stdio, rlimits,
//! oom score, user and groups, capabilities, no_new_privs, seccomp, closing stray fds, a
//! checked cwd, and the exec itself (finding the program: `program.rs`).
//!
//! [`ProcessPlan`] is built in the parent from the OCI `process` (so bad values fail before a
//! clone); the steps that apply it run in the child (`process_steps.rs`, through the
//! `ProcessSys` seam) and return their error as text for the channel. It never creates
//! namespaces or mounts.

use std::ffi::CString;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use caps::CapsHashSet;
use oci_spec::runtime::{LinuxSeccomp, PosixRlimitType, Process};

use crate::channel::{Channel, Msg};
use crate::process_sys::LinuxProcessSys;

/// Everything the child needs about the process, checked and converted up front.
pub struct ProcessPlan {
    pub args: Vec<CString>,
    pub env: Vec<CString>,
    /// PATH from `env`, where the program is looked up (inside the container).
    pub path_var: String,
    pub cwd: PathBuf,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    pub umask: Option<u32>,
    pub caps: Option<CapSets>,
    pub rlimits: Vec<Rlimit>,
    pub no_new_privs: bool,
    pub oom_score_adj: Option<i32>,
    pub seccomp: Option<crate::seccomp::Program>,
    /// What the filter does, in words, for `--trace` (made only when tracing).
    pub seccomp_summary: Option<String>,
    pub terminal: bool,
    pub console_size: Option<(u16, u16)>,
}

/// The five capability sets.
pub struct CapSets {
    pub bounding: CapsHashSet,
    pub effective: CapsHashSet,
    pub permitted: CapsHashSet,
    pub inheritable: CapsHashSet,
    pub ambient: CapsHashSet,
}

pub struct Rlimit {
    pub name: &'static str,
    pub resource: libc::__rlimit_resource_t,
    pub soft: u64,
    pub hard: u64,
}

fn cstring(what: &str, s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{what} {s:?} contains a NUL byte"))
}

fn cap_set(set: &Option<oci_spec::runtime::Capabilities>) -> Result<CapsHashSet, String> {
    let mut out = CapsHashSet::new();
    for c in set.iter().flatten() {
        let name = serde_json::to_value(c)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let cap: caps::Capability = name
            .parse()
            .map_err(|_| format!("capability {name:?} is not known"))?;
        out.insert(cap);
    }
    Ok(out)
}

fn rlimit_resource(t: PosixRlimitType) -> Option<(&'static str, libc::__rlimit_resource_t)> {
    use PosixRlimitType as T;
    Some(match t {
        T::RlimitCpu => ("RLIMIT_CPU", libc::RLIMIT_CPU),
        T::RlimitFsize => ("RLIMIT_FSIZE", libc::RLIMIT_FSIZE),
        T::RlimitData => ("RLIMIT_DATA", libc::RLIMIT_DATA),
        T::RlimitStack => ("RLIMIT_STACK", libc::RLIMIT_STACK),
        T::RlimitCore => ("RLIMIT_CORE", libc::RLIMIT_CORE),
        T::RlimitRss => ("RLIMIT_RSS", libc::RLIMIT_RSS),
        T::RlimitNproc => ("RLIMIT_NPROC", libc::RLIMIT_NPROC),
        T::RlimitNofile => ("RLIMIT_NOFILE", libc::RLIMIT_NOFILE),
        T::RlimitMemlock => ("RLIMIT_MEMLOCK", libc::RLIMIT_MEMLOCK),
        T::RlimitAs => ("RLIMIT_AS", libc::RLIMIT_AS),
        T::RlimitLocks => ("RLIMIT_LOCKS", libc::RLIMIT_LOCKS),
        T::RlimitSigpending => ("RLIMIT_SIGPENDING", libc::RLIMIT_SIGPENDING),
        T::RlimitMsgqueue => ("RLIMIT_MSGQUEUE", libc::RLIMIT_MSGQUEUE),
        T::RlimitNice => ("RLIMIT_NICE", libc::RLIMIT_NICE),
        T::RlimitRtprio => ("RLIMIT_RTPRIO", libc::RLIMIT_RTPRIO),
        T::RlimitRttime => ("RLIMIT_RTTIME", libc::RLIMIT_RTTIME),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// The name of an rlimit resource (`RLIMIT_NOFILE`), for the trace.
pub(crate) fn rlimit_name(resource: libc::__rlimit_resource_t) -> &'static str {
    const NAMES: [(libc::__rlimit_resource_t, &str); 16] = [
        (libc::RLIMIT_CPU, "RLIMIT_CPU"),
        (libc::RLIMIT_FSIZE, "RLIMIT_FSIZE"),
        (libc::RLIMIT_DATA, "RLIMIT_DATA"),
        (libc::RLIMIT_STACK, "RLIMIT_STACK"),
        (libc::RLIMIT_CORE, "RLIMIT_CORE"),
        (libc::RLIMIT_RSS, "RLIMIT_RSS"),
        (libc::RLIMIT_NPROC, "RLIMIT_NPROC"),
        (libc::RLIMIT_NOFILE, "RLIMIT_NOFILE"),
        (libc::RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"),
        (libc::RLIMIT_AS, "RLIMIT_AS"),
        (libc::RLIMIT_LOCKS, "RLIMIT_LOCKS"),
        (libc::RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"),
        (libc::RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"),
        (libc::RLIMIT_NICE, "RLIMIT_NICE"),
        (libc::RLIMIT_RTPRIO, "RLIMIT_RTPRIO"),
        (libc::RLIMIT_RTTIME, "RLIMIT_RTTIME"),
    ];
    NAMES
        .iter()
        .find(|(r, _)| *r == resource)
        .map_or("RLIMIT_?", |(_, n)| n)
}

/// A seccomp profile in words: how many syscalls its rules name, their actions, the
/// default action.
fn seccomp_summary(s: &LinuxSeccomp) -> String {
    let rules = s.syscalls().as_deref().unwrap_or_default();
    let mut names: Vec<&str> = rules
        .iter()
        .flat_map(|r| r.names().iter().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut actions: Vec<String> = rules.iter().map(|r| r.action().to_string()).collect();
    actions.sort_unstable();
    actions.dedup();
    format!(
        "{} syscalls in {} rules ({}), default action {}",
        names.len(),
        rules.len(),
        actions.join(", "),
        s.default_action()
    )
}

impl ProcessPlan {
    /// `seccomp_cache`: where compiled filters are cached (None: always compile).
    pub fn new(
        p: &Process,
        seccomp: Option<&LinuxSeccomp>,
        seccomp_cache: Option<&Path>,
    ) -> Result<ProcessPlan, String> {
        let args = p.args().clone().unwrap_or_default();
        if args.is_empty() || args[0].is_empty() {
            return Err("process.args must name a program to run".into());
        }
        let env = p.env().clone().unwrap_or_default();
        let path_var = env
            .iter()
            .rev()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
            .to_owned();
        let caps = match p.capabilities() {
            Some(c) => Some(CapSets {
                bounding: cap_set(c.bounding())?,
                effective: cap_set(c.effective())?,
                permitted: cap_set(c.permitted())?,
                inheritable: cap_set(c.inheritable())?,
                ambient: cap_set(c.ambient())?,
            }),
            None => None,
        };
        let mut rlimits = Vec::new();
        for r in p.rlimits().iter().flatten() {
            let (name, resource) = rlimit_resource(r.typ())
                .ok_or_else(|| format!("rlimit {:?} is not known", r.typ()))?;
            if r.soft() > r.hard() {
                return Err(format!(
                    "{name}: soft limit {} is above hard limit {}",
                    r.soft(),
                    r.hard()
                ));
            }
            rlimits.push(Rlimit {
                name,
                resource,
                soft: r.soft(),
                hard: r.hard(),
            });
        }
        let seccomp_summary = seccomp.filter(|_| six_trace::on()).map(seccomp_summary);
        let seccomp = match seccomp {
            Some(s) => Some(crate::seccomp::compile(s, seccomp_cache)?),
            None => None,
        };
        Ok(ProcessPlan {
            args: args
                .iter()
                .map(|a| cstring("argument", a))
                .collect::<Result<_, _>>()?,
            env: env
                .iter()
                .map(|e| cstring("environment variable", e))
                .collect::<Result<_, _>>()?,
            path_var,
            cwd: p.cwd().clone(),
            uid: p.user().uid(),
            gid: p.user().gid(),
            additional_gids: p.user().additional_gids().clone().unwrap_or_default(),
            umask: p.user().umask(),
            caps,
            rlimits,
            no_new_privs: p.no_new_privileges().unwrap_or(false),
            oom_score_adj: p.oom_score_adj(),
            seccomp,
            seccomp_summary,
            terminal: p.terminal().unwrap_or(false),
            console_size: p
                .console_size()
                .map(|b| (b.height() as u16, b.width() as u16)),
        })
    }
}

/// Unblocks every signal and puts every disposition back to default: the program must not
/// inherit the runtime's mask or its ignored SIGPIPE.
pub fn reset_signals() {
    // SAFETY: sigprocmask/signal with valid arguments; KILL and STOP are skipped.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for sig in 1..libc::SIGRTMAX() {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}

/// The last steps before Ready, the init's and an exec'd process's: the process steps
/// (`process_steps::prepare`; a seccomp notification fd is handed to the agent at once), the
/// parent-death signal undone (the process outlives the runtime), with no_new_privs the
/// filter last (its notification fd handed over first, as runc does), then Ready reported.
pub fn prepare_and_report(
    sys: &mut LinuxProcessSys,
    p: &ProcessPlan,
    preserve_fds: u32,
    keep: &[RawFd],
    chan: &Channel,
) -> Result<crate::process_steps::Ready, String> {
    let setgroups = crate::namespace_steps::setgroups_allowed(sys);
    let ready =
        crate::process_steps::prepare(sys, p, preserve_fds, keep, setgroups, &mut |_, fd| {
            crate::seccomp_agent::hand_over(chan, fd)
        })?;
    crate::namespace_steps::outlive_parent(sys)?;
    if p.no_new_privs {
        if let Some(listener) = crate::process_steps::apply_seccomp(sys, p)? {
            crate::seccomp_agent::hand_over(chan, listener)?;
        }
    }
    chan.report(&Msg::Ready)
        .map_err(|e| format!("reporting ready: {e}"))?;
    Ok(ready)
}

/// execve, with the `HOME` entry `prepare` found when the environment lacked one; returns
/// only on failure.
pub fn exec(ready: &crate::process_steps::Ready, plan: &ProcessPlan) -> String {
    let program = &ready.program;
    let step = six_trace::begin();
    if let Some(t) = step.as_ref() {
        t.note(six_trace::Kind::Exec, |d| describe_exec(d, ready, plan));
    }
    let result = match &ready.home {
        None => nix::unistd::execve(program, &plan.args, &plan.env),
        Some(home) => {
            let env: Vec<&std::ffi::CStr> = plan
                .env
                .iter()
                .filter(|e| e.as_bytes() != b"HOME=")
                .map(CString::as_c_str)
                .chain(std::iter::once(home.as_c_str()))
                .collect();
            nix::unistd::execve(program, &plan.args, &env)
        }
    };
    if let (Some(t), Err(e)) = (step, &result) {
        t.done(six_trace::Kind::Exec, *e as i32, |d| {
            describe_exec(d, ready, plan)
        });
    }
    match result {
        Err(e) => format!("exec {:?}: {e}", program),
        Ok(never) => match never {},
    }
}

/// The execve in words: the program, its argv, and the names (never the values) of its
/// environment. Written without allocating.
fn describe_exec(
    d: &mut six_trace::Detail,
    ready: &crate::process_steps::Ready,
    plan: &ProcessPlan,
) -> std::fmt::Result {
    use std::fmt::Write as _;
    write!(d, "{} argv [", six_trace::bytes(ready.program.as_bytes()))?;
    for (i, a) in plan.args.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        write!(d, "{sep}{}", six_trace::quoted(a.as_bytes()))?;
    }
    write!(d, "] env")?;
    let home = ready.home.iter().map(|h| h.as_bytes());
    let env = plan
        .env
        .iter()
        .map(|e| e.as_bytes())
        .filter(|e| *e != b"HOME=");
    for e in env.chain(home) {
        let name = e.split(|b| *b == b'=').next().unwrap_or_default();
        write!(d, " {}", six_trace::bytes(name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: serde_json::Value) -> Result<ProcessPlan, String> {
        let p: Process = serde_json::from_value(json).unwrap();
        ProcessPlan::new(&p, None, None)
    }

    #[test]
    fn plan_takes_path_from_the_process_env() {
        let p = plan(serde_json::json!({"args":["sh"],"cwd":"/","user":{"uid":1,"gid":2},"env":["PATH=/x:/y","A=b"]})).unwrap();
        assert_eq!(p.path_var, "/x:/y");
        assert_eq!((p.uid, p.gid), (1, 2));
    }

    #[test]
    fn plan_converts_capabilities_and_rlimits() {
        let p = plan(
            serde_json::json!({"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},
            "capabilities":{"bounding":["CAP_KILL","CAP_CHOWN"],"effective":["CAP_KILL"]},
            "rlimits":[{"type":"RLIMIT_NOFILE","soft":10,"hard":20}]}),
        )
        .unwrap();
        let c = p.caps.unwrap();
        assert!(c.bounding.contains(&caps::Capability::CAP_CHOWN));
        assert_eq!(c.effective.len(), 1);
        assert_eq!(p.rlimits[0].name, "RLIMIT_NOFILE");
    }

    #[test]
    fn missing_capability_sets_are_empty_sets() {
        let p = plan(
            serde_json::json!({"args":["sh"],"cwd":"/","user":{"uid":1000,"gid":1000},
            "capabilities":{"bounding":["CAP_KILL"]}}),
        )
        .unwrap();
        let c = p.caps.unwrap();
        assert_eq!(c.bounding.len(), 1);
        for set in [&c.inheritable, &c.ambient, &c.effective, &c.permitted] {
            assert!(set.is_empty());
        }
    }

    #[test]
    fn plan_rejects_soft_above_hard() {
        let e = plan(
            serde_json::json!({"args":["sh"],"cwd":"/","user":{"uid":0,"gid":0},
            "rlimits":[{"type":"RLIMIT_NOFILE","soft":30,"hard":20}]}),
        )
        .err()
        .unwrap();
        assert!(e.contains("RLIMIT_NOFILE"), "{e}");
    }
}
