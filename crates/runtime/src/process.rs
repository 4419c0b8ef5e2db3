//! The process half of a container: everything between "the namespaces and root are ready"
//! and `execve` that `create` (the init) and `exec` (a joined process) share — stdio, rlimits,
//! oom score, user and groups, capabilities, no_new_privs, seccomp, closing stray fds, a
//! checked cwd, and the exec itself (finding the program: `program.rs`).
//!
//! [`ProcessPlan`] is built in the parent from the OCI `process` (so bad values fail before a
//! clone); the `apply_*` steps run in the child and return their error as text for the
//! channel. It never creates namespaces or mounts.

use std::ffi::CString;
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use caps::{CapSet, CapsHashSet};
use oci_spec::runtime::{LinuxSeccomp, PosixRlimitType, Process};

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

/// (dev, inode) of the running binary.
pub use crate::program::find_program;

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
            terminal: p.terminal().unwrap_or(false),
            console_size: p
                .console_size()
                .map(|b| (b.height() as u16, b.width() as u16)),
        })
    }
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
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

/// Puts `fds` on 0, 1, 2 (each dup'd, so one fd may serve several).
pub fn apply_stdio(fds: [RawFd; 3], preserve: u32) -> Result<(), String> {
    // First lift them above 2 so dup2 onto 0..2 cannot clobber one still needed — and above
    // the preserved fds 3..3+N, or a copy could fill a hole there and be passed on (the
    // preserved range loses CLOEXEC in `close_fds`).
    let min = 3 + preserve as RawFd;
    let mut high = [0; 3];
    for (i, fd) in fds.iter().enumerate() {
        // SAFETY: fcntl on an fd number; failure is reported.
        high[i] = unsafe { libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, min) };
        if high[i] < 0 {
            return Err(format!("stdio fd {fd}: {}", errno()));
        }
    }
    for (i, fd) in high.iter().enumerate() {
        // SAFETY: dup2 of valid fds; the high copies close at exec.
        if unsafe { libc::dup2(*fd, i as i32) } < 0 {
            return Err(format!("dup2 stdio {i}: {}", errno()));
        }
    }
    Ok(())
}

pub fn apply_rlimits(plan: &ProcessPlan) -> Result<(), String> {
    for r in &plan.rlimits {
        let lim = libc::rlimit {
            rlim_cur: r.soft,
            rlim_max: r.hard,
        };
        // SAFETY: setrlimit with a valid struct.
        if unsafe { libc::setrlimit(r.resource, &lim) } != 0 {
            let e = errno();
            let mut cur = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: getrlimit into a valid struct.
            unsafe { libc::getrlimit(r.resource, &mut cur) };
            if e.raw_os_error() == Some(libc::EPERM) && r.hard > cur.rlim_max {
                return Err(format!(
                    "rlimit {}: hard limit {} is above this runtime's own hard limit {} (raising it needs CAP_SYS_RESOURCE)",
                    r.name, r.hard, cur.rlim_max
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

pub fn apply_oom_score_adj(plan: &ProcessPlan) -> Result<(), String> {
    if let Some(v) = plan.oom_score_adj {
        std::fs::write("/proc/self/oom_score_adj", v.to_string())
            .map_err(|e| format!("oomScoreAdj {v}: {e} (lowering it needs CAP_SYS_RESOURCE)"))?;
    }
    Ok(())
}

/// Closes every fd >= 3 except the `keep` ones; the preserved range loses close-on-exec.
pub fn close_fds(preserve: u32, keep: &[RawFd]) -> Result<(), String> {
    let first_free = 3 + preserve as RawFd;
    for fd in 3..first_free {
        // SAFETY: clearing FD_CLOEXEC on an fd number; a missing fd is ignored.
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }
    let mut keep: Vec<RawFd> = keep.iter().copied().filter(|f| *f >= first_free).collect();
    keep.sort_unstable();
    keep.dedup();
    let mut from = first_free as u32;
    for k in keep
        .iter()
        .map(|k| *k as u32)
        .chain(std::iter::once(u32::MAX))
    {
        if k > from {
            let to = if k == u32::MAX { u32::MAX } else { k - 1 };
            // SAFETY: close_range closes fd numbers in [from, to]; none of them is in use by Rust
            // objects we still touch (the kept ones are excluded).
            if unsafe { libc::syscall(libc::SYS_close_range, from, to, 0u32) } != 0 {
                close_one_by_one(from, to)?;
            }
        }
        from = k.saturating_add(1);
    }
    Ok(())
}

/// close_range's fallback (before Linux 5.9): close each fd number in [from, to] up to the
/// open-files limit, one by one. No allocation (this runs in the child after clone).
fn close_one_by_one(from: u32, to: u32) -> Result<(), String> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit into our struct.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(format!("closing inherited fds: {}", errno()));
    }
    let end = (to as u64)
        .min(lim.rlim_cur.saturating_sub(1))
        .min(i32::MAX as u64) as u32;
    for fd in from..=end {
        // SAFETY: closing an fd number that is ours to close (see close_fds); EBADF is fine.
        unsafe { libc::close(fd as i32) };
    }
    Ok(())
}

/// Drops bounding-set capabilities not in the spec (needs CAP_SETPCAP, so before the user).
pub fn apply_bounding(plan: &ProcessPlan) -> Result<(), String> {
    let Some(c) = &plan.caps else { return Ok(()) };
    for cap in caps::all() {
        if !c.bounding.contains(&cap) {
            if let Err(e) = caps::drop(None, CapSet::Bounding, cap) {
                // Capabilities newer than this kernel are not there to drop.
                if caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false) {
                    return Err(format!("dropping {cap} from the bounding set: {e}"));
                }
            }
        }
    }
    Ok(())
}

/// Groups, gid, uid (keeping capabilities across the uid change) and umask.
pub fn apply_user(plan: &ProcessPlan, setgroups_allowed: bool) -> Result<(), String> {
    if setgroups_allowed {
        let gids: Vec<libc::gid_t> = plan.additional_gids.clone();
        // SAFETY: setgroups with a valid slice.
        if unsafe { libc::setgroups(gids.len(), gids.as_ptr()) } != 0 {
            return Err(format!("setgroups {gids:?}: {}", errno()));
        }
    } else if !plan.additional_gids.is_empty() {
        return Err(
            "additionalGids cannot be set: setgroups is denied in this user namespace".into(),
        );
    }
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) } != 0 {
        return Err(format!("PR_SET_KEEPCAPS: {}", errno()));
    }
    // SAFETY: plain syscalls with integer arguments.
    if unsafe { libc::setresgid(plan.gid, plan.gid, plan.gid) } != 0 {
        return Err(format!(
            "setting gid {}: {} (is it mapped in the user namespace?)",
            plan.gid,
            errno()
        ));
    }
    // SAFETY: as above.
    if unsafe { libc::setresuid(plan.uid, plan.uid, plan.uid) } != 0 {
        return Err(format!(
            "setting uid {}: {} (is it mapped in the user namespace?)",
            plan.uid,
            errno()
        ));
    }
    // SAFETY: as above.
    unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) };
    if let Some(m) = plan.umask {
        // SAFETY: umask cannot fail.
        unsafe { libc::umask(m as libc::mode_t) };
    }
    Ok(())
}

/// Sets inheritable, effective, permitted, then ambient capabilities (each step keeps
/// effective within permitted). An ambient capability the kernel refuses (it must also be
/// permitted and inheritable) is skipped, as runc does.
pub fn apply_caps(plan: &ProcessPlan) -> Result<(), String> {
    let Some(c) = &plan.caps else { return Ok(()) };
    caps::set(None, CapSet::Inheritable, &c.inheritable)
        .map_err(|e| format!("inheritable capabilities: {e}"))?;
    caps::set(None, CapSet::Effective, &c.effective)
        .map_err(|e| format!("effective capabilities: {e}"))?;
    caps::set(None, CapSet::Permitted, &c.permitted).map_err(|e| {
        format!("permitted capabilities (effective must be a subset of permitted): {e}")
    })?;
    caps::clear(None, CapSet::Ambient).map_err(|e| format!("ambient capabilities: {e}"))?;
    for cap in &c.ambient {
        if let Err(e) = caps::raise(None, CapSet::Ambient, *cap) {
            tracing::warn!("cannot raise ambient capability {cap}: {e}");
        }
    }
    Ok(())
}

pub fn apply_no_new_privs(plan: &ProcessPlan) -> Result<(), String> {
    // SAFETY: prctl with integer arguments.
    if plan.no_new_privs && unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!("PR_SET_NO_NEW_PRIVS: {}", errno()));
    }
    Ok(())
}

pub fn apply_seccomp(plan: &ProcessPlan) -> Result<(), String> {
    match &plan.seccomp {
        Some(p) => p
            .install()
            .map_err(|e| format!("installing seccomp filter: {e}")),
        None => Ok(()),
    }
}

/// chdir to the process cwd and prove the result is inside the container's root: a leaked
/// host fd used as cwd (CVE-2024-21626) leaves getcwd unable to name the directory.
pub fn apply_cwd(plan: &ProcessPlan) -> Result<(), String> {
    std::env::set_current_dir(&plan.cwd).map_err(|e| format!("cwd {:?}: {e}", plan.cwd))?;
    match std::env::current_dir() {
        Ok(p) if p.is_absolute() && !p.as_os_str().as_bytes().starts_with(b"(unreachable)") => {
            Ok(())
        }
        _ => Err(format!(
            "cwd {:?} is outside the container's root",
            plan.cwd
        )),
    }
}

/// execve; returns only on failure.
pub fn exec(program: &CString, plan: &ProcessPlan) -> String {
    match nix::unistd::execve(program, &plan.args, &plan.env) {
        Err(e) => format!("exec {:?}: {e}", program),
        Ok(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(json: serde_json::Value) -> Result<ProcessPlan, String> {
        let p: Process = serde_json::from_value(json).unwrap();
        ProcessPlan::new(&p, None, None)
    }

    #[test]
    fn stdio_copies_never_land_among_the_preserved_fds() {
        // In a child: it rearranges its own fd table.
        // SAFETY: the child only makes syscalls and leaves with _exit.
        match unsafe { libc::fork() } {
            0 => {
                let open =
                    |p: &str| std::os::fd::IntoRawFd::into_raw_fd(std::fs::File::open(p).unwrap());
                // SAFETY: our own fd table: the stdio source at 20, fd 3 preserved, fd 4 a
                // hole in the preserved range.
                let ok = unsafe {
                    let z = open("/dev/zero");
                    let src = libc::fcntl(z, libc::F_DUPFD, 20);
                    libc::close(z);
                    let n = open("/dev/null");
                    libc::dup2(n, 3);
                    libc::close(4);
                    apply_stdio([src, src, src], 2).is_ok()
                        && libc::fcntl(4, libc::F_GETFD) == -1
                        && libc::fcntl(3, libc::F_GETFD) != -1
                };
                // SAFETY: leaving the forked child.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) }
            }
            pid => {
                let mut status = 0;
                // SAFETY: reaping our own child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert_eq!(libc::WEXITSTATUS(status), 0, "a stdio copy landed on fd 4");
            }
        }
    }

    #[test]
    fn the_close_range_fallback_closes_the_range() {
        // In a child: closing fds in the test process would pull them from under other tests.
        // SAFETY: the child only makes syscalls and leaves with _exit.
        match unsafe { libc::fork() } {
            0 => {
                let f = std::fs::File::open("/dev/null").unwrap();
                let fd = std::os::fd::IntoRawFd::into_raw_fd(f);
                let ok = close_one_by_one(fd as u32, fd as u32).is_ok()
                    // SAFETY: probing an fd number.
                    && unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
                // SAFETY: leaving the forked child.
                unsafe { libc::_exit(if ok { 0 } else { 1 }) }
            }
            pid => {
                let mut status = 0;
                // SAFETY: reaping our own child.
                unsafe { libc::waitpid(pid, &mut status, 0) };
                assert_eq!(libc::WEXITSTATUS(status), 0);
            }
        }
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
