//! `exec`: a new process inside a running container. The parent opens the container's
//! namespaces from `/proc/<init>/ns`, enters its pid namespace just for the clone (so the new
//! process is born in it, still the caller's child — no intermediate fork); the child joins
//! the container's cgroup (six-cgroups' `JoinPlan`), then the other namespaces (user first,
//! mount last), then runs the same process steps as the init and execs.
//!
//! Success is the channel closing on execve (it is close-on-exec); an exec error comes back
//! as text. It never waits for the process to end; the caller does (it is their child).

use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceType, Process};
use six_trace::{Phase, Role};

use crate::channel::{Channel, Msg, RecvError};
use crate::clone::{self, exit_child, Forked};
use crate::console;
use crate::container::Container;
use crate::error::{Error, Result};
use crate::namespace_steps;
use crate::process::{self, ProcessPlan};
use crate::process_steps;
use crate::process_sys::LinuxProcessSys;
use crate::spawn::{self, HalfMade};
use crate::spec::{self, JOIN_ORDER};
use crate::state::Status;
use six_sys::atomic::Durable;

/// What to run in the container.
#[derive(Debug, Default)]
pub struct ExecOptions {
    /// The process (args, env, cwd, user, capabilities, rlimits, terminal...).
    pub process: Process,
    /// Receives the pty master when `process.terminal` is true.
    pub console_socket: Option<PathBuf>,
    /// Where to write the process's pid (atomically; the process is ended if it cannot be).
    pub pid_file: Option<PathBuf>,
    /// Pass fds 3 .. 3+N of the caller to the process.
    pub preserve_fds: u32,
    /// stdio of the process: inherit (None) or these fds.
    pub stdio: Option<[RawFd; 3]>,
    /// Sub-cgroups of the container's cgroup to run the process in (runc's `exec --cgroup`,
    /// see `six_cgroups::Cgroup::below`): `""` → one path in every hierarchy, a v1
    /// controller → that hierarchy's. They must exist. Empty: the container's cgroup.
    pub sub_cgroups: BTreeMap<String, String>,
    /// Exec into a paused container too (runc's `--ignore-paused`): the process starts
    /// frozen, and this returns once the container is resumed and it has exec'd.
    pub ignore_paused: bool,
}

struct ExecChild<'a> {
    /// The container's cgroup, which the child joins itself (cgroup2: unless clone3 did).
    join_cgroup: Option<six_cgroups::JoinPlan>,
    plan: &'a ProcessPlan,
    chan: &'a Channel,
    namespaces: &'a [(LinuxNamespaceType, OwnedFd)],
    console_socket: Option<RawFd>,
    stdio: Option<[RawFd; 3]>,
    preserve_fds: u32,
}

fn same_ns(pid: i32, name: &str) -> bool {
    let a = std::fs::metadata(format!("/proc/self/ns/{name}"));
    let b = std::fs::metadata(format!("/proc/{pid}/ns/{name}"));
    matches!((a, b), (Ok(a), Ok(b)) if a.ino() == b.ino() && a.dev() == b.dev())
}

/// Starts `opts.process` in the container; its pid (the caller's child, not waited for).
pub fn exec(c: &Container, opts: ExecOptions) -> Result<i32> {
    exec_with_console(c, opts).map(|(pid, _)| pid)
}

/// Like [`exec`]; with a terminal and no console socket (and no stdio), also returns the pty
/// master for the caller to relay. The steps: check the caller and the container, plan the
/// process, open the container's namespaces and cgroup, clone the child (in the container's
/// pid namespace), serve it until its execve, write the pid file.
pub fn exec_with_console(c: &Container, opts: ExecOptions) -> Result<(i32, Option<OwnedFd>)> {
    let _span = tracing::info_span!("exec", id = c.id()).entered();
    let id = c.id();
    check_can_exec(c, opts.ignore_paused)?;
    let plan = plan_process(c, &opts)?;
    let min_fd = 3 + opts.preserve_fds as RawFd;
    let namespaces = open_namespaces(c, min_fd)?;
    let (join_cgroup, into_cgroup) = cgroup_entry(c, &opts.sub_cgroups)?;
    let console = spawn::console_above(opts.console_socket.as_deref(), plan.terminal, min_fd)?;
    let (parent_end, child_end) = spawn::channel_above(min_fd)?;
    six_trace::children_begin();
    six_trace::move_above(min_fd);
    let child = ExecChild {
        join_cgroup,
        plan: &plan,
        chan: &child_end,
        namespaces: &namespaces.join,
        console_socket: console.as_ref().map(|c| c.as_raw_fd()),
        stdio: opts.stdio,
        preserve_fds: opts.preserve_fds,
    };
    let (child, parent_end) = clone_child(
        id,
        child,
        namespaces.pid.as_ref(),
        into_cgroup.as_ref(),
        parent_end,
        min_fd,
    )?;
    drop(child_end);
    drop(console);
    let master =
        serve_until_exec(c, &parent_end, child.pid()).map_err(|msg| Error::setup(id, msg))?;
    if let Some(p) = &opts.pid_file {
        // On failure the process is ended too, as runc does: a caller told of a failure
        // must not find it running.
        six_sys::atomic::write(p, child.pid().to_string().as_bytes(), Durable::No)
            .map_err(|e| Error::io("writing pid file", p, e))?;
    }
    Ok((child.keep(), master))
}

/// A sealed binary, a single-threaded caller, a container running or created (or paused,
/// when `paused_too`).
fn check_can_exec(c: &Container, paused_too: bool) -> Result<()> {
    crate::sealed_exe::check()?;
    if let Some(n) = crate::clone::other_threads() {
        return Err(Error::Threaded(n));
    }
    let status = c.status();
    let paused_ok = paused_too && status == Status::Paused;
    if !paused_ok && !matches!(status, Status::Running | Status::Created) {
        let what = match status {
            Status::Paused => "cannot exec in a paused container",
            _ => "cannot exec in a stopped container",
        };
        return Err(c.wrong(status, what));
    }
    Ok(())
}

/// The process plan, with the container's seccomp profile, after the same refusals as
/// create's: nothing in the process is silently ignored.
fn plan_process(c: &Container, opts: &ExecOptions) -> Result<ProcessPlan> {
    let invalid = |msg: String| Error::Invalid {
        id: c.id().to_owned(),
        msg,
    };
    let seccomp = c
        .rec
        .config
        .linux()
        .as_ref()
        .and_then(|l| l.seccomp().clone());
    spec::unsupported_in_process(&opts.process).map_err(invalid)?;
    let plan = ProcessPlan::new(
        &opts.process,
        seccomp.as_ref(),
        Some(&c.root.join(crate::seccomp::CACHE_DIR)),
    )
    .map_err(invalid)?;
    if plan.terminal && opts.console_socket.is_none() && opts.stdio.is_some() {
        return Err(invalid(
            "a terminal needs a console socket when stdio is given".into(),
        ));
    }
    Ok(plan)
}

/// The container's namespaces that we are not in ourselves, opened from its init's
/// `/proc/<pid>/ns` (above `min_fd`): its pid namespace apart, entered for the clone only.
struct ContainerNamespaces {
    pid: Option<OwnedFd>,
    /// The others, in join order (user first, mount last); time is not joined.
    join: Vec<(LinuxNamespaceType, OwnedFd)>,
}

/// Opens them, then checks that the init they came from is still the container's (a pid
/// whose start time is the recorded one).
fn open_namespaces(c: &Container, min_fd: RawFd) -> Result<ContainerNamespaces> {
    let rec = &c.rec;
    let listed: Vec<LinuxNamespaceType> = rec
        .config
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .map(|v| v.iter().map(|n| n.typ()).collect())
        .unwrap_or_default();
    let mut opened = ContainerNamespaces {
        pid: None,
        join: Vec::new(),
    };
    for t in JOIN_ORDER {
        let name = spec::proc_name(t);
        if !listed.contains(&t) || same_ns(rec.pid, name) {
            continue;
        }
        let path = format!("/proc/{}/ns/{name}", rec.pid);
        let f = std::fs::File::open(&path).map_err(|e| Error::io("opening namespace", &path, e))?;
        let fd = six_sys::fd::move_above(OwnedFd::from(f), min_fd)
            .map_err(|e| Error::io("moving fd", "", e))?;
        if t == LinuxNamespaceType::Pid {
            opened.pid = Some(fd);
        } else if t != LinuxNamespaceType::Time {
            opened.join.push((t, fd));
        }
    }
    if !six_sys::proc::is_alive(rec.pid, rec.pid_start) {
        return Err(c.wrong(Status::Stopped, "cannot exec in a stopped container"));
    }
    Ok(opened)
}

/// How the process enters the container's cgroup (or the sub-cgroups `sub` names): the plan
/// it joins with itself and, on cgroup v2, the directory clone3 starts it in.
fn cgroup_entry(
    c: &Container,
    sub: &BTreeMap<String, String>,
) -> Result<(Option<six_cgroups::JoinPlan>, Option<OwnedFd>)> {
    let cg_err = |source| Error::Cgroup {
        id: c.id().to_owned(),
        source,
    };
    let cgroup = match &c.rec.cgroup {
        Some(cg) if !sub.is_empty() => Some(cg.below(sub).map_err(cg_err)?),
        Some(cg) => Some(cg.clone()),
        None if !sub.is_empty() => {
            return Err(Error::setup(
                c.id(),
                "it has no cgroup to run the process below",
            ))
        }
        None => None,
    };
    let cgroup = cgroup.as_ref();
    let join_cgroup = cgroup
        .map(|cg| cg.join_plan())
        .transpose()
        .map_err(cg_err)?;
    let into_cgroup = match cgroup.map(|cg| (cg.version(), cg.unified_dir())) {
        Some((six_cgroups::Version::V2, Some(d))) => {
            let f = std::fs::File::open(d).map_err(|e| Error::io("opening cgroup", d, e))?;
            Some(OwnedFd::from(f))
        }
        _ => None,
    };
    Ok((join_cgroup, into_cgroup))
}

/// Clones the child (in the container's pid namespace `pid_ns`, if given, and left again at
/// once), which runs `exec_child`; the parent gets it half-made, with its end of the channel.
/// Our own pid namespace's descriptor, held across the clone, sits at `min_fd` or above: the
/// child inherits it, and below that it would be one of the descriptors it passes on
/// (`--preserve-fds`) — the host's pid namespace, in the container's hands.
fn clone_child(
    id: &str,
    child: ExecChild,
    pid_ns: Option<&OwnedFd>,
    into_cgroup: Option<&OwnedFd>,
    parent_end: Channel,
    min_fd: RawFd,
) -> Result<(HalfMade, Channel)> {
    let back = match pid_ns {
        Some(fd) => Some(
            namespace_steps::enter_pid_ns(&mut LinuxProcessSys, fd.as_fd())
                .and_then(|own| six_sys::fd::move_above(own, min_fd))
                .map_err(|e| Error::setup(id, format!("joining its pid namespace: {e}")))?,
        ),
        None => None,
    };
    // SAFETY: the child only runs exec_child, which ends in execve or _exit.
    let forked = unsafe { clone::clone(0, into_cgroup.map(|f| f.as_raw_fd()), Role::Exec) };
    if let Ok(Forked::Child { in_cgroup }) = forked {
        drop(parent_end);
        exec_child(child, in_cgroup)
    }
    let half_made = match forked {
        Ok(Forked::Parent { pid }) => Some(HalfMade::new(pid)),
        _ => None,
    };
    // Back in our own pid namespace, or every later child of ours would be born in the
    // container's.
    if let Some(own) = back {
        namespace_steps::leave_pid_ns(&mut LinuxProcessSys, own)
            .map_err(|e| Error::setup(id, format!("returning to our own pid namespace: {e}")))?;
    }
    match (forked, half_made) {
        (Err(e), _) => Err(Error::setup(id, format!("clone: {e}"))),
        (_, Some(child)) => Ok((child, parent_end)),
        (Ok(_), None) => unreachable!("the child never gets here"),
    }
}

/// Lets the child go and serves it until its execve closes the channel: takes the pty
/// master it sends, hands its seccomp notification fd to the agent. Its errors come back as
/// text.
fn serve_until_exec(
    c: &Container,
    parent_end: &Channel,
    pid: i32,
) -> std::result::Result<Option<OwnedFd>, String> {
    let lost = |e: nix::Error| format!("talking to the new process: {e}");
    parent_end.send(&Msg::Go).map_err(lost)?;
    let mut ready = false;
    let mut master = None;
    loop {
        match parent_end.recv() {
            Ok(r) => match r.msg {
                Msg::Ready => ready = true,
                Msg::Pty => master = r.fd,
                Msg::Error(text) => return Err(text),
                Msg::SeccompFd(fd) => {
                    let seccomp = c
                        .rec
                        .config
                        .linux()
                        .as_ref()
                        .and_then(|l| l.seccomp().as_ref());
                    let state =
                        serde_json::to_value(crate::container::oci_state(&c.rec, Status::Running))
                            .unwrap_or_default();
                    crate::seccomp_agent::serve(seccomp, pid, fd, state)?;
                    parent_end.send(&Msg::SeccompDone).map_err(lost)?;
                }
                other => {
                    return Err(format!(
                        "unexpected message from the new process: {other:?}"
                    ))
                }
            },
            // Closed after Ready: the channel closed on execve. Success.
            Err(RecvError::Closed) if ready => return Ok(master),
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn exec_child(ctx: ExecChild, in_cgroup: bool) -> ! {
    let _quiet = crate::clone::silence_tracing();
    let err = match exec_steps(&ctx, in_cgroup) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    let _ = ctx.chan.report(&Msg::Error(err));
    exit_child(127)
}

fn exec_steps(
    ctx: &ExecChild,
    in_cgroup: bool,
) -> std::result::Result<std::convert::Infallible, String> {
    let p = ctx.plan;
    let sys = &mut LinuxProcessSys;
    namespace_steps::guard_child(sys)?;
    process::reset_signals();
    if let Some(fds) = ctx.stdio {
        process_steps::apply_stdio(sys, fds, ctx.preserve_fds)?;
    }
    // Still in the host's namespaces: join the container's cgroups (v1 through `tasks`).
    if let Some(plan) = &ctx.join_cgroup {
        let _span = tracing::debug_span!("cgroup_join_self").entered();
        let _phase = six_trace::phase(Phase::Cgroups);
        plan.join_self(in_cgroup).map_err(|e| e.to_string())?;
    }
    match ctx.chan.recv() {
        Ok(r) if r.msg == Msg::Go => {}
        Ok(r) => return Err(format!("expected Go from the runtime, got {:?}", r.msg)),
        Err(e) => return Err(format!("waiting for the runtime: {e}")),
    }
    {
        let _phase = six_trace::phase(Phase::Namespaces);
        namespace_steps::join_opened(sys, ctx.namespaces)?;
    }
    let _phase = six_trace::phase(Phase::Exec);
    if p.terminal {
        let (slave, _) = console::hand_out_pty(p, ctx.console_socket, ctx.chan)?;
        console::make_controlling(&slave)?;
    }
    let mut keep: Vec<RawFd> = ctx.namespaces.iter().map(|(_, f)| f.as_raw_fd()).collect();
    keep.push(ctx.chan.raw_fd());
    // The trace's socket stays open to the execve (it is close-on-exec).
    keep.extend(six_trace::write_fd());
    // The process must outlive `sixrun exec --detach`: prepare_and_report undoes the
    // parent-death signal.
    let ready = process::prepare_and_report(sys, p, ctx.preserve_fds, &keep, ctx.chan)?;
    Err(process::exec(&ready, p))
}
