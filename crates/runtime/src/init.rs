//! The container's init, from the moment `clone` returns in the child until `execve`: join
//! namespaces by path, hostname, root filesystem (six-rootfs), createContainer hooks, pty,
//! sysctls, the process steps (rlimits, user, capabilities, seccomp...), then wait on
//! `exec.fifo` for `start` and exec the user's program.
//!
//! It runs in a copy of the caller's memory (no re-exec), so it reads the parent's plans
//! directly. Every failure goes back to the parent as text over the channel, then the child
//! exits; it never returns into the caller's code.

use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::{AsRawFd, RawFd};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use crate::channel::{Channel, Msg};
use crate::clone::exit_child;
use crate::console;
use crate::hooks::{self, Kind};
use crate::process::{self, ProcessPlan};
use crate::process_steps;
use crate::process_sys::LinuxProcessSys;
use crate::spec::{self, NamespacePlan};

/// What the init needs; all of it was prepared by the parent before the clone.
pub struct InitContext<'a> {
    pub spec: &'a Spec,
    pub rootfs: &'a Path,
    pub ns: &'a NamespacePlan,
    pub process: &'a ProcessPlan,
    pub chan: &'a Channel,
    /// `exec.fifo`, opened O_PATH by the parent.
    pub fifo: RawFd,
    pub console_socket: Option<RawFd>,
    pub stdio: Option<[RawFd; 3]>,
    pub preserve_fds: u32,
    pub no_pivot: bool,
    pub cgroup_mounts: Vec<(String, PathBuf)>,
    /// Whether the parent must run prestart/createRuntime hooks mid-way.
    pub parent_hooks: bool,
    pub bundle: &'a Path,
    /// Our copy of the state directory's lock: closed first, so `start` can take it.
    pub state_lock: RawFd,
    /// The cgroup the init joins itself (None: the parent moves it).
    pub join_cgroup: Option<six_cgroups::JoinPlan>,
    /// The name of a new session keyring to join (None: `--no-new-keyring`).
    pub session_keyring: Option<String>,
    /// Bind sources the parent opened (a user namespace): (mount index, /proc/self/fd/N).
    pub bind_sources: Vec<(usize, PathBuf)>,
}

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Runs the init to its execve; never returns. `in_cgroup`: clone3 already started us in
/// the cgroup2 directory.
pub fn run(ctx: InitContext, in_cgroup: bool) -> ! {
    let _quiet = crate::clone::silence_tracing();
    let err = match steps(&ctx, in_cgroup) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    // Before Ready the parent is listening (or has given up on us and will kill us: then
    // there is nobody to tell). After Ready it may be gone: stderr is all that is left.
    if ctx.chan.report(&Msg::Error(err.clone())).is_err()
        && READY.load(std::sync::atomic::Ordering::Relaxed)
    {
        eprintln!("sixrun: container init: {err}");
    }
    exit_child(127)
}

/// Set once the init reported Ready (a per-process flag: the init is a clone).
static READY: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Marks the process non-dumpable: nothing in the container (without CAP_SYS_PTRACE) may open
/// its /proc/<pid>/exe — the runtime's binary — or its memory (CVE-2019-5736).
pub fn make_undumpable() -> Result<(), String> {
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } != 0 {
        return Err(format!("PR_SET_DUMPABLE: {}", errno()));
    }
    Ok(())
}

fn set_parent_death_signal(sig: i32) {
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig, 0, 0, 0) };
}

fn expect(chan: &Channel, want: Msg) -> Result<Option<std::os::fd::OwnedFd>, String> {
    match chan.recv() {
        Ok(r) if r.msg == want => Ok(r.fd),
        Ok(r) => Err(format!(
            "expected {want:?} from the runtime, got {:?}",
            r.msg
        )),
        Err(e) => Err(format!("waiting for the runtime: {e}")),
    }
}

/// Joins each namespace given by path (user first).
pub fn join_namespaces(join: &[(LinuxNamespaceType, PathBuf)]) -> Result<(), String> {
    for (t, path) in join {
        let f = std::fs::File::open(path)
            .map_err(|e| format!("opening {} namespace {path:?}: {e}", spec::proc_name(*t)))?;
        // SAFETY: setns on a valid namespace fd.
        if unsafe { libc::setns(f.as_raw_fd(), spec::clone_flag(*t) as i32) } != 0 {
            return Err(format!(
                "joining {} namespace {path:?}: {}",
                spec::proc_name(*t),
                errno()
            ));
        }
    }
    Ok(())
}

fn unshare(flags: u64, what: &str) -> Result<(), String> {
    // SAFETY: unshare with namespace flags.
    if flags != 0 && unsafe { libc::unshare(flags as i32) } != 0 {
        return Err(format!("creating {what}: {}", errno()));
    }
    Ok(())
}

/// In a user namespace, become its root so the rootfs steps run with its full rights.
fn become_userns_root() -> Result<(), String> {
    // SAFETY: plain syscalls with integer arguments.
    unsafe {
        if libc::setresgid(0, 0, 0) != 0 || libc::setresuid(0, 0, 0) != 0 {
            return Err(format!(
                "becoming root in the user namespace (is 0 mapped?): {}",
                errno()
            ));
        }
    }
    Ok(())
}

fn join_session_keyring(name: &str) -> Result<(), String> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let c = CString::new(name).map_err(|e| e.to_string())?;
    // SAFETY: keyctl with a valid C string.
    if unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, c.as_ptr()) } < 0 {
        let e = errno();
        // No keyrings in this kernel (or hidden by a filter): nothing to isolate.
        if e.raw_os_error() != Some(libc::ENOSYS) {
            return Err(format!("joining a new session keyring {name:?}: {e}"));
        }
    }
    Ok(())
}

/// `linux.personality`: the execution domain (LINUX or LINUX32).
/// A missing cwd is made (with its parents, mode 0755) inside the new root before it may
/// become read-only, as runc does for the container's process (never for exec). The walk
/// stays inside the root (links, procfs's magic ones too, are followed as text inside it),
/// so a cwd through an inherited host descriptor creates nothing on the host. A cwd root may
/// not reach is left to the cwd step, which tries again as the user.
fn make_cwd(p: &ProcessPlan, sys: &six_rootfs::LinuxSyscall) -> Result<(), String> {
    use six_rootfs::Syscall;
    match sys.open_in_root(Path::new("/"), &p.cwd, six_rootfs::Create::Dir) {
        Ok(_) | Err(nix::errno::Errno::EACCES | nix::errno::Errno::EPERM) => Ok(()),
        Err(e) => Err(format!("creating the cwd {:?}: {e}", p.cwd)),
    }
}

fn set_personality(spec: &Spec) -> Result<(), String> {
    let Some(p) = spec.linux().as_ref().and_then(|l| l.personality().as_ref()) else {
        return Ok(());
    };
    let domain: libc::c_ulong = match serde_json::to_value(p.domain())
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .as_deref()
    {
        Some("LINUX32") => 0x0008,
        _ => 0x0000,
    };
    // SAFETY: personality with a plain value.
    if unsafe { libc::personality(domain) } < 0 {
        return Err(format!("personality {domain:#x}: {}", errno()));
    }
    Ok(())
}

fn set_names(spec: &Spec) -> Result<(), String> {
    if let Some(h) = spec.hostname().as_deref().filter(|h| !h.is_empty()) {
        nix::unistd::sethostname(h).map_err(|e| format!("sethostname {h:?}: {e}"))?;
    }
    if let Some(d) = spec.domainname().as_deref().filter(|d| !d.is_empty()) {
        // SAFETY: valid pointer and length.
        if unsafe { libc::setdomainname(d.as_ptr().cast(), d.len()) } != 0 {
            return Err(format!("setdomainname {d:?}: {}", errno()));
        }
    }
    Ok(())
}

fn write_sysctls(spec: &Spec) -> Result<(), String> {
    let Some(map) = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref()) else {
        return Ok(());
    };
    for (k, v) in map {
        let path = spec::sysctl_path(k);
        std::fs::write(&path, v).map_err(|e| format!("sysctl {k}={v:?}: {e}"))?;
    }
    Ok(())
}

fn setgroups_allowed() -> bool {
    std::fs::read_to_string("/proc/self/setgroups")
        .map(|s| s.trim() != "deny")
        .unwrap_or(true)
}

/// Waits for `start`: opening the fifo for writing blocks until `sixrun start` opens it for
/// reading. The O_PATH fd is reopened through /proc/self/fd, the fifo being outside the root.
fn wait_for_start(fifo: RawFd) -> Result<(), String> {
    let path = CString::new(format!("/proc/self/fd/{fifo}")).map_err(|e| e.to_string())?;
    let fd = loop {
        // SAFETY: open with a valid C string.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        if fd >= 0 {
            break fd;
        }
        let e = errno();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(format!(
                "opening exec.fifo (is /proc mounted in the container?): {e}"
            ));
        }
    };
    // SAFETY: write one byte to our fd, then close it.
    unsafe {
        let r = libc::write(fd, b"0".as_ptr().cast(), 1);
        libc::close(fd);
        if r != 1 {
            return Err(format!("writing exec.fifo: {}", errno()));
        }
        libc::close(fifo);
    }
    Ok(())
}

fn steps(ctx: &InitContext, in_cgroup: bool) -> Result<Infallible, String> {
    let p = ctx.process;
    // SAFETY: closing our copy of the lock fd; the parent keeps its own.
    unsafe { libc::close(ctx.state_lock) };
    // Die with the parent while it still waits for us; undone before Ready, because the init
    // must outlive `sixrun create`.
    set_parent_death_signal(libc::SIGKILL);
    make_undumpable()?;
    process::reset_signals();
    if let Some(fds) = ctx.stdio {
        process_steps::apply_stdio(&mut LinuxProcessSys, fds, ctx.preserve_fds)?;
    }
    let mut hook_state = None;
    loop {
        match ctx.chan.recv() {
            Ok(r) if r.msg == Msg::Go => break,
            Ok(r) => match r.msg {
                Msg::State(state) => hook_state = Some(state.into_bytes()),
                other => return Err(format!("expected Go from the runtime, got {other:?}")),
            },
            Err(e) => return Err(format!("waiting for the runtime: {e}")),
        }
    }

    if let Some(plan) = &ctx.join_cgroup {
        let _span = tracing::debug_span!("cgroup_join_self").entered();
        plan.join_self(in_cgroup).map_err(|e| e.to_string())?;
    }
    join_namespaces(&ctx.ns.join)?;
    unshare(ctx.ns.unshare_flags, "namespaces")?;
    let in_userns = ctx.ns.new_user()
        || ctx.ns.joins_user()
        || ctx.ns.unshare_flags & libc::CLONE_NEWUSER as u64 != 0;
    if in_userns {
        become_userns_root()?;
    }
    // A new cgroup namespace is rooted at the cgroup we are in: made after joining it.
    if ctx.ns.new_cgroup_ns {
        unshare(libc::CLONE_NEWCGROUP as u64, "cgroup namespace")?;
    }
    set_names(ctx.spec)?;
    if let Some(name) = &ctx.session_keyring {
        join_session_keyring(name)?;
    }

    let mut plan = six_rootfs::RootfsPlan::new(ctx.spec, ctx.rootfs);
    plan.no_pivot = ctx.no_pivot;
    plan.cgroup_mounts = ctx.cgroup_mounts.clone();
    plan.bundle = Some(ctx.bundle.to_path_buf());
    plan.bind_sources = ctx.bind_sources.clone();
    let sys = six_rootfs::LinuxSyscall;
    six_rootfs::prepare(&plan, &sys).map_err(|e| format!("rootfs: {e}"))?;

    if ctx.parent_hooks {
        ctx.chan
            .report(&Msg::RunHooks)
            .map_err(|e| format!("asking for hooks: {e}"))?;
        expect(ctx.chan, Msg::HooksDone)?;
    }
    if let Some(state) = &hook_state {
        // runc runs them in the rootfs (a relative path in a hook is from there).
        std::env::set_current_dir(ctx.rootfs)
            .map_err(|e| format!("chdir into the rootfs {}: {e}", ctx.rootfs.display()))?;
        hooks::run(ctx.spec, Kind::CreateContainer, state)
            .map_err(|(path, m)| format!("createContainer hook {path:?}: {m}"))?;
    }
    six_rootfs::pivot(&plan, &sys).map_err(|e| format!("rootfs: {e}"))?;
    make_cwd(p, &sys)?;

    if p.terminal {
        let _span = tracing::debug_span!("console").entered();
        let (master, slave, n) = console::open_pty(p.console_size, p.uid)?;
        match ctx.console_socket {
            Some(sock) => {
                console::send_master(sock, &master, &format!("/dev/pts/{n}"))?;
                // SAFETY: closing our copy of the console socket.
                unsafe { libc::close(sock) };
            }
            None => ctx
                .chan
                .send_with_fd(&Msg::Pty, Some(master.as_raw_fd()))
                .map_err(|e| format!("sending the pty: {e}"))?,
        }
        drop(master);
        six_rootfs::bind_console(Path::new(&format!("/dev/pts/{n}")), &sys)
            .map_err(|e| format!("rootfs: {e}"))?;
        console::make_controlling(&slave)?;
    }
    write_sysctls(ctx.spec)?;
    six_rootfs::finalize(&plan, &sys).map_err(|e| format!("rootfs: {e}"))?;

    set_personality(ctx.spec)?;
    let keep = [ctx.chan.raw_fd(), ctx.fifo];
    let ready = process_steps::prepare(
        &mut LinuxProcessSys,
        p,
        ctx.preserve_fds,
        &keep,
        setgroups_allowed(),
        &mut |_, listener| crate::seccomp_agent::hand_over(ctx.chan, listener),
    )?;

    set_parent_death_signal(0);
    // With no_new_privs the filter comes last, but as in runc before the report (a refused
    // filter fails `create`) and so before the wait and the startContainer hooks, which run
    // under it: what they do, the container's process could do.
    if p.no_new_privs {
        if let Some(listener) = process_steps::apply_seccomp(&mut LinuxProcessSys, p)? {
            crate::seccomp_agent::hand_over(ctx.chan, listener)?;
        }
    }
    ctx.chan
        .report(&Msg::Ready)
        .map_err(|e| format!("reporting ready: {e}"))?;
    READY.store(true, std::sync::atomic::Ordering::Relaxed);
    wait_for_start(ctx.fifo)?;
    if let Some(state) = &hook_state {
        hooks::run(ctx.spec, Kind::StartContainer, state)
            .map_err(|(path, m)| format!("startContainer hook {path:?}: {m}"))?;
    }
    Err(process::exec(&ready, p))
}
