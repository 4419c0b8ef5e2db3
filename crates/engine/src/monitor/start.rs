//! Starting one run (incarnation) of the container and undoing it: stdio pipes (or the
//! pty the runtime hands back), the runtime's create, a missing working directory made,
//! the network attached, the runtime's start, the record marked running; on any failure
//! half-way, the runtime container and the network are removed again and the init reaped.
//! It never supervises a running container (`supervise.rs` does) and never decides about
//! restarts (`mod.rs` does).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use six_sys::pidfd::Pidfd;

use super::{Monitor, Running};
use crate::attach::Message;
use crate::error::{Error, Result};
use crate::record::{NetworkState, ProcessId, Status};
use crate::types::NetworkMode;

impl Monitor<'_> {
    /// Never inlined: its frames (deep, for the runtime's create) are gone when the poll loop
    /// runs, and `shrink` gives their stack pages back.
    #[inline(never)]
    pub(super) fn start_once(&mut self) -> Result<Running> {
        let _span = tracing::debug_span!("start_container").entered();
        let mut spec = self.spec_for_this_run()?;
        crate::workdir::ensure_workdir(&spec, &self.config.name)?;
        self.engine
            .join_shared_namespaces(&self.config.request, &mut spec)?;
        self.engine.mount_shm(&self.config)?;
        let req = &self.config.request;
        let dir = self.engine.container_dir(self.id);
        let mut opts = six_runtime::CreateOptions {
            bundle: dir.clone(),
            spec: Some(spec),
            ..Default::default()
        };
        let pipes = if req.tty {
            None
        } else {
            Some(StdioPipes::new(req.interactive)?)
        };
        opts.stdio = pipes.as_ref().map(StdioPipes::child_stdio);
        let (mut out, err, stdin_pipe, child_ends) = match pipes {
            Some(p) => (Some(p.out), Some(p.err), p.stdin, p.child_ends),
            None => (None, None, None, Vec::new()),
        };
        let mut container = self.engine.runtime.create(self.id, opts)?;
        drop(child_ends);
        let pid = container.pid().unwrap_or(0);
        // Our child, not reaped yet: the pidfd is the init's own.
        let init = match Pidfd::open(pid) {
            Ok(init) => init,
            Err(e) => {
                let _ = container.delete(true);
                reap(pid);
                return Err(Error::io("watching the container's init", e));
            }
        };
        super::abort::watch(&init);
        if req.tty {
            out = container.take_console();
            if let Some(master) = &out {
                set_nonblocking(master.as_raw_fd());
            }
        }
        let stdin = if req.tty {
            out.as_ref().map(|o| o.as_raw_fd())
        } else {
            stdin_pipe.as_ref().map(|p| p.as_raw_fd())
        };
        let mut running = Running {
            created: Some(container),
            pid,
            init,
            out,
            err,
            stdin,
            stdin_pending: Vec::new(),
            stdin_pipe,
            tty: req.tty,
            networks: Vec::new(),
            proxy: Default::default(),
        };
        let started = self.attach_networks(&mut running).and_then(|()| {
            running.proxy = super::proxy::Proxy::open(&running.networks)?;
            let _s = tracing::debug_span!("runtime_start").entered();
            running
                .with_container(self.engine, self.id, |c| c.start())
                .map_err(Error::from)
        });
        if let Err(e) = started {
            self.end_incarnation(&running, false);
            reap(pid);
            return Err(e);
        }
        // From here on the runtime's state is read when needed (`Running::with_container`).
        running.created = None;
        self.mark_running(&running);
        self.start_health();
        self.broadcast(&Message::Started(pid));
        // After the launching CLI has heard of the start (it catches Ctrl-C from then on).
        self.engine.emit_container(&self.config, "start", &[]);
        // The start is traced to here: the CLI that traces reads to our end of file.
        six_trace::detach();
        Ok(running)
    }

    /// Records the incarnation as running: its pid, this monitor, its networks.
    fn mark_running(&self, running: &Running) {
        let networks: Vec<NetworkState> = running.networks.clone();
        let me = ProcessId::current();
        let _ = self.engine.store.update(self.id, |s| {
            s.status = Status::Running;
            s.pid = Some(running.pid);
            s.monitor = Some(me);
            s.owner = None;
            s.started_at = Some(chrono::Utc::now());
            s.networks = networks;
            s.paused = false;
            s.error = None;
            s.rootfs_mounted = true;
            Ok(())
        });
    }

    /// Attaches the container to each network it joins, in order (`-p` ports on the first);
    /// on none, `lo` is brought up in its namespace (Docker's `none`), unless it shares the
    /// host's.
    fn attach_networks(&mut self, running: &mut Running) -> Result<()> {
        for network in self.config.joined_networks() {
            if network == "none" || network == "host" {
                self.engine.emit_network("connect", &network, Some(self.id));
                continue;
            }
            if network.starts_with("container:") {
                continue;
            }
            let _s = tracing::debug_span!("network_attach").entered();
            let _phase = six_trace::phase(six_trace::Phase::Network);
            let publish = running.networks.is_empty();
            let state = self
                .engine
                .attach_network(&self.config, &network, running.pid, publish)?;
            running.networks.push(state);
        }
        let own_namespace = !matches!(
            self.config.request.network,
            NetworkMode::Host | NetworkMode::Container(_)
        );
        if running.networks.is_empty() && own_namespace {
            let _phase = six_trace::phase(six_trace::Phase::Network);
            let netns = std::path::PathBuf::from(format!("/proc/{}/ns/net", running.pid));
            six_network::loopback_up(&netns, self.id)?;
        }
        Ok(())
    }

    /// Undoes one incarnation: the runtime's container (cgroup, state) and the network.
    /// `init_reaped`: the container's init has exited and was reaped, so with the runtime
    /// container deleted no process of it is left (see `Engine::detach_network`).
    pub(super) fn end_incarnation(&self, r: &Running, init_reaped: bool) {
        let _s = tracing::debug_span!("cleanup").entered();
        super::abort::unwatch();
        let deleted = r.with_container(self.engine, self.id, |c| c.delete(true));
        if let Err(e) = deleted.or_else(|e| match e {
            // Nothing left to delete (a forced delete meanwhile, or a start that failed early).
            six_runtime::Error::NotFound(_) => Ok(()),
            e => Err(e),
        }) {
            let error = &e as &dyn std::error::Error;
            tracing::warn!(error, "deleting runtime container {}", self.id);
        }
        let mut networks: Vec<String> = r.networks.iter().map(|n| n.network.clone()).collect();
        // Networks joined later with `network connect`.
        if let Ok(state) = self.engine.store.state(self.id) {
            for n in state.networks {
                if !networks.contains(&n.network) {
                    networks.push(n.network);
                }
            }
        }
        for network in networks {
            self.engine.detach_network(&network, self.id, init_reaped);
        }
        for network in self.config.joined_networks() {
            if network == "none" || network == "host" {
                self.engine
                    .emit_network("disconnect", &network, Some(self.id));
            }
        }
        self.engine.release_shm(self.id);
    }
}

pub(super) fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl on our own fd.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
    Ok((r, w))
}

/// Reaps the init after a failed start (the runtime's forced delete has killed it).
fn reap(pid: i32) {
    if pid > 0 {
        let mut status = 0;
        // SAFETY: reaping our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
    }
}

/// The pipes of a container without a tty: the monitor reads `out` and `err` and writes
/// `stdin` (with `-i`; else the child's stdin is /dev/null); `child_ends` are the child's,
/// closed here once the runtime has created the container.
struct StdioPipes {
    out: OwnedFd,
    err: OwnedFd,
    stdin: Option<OwnedFd>,
    child_ends: Vec<OwnedFd>,
}

impl StdioPipes {
    fn new(interactive: bool) -> Result<StdioPipes> {
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let (stdin_child, stdin) = if interactive {
            let (in_r, in_w) = pipe()?;
            set_nonblocking(in_w.as_raw_fd());
            (in_r, Some(in_w))
        } else {
            let null =
                std::fs::File::open("/dev/null").map_err(|e| Error::io("opening /dev/null", e))?;
            (OwnedFd::from(null), None)
        };
        Ok(StdioPipes {
            out: out_r,
            err: err_r,
            stdin,
            child_ends: vec![stdin_child, out_w, err_w],
        })
    }

    /// The child's fds 0, 1 and 2.
    fn child_stdio(&self) -> [RawFd; 3] {
        [0, 1, 2].map(|i| self.child_ends[i].as_raw_fd())
    }
}
