//! [`Container`]: one container as recorded under the state root — its status refreshed from
//! /proc, its OCI state, and the doors to the operations (start, kill, delete, exec, pause,
//! resume, update), each in its own file.
//!
//! It never keeps a lock between calls: each operation takes the state directory's lock.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{ContainerState, LinuxResources, State, StateBuilder};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::state::{self, Record, StateDir, Status};

/// A container known to the runtime.
pub struct Container {
    pub(crate) root: PathBuf,
    pub(crate) rec: Record,
    /// The pty master, when the process has a terminal and no console socket was given.
    pub(crate) console: Option<OwnedFd>,
    /// What `create` noticed and went on with, as runc warns of it (a cgroup that already
    /// held processes).
    pub(crate) warnings: Vec<String>,
}

/// One process of a container, for `ps`.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessInfo {
    /// Its pid (in the caller's pid namespace).
    pub pid: i32,
    /// Its parent's pid.
    pub ppid: i32,
    /// Its effective uid.
    pub uid: u32,
    /// Its state letter (`R`, `S`, `Z`...).
    pub state: char,
    /// Clock ticks after boot.
    pub start_time: u64,
    /// User + system time in clock ticks.
    pub cpu_ticks: u64,
    /// Its command name (15 characters at most).
    pub comm: String,
    /// Its arguments, joined with spaces ("" for a zombie).
    pub cmdline: String,
}

impl ProcessInfo {
    /// When the process started, in seconds since the epoch.
    pub fn started_at(&self) -> i64 {
        six_sys::proc::boot_time() + (self.start_time / six_sys::proc::clock_ticks()) as i64
    }

    /// User + system CPU time, in whole seconds.
    pub fn cpu_seconds(&self) -> u64 {
        self.cpu_ticks / six_sys::proc::clock_ticks()
    }

    /// The command line as `ps` shows it: the arguments, or `[comm]` for a kernel-like
    /// process without any (a zombie).
    pub fn command(&self) -> String {
        if self.cmdline.is_empty() {
            format!("[{}]", self.comm)
        } else {
            self.cmdline.clone()
        }
    }
}

impl Container {
    pub(crate) fn load(root: &Path, id: &str) -> Result<Container> {
        state::check_id(id)?;
        let dir = root.join(id);
        if !dir.join(state::STATE_FILE).exists() {
            return Err(Error::NotFound(id.to_owned()));
        }
        let rec = state::read_record(&dir)?;
        Ok(Container {
            root: root.to_path_buf(),
            rec,
            console: None,
            warnings: Vec::new(),
        })
    }

    pub(crate) fn dir(&self) -> PathBuf {
        self.root.join(&self.rec.id)
    }

    pub(crate) fn lock(&self) -> Result<StateDir> {
        StateDir::open(&self.root, &self.rec.id)
    }

    /// The container's ID.
    pub fn id(&self) -> &str {
        &self.rec.id
    }

    /// The init's pid while it is alive.
    pub fn pid(&self) -> Option<i32> {
        (self.status() != Status::Stopped).then_some(self.rec.pid)
    }

    /// The init's pid as recorded, alive or not.
    pub fn recorded_pid(&self) -> i32 {
        self.rec.pid
    }

    /// The bundle it was created from (absolute).
    pub fn bundle(&self) -> &Path {
        &self.rec.bundle
    }

    /// Its root filesystem on the host (absolute).
    pub fn rootfs(&self) -> &Path {
        &self.rec.rootfs
    }

    /// When it was created.
    pub fn created(&self) -> chrono::DateTime<chrono::Utc> {
        self.rec.created
    }

    /// Who created it (runc's `owner`: the user name, or the uid).
    pub fn owner(&self) -> &str {
        &self.rec.owner
    }

    /// The spec's annotations.
    pub fn annotations(&self) -> &HashMap<String, String> {
        &self.rec.annotations
    }

    /// The spec the container was created from.
    pub fn spec(&self) -> &oci_spec::runtime::Spec {
        &self.rec.config
    }

    /// The status, refreshed from /proc (a reused pid reads as stopped).
    pub fn status(&self) -> Status {
        self.rec.status(&self.dir())
    }

    /// The OCI state (`paused` is reported as `running`: the OCI enum has no paused).
    pub fn state(&self) -> Result<State> {
        Ok(oci_state(&self.rec, self.status()))
    }

    /// Warnings of the `create` that made this container (runc prints them and goes on).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Takes the pty master (process.terminal without a console socket).
    pub fn take_console(&mut self) -> Option<OwnedFd> {
        self.console.take()
    }

    /// Lets the created init exec the container's process (opens exec.fifo), then runs the
    /// poststart hooks.
    pub fn start(&self) -> Result<()> {
        crate::start::start(self)
    }

    /// Sends `sig` to the init through its pidfd; with `all`, to every process of the
    /// container's cgroup (frozen meanwhile).
    pub fn kill(&self, sig: nix::sys::signal::Signal, all: bool) -> Result<()> {
        crate::kill::kill(self, sig as i32, all)
    }

    /// Kill by signal number (real-time signals included).
    pub fn kill_raw(&self, sig: i32, all: bool) -> Result<()> {
        crate::kill::kill(self, sig, all)
    }

    /// Removes a stopped container (its cgroup and state), after the poststop hooks; with
    /// `force`, kills a running one first.
    pub fn delete(&self, force: bool) -> Result<()> {
        crate::delete::delete(self, force)
    }

    /// Starts another process in the container; its pid (the caller's child).
    pub fn exec(&self, p: crate::ExecOptions) -> Result<i32> {
        crate::exec::exec(self, p)
    }

    /// `exec` that also hands back the pty master (terminal, no console socket, no stdio).
    pub fn exec_with_console(&self, p: crate::ExecOptions) -> Result<(i32, Option<OwnedFd>)> {
        crate::exec::exec_with_console(self, p)
    }

    fn cgroup(&self) -> Result<&six_cgroups::Cgroup> {
        self.rec
            .cgroup
            .as_ref()
            .ok_or_else(|| Error::setup(&self.rec.id, "it has no cgroup"))
    }

    fn cg_err(&self) -> impl Fn(six_cgroups::Error) -> Error + '_ {
        move |source| Error::Cgroup {
            id: self.rec.id.clone(),
            source,
        }
    }

    /// Freezes every process of the container (its cgroup's freezer).
    pub fn pause(&self) -> Result<()> {
        let dir = self.lock()?;
        let mut rec = dir.read()?;
        match rec.status(&dir.path) {
            Status::Running | Status::Created => {}
            s => return Err(self.wrong(s, "container not running")),
        }
        self.cgroup()?.freeze().map_err(self.cg_err())?;
        rec.paused = true;
        dir.write(&rec)
    }

    /// Thaws a paused container.
    pub fn resume(&self) -> Result<()> {
        let dir = self.lock()?;
        let mut rec = dir.read()?;
        if rec.status(&dir.path) != Status::Paused {
            return Err(self.wrong(rec.status(&dir.path), "container not paused"));
        }
        self.cgroup()?.thaw().map_err(self.cg_err())?;
        rec.paused = false;
        dir.write(&rec)
    }

    /// New limits from `r`, merged into the container's as runc merges them, applied, and
    /// kept in its state record (`update.rs`). Device rules in `r` are ignored: the
    /// container's own are applied again, as runc does, which writes nothing when the cgroup
    /// already has them, so no device is ever denied or allowed in between. On failure the
    /// previous limits are set back and the record is unchanged.
    pub fn update(&self, r: &LinuxResources) -> Result<()> {
        crate::update::update(self, r)
    }

    /// Pids of every process in the container's cgroup and its sub-cgroups, as runc lists
    /// them: a stopped container without a pid namespace may have some left.
    pub fn processes(&self) -> Result<Vec<i32>> {
        let cg = self.cgroup()?;
        if self.status() == Status::Stopped && !cg.exists() {
            return Ok(Vec::new());
        }
        let mut pids = cg.pids().map_err(self.cg_err())?;
        pids.sort_unstable();
        Ok(pids)
    }

    /// `processes` with what /proc says about each (gone ones are skipped).
    pub fn process_infos(&self) -> Result<Vec<ProcessInfo>> {
        Ok(self
            .processes()?
            .into_iter()
            .filter_map(|pid| {
                let s = six_sys::proc::stat(pid)?;
                Some(ProcessInfo {
                    pid,
                    ppid: s.ppid,
                    uid: six_sys::proc::uid_of(pid).unwrap_or(0),
                    state: s.state,
                    start_time: s.start_time,
                    cpu_ticks: s.utime + s.stime,
                    comm: s.comm,
                    cmdline: six_sys::proc::cmdline(pid),
                })
            })
            .collect())
    }

    /// Whether the kernel's OOM killer struck in the container's cgroup (read it before
    /// delete removes the cgroup).
    pub fn oom_killed(&self) -> bool {
        self.rec
            .cgroup
            .as_ref()
            .is_some_and(|cg| cg.oom_kills() > 0)
    }

    /// Memory, cpu and pids counters of its cgroup.
    pub fn stats(&self) -> Result<six_cgroups::Stats> {
        self.cgroup()?.stats().map_err(self.cg_err())
    }

    /// Every counter runc reports for a container (`events --stats`).
    pub fn full_stats(&self) -> Result<six_cgroups::FullStats> {
        self.cgroup()?.full_stats().map_err(self.cg_err())
    }

    /// A registration for the container's OOM kills, which also says when its cgroup is
    /// gone (`events`).
    pub fn watch_oom(&self) -> Result<six_cgroups::OomWatch> {
        self.cgroup()?.watch_oom().map_err(self.cg_err())
    }

    pub(crate) fn wrong(&self, s: Status, what: &str) -> Error {
        Error::WrongState {
            id: self.rec.id.clone(),
            status: s.to_string(),
            what: what.to_owned(),
        }
    }
}

/// The OCI state of a record with status `s`.
pub(crate) fn oci_state(rec: &Record, s: Status) -> State {
    let status = match s {
        Status::Creating => ContainerState::Creating,
        Status::Created => ContainerState::Created,
        Status::Running | Status::Paused => ContainerState::Running,
        Status::Stopped => ContainerState::Stopped,
    };
    let mut b = StateBuilder::default()
        .version(rec.config.version().clone())
        .id(rec.id.clone())
        .status(status)
        .bundle(rec.bundle.clone());
    if s != Status::Stopped {
        b = b.pid(rec.pid);
    }
    if !rec.annotations.is_empty() {
        b = b.annotations(rec.annotations.clone());
    }
    b.build().unwrap_or_default()
}

/// The state JSON hooks get on stdin, in runc's field order (ociVersion, id, status, pid,
/// bundle, annotations; annotations sorted). `pid` overrides the recorded one: the hooks the
/// init runs (createContainer, startContainer) get its pid as it sees itself, as runc's.
pub(crate) fn hook_state_json(rec: &Record, s: Status, pid: Option<i32>) -> Vec<u8> {
    #[derive(Serialize)]
    struct HookState<'a> {
        #[serde(rename = "ociVersion")]
        version: &'a str,
        id: &'a str,
        status: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pid: Option<i32>,
        bundle: &'a Path,
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        annotations: std::collections::BTreeMap<&'a String, &'a String>,
    }
    let status = match s {
        Status::Creating => "creating",
        Status::Created => "created",
        Status::Running | Status::Paused => "running",
        Status::Stopped => "stopped",
    };
    let state = HookState {
        // The spec version the state follows: the runtime's, as runc's ("1.0.2-dev" there).
        version: crate::features::OCI_VERSION_MAX,
        id: &rec.id,
        status,
        pid: (s != Status::Stopped).then(|| pid.unwrap_or(rec.pid)),
        bundle: &rec.bundle,
        annotations: rec.annotations.iter().collect(),
    };
    serde_json::to_vec(&state).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use six_sys::proc::{boot_time, stat};

    #[test]
    fn a_process_started_between_boot_and_now_and_without_args_shows_its_comm() {
        let me = stat(std::process::id() as i32).unwrap();
        let info = crate::ProcessInfo {
            pid: me.pid,
            ppid: me.ppid,
            uid: 0,
            state: me.state,
            start_time: me.start_time,
            cpu_ticks: me.utime + me.stime,
            comm: me.comm,
            cmdline: String::new(),
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(boot_time() > 0);
        assert!((boot_time()..=now).contains(&info.started_at()), "{info:?}");
        assert!(info.cpu_seconds() as i64 <= now - boot_time());
        assert_eq!(info.command(), format!("[{}]", info.comm));
    }
}
