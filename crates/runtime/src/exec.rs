//! `exec`: a new process inside a running container. The parent opens the container's
//! namespaces from `/proc/<init>/ns`, enters its pid namespace just for the clone (so the new
//! process is born in it, still the caller's child — no intermediate fork); the child joins
//! the container's cgroup (six-cgroups' `JoinPlan`), then the other namespaces (user first,
//! mount last), then runs the same process steps as the init and execs.
//!
//! Success is the channel closing on execve (it is close-on-exec); an exec error comes back
//! as text. It never waits for the process to end; the caller does (it is their child).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceType, Process};

use crate::channel::{self, Channel, Msg, RecvError};
use crate::clone::{self, exit_child, Forked};
use crate::container::Container;
use crate::create::write_atomic;
use crate::error::{Error, Result};
use crate::init::make_undumpable;
use crate::process::{self, ProcessPlan};
use crate::process_steps;
use crate::process_sys::LinuxProcessSys;
use crate::spec::{self, JOIN_ORDER};
use crate::state::Status;
use crate::{console, procfs};

/// What to run in the container.
#[derive(Debug, Default)]
pub struct ExecOptions {
    /// The process (args, env, cwd, user, capabilities, rlimits, terminal...).
    pub process: Process,
    /// Receives the pty master when `process.terminal` is true.
    pub console_socket: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    /// Pass fds 3 .. 3+N of the caller to the process.
    pub preserve_fds: u32,
    /// stdio of the process: inherit (None) or these fds.
    pub stdio: Option<[RawFd; 3]>,
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

pub fn exec(c: &Container, opts: ExecOptions) -> Result<i32> {
    exec_with_console(c, opts).map(|(pid, _)| pid)
}

/// Like [`exec`]; with a terminal and no console socket (and no stdio), also returns the pty
/// master for the caller to relay.
pub fn exec_with_console(c: &Container, opts: ExecOptions) -> Result<(i32, Option<OwnedFd>)> {
    let _span = tracing::info_span!("exec", id = c.id()).entered();
    let id = c.id();
    crate::sealed_exe::check()?;
    if let Some(n) = crate::clone::other_threads() {
        return Err(Error::Threaded(n));
    }
    let status = c.status();
    if !matches!(status, Status::Running | Status::Created) {
        return Err(c.wrong(status, "cannot exec in it"));
    }
    let rec = &c.rec;
    let invalid = |msg: String| Error::Invalid {
        id: id.to_owned(),
        msg,
    };
    let seccomp = rec
        .config
        .linux()
        .as_ref()
        .and_then(|l| l.seccomp().clone());
    // The same refusals as create's: nothing in the process is silently ignored.
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
    let min_fd = 3 + opts.preserve_fds as RawFd;

    // The container's namespaces, opened now (by a pid whose start time we checked).
    let listed: Vec<LinuxNamespaceType> = rec
        .config
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .map(|v| v.iter().map(|n| n.typ()).collect())
        .unwrap_or_default();
    let mut namespaces = Vec::new();
    let mut pid_ns = None;
    for t in JOIN_ORDER {
        let name = spec::proc_name(t);
        if !listed.contains(&t) || same_ns(rec.pid, name) {
            continue;
        }
        let path = format!("/proc/{}/ns/{name}", rec.pid);
        let f = std::fs::File::open(&path).map_err(|e| Error::io("opening namespace", &path, e))?;
        let fd = move_above(OwnedFd::from(f), min_fd)?;
        if t == LinuxNamespaceType::Pid {
            pid_ns = Some(fd);
        } else if t != LinuxNamespaceType::Time {
            namespaces.push((t, fd));
        }
    }
    if !procfs::is_alive(rec.pid, rec.pid_start) {
        return Err(c.wrong(Status::Stopped, "cannot exec in it"));
    }
    let cgroup = rec.cgroup.as_ref();
    let join_cgroup = cgroup
        .map(|cg| cg.join_plan())
        .transpose()
        .map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?;
    let into_cgroup = match cgroup.map(|cg| (cg.version(), cg.unified_dir())) {
        Some((six_cgroups::Version::V2, Some(d))) => {
            let f = std::fs::File::open(d).map_err(|e| Error::io("opening cgroup", d, e))?;
            Some(OwnedFd::from(f))
        }
        _ => None,
    };
    let console = match &opts.console_socket {
        Some(p) if plan.terminal => {
            let s =
                console::connect(p).map_err(|e| Error::io("connecting to console socket", p, e))?;
            Some(move_above(OwnedFd::from(s), min_fd)?)
        }
        _ => None,
    };
    let (mut parent_end, mut child_end) =
        channel::pair().map_err(|e| Error::sys("socketpair", e))?;
    parent_end
        .move_above(min_fd)
        .map_err(|e| Error::sys("socketpair", e))?;
    child_end
        .move_above(min_fd)
        .map_err(|e| Error::sys("socketpair", e))?;

    let back = match &pid_ns {
        Some(fd) => {
            let own = std::fs::File::open("/proc/self/ns/pid")
                .map_err(|e| Error::io("opening", "/proc/self/ns/pid", e))?;
            // SAFETY: setns on a valid pid namespace fd; affects only our future children.
            if unsafe { libc::setns(fd.as_raw_fd(), libc::CLONE_NEWPID) } != 0 {
                return Err(Error::setup(
                    id,
                    format!(
                        "joining its pid namespace: {}",
                        std::io::Error::last_os_error()
                    ),
                ));
            }
            Some(own)
        }
        None => None,
    };
    let child = ExecChild {
        join_cgroup,
        plan: &plan,
        chan: &child_end,
        namespaces: &namespaces,
        console_socket: console.as_ref().map(|c| c.as_raw_fd()),
        stdio: opts.stdio,
        preserve_fds: opts.preserve_fds,
    };
    // SAFETY: the child only runs exec_child, which ends in execve or _exit.
    let forked = unsafe { clone::clone(0, into_cgroup.as_ref().map(|f| f.as_raw_fd())) };
    if let Ok(Forked::Child { in_cgroup }) = forked {
        drop(parent_end);
        exec_child(child, in_cgroup)
    }
    // Back in our own pid namespace, or every later child of ours would be born in the
    // container's.
    if let Some(own) = back {
        if let Err(e) = crate::create::leave_pid_ns(own.into()) {
            if let Ok(Forked::Parent { pid }) = forked {
                // SAFETY: kill and reap our own half-made child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
            }
            return Err(Error::setup(
                id,
                format!("returning to our own pid namespace: {e}"),
            ));
        }
    }
    let pid = match forked {
        Err(e) => return Err(Error::setup(id, format!("clone: {e}"))),
        Ok(Forked::Child { .. }) => unreachable!("the child never gets here"),
        Ok(Forked::Parent { pid }) => pid,
    };
    drop(child_end);
    drop(console);
    let fail = |msg: String| {
        // SAFETY: kill and reap our own half-made child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
        }
        Error::setup(id, msg)
    };
    if let Err(e) = parent_end.send(&Msg::Go) {
        return Err(fail(format!("talking to the new process: {e}")));
    }
    let mut ready = false;
    let mut master = None;
    loop {
        match parent_end.recv() {
            Ok(r) if r.msg == Msg::Ready => ready = true,
            Ok(r) if r.msg == Msg::Pty => master = r.fd,
            Ok(r) => match r.msg {
                Msg::Error(text) => return Err(fail(text)),
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
                    crate::seccomp_agent::serve(seccomp, pid, fd, state).map_err(&fail)?;
                    if let Err(e) = parent_end.send(&Msg::SeccompDone) {
                        return Err(fail(format!("talking to the new process: {e}")));
                    }
                }
                other => {
                    return Err(fail(format!(
                        "unexpected message from the new process: {other:?}"
                    )))
                }
            },
            // Closed after Ready: the channel closed on execve. Success.
            Err(RecvError::Closed) if ready => break,
            Err(e) => return Err(fail(e.to_string())),
        }
    }
    if let Some(p) = &opts.pid_file {
        if let Err(e) = write_atomic(p, &pid.to_string()) {
            // runc ends the process too: a caller told of a failure must not find it running.
            fail(String::new());
            return Err(Error::io("writing pid file", p, e));
        }
    }
    Ok((pid, master))
}

fn move_above(fd: OwnedFd, min: RawFd) -> Result<OwnedFd> {
    if fd.as_raw_fd() >= min {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid fd.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    if new < 0 {
        return Err(Error::io("moving fd", "", std::io::Error::last_os_error()));
    }
    // SAFETY: a fresh fd.
    Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(new) })
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
    // SAFETY: prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) };
    make_undumpable()?;
    process::reset_signals();
    if let Some(fds) = ctx.stdio {
        process_steps::apply_stdio(&mut LinuxProcessSys, fds, ctx.preserve_fds)?;
    }
    // Still in the host's namespaces: join the container's cgroups (v1 through `tasks`).
    if let Some(plan) = &ctx.join_cgroup {
        let _span = tracing::debug_span!("cgroup_join_self").entered();
        plan.join_self(in_cgroup).map_err(|e| e.to_string())?;
    }
    match ctx.chan.recv() {
        Ok(r) if r.msg == Msg::Go => {}
        Ok(r) => return Err(format!("expected Go from the runtime, got {:?}", r.msg)),
        Err(e) => return Err(format!("waiting for the runtime: {e}")),
    }
    for (t, fd) in ctx.namespaces {
        // SAFETY: setns on a valid namespace fd.
        if unsafe { libc::setns(fd.as_raw_fd(), spec::clone_flag(*t) as i32) } != 0 {
            return Err(format!(
                "joining the {} namespace: {}",
                spec::proc_name(*t),
                std::io::Error::last_os_error()
            ));
        }
    }
    if p.terminal {
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
        console::make_controlling(&slave)?;
    }
    let mut keep: Vec<RawFd> = ctx.namespaces.iter().map(|(_, f)| f.as_raw_fd()).collect();
    keep.push(ctx.chan.raw_fd());
    let setgroups = std::fs::read_to_string("/proc/self/setgroups")
        .map(|s| s.trim() != "deny")
        .unwrap_or(true);
    let ready = process_steps::prepare(
        &mut LinuxProcessSys,
        p,
        ctx.preserve_fds,
        &keep,
        setgroups,
        &mut |_, listener| crate::seccomp_agent::hand_over(ctx.chan, listener),
    )?;
    // SAFETY: prctl with integer arguments: the process must outlive `sixrun exec --detach`.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, 0, 0, 0, 0) };
    // As in runc, the filter before the report: its notification fd goes to the agent first.
    if p.no_new_privs {
        if let Some(listener) = process_steps::apply_seccomp(&mut LinuxProcessSys, p)? {
            crate::seccomp_agent::hand_over(ctx.chan, listener)?;
        }
    }
    ctx.chan
        .report(&Msg::Ready)
        .map_err(|e| format!("reporting ready: {e}"))?;
    Err(process::exec(&ready, p))
}
