//! `clone3(2)`: starts a child process of the caller, in new namespaces and (cgroup v2)
//! directly in its cgroup, like `fork` — the child runs on a copy of the caller's stack and
//! returns here with [`Forked::Child`]. Falls back to `clone(2)` whenever clone3 refuses.
//!
//! It owns only the system call. It never decides which namespaces; `create` and `exec` do.
//! The child must end with `execve` or `_exit`, never by returning into the caller's code.

use std::fmt::Write as _;
use std::os::fd::RawFd;

use six_trace::Kind;

/// Which side of the clone we are on.
pub enum Forked {
    /// `in_cgroup`: the child already started in `cgroup_dir` (clone3 did it), so it only
    /// joins the other hierarchies.
    Child { in_cgroup: bool },
    /// The child's pid (in the caller's pid namespace).
    Parent { pid: i32 },
}

#[repr(C)]
#[derive(Default)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

/// Every `CLONE_NEW*` flag (for the trace's words).
const NEW_NAMESPACES: u64 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWCGROUP) as u64
    | 0x80;

/// `CLONE_INTO_CGROUP` (Linux 5.7); not in every libc.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;

/// Clones the calling process. `ns_flags` are `CLONE_NEW*` bits; `cgroup_dir` an open fd of
/// a cgroup v2 directory the child should start in; the child traces its steps as `role`.
///
/// # Safety
/// Like `fork`: in the child only the calling thread exists. The caller must be prepared for
/// that (the runtime's child code takes no lock another thread could hold in the parent).
#[track_caller]
pub unsafe fn clone(
    ns_flags: u64,
    cgroup_dir: Option<RawFd>,
    role: six_trace::Role,
) -> std::io::Result<Forked> {
    let step = six_trace::begin();
    let mut refused = 0;
    let mut args = CloneArgs {
        flags: ns_flags,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    if let Some(fd) = cgroup_dir {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = fd as u64;
    }
    // SAFETY: args is a valid clone_args of the size we pass; no CLONE_VM, so the child gets
    // its own copy of memory and continues on a copy of this stack, as after fork.
    let mut ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &mut args as *mut CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if ret < 0 {
        refused = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        // Any refusal, as crun: no clone3 (old kernel, or a seccomp filter that hides it),
        // or CLONE_INTO_CGROUP refused (EBUSY, EOPNOTSUPP, EACCES...): plain clone; the
        // child then joins its cgroup2 directory itself (`in_cgroup` is false). A refusal
        // of the namespaces themselves comes back from clone just the same.
        // SAFETY: as above; a null stack means "continue on a copy of this one".
        ret = unsafe {
            libc::syscall(
                libc::SYS_clone,
                ns_flags | libc::SIGCHLD as u64,
                0usize,
                0usize,
                0usize,
                0usize,
            )
        };
        if ret < 0 {
            let e = std::io::Error::last_os_error();
            if let Some(t) = step {
                t.done(Kind::Clone, e.raw_os_error().unwrap_or(-1), |d| {
                    write!(d, "clone {}", six_trace::clone_flags(ns_flags))
                });
            }
            return Err(e);
        }
        args.flags &= !CLONE_INTO_CGROUP;
    }
    if ret == 0 {
        six_trace::enter_child(role);
        return Ok(Forked::Child {
            in_cgroup: args.flags & CLONE_INTO_CGROUP != 0,
        });
    }
    if let Some(t) = step {
        t.done(Kind::Clone, 0, |d| {
            match refused {
                0 => write!(d, "clone3 {}", six_trace::clone_flags(args.flags))?,
                e => write!(
                    d,
                    "clone {} (clone3 refused: {})",
                    six_trace::clone_flags(args.flags),
                    six_trace::errno_name(e)
                )?,
            }
            if args.flags & NEW_NAMESPACES == 0 {
                write!(d, " (no new namespaces)")?;
            }
            if let Some(fd) = cgroup_dir.filter(|_| args.flags & CLONE_INTO_CGROUP != 0) {
                write!(d, " into cgroup {}", six_trace::fd_target(fd))?;
            }
            write!(d, " → pid {ret}")
        });
    }
    Ok(Forked::Parent { pid: ret as i32 })
}

/// Ends the child without running the parent's destructors or atexit handlers.
pub fn exit_child(code: i32) -> ! {
    // SAFETY: _exit is always safe to call.
    unsafe { libc::_exit(code) }
}

/// Set by [`permit_threads`].
static PERMIT_THREADS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Lets `create` and `exec` clone from a process with other threads. Only for callers that
/// guarantee no other thread holds a lock the child needs (malloc's, stdio's, tracing's)
/// while they call — test harnesses that serialise their runtime calls.
pub fn permit_threads() {
    PERMIT_THREADS.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Create and exec clone the calling process, and the child allocates and locks: from a
/// process with other threads it could wait forever on a lock one of them held at the clone.
/// The number of threads when there is more than one (and [`permit_threads`] was not called).
pub(crate) fn other_threads() -> Option<u64> {
    if PERMIT_THREADS.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    six_sys::proc::stat(me)
        .map(|s| s.num_threads)
        .filter(|n| *n > 1)
}

/// Set by [`trace_child_steps`].
static TRACE_CHILD: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Says that this program's `tracing` output goes to a file of its own (a log file: not a
/// dup of its stderr, which may be the container's own), so that the container's init and
/// exec'd processes may trace their steps too. Without it they trace nothing: after clone
/// their fds 0-2 are (or soon become) the container's, and nothing but the container's own
/// output may reach the container's output or log.
pub fn trace_child_steps() {
    TRACE_CHILD.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// In the child after clone: makes every `tracing` span and event a no-op from here on,
/// unless [`trace_child_steps`] was called. (No allocation: a scoped dispatcher to
/// tracing's static no-op subscriber.)
pub fn silence_tracing() -> Option<tracing::dispatcher::DefaultGuard> {
    if TRACE_CHILD.load(std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    Some(tracing::dispatcher::set_default(&tracing::Dispatch::none()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_refused_clone_into_cgroup_falls_back_to_clone() {
        // A plain directory is no cgroup2 directory: clone3 refuses CLONE_INTO_CGROUP.
        let dir = std::fs::File::open(std::env::temp_dir()).unwrap();
        // SAFETY: the child only calls _exit.
        match unsafe { clone(0, Some(dir.as_raw_fd()), six_trace::Role::Init) }.unwrap() {
            Forked::Child { in_cgroup } => exit_child(if in_cgroup { 1 } else { 0 }),
            Forked::Parent { pid } => {
                let mut status = 0;
                // SAFETY: reaping our own child.
                assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
                assert!(libc::WIFEXITED(status));
                assert_eq!(
                    libc::WEXITSTATUS(status),
                    0,
                    "the child thinks it is in a cgroup"
                );
            }
        }
    }
}
