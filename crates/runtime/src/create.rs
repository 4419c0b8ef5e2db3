//! `create`: from a bundle to an init waiting for `start`. The parent side: read and check the
//! spec, make the state directory and exec.fifo, the cgroup, clone the init into its new
//! namespaces, write its id maps, let it run, run the prestart/createRuntime hooks when it
//! asks, and record it once it reports Ready.
//!
//! Undo sits next to do: [`Undo`] kills the half-made init and removes the cgroup and state
//! directory unless create reaches the end. It never sets up the child's side; `init.rs` does.

use std::fmt::Write as _;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use oci_spec::runtime::LinuxIdMapping;

use crate::channel::{self, Channel, Msg, RecvError};
use crate::clone::{self, Forked};
use crate::container::{hook_state_json, Container};
use crate::create_check::{check, Checked};
use crate::error::{Error, Result};
use crate::hooks::{self, Kind};
use crate::init::{self, InitContext};
use crate::namespace_steps;
use crate::process_sys::LinuxProcessSys;
use crate::spawn;
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

/// Opens `path` with `flags` (`O_PATH`, `O_DIRECTORY`...), close-on-exec.
fn open_cloexec(path: &Path, flags: i32) -> std::io::Result<OwnedFd> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map(OwnedFd::from)
}

fn write_id_map(pid: i32, file: &str, maps: &[LinuxIdMapping]) -> std::io::Result<()> {
    let text: String = maps
        .iter()
        .map(|m| format!("{} {} {}\n", m.container_id(), m.host_id(), m.size()))
        .collect();
    let path = format!("/proc/{pid}/{file}");
    six_trace::call(
        six_trace::Kind::IdMap,
        || std::fs::write(&path, &text),
        |d| write!(d, "{path} = {:?}", text.trim_end()),
    )
}

/// Creates container `id` from `opts.bundle`: an init in its new namespaces, waiting for
/// `start`. The steps: check, make the state dir and exec.fifo, make the cgroup, spawn the
/// init, serve it until it is ready, record it. A failure at any step undoes all before it.
pub fn create(rt: &Runtime, id: &str, mut opts: CreateOptions) -> Result<Container> {
    let _span = tracing::info_span!("create", id).entered();
    crate::state::check_id(id)?;
    crate::sealed_exe::check()?;
    if let Some(n) = crate::clone::other_threads() {
        return Err(Error::Threaded(n));
    }
    let checked = check(rt, id, &mut opts)?;
    let min_fd = 3 + opts.preserve_fds as RawFd;
    let mut undo = Undo {
        dir: Some(StateDir::create(&rt.root, id)?),
        cgroup: None,
        child: None,
    };
    let (fifo, lock_fd) = make_state(&mut undo, min_fd)?;
    let mut warnings = Vec::new();
    let cgroup = make_cgroup(rt, id, &checked.linux, &mut undo, &mut warnings)?;
    let mut rec = new_record(id, &checked, &cgroup);
    let console = spawn::console_above(
        opts.console_socket.as_deref(),
        checked.pplan.terminal,
        min_fd,
    )?;
    let (parent_end, child_end) = spawn::channel_above(min_fd)?;
    // Traced: the init keeps the trace socket's read end too, so that its last steps (the
    // wait for `start`, the execve) reach a traced `start` in another process.
    six_trace::children_begin();
    rec.trace_fd = six_trace::hand_over_begin(min_fd);
    let init_fds = InitFds {
        chan: &child_end,
        fifo: fifo.as_raw_fd(),
        console_socket: console.as_ref().map(|c| c.as_raw_fd()),
        state_lock: lock_fd,
    };
    let (pid, parent_end) = spawn_init(
        id, &checked, &opts, &cgroup, init_fds, parent_end, &mut undo,
    )?;
    drop(child_end);
    drop(console);
    rec.pid = pid;
    rec.pid_start = six_sys::proc::stat(pid).map(|s| s.start_time).unwrap_or(0);
    let console_master = handshake(id, &checked, &cgroup, &rec, &parent_end)?;

    let dir = undo.dir.as_ref().expect("state dir is set until disarm");
    dir.write(&rec)?;
    if let Some(p) = &opts.pid_file {
        // Whole or not at all, as runc writes it.
        six_sys::atomic::write(p, pid.to_string().as_bytes(), six_sys::atomic::Durable::No)
            .map_err(|e| Error::io("writing pid file", p, e))?;
    }
    let (dir, _cg) = undo.disarm();
    drop(dir);
    tracing::debug!(pid, "created");
    Ok(Container {
        root: rt.root.clone(),
        rec,
        console: console_master,
        warnings,
    })
}

/// The state directory's lock moved above the preserved fds (its number, for the init to
/// close), and the exec.fifo made.
fn make_state(undo: &mut Undo, min_fd: RawFd) -> Result<(OwnedFd, RawFd)> {
    let dir = undo.dir.as_mut().expect("state dir is set until disarm");
    dir.move_lock_above(min_fd)?;
    let fifo = make_exec_fifo(&dir.path, min_fd)?;
    Ok((fifo, dir.lock_fd()))
}

/// The record of the container, without its init's pid yet.
fn new_record(id: &str, c: &Checked, cgroup: &six_cgroups::Cgroup) -> Record {
    Record {
        id: id.to_owned(),
        pid: 0,
        pid_start: 0,
        bundle: c.bundle.clone(),
        rootfs: c.rootfs.clone(),
        created: chrono::Utc::now(),
        owner: owner_name(),
        annotations: c.spec.annotations().clone().unwrap_or_default(),
        cgroup: Some(cgroup.clone()),
        paused: false,
        config: c.spec.clone(),
        trace_fd: None,
    }
}

/// The fds of ours the init uses (all above the preserved fds).
struct InitFds<'a> {
    chan: &'a Channel,
    fifo: RawFd,
    console_socket: Option<RawFd>,
    state_lock: RawFd,
}

/// Clones the init into its new namespaces (into the cgroup2 directory at once with clone3;
/// in a pid namespace given by path, entered for the clone only); the child runs
/// `init::run`. Returns its pid (noted in `undo`) and our end of the channel.
fn spawn_init(
    id: &str,
    c: &Checked,
    opts: &CreateOptions,
    cgroup: &six_cgroups::Cgroup,
    fds: InitFds,
    parent_end: Channel,
    undo: &mut Undo,
) -> Result<(i32, Channel)> {
    let ns = &c.ns;
    let min_fd = 3 + opts.preserve_fds as RawFd;
    let CloneInputs {
        into_cgroup,
        join_cgroup,
        bind_sources,
    } = clone_inputs(id, c, cgroup, min_fd)?;
    // A pid namespace given by path: enter it for the clone only, so the child is born in it.
    let pid_ns_back = match &ns.join_pid {
        Some(p) => Some(enter_pid_ns(p, min_fd)?),
        None => None,
    };
    let ctx = InitContext {
        spec: &c.spec,
        rootfs: &c.rootfs,
        ns,
        process: &c.pplan,
        chan: fds.chan,
        fifo: fds.fifo,
        console_socket: fds.console_socket,
        stdio: opts.stdio,
        preserve_fds: opts.preserve_fds,
        no_pivot: opts.no_pivot,
        cgroup_mounts: cgroup.mounts_for_container(),
        parent_hooks: !hooks::of(&c.spec, Kind::Prestart).is_empty()
            || !hooks::of(&c.spec, Kind::CreateRuntime).is_empty(),
        bundle: &c.bundle,
        join_cgroup,
        state_lock: fds.state_lock,
        session_keyring: (!opts.no_new_keyring).then(|| format!("_ses.{id}")),
        bind_sources: bind_sources.paths.clone(),
    };
    six_trace::children_begin();
    six_trace::move_above(min_fd);
    let forked = {
        let _s = tracing::debug_span!("clone", flags = format!("{:#x}", ns.clone_flags)).entered();
        let _phase = six_trace::phase(six_trace::Phase::Namespaces);
        // SAFETY: the child only runs init::run, which ends in execve or _exit.
        unsafe {
            let cgroup_dir = into_cgroup.as_ref().map(|f| f.as_raw_fd());
            clone::clone(ns.clone_flags, cgroup_dir, six_trace::Role::Init)
        }
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
        namespace_steps::leave_pid_ns(&mut LinuxProcessSys, back)
            .map_err(|e| Error::setup(id, format!("returning to our own pid namespace: {e}")))?;
    }
    match forked {
        Err(e) => Err(Error::setup(id, format!("clone: {e}"))),
        Ok(Forked::Child { .. }) => unreachable!("the child never gets here"),
        Ok(Forked::Parent { pid }) => Ok((pid, parent_end)),
    }
}

/// What the init takes along besides the plan.
struct CloneInputs {
    /// The cgroup2 directory clone3 starts the child in (v2 and hybrid).
    into_cgroup: Option<OwnedFd>,
    /// The cgroups the init joins itself (None: in a user namespace we move it).
    join_cgroup: Option<six_cgroups::JoinPlan>,
    /// In a user namespace: the bind sources, opened with our own credentials.
    bind_sources: crate::bind_sources::OpenedSources,
}

/// Opens and plans what the init inherits, every descriptor above `min_fd` (the preserved
/// fds): below, a cgroup directory would be one of those passed on, a way out to the host's
/// filesystem (openat(fd, "../..")), as in CVE-2024-21626.
fn clone_inputs(
    id: &str,
    c: &Checked,
    cgroup: &six_cgroups::Cgroup,
    min_fd: RawFd,
) -> Result<CloneInputs> {
    // clone3 puts the child straight into the cgroup2 directory (v2 and hybrid); the v1
    // hierarchies the child joins itself (six-cgroups' `JoinPlan`), or we move it (user
    // namespace).
    let into_cgroup = match cgroup.unified_dir() {
        Some(d) => Some(
            open_cloexec(d, libc::O_PATH | libc::O_DIRECTORY)
                .and_then(|f| six_sys::fd::move_above(f, min_fd))
                .map_err(|e| Error::io("opening cgroup", d, e))?,
        ),
        _ => None,
    };
    // Outside a user namespace the init joins its cgroups itself (v1 through `tasks`): far
    // cheaper than our writing its pid to cgroup.procs (see six-cgroups' `JoinPlan`).
    let join_cgroup = if c.ns.in_user_ns() {
        None
    } else {
        Some(cgroup.join_plan().map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?)
    };
    // In a user namespace the init is root only over the ids it maps: bind sources are
    // opened here, with our own credentials (runc does the same).
    let bind_sources = if c.ns.in_user_ns() {
        crate::bind_sources::open(&c.spec, &c.bundle, min_fd)
    } else {
        crate::bind_sources::OpenedSources::default()
    };
    Ok(CloneInputs {
        into_cgroup,
        join_cgroup,
        bind_sources,
    })
}

/// Sets the init up from outside and lets it go: its id maps (a new user namespace), the
/// state for the hooks it runs itself, its cgroup (in a user namespace, where it cannot join
/// by itself); then serves it until it is ready. Returns the pty master it sent, if any.
fn handshake(
    id: &str,
    c: &Checked,
    cgroup: &six_cgroups::Cgroup,
    rec: &Record,
    parent_end: &Channel,
) -> Result<Option<OwnedFd>> {
    let pid = rec.pid;
    if c.ns.new_user() {
        let _s = tracing::debug_span!("id_maps").entered();
        let maps_err = |e| Error::setup(id, format!("writing id maps of pid {pid}: {e}"));
        write_id_map(
            pid,
            "uid_map",
            c.linux.uid_mappings().as_deref().unwrap_or_default(),
        )
        .map_err(maps_err)?;
        write_id_map(
            pid,
            "gid_map",
            c.linux.gid_mappings().as_deref().unwrap_or_default(),
        )
        .map_err(maps_err)?;
    }
    let lost = |e: nix::Error| Error::setup(id, format!("talking to the init: {e}"));
    let child_hooks = !hooks::of(&c.spec, Kind::CreateContainer).is_empty()
        || !hooks::of(&c.spec, Kind::StartContainer).is_empty();
    if child_hooks {
        // The createContainer hooks' state, then the startContainer hooks': the init's pid as
        // it sees itself (1 in a new pid namespace), as runc's.
        let own = six_sys::proc::innermost_pid(pid);
        for status in [Status::Creating, Status::Created] {
            let state = String::from_utf8_lossy(&hook_state_json(rec, status, own)).into_owned();
            parent_end.send(&Msg::State(state)).map_err(lost)?;
        }
    }
    if c.ns.in_user_ns() {
        let _s = tracing::debug_span!("cgroup_add_process").entered();
        let _phase = six_trace::phase(six_trace::Phase::Cgroups);
        cgroup.add_process(pid).map_err(|source| Error::Cgroup {
            id: id.to_owned(),
            source,
        })?;
    }
    parent_end.send(&Msg::Go).map_err(lost)?;
    wait_until_ready(id, parent_end, &c.spec, rec, pid)
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
        .and_then(|f| six_sys::fd::move_above(f, min_fd))
        .map_err(|e| Error::io("opening", &fifo_path, e))
}

/// The container's cgroup, made and limited (noted in the state dir and in `undo`). As runc:
/// unified resources on a cgroup v1 (or hybrid) machine and a cgroup that is already frozen
/// are refused, one that already holds processes is a warning.
fn make_cgroup(
    rt: &Runtime,
    id: &str,
    linux: &oci_spec::runtime::Linux,
    undo: &mut Undo,
    warnings: &mut Vec<String>,
) -> Result<six_cgroups::Cgroup> {
    let _s = tracing::debug_span!("cgroup").entered();
    let _phase = six_trace::phase(six_trace::Phase::Cgroups);
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
    let v2 = cg.version() == six_cgroups::Version::V2;
    let unified = linux
        .resources()
        .as_ref()
        .and_then(|r| r.unified().as_ref());
    if !v2 && unified.is_some_and(|u| !u.is_empty()) {
        return Err(Error::Invalid {
            id: id.to_owned(),
            msg: "cannot use unified on cgroup v1: linux.resources.unified names cgroup v2 files and this machine's cgroups are v1".into(),
        });
    }
    // The init would freeze on joining it, and create wait for it for ever.
    if cg.is_frozen().map_err(cg_err)? {
        let dir = cg.unified_dir().filter(|_| v2);
        let dir = dir
            .or_else(|| cg.v1_dir("freezer"))
            .unwrap_or(Path::new(""));
        return Err(Error::setup(
            id,
            format!(
                "container's cgroup unexpectedly frozen: {} (thaw it first)",
                dir.display()
            ),
        ));
    }
    if cg.exists() {
        let found = cg.pids().map(|p| p.len()).unwrap_or(0);
        if found > 0 {
            warnings.push(format!(
                "container's cgroup is not empty: {found} process(es) found"
            ));
        }
    }
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
                    let state = hook_state_json(rec, Status::Creating, None);
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

/// Enters the pid namespace at `path` for the clone; our own, to go back to.
fn enter_pid_ns(path: &Path, min_fd: RawFd) -> Result<OwnedFd> {
    let target = open_cloexec(path, libc::O_RDONLY)
        .map_err(|e| Error::io("opening pid namespace", path, e))?;
    namespace_steps::enter_pid_ns(&mut LinuxProcessSys, target.as_fd())
        .and_then(|own| six_sys::fd::move_above(own, min_fd))
        .map_err(|e| Error::io("joining pid namespace", path, e))
}
