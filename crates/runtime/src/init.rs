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
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;

use crate::channel::{Channel, Msg};
use crate::clone::exit_child;
use crate::console;
use crate::hooks::{self, Kind};
use crate::namespace_steps;
use crate::process::{self, ProcessPlan};
use crate::process_steps;
use crate::process_sys::{LinuxProcessSys, ProcessSys};
use crate::spec::{self, NamespacePlan};
use six_trace::Phase;
use std::fmt::Write as _;

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

fn write_sysctls(spec: &Spec) -> Result<(), String> {
    let Some(map) = spec.linux().as_ref().and_then(|l| l.sysctl().as_ref()) else {
        return Ok(());
    };
    for (k, v) in map {
        let path = spec::sysctl_path(k);
        six_trace::call(
            six_trace::Kind::Sysctl,
            || std::fs::write(&path, v),
            |d| write!(d, "{} = {v}", path.display()),
        )
        .map_err(|e| format!("sysctl {k}={v:?}: {e}"))?;
    }
    Ok(())
}

/// Waits for `start`: opening the fifo for writing blocks until `sixrun start` opens it for
/// reading. The O_PATH fd is reopened through /proc/self/fd, the fifo being outside the root.
fn wait_for_start(fifo: RawFd) -> Result<(), String> {
    let path = CString::new(format!("/proc/self/fd/{fifo}")).map_err(|e| e.to_string())?;
    let waited = six_trace::begin();
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
    if let Some(t) = waited {
        t.done(six_trace::Kind::Fifo, 0, |d| {
            write!(
                d,
                "opened exec.fifo for writing (blocks until start reads it), wrote 1 byte"
            )
        });
    }
    Ok(())
}

/// The init's steps, in order: take over from the parent, enter the container (cgroup,
/// namespaces, names, keyring), build its root, then the process steps, Ready, the wait for
/// `start`, and the execve.
fn steps(ctx: &InitContext, in_cgroup: bool) -> Result<Infallible, String> {
    let sys = &mut LinuxProcessSys;
    let hook_states = take_over(ctx, sys)?;
    enter_container(ctx, sys, in_cgroup)?;
    {
        let _phase = six_trace::phase(Phase::Rootfs);
        build_root(ctx, hook_states.first().map(Vec::as_slice))?;
    }
    let p = ctx.process;
    // The trace's socket stays open to the execve (it is close-on-exec), and so does the
    // copy of its read end a traced `start` takes over.
    let trace = six_trace::write_fd().unwrap_or(ctx.chan.raw_fd());
    let trace_read = six_trace::held_read_fd().unwrap_or(ctx.chan.raw_fd());
    let keep = [ctx.chan.raw_fd(), ctx.fifo, trace, trace_read];
    // With no_new_privs the filter comes last, but before the report (a refused filter fails
    // `create`) and so before the wait and the startContainer hooks, which run under it:
    // what they do, the container's process could do.
    let ready = {
        let _phase = six_trace::phase(Phase::Exec);
        namespace_steps::set_personality(sys, ctx.spec)?;
        process::prepare_and_report(sys, p, ctx.preserve_fds, &keep, ctx.chan)?
    };
    READY.store(true, std::sync::atomic::Ordering::Relaxed);
    wait_for_start(ctx.fifo)?;
    let _phase = six_trace::phase(Phase::Exec);
    if let Some(state) = hook_states.last() {
        hooks::run(ctx.spec, Kind::StartContainer, state)
            .map_err(|(path, m)| format!("startContainer hook {path:?}: {m}"))?;
    }
    Err(process::exec(&ready, p))
}

/// The child's first steps: our copy of the state lock closed (so `start` can take it),
/// guarded (dies with the parent until Ready; not dumpable), default signals, its stdio; then
/// the parent's Go, with the states for the hooks the init runs, if any (createContainer's,
/// then startContainer's).
fn take_over(ctx: &InitContext, sys: &mut LinuxProcessSys) -> Result<Vec<Vec<u8>>, String> {
    sys.close(ctx.state_lock);
    namespace_steps::guard_child(sys)?;
    process::reset_signals();
    if let Some(fds) = ctx.stdio {
        process_steps::apply_stdio(sys, fds, ctx.preserve_fds)?;
    }
    let mut hook_states = Vec::new();
    loop {
        match ctx.chan.recv() {
            Ok(r) if r.msg == Msg::Go => return Ok(hook_states),
            Ok(r) => match r.msg {
                Msg::State(state) => hook_states.push(state.into_bytes()),
                other => return Err(format!("expected Go from the runtime, got {other:?}")),
            },
            Err(e) => return Err(format!("waiting for the runtime: {e}")),
        }
    }
}

/// Joins the container's cgroup (unless the parent moves us), then its namespaces; sets
/// the hostname and domainname; joins a new session keyring.
fn enter_container(
    ctx: &InitContext,
    sys: &mut LinuxProcessSys,
    in_cgroup: bool,
) -> Result<(), String> {
    if let Some(plan) = &ctx.join_cgroup {
        let _span = tracing::debug_span!("cgroup_join_self").entered();
        let _phase = six_trace::phase(Phase::Cgroups);
        plan.join_self(in_cgroup).map_err(|e| e.to_string())?;
    }
    let _phase = six_trace::phase(Phase::Namespaces);
    namespace_steps::enter_container(sys, ctx.ns, ctx.spec, ctx.session_keyring.as_deref())
}

/// The root filesystem (six-rootfs): mounts, the prestart/createRuntime hooks (run by the
/// parent) and createContainer hooks, pivot_root, the cwd, the console, sysctls, then the
/// read-only and masked paths.
fn build_root(ctx: &InitContext, hook_state: Option<&[u8]>) -> Result<(), String> {
    let p = ctx.process;
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
    if let Some(state) = hook_state {
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
        let (slave, n) = console::hand_out_pty(p, ctx.console_socket, ctx.chan)?;
        six_rootfs::bind_console(Path::new(&format!("/dev/pts/{n}")), &sys)
            .map_err(|e| format!("rootfs: {e}"))?;
        console::make_controlling(&slave)?;
    }
    write_sysctls(ctx.spec)?;
    six_rootfs::finalize(&plan, &sys).map_err(|e| format!("rootfs: {e}"))?;
    Ok(())
}
