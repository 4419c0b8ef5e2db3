//! The monitor: one small process per running container, the parent of its init.
//!
//! It is forked from the CLI and detaches into its own session; with the engine's
//! `monitor_program` set it then execs that program (`process.rs`: a fresh, small image),
//! else it runs on in the fork (a single-threaded caller: the API service's zygote). Then it
//! becomes a child subreaper, creates the container in-process through six-runtime (so the
//! init is its child), attaches the network, starts the container, and then sits in
//! one `poll` loop: output → the json log (rotated; a failed write is recorded once and never
//! stops the loop) and attached clients; clients → stdin, window size,
//! signals; SIGCHLD → exit code. When the container ends it applies the restart policy or
//! cleans up (runtime delete, network detach, rootfs unmount, `--rm`) and exits.
//! No threads; buffers are fixed and small.
//!
//! This file owns the fork, the monitor's state and its life (run, restart policy, finish);
//! `process` execs the monitor program and is that program's way in, `start` starts and undoes one run, `supervise` is the poll loop, `clients` queues and
//! sends to attached clients (never blocking), `listener` accepts them (backing off when out
//! of fds), `freeze` holds freezes for commits, `health` runs health checks, `proxy`
//! relays ports published on IPv6 host addresses, `shrink`
//! gives back memory, `abort` is what a panic does (records it, kills the init, aborts).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::sys::signal::{SigSet, Signal as NixSignal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use oci_spec::runtime::Spec;
use six_sys::pidfd::Pidfd;

mod abort;
mod clients;
mod freeze;
mod health;
mod listener;
mod pause;
pub(crate) mod process;
mod proxy;
mod shrink;
mod start;
mod supervise;

use crate::attach::{self, Message};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::file_lock::FileLock;
use crate::logs::{log_path, LogLimits, LogWriter};
use crate::record::{ContainerConfig, NetworkState, ProcessId, Status};
use crate::types::LogDriver;
use clients::Client;

impl Engine {
    /// Forks the container's monitor and waits until it reports the container started.
    /// Returns the CLI's end of the attach channel (output, then the exit code, follow on it).
    pub(crate) fn launch(&self, id: &str, spec: Spec) -> Result<OwnedFd> {
        let _span = tracing::debug_span!("launch_monitor").entered();
        let (cli_end, monitor_end) = attach::pair()?;
        // The record's lock goes to the monitor, which lets it go once it has written itself
        // in as the container's monitor: a command repairing records whose owner is dead
        // waits for that, so a CLI killed between its fork and that write never has the
        // starting container repaired (its rootfs unmounted) from under the monitor.
        let handover = self.store.lock(id)?;
        six_trace::children_begin();
        let exec = match &self.opts.monitor_program {
            Some(program) => Some(
                process::Handoff::new(
                    program,
                    &self.opts,
                    id,
                    &spec,
                    process::Inherited {
                        channel: monitor_end.as_raw_fd(),
                        lock: handover.as_raw_fd(),
                    },
                )?
                .sealed(&self.opts.runroot.join("runtime"))?,
            ),
            None => None,
        };
        let forked = six_trace::begin();
        // SAFETY: the child only runs our code and leaves with _exit, never returning here.
        match unsafe { nix::unistd::fork() }? {
            nix::unistd::ForkResult::Parent { child } => {
                if let Some(t) = forked {
                    t.done(six_trace::Kind::Clone, 0, |d| {
                        let what = "fork twice: the container's monitor, in its own session";
                        std::fmt::Write::write_fmt(d, format_args!("{what} (via pid {child})"))
                    });
                }
                drop(monitor_end);
                handover.leave_to_child();
                crate::test_hook::pause_point("monitor-forked");
                // The intermediate process exits at once; the monitor is then nobody's child
                // here, so the CLI (or a test) never holds a zombie.
                let _ = nix::sys::wait::waitpid(child, None);
            }
            nix::unistd::ForkResult::Child => {
                six_trace::enter_child(six_trace::Role::Monitor);
                drop(cli_end);
                let _ = nix::unistd::setsid();
                // SAFETY: as above; the grandchild is the monitor.
                let code = match unsafe { nix::unistd::fork() } {
                    Ok(nix::unistd::ForkResult::Child) => {
                        // The trace names the monitor by its own pid, not the intermediate's.
                        six_trace::enter_child(six_trace::Role::Monitor);
                        match &exec {
                            Some(exec) => exec.exec(),
                            // A panic aborts (`abort.rs`): nothing unwinds back into this code.
                            None => monitor_main(self, id, spec, monitor_end, handover),
                        }
                    }
                    _ => 0,
                };
                // SAFETY: leaving the forked process without running the caller's destructors.
                unsafe { libc::_exit(code) };
            }
        }
        let mut buf = [0u8; 4096];
        let report = attach::recv(cli_end.as_raw_fd(), &mut buf);
        // The monitor detaches from the trace once it has reported; the init at its execve.
        six_trace::children_end(std::time::Duration::from_secs(2));
        match report {
            Ok(Some(Message::Started(_))) => Ok(cli_end),
            Ok(Some(Message::Failed(code, message))) => Err(Error::StartFailed { code, message }),
            Ok(_) => Err(Error::Internal(format!(
                "the monitor of container {id} ended before the container started"
            ))),
            Err(e) => Err(Error::io(
                format!("waiting for the monitor of container {id}"),
                e,
            )),
        }
    }
}

/// The monitor of container `id`, reporting on `channel`; `handover` is the record's lock,
/// held by the launching side until this process has written itself in (see `launch`).
fn monitor_main(
    engine: &Engine,
    id: &str,
    spec: Spec,
    channel: OwnedFd,
    handover: FileLock,
) -> i32 {
    abort::install(engine.store.clone(), id.to_owned());
    shrink::map_large_allocations();
    detach_stdio();
    // SAFETY: plain prctl on ourselves.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    let mut mask = SigSet::empty();
    for s in [
        NixSignal::SIGCHLD,
        NixSignal::SIGTERM,
        NixSignal::SIGINT,
        NixSignal::SIGHUP,
    ] {
        mask.add(s);
    }
    if mask.thread_block().is_err() {
        return 71;
    }
    let Ok(sigfd) = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
    else {
        return 71;
    };
    let me = ProcessId::current();
    let config = engine.store.config(id);
    crate::test_hook::delay_point("monitor-registering");
    let owned = engine.store.update_held(&handover, id, |s| {
        s.owner = None;
        s.monitor = Some(me);
        Ok(())
    });
    drop(handover);
    let (Ok(config), Ok(())) = (config, owned) else {
        return 72;
    };
    let _ = std::fs::create_dir_all(engine.run_dir(id));
    let listener = attach::listen(&engine.attach_socket(id))
        .ok()
        .map(listener::Listener::new);
    let dir = engine.container_dir(id);
    let log = match config.request.log.driver {
        LogDriver::None => None,
        LogDriver::JsonFile | LogDriver::Local => {
            let limits = LogLimits {
                max_size: config.request.log.max_size,
                max_files: config.request.log.max_file,
            };
            match LogWriter::open(&log_path(&dir, id), limits) {
                Ok(log) => Some(log),
                Err(_) => return 73,
            }
        }
    };
    let console_size = spec.process().as_ref().and_then(|p| p.console_size());
    let mut m = Monitor {
        engine,
        id,
        config,
        spec: Some(spec),
        console_size,
        clients: vec![Client::new(channel, true)],
        listener,
        log,
        log_failure_reported: false,
        sigfd,
        stop_requested: false,
        freezers: Vec::new(),
        paused: false,
        health: None,
        // Forked from a CLI that traces (we forward to it until the start).
        trace_due: six_trace::on(),
    };
    m.run()
}

/// Points fds 0, 1 and 2 at /dev/null: the monitor (and a detached exec keeper) must not hold
/// the CLI's terminal or pipes.
pub(crate) fn detach_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            // SAFETY: dup2 onto the standard fds.
            unsafe { libc::dup2(null.as_raw_fd(), fd) };
        }
    }
}

struct Monitor<'a> {
    engine: &'a Engine,
    id: &'a str,
    config: ContainerConfig,
    /// The spec of the first run, until it starts (`spec_for_this_run`).
    spec: Option<Spec>,
    /// The terminal size the first run's spec asked for, for the runs after it.
    console_size: Option<oci_spec::runtime::Box>,
    /// Attached clients, the one that launched the monitor (a foreground `run` or `start -a`)
    /// marked primary: see `clients.rs` for who waits for whom.
    clients: Vec<Client>,
    /// `attach.sock`, with its back-off when a connection cannot be accepted.
    listener: Option<listener::Listener>,
    /// None with the `none` log driver.
    log: Option<LogWriter>,
    /// A log write failed and that is recorded (once per monitor).
    log_failure_reported: bool,
    sigfd: SignalFd,
    /// The user stopped the container (`Message::Stop`, or any signal during a restart
    /// backoff): its restart policy no longer applies. Kept here, not in the store, so that
    /// stopping needs no write before the signal; recorded with the exit code.
    stop_requested: bool,
    /// Connections holding a freeze of the running container (`freeze.rs`).
    freezers: Vec<Client>,
    /// The user paused the running container (`pause.rs`).
    paused: bool,
    /// The health checks of the running container (`health.rs`), if it has any.
    health: Option<health::Checker>,
    /// The CLI that launched us traces: while it stays attached it hands us its trace socket
    /// after the start (`Message::Trace`), for the clean-up at the container's end.
    trace_due: bool,
}

/// One running incarnation of the container.
struct Running {
    /// The runtime's container as `create` returned it, until it has started (see
    /// [`Running::with_container`]).
    created: Option<six_runtime::Container>,
    pid: i32,
    /// The init, for signals: opened while it was our unreaped child, it stays bound to it,
    /// so a signal after the init has ended and was reaped reaches nobody, never a process
    /// that was given its pid since.
    init: Pidfd,
    /// stdout (or the pty master) and stderr, None once at EOF.
    out: Option<OwnedFd>,
    err: Option<OwnedFd>,
    /// Where stdin from clients goes (a pipe, or the pty master); non-blocking.
    stdin: Option<RawFd>,
    /// Input not yet taken by the container; while any waits, the clients it came from are
    /// not read (their sockets fill up and their CLIs wait: backpressure, never a blocked
    /// monitor), the others are.
    stdin_pending: Vec<u8>,
    stdin_pipe: Option<OwnedFd>,
    tty: bool,
    /// The networks attached, in order.
    networks: Vec<NetworkState>,
    /// The relays of ports published on an IPv6 host address (`proxy.rs`).
    proxy: proxy::Proxy,
}

impl Running {
    /// Calls `f` with the runtime's container of this run: the one `create` returned until
    /// the container has started, then read again from the runtime's state (so a running
    /// monitor keeps no copy of the spec the runtime records in it).
    fn with_container<T, E: From<six_runtime::Error>>(
        &self,
        engine: &Engine,
        id: &str,
        f: impl FnOnce(&six_runtime::Container) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        match &self.created {
            Some(c) => f(c),
            None => f(&engine.runtime.load(id)?),
        }
    }
}

impl Monitor<'_> {
    fn run(&mut self) -> i32 {
        let mut restarts = self
            .engine
            .store
            .state(self.id)
            .map(|s| s.restart_count)
            .unwrap_or(0);
        loop {
            let began = Instant::now();
            let mut running = match self.start_once() {
                Ok(r) => r,
                Err(e) => {
                    self.finish(e.exit_code(), Some(crate::Chain(&e).to_string()));
                    return 0;
                }
            };
            // Out here, where the frames of the start are gone: their stack goes back too.
            shrink::shed_code_pages();
            let code = self.supervise(&mut running);
            if std::mem::take(&mut self.trace_due) {
                self.await_trace_handover(&mut running);
            }
            self.stop_health();
            self.freezers.clear();
            self.paused = false;
            // A `rename` meanwhile: the end is recorded (events) under the new name.
            if let Ok(config) = self.engine.store.config(self.id) {
                self.config = config;
            }
            let oom = code == 128 + libc::SIGKILL
                && self.config.request.memory.is_some()
                && self.oom_killed();
            if oom {
                let _ = self.engine.store.update(self.id, |s| {
                    s.oom_killed = true;
                    Ok(())
                });
                self.engine.emit_container(&self.config, "oom", &[]);
            }
            self.engine
                .emit_container(&self.config, "die", &[("exitCode", code.to_string())]);
            self.end_incarnation(&running, true);
            // The policy as it is now (`update --restart` may have changed it).
            let policy = self.config.request.restart;
            if !policy.should_restart(code, restarts, self.stop_requested) {
                self.finish(code, None);
                return 0;
            }
            let _ = self.engine.store.update(self.id, |s| {
                s.status = Status::Restarting;
                s.exit_code = code;
                s.finished_at = Some(chrono::Utc::now());
                s.pid = None;
                Ok(())
            });
            // Docker's backoff: 100 ms doubling per restart, at most a minute; reset after 10 s of running.
            if began.elapsed() >= Duration::from_secs(10) {
                restarts = 0;
            }
            let delay = Duration::from_millis(100u64.saturating_mul(1 << restarts.min(10)))
                .min(Duration::from_secs(60));
            self.idle(delay);
            if self.stop_requested {
                self.finish(code, None);
                return 0;
            }
            restarts += 1;
            let _ = self.engine.store.update(self.id, |s| {
                s.restart_count += 1;
                Ok(())
            });
            // What `network connect`/`disconnect` and `update` changed meanwhile applies to
            // this run (the spec is read again too: `spec_for_this_run`).
            if let Ok(config) = self.engine.store.config(self.id) {
                self.config = config;
            }
        }
    }

    /// The spec of the run about to start: the one the monitor was given for the first, else
    /// the saved one (with the resource limits `update` wrote into it) with the first run's
    /// console size. Not kept between runs: a running monitor holds no spec.
    fn spec_for_this_run(&mut self) -> Result<Spec> {
        if let Some(spec) = self.spec.take() {
            return Ok(spec);
        }
        let path = Engine::spec_path(&self.engine.container_dir(self.id));
        let text = std::fs::read(&path).map_err(|e| Error::at("reading", &path, e))?;
        let mut spec: Spec = serde_json::from_slice(&text).map_err(|e| {
            Error::Corrupt(format!(
                "reading the spec of container {}: {e}",
                self.config.name
            ))
        })?;
        if let (Some(process), Some(size)) = (spec.process_mut(), self.console_size) {
            process.set_console_size(Some(size));
        }
        Ok(spec)
    }

    /// Creates the container (init waiting), attaches its network, starts it.
    /// Whether the kernel's OOM killer struck in the container's memory cgroup (read before
    /// the runtime removes the cgroup): v1 `memory.oom_control`, v2 `memory.events`.
    fn oom_killed(&self) -> bool {
        self.engine
            .runtime
            .load(self.id)
            .is_ok_and(|c| c.oom_killed())
    }

    /// A log write failed (a full disk): recorded once in the state, where inspect shows it.
    /// Output still reaches attached clients, and later writes are still tried.
    fn report_log_failure(&mut self, e: Error) {
        if std::mem::replace(&mut self.log_failure_reported, true) {
            return;
        }
        let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let text = format!(
            "output since {since} is missing from the log: {}",
            crate::Chain(&e)
        );
        let _ = self.engine.store.update(self.id, |s| {
            s.log_error = Some(text);
            Ok(())
        });
    }

    /// The container is over: unmount, record the end (or remove it for --rm), tell clients.
    fn finish(&mut self, code: i32, error: Option<String>) {
        self.engine.release_shm(self.id);
        let mount = self.engine.rootfs_mount(self.id);
        let unmounted = !mount.is_mounted() || mount.unmount().is_ok();
        self.engine.release_volumes(&self.config);
        let failed = error.is_some();
        if self.config.request.auto_remove && unmounted {
            let _ = self.engine.store.update(self.id, |s| {
                s.status = Status::Removing;
                Ok(())
            });
            if self.engine.store.remove(self.id).is_ok() {
                self.engine.release_image(&self.config.image_id);
                self.engine.emit_container(&self.config, "destroy", &[]);
                self.engine.remove_anonymous_volumes(&self.config);
            }
        } else {
            let err_text = error.clone();
            let stop_requested = self.stop_requested;
            let _ = self.engine.store.update(self.id, |s| {
                s.status = if failed {
                    Status::Created
                } else {
                    Status::Exited
                };
                s.exit_code = code;
                s.finished_at = Some(chrono::Utc::now());
                s.pid = None;
                s.monitor = None;
                s.networks.clear();
                s.paused = false;
                s.rootfs_mounted = !unmounted;
                s.error = err_text;
                s.stopped_by_user = stop_requested;
                Ok(())
            });
        }
        let _ = std::fs::remove_file(self.engine.attach_socket(self.id));
        let _ = std::fs::remove_dir(self.engine.run_dir(self.id));
        let m = match error {
            Some(e) => Message::Failed(code, e),
            None => Message::Exited(code),
        };
        self.broadcast(&m);
        self.deliver_final();
    }
}
