//! `create`: from a bundle to an init waiting for `start`. The parent side: read and check the
//! spec, make the state directory and exec.fifo, the cgroup, clone the init into its new
//! namespaces, write its id maps, let it run, run the prestart/createRuntime hooks when it
//! asks, and record it once it reports Ready.
//!
//! Undo sits next to do: [`Undo`] kills the half-made init and removes the cgroup and state
//! directory unless create reaches the end. It never sets up the child's side; `init.rs` does.

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use oci_spec::runtime::LinuxIdMapping;

use crate::channel::{self, Msg, RecvError};
use crate::clone::{self, Forked};
use crate::container::{hook_state_json, Container};
use crate::create_check::{check, Checked};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::init::{self, InitContext};
use crate::state::{Record, StateDir, Status};
use crate::{CreateOptions, Runtime};

/// What a half-made container holds; dropped without `disarm`, it removes all of it.
struct Undo {
    dir: Option<StateDir>,
    cgroup: Option<six_cgroups::Cgroup>,
    child: Option<i32>,
}

impl Undo {
    fn disarm(mut self) -> (StateDir, Option<six_cgroups::Cgroup>) {
        self.child = None;
        (
            self.dir.take().expect("state dir is set until disarm"),
            self.cgroup.take(),
        )
    }
}

impl Drop for Undo {
    fn drop(&mut self) {
        if let Some(pid) = self.child.take() {
            // SAFETY: kill and waitpid on our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
        if let Some(cg) = self.cgroup.take() {
            if let Err(e) = cg.destroy() {
                let error = &e as &dyn std::error::Error;
                tracing::warn!(error, "removing the cgroup of a failed create");
            }
        }
        if let Some(dir) = self.dir.take() {
            let _ = dir.remove();
        }
    }
}

fn open_cloexec(path: &Path, flags: i32) -> std::io::Result<OwnedFd> {
    let c = CString::new(path.as_os_str().as_bytes())?;
    // SAFETY: open with a valid C string.
    let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Moves `fd` to a number >= `min`, so it cannot land among the preserved fds.
fn move_above(fd: OwnedFd, min: RawFd) -> std::io::Result<OwnedFd> {
    if fd.as_raw_fd() >= min {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on a valid fd.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    if new < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

fn write_id_map(pid: i32, file: &str, maps: &[LinuxIdMapping]) -> std::io::Result<()> {
    let text: String = maps
        .iter()
        .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
        .collect();
    std::fs::write(format!("/proc/{pid}/{file}"), text)
}

/// Writes `contents` to `path` atomically (runc writes the pid file the same way).
pub(crate) fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    std::fs::write(&tmp, contents)?;
    std::fs::rename(&tmp, path)
}

pub fn create(rt: &Runtime, id: &str, mut opts: CreateOptions) -> Result<Container> {
    let _span = tracing::info_span!("create", id).entered();
    crate::state::check_id(id)?;
    crate::sealed_exe::check()?;
    if let Some(n) = crate::clone::other_threads() {
        return Err(Error::Threaded(n));
    }
    let Checked {
        bundle,
        spec,
        ns,
        rootfs,
        linux,
        pplan,
    } = check(rt, id, &mut opts)?;

    let mut undo = Undo {
        dir: Some(StateDir::create(&rt.root, id)?),
        cgroup: None,
        child: None,
    };
    let min_fd = 3 + opts.preserve_fds as RawFd;
    let dir = undo.dir.as_mut().expect("state dir is set until disarm");
    dir.move_lock_above(min_fd)?;
    let (dir_path, lock_fd) = (dir.path.clone(), dir.lock_fd());

    let fifo = make_exec_fifo(&dir_path, min_fd)?;

    let cgroup = make_cgroup(rt, id, &linux, &mut undo)?;
    // clone3 puts the child straight into the cgroup2 directory (v2 and hybrid); the v1
    // hierarchies the child joins itself (six-cgroups' `JoinPlan`), or we move it (user
    // namespace).
    let into_cgroup = match cgroup.unified_dir() {
        Some(d) => Some(
            open_cloexec(d, libc::O_PATH | libc::O_DIRECTORY)
                .map_err(|e| Error::io("opening cgroup", d, e))?,
        ),
        _ => None,
    };

    let console = match &opts.console_socket {
        Some(p) if pplan.terminal => {
            let s = crate::console::connect(p)
                .map_err(|e| Error::io("connecting to console socket", p, e))?;
            Some(
                move_above(OwnedFd::from(s), min_fd)
                    .map_err(|e| Error::io("console socket", p, e))?,
            )
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

    let parent_hooks = !hooks::of(&spec, Kind::Prestart).is_empty()
        || !hooks::of(&spec, Kind::CreateRuntime).is_empty();
    let child_hooks = !hooks::of(&spec, Kind::CreateContainer).is_empty()
        || !hooks::of(&spec, Kind::StartContainer).is_empty();
    let mut rec = Record {
        id: id.to_owned(),
        pid: 0,
        pid_start: 0,
        bundle: bundle.clone(),
        rootfs: rootfs.clone(),
        created: chrono::Utc::now(),
        owner: owner_name(),
        annotations: spec.annotations().clone().unwrap_or_default(),
        cgroup: Some(cgroup.clone()),
        paused: false,
        config: spec.clone(),
    };

    // Outside a user namespace the init joins its cgroups itself (v1 through `tasks`): far
    // cheaper than our writing its pid to cgroup.procs (see six-cgroups' `JoinPlan`).
    let child_joins_cgroup =
        !ns.new_user() && !ns.joins_user() && ns.unshare_flags & libc::CLONE_NEWUSER as u64 == 0;
    let join_cgroup = if child_joins_cgroup {
        Some(cgroup.join_plan().map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?)
    } else {
        None
    };

    // A pid namespace given by path: enter it for the clone only, so the child is born in it.
    let pid_ns_back = match &ns.join_pid {
        Some(p) => Some(enter_pid_ns(p)?),
        None => None,
    };
    // In a user namespace the init is root only over the ids it maps: bind sources are
    // opened here, with our own credentials (runc does the same).
    let in_userns =
        ns.new_user() || ns.joins_user() || ns.unshare_flags & libc::CLONE_NEWUSER as u64 != 0;
    let bind_sources = if in_userns {
        crate::bind_sources::open(&spec, &bundle, min_fd)
    } else {
        crate::bind_sources::OpenedSources::default()
    };
    let ctx = InitContext {
        spec: &spec,
        rootfs: &rootfs,
        ns: &ns,
        process: &pplan,
        chan: &child_end,
        fifo: fifo.as_raw_fd(),
        console_socket: console.as_ref().map(|c| c.as_raw_fd()),
        stdio: opts.stdio,
        preserve_fds: opts.preserve_fds,
        no_pivot: opts.no_pivot,
        cgroup_mounts: cgroup.mounts_for_container(),
        parent_hooks,
        bundle: &bundle,
        join_cgroup,
        state_lock: lock_fd,
        session_keyring: (!opts.no_new_keyring).then(|| format!("_ses.{id}")),
        bind_sources: bind_sources.paths.clone(),
    };
    let forked = {
        let _s = tracing::debug_span!("clone", flags = format!("{:#x}", ns.clone_flags)).entered();
        // SAFETY: the child only runs init::run, which ends in execve or _exit.
        unsafe { clone::clone(ns.clone_flags, into_cgroup.as_ref().map(|f| f.as_raw_fd())) }
    };
    if let Ok(Forked::Child { in_cgroup }) = forked {
        drop(parent_end);
        init::run(ctx, in_cgroup)
    }
    if let Ok(Forked::Parent { pid }) = forked {
        undo.child = Some(pid);
    }
    // Back in our own pid namespace, or every later child of ours would be born in the
    // container's: a failure here is an error, not a warning.
    if let Some(back) = pid_ns_back {
        leave_pid_ns(back)
            .map_err(|e| Error::setup(id, format!("returning to our own pid namespace: {e}")))?;
    }
    let pid = match forked {
        Err(e) => return Err(Error::setup(id, format!("clone: {e}"))),
        Ok(Forked::Child { .. }) => unreachable!("the child never gets here"),
        Ok(Forked::Parent { pid }) => pid,
    };
    drop(child_end);
    drop(console);

    if ns.new_user() {
        let _s = tracing::debug_span!("id_maps").entered();
        let maps_err = |e| Error::setup(id, format!("writing id maps of pid {pid}: {e}"));
        write_id_map(
            pid,
            "uid_map",
            linux.uid_mappings().as_deref().unwrap_or_default(),
        )
        .map_err(maps_err)?;
        write_id_map(
            pid,
            "gid_map",
            linux.gid_mappings().as_deref().unwrap_or_default(),
        )
        .map_err(maps_err)?;
    }
    rec.pid = pid;
    rec.pid_start = crate::procfs::stat(pid).map(|s| s.start_time).unwrap_or(0);
    let lost = |e: nix::Error| Error::setup(id, format!("talking to the init: {e}"));
    if child_hooks {
        let state = String::from_utf8_lossy(&hook_state_json(&rec, Status::Created)).into_owned();
        parent_end.send(&Msg::State(state)).map_err(lost)?;
    }
    if !child_joins_cgroup {
        let _s = tracing::debug_span!("cgroup_add_process").entered();
        cgroup.add_process(pid).map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?;
    }
    parent_end.send(&Msg::Go).map_err(lost)?;

    let console_master = wait_until_ready(id, &parent_end, &spec, &rec, pid)?;

    let dir = undo.dir.as_ref().expect("state dir is set until disarm");
    dir.write(&rec)?;
    if let Some(p) = &opts.pid_file {
        write_atomic(p, &pid.to_string()).map_err(|e| Error::io("writing pid file", p, e))?;
    }
    let (dir, _cg) = undo.disarm();
    drop(dir);
    tracing::debug!(pid, "created");
    Ok(Container {
        root: rt.root.clone(),
        rec,
        console: console_master,
    })
}

/// `<dir>/exec.fifo`, opened O_PATH above the preserved fds: the init blocks opening it for
/// write until `start` opens it for read.
fn make_exec_fifo(dir_path: &Path, min_fd: RawFd) -> Result<OwnedFd> {
    let fifo_path = dir_path.join(crate::state::EXEC_FIFO);
    nix::unistd::mkfifo(&fifo_path, nix::sys::stat::Mode::from_bits_truncate(0o622))
        .map_err(|e| Error::sys(format!("creating {}", fifo_path.display()), e))?;
    // Writable by the container's user whatever our umask (the init opens it after setuid).
    std::fs::set_permissions(
        &fifo_path,
        std::os::unix::fs::PermissionsExt::from_mode(0o622),
    )
    .map_err(|e| Error::io("chmod", &fifo_path, e))?;
    open_cloexec(&fifo_path, libc::O_PATH)
        .and_then(|f| move_above(f, min_fd))
        .map_err(|e| Error::io("opening", &fifo_path, e))
}

/// The container's cgroup, made and limited (noted in the state dir and in `undo`).
fn make_cgroup(
    rt: &Runtime,
    id: &str,
    linux: &oci_spec::runtime::Linux,
    undo: &mut Undo,
) -> Result<six_cgroups::Cgroup> {
    let _s = tracing::debug_span!("cgroup").entered();
    let cg_err = |source| Error::Cgroup {
        id: id.to_owned(),
        source,
    };
    let h = six_cgroups::Hierarchy::detect().map_err(cg_err)?;
    let path = linux
        .cgroups_path()
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());
    let cg =
        six_cgroups::Cgroup::new(&h, path.as_deref(), &rt.cgroup_nesting, id).map_err(cg_err)?;
    cg.create().map_err(cg_err)?;
    undo.cgroup = Some(cg.clone());
    if let Some(dir) = &undo.dir {
        dir.note_cgroup(&cg)?;
    }
    cg.set(&crate::devices::resources_for(linux))
        .map_err(cg_err)?;
    Ok(cg)
}

/// Serves the init until it reports Ready: runs the prestart/createRuntime hooks when it asks
/// and takes the pty master it sends. Its errors, or its death, fail the create.
fn wait_until_ready(
    id: &str,
    parent_end: &channel::Channel,
    spec: &oci_spec::runtime::Spec,
    rec: &Record,
    pid: i32,
) -> Result<Option<OwnedFd>> {
    let lost = |e: nix::Error| Error::setup(id, format!("talking to the init: {e}"));
    let mut console_master = None;
    loop {
        let _s = tracing::debug_span!("wait_init").entered();
        match parent_end.recv() {
            Ok(r) => match r.msg {
                Msg::Ready => break,
                Msg::Error(text) => return Err(Error::setup(id, text)),
                Msg::Pty => console_master = r.fd,
                Msg::SeccompFd(fd) => {
                    let seccomp = spec.linux().as_ref().and_then(|l| l.seccomp().as_ref());
                    let mut state =
                        serde_json::to_value(crate::container::oci_state(rec, Status::Creating))
                            .unwrap_or_default();
                    state["status"] = "creating".into();
                    crate::seccomp_agent::serve(seccomp, pid, fd, state)
                        .map_err(|e| Error::setup(id, e))?;
                    parent_end.send(&Msg::SeccompDone).map_err(lost)?;
                }
                Msg::RunHooks => {
                    let state = hook_state_json(rec, Status::Creating);
                    for kind in [Kind::Prestart, Kind::CreateRuntime] {
                        hooks::run(spec, kind, &state).map_err(|(path, msg)| Error::Hook {
                            id: id.to_owned(),
                            hook: kind.name(),
                            path,
                            msg,
                        })?;
                    }
                    parent_end.send(&Msg::HooksDone).map_err(lost)?;
                }
                other => {
                    return Err(Error::setup(
                        id,
                        format!("unexpected message from the init: {other:?}"),
                    ))
                }
            },
            Err(RecvError::Closed) => return Err(Error::setup(id, exit_description(pid))),
            Err(e) => return Err(Error::setup(id, e.to_string())),
        }
    }
    Ok(console_master)
}

/// The caller's user name (runc's `owner`), or its uid when /etc/passwd does not know it.
fn owner_name() -> String {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    passwd
        .lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map(|f| f[0].to_owned())
        .unwrap_or_else(|| uid.to_string())
}

/// Reaps the init that closed the channel without a word and says how it ended.
fn exit_description(pid: i32) -> String {
    let mut status = 0;
    // SAFETY: waitpid on our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    if r != pid {
        return "the container init exited during setup".into();
    }
    if libc::WIFSIGNALED(status) {
        format!(
            "the container init was killed by signal {} during setup",
            libc::WTERMSIG(status)
        )
    } else {
        format!(
            "the container init exited with status {} during setup",
            libc::WEXITSTATUS(status)
        )
    }
}

fn enter_pid_ns(path: &PathBuf) -> Result<OwnedFd> {
    let own = open_cloexec(Path::new("/proc/self/ns/pid"), libc::O_RDONLY)
        .map_err(|e| Error::io("opening", "/proc/self/ns/pid", e))?;
    let target = open_cloexec(path, libc::O_RDONLY)
        .map_err(|e| Error::io("opening pid namespace", path, e))?;
    // SAFETY: setns on a valid pid namespace fd (affects only our future children).
    if unsafe { libc::setns(target.as_raw_fd(), libc::CLONE_NEWPID) } != 0 {
        return Err(Error::io(
            "joining pid namespace",
            path,
            std::io::Error::last_os_error(),
        ));
    }
    Ok(own)
}

/// Sets our children's pid namespace back to our own (the one `own` names).
pub(crate) fn leave_pid_ns(own: OwnedFd) -> std::io::Result<()> {
    // SAFETY: setns back to our own active pid namespace.
    if unsafe { libc::setns(own.as_raw_fd(), libc::CLONE_NEWPID) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
