//! `docker exec [-i] [-t] [-d] [-e] [-w] [-u]`: a new process in a running container,
//! through six-runtime's exec, from a keeper forked by the CLI (no monitor; see
//! `exec_keeper.rs`: the keeper reaps the process even if the CLI is killed). The CLI waits
//! for the keeper, whose exit is the process's. With `-t` the runtime sends a pty master
//! over a console socket; without, the process gets the caller's stdio. `-d` leaves it
//! running with its keeper, owned by nobody here.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixListener;

use oci_spec::runtime::Process;
use six_sys::pidfd::Pidfd;

use crate::command::find_program;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec_keeper::{self, Keeper, KeeperEvent};
use crate::record::{ContainerConfig, Status};
use crate::request::ExecRequest;
use crate::signals::SignalPipe;
use crate::tty::{window_size, RawMode};

impl Engine {
    /// Runs `req.cmd` in the container; its exit code (0 at once with `detach`).
    pub fn exec(&self, c: &str, req: ExecRequest) -> Result<i32> {
        let _span = tracing::debug_span!("exec").entered();
        if req.cmd.is_empty() {
            return Err(Error::Invalid("exec needs a command to run".into()));
        }
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        if state.status != Status::Running {
            return Err(Error::NotRunning { name: config.name });
        }
        if state.paused {
            return Err(Error::Conflict(format!(
                "container {} is paused, unpause the container before exec",
                config.name
            )));
        }
        let container = self.running_container(&id, &config.name)?;
        let process = self.exec_process(&id, &config, container.spec(), &req)?;
        // Docker's events: `exec_create: CMD ARGS`, `exec_start: …`, `exec_die` (exitCode),
        // the last recorded by the keeper when the process has ended.
        let exec_id = crate::store::Store::new_id()?;
        // Docker's form: the program, a space, the arguments ("exec_start: true " alone).
        let command = format!("{} {}", req.cmd[0], req.cmd[1..].join(" "));
        let attrs = [("execID", exec_id.clone())];
        self.emit_container(&config, &format!("exec_create: {command}"), &attrs);
        let on_event = |event: KeeperEvent| match event {
            KeeperEvent::Started(_) => {
                self.emit_container(&config, &format!("exec_start: {command}"), &attrs)
            }
            KeeperEvent::Ended(code) => {
                let attrs = [("execID", exec_id.clone()), ("exitCode", code.to_string())];
                self.emit_container(&config, "exec_die", &attrs);
            }
        };
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| Error::io("opening /dev/null", e))?;
        if req.detach {
            let opts = six_runtime::ExecOptions {
                process,
                stdio: Some([null.as_raw_fd(); 3]),
                ..Default::default()
            };
            exec_keeper::start(&container, opts, true, &[], &on_event)?;
            return Ok(0);
        }
        if req.tty {
            return self.exec_tty(&id, &container, process, &on_event);
        }
        let stdin = if req.interactive { 0 } else { null.as_raw_fd() };
        let opts = six_runtime::ExecOptions {
            process,
            stdio: Some([stdin, 1, 2]),
            ..Default::default()
        };
        let signals = SignalRelay::new()?;
        let keeper = exec_keeper::start(&container, opts, false, &[], &on_event)?;
        signals.wait(&keeper, None)
    }

    /// The exec'd process: the container's own with `req`'s command, env added to the
    /// container's, working dir and user (names looked up in the container's rootfs), after
    /// checking that the command exists there; `--privileged`: every capability.
    pub(crate) fn exec_process(
        &self,
        id: &str,
        config: &ContainerConfig,
        spec: &oci_spec::runtime::Spec,
        req: &ExecRequest,
    ) -> Result<Process> {
        let mut process = spec.process().clone().ok_or_else(|| {
            Error::Corrupt(format!(
                "container {} has no process in its spec",
                config.name
            ))
        })?;
        let mut env = self.exec_env(config, req.tty && !req.detach);
        for var in &req.env {
            if let Some(entry) = var.to_entry() {
                env.retain(|e| e.split('=').next() != Some(var.key.as_str()));
                env.push(entry);
            }
        }
        let cwd = req
            .workdir
            .clone()
            .unwrap_or_else(|| config.workdir.clone());
        let rootfs = self.rootfs_mount(id).merged;
        let mounts = crate::mount_points::of_record(config);
        let destinations: Vec<&std::path::Path> =
            mounts.iter().map(|m| m.destination.as_path()).collect();
        find_program(
            &rootfs,
            &req.cmd[0],
            &env,
            &cwd,
            &destinations,
            &config.image,
        )?;
        if let Some(user) = &req.user {
            let ids =
                crate::user::resolve_user_with_groups(user, &rootfs, &config.request.group_add)?;
            let mut u = process.user().clone();
            u.set_uid(ids.uid);
            u.set_gid(ids.gid);
            u.set_additional_gids(if ids.additional_gids.is_empty() {
                None
            } else {
                Some(ids.additional_gids)
            });
            process.set_user(u);
        }
        if req.privileged {
            let uid = process.user().uid();
            let mut all = config.request.clone();
            all.privileged = true;
            process.set_capabilities(Some(crate::spec::process_capabilities(&all, uid)?));
        }
        process.set_args(Some(req.cmd.clone()));
        process.set_env(Some(env));
        process.set_cwd(cwd.into());
        process.set_terminal(Some(req.tty && !req.detach));
        process.set_console_size(None);
        Ok(process)
    }

    /// The container's environment for an exec, as Docker builds it: `TERM=xterm` follows
    /// the exec's own `-t`, not the container's (unless the image or `-e` set TERM).
    fn exec_env(&self, config: &ContainerConfig, tty: bool) -> Vec<String> {
        let mut env = config.env.clone();
        if config.request.tty == tty || config.request.env.iter().any(|v| v.key == "TERM") {
            return env;
        }
        let image_term = self
            .images
            .find_image(&config.image_id)
            .ok()
            .flatten()
            .is_some_and(|i| i.config.env.iter().any(|e| e.starts_with("TERM=")));
        if !image_term {
            env.retain(|e| !e.starts_with("TERM="));
            if tty {
                env.push("TERM=xterm".to_owned());
            }
        }
        env
    }

    fn exec_tty(
        &self,
        id: &str,
        container: &six_runtime::Container,
        mut process: Process,
        on_event: &dyn Fn(KeeperEvent),
    ) -> Result<i32> {
        let (listener, socket) = self.console_listener(id)?;
        let _cleanup = RemoveOnDrop(socket.clone());
        if let Some((rows, cols)) = window_size(0) {
            if let Ok(b) = oci_spec::runtime::BoxBuilder::default()
                .height(rows as u64)
                .width(cols as u64)
                .build()
            {
                process.set_console_size(Some(b));
            }
        }
        let opts = six_runtime::ExecOptions {
            process,
            console_socket: Some(socket.clone()),
            ..Default::default()
        };
        let signals = SignalRelay::new()?;
        let keeper = exec_keeper::start(container, opts, false, &[], on_event)?;
        let master = accept_console(&listener, &socket)?;
        let _raw = RawMode::enable(0);
        signals.wait(&keeper, Some(master))
    }
}

impl Engine {
    /// A listening console socket for an exec into container `id` (the runtime sends the
    /// pty master there): the listener and its path, which the caller removes
    /// ([`RemoveOnDrop`]).
    pub(crate) fn console_listener(&self, id: &str) -> Result<(UnixListener, std::path::PathBuf)> {
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = self.opts.runroot.join("containers").join(format!(
            "{}.exec-{}-{n}.sock",
            &id[..12],
            std::process::id()
        ));
        let _ = std::fs::remove_file(&socket);
        let (addr, _dir) = crate::attach::socket_addr(&socket)?;
        let listener = match addr.path() {
            Some(p) => UnixListener::bind(p)
                .map_err(|e| Error::at("binding the console socket", &socket, e))?,
            None => {
                return Err(Error::Invalid(format!(
                    "console socket {} cannot be named",
                    socket.display()
                )))
            }
        };
        Ok((listener, socket))
    }
}

/// The pty master the runtime sends to the console socket `listener` (at `path`).
pub(crate) fn accept_console(listener: &UnixListener, path: &std::path::Path) -> Result<OwnedFd> {
    let (conn, _) = listener
        .accept()
        .map_err(|e| Error::at("accepting on the console socket", path, e))?;
    receive_fd(conn.as_raw_fd())
}

/// Catches the signals the CLI forwards (and SIGWINCH) while an exec runs.
struct SignalRelay {
    pipe: SignalPipe,
}

impl SignalRelay {
    fn new() -> Result<SignalRelay> {
        let pipe = SignalPipe::catch(&[
            libc::SIGINT,
            libc::SIGTERM,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGWINCH,
        ])?;
        Ok(SignalRelay { pipe })
    }

    /// Waits for the keeper (its exit code is the process's), forwarding signals to the
    /// process; with a pty `master`, relays it to fds 0 and 1.
    fn wait(&self, keeper: &Keeper, master: Option<OwnedFd>) -> Result<i32> {
        let pid = keeper.pid;
        let mut master = master;
        let mut stdin_open = master.is_some();
        if let Some(m) = &master {
            if let Some((rows, cols)) = window_size(0) {
                crate::tty::set_window_size(m.as_raw_fd(), rows, cols);
            }
        }
        // A pidfd, not SIGCHLD: in a threaded caller another thread may take the signal.
        // The keeper is our child, not reaped yet: the pidfd is its own.
        let pidfd =
            Pidfd::open(pid).map_err(|e| Error::io("watching the exec'd process's keeper", e))?;
        let mut buf = vec![0u8; 16 * 1024];
        let mut code = None;
        loop {
            if let Some(c) = code {
                if master.is_none() {
                    return Ok(c);
                }
            }
            let pollfd = |fd: RawFd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            let mut fds = [
                pollfd(self.pipe.fd()),
                pollfd(master.as_ref().map_or(-1, |m| m.as_raw_fd())),
                pollfd(if stdin_open { 0 } else { -1 }),
                pollfd(if code.is_none() {
                    pidfd.as_raw_fd()
                } else {
                    -1
                }),
            ];
            let timeout = if code.is_some() { 1000 } else { -1 };
            // SAFETY: a valid pollfd array.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), 4, timeout) };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::io("waiting for the exec'd process", e));
            }
            if n == 0 && code.is_some() {
                master = None;
                continue;
            }
            if fds[0].revents != 0 {
                self.forward_signals(keeper, master.as_ref());
            }
            if fds[3].revents != 0 {
                code = reap(pid);
            }
            if fds[1].revents != 0 {
                let m = master.as_ref().map_or(-1, |m| m.as_raw_fd());
                if !copy(m, 1, &mut buf) {
                    master = None;
                }
            }
            if fds[2].revents != 0 {
                let to = master.as_ref().map_or(-1, |m| m.as_raw_fd());
                if !copy(0, to, &mut buf) {
                    stdin_open = false;
                }
            }
        }
    }

    /// The caught signals: SIGWINCH resizes the pty `master`, the others go to the process.
    fn forward_signals(&self, keeper: &Keeper, master: Option<&OwnedFd>) {
        for sig in self.pipe.take() {
            match sig {
                libc::SIGWINCH => {
                    if let (Some(m), Some((rows, cols))) = (master, window_size(0)) {
                        crate::tty::set_window_size(m.as_raw_fd(), rows, cols);
                    }
                }
                // Through its pidfd: once the process has ended (its keeper may
                // reap it at any moment) this reaches nobody, never a reused pid.
                sig => {
                    let _ = keeper.process.send_signal(sig);
                }
            }
        }
    }
}

/// Reaps the keeper `pid` if it has ended: its exit code (128 + signal if killed).
fn reap(pid: libc::pid_t) -> Option<i32> {
    let mut status = 0;
    // SAFETY: reaping our own child into a local status.
    if unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } != pid {
        return None;
    }
    Some(if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    })
}

/// Copies what one read of `from` gives to `to` (nowhere if `to` is -1); false at its end
/// or on an error.
fn copy(from: RawFd, to: RawFd, buf: &mut [u8]) -> bool {
    // SAFETY: reading into our own buffer, at most its length.
    let n = unsafe { libc::read(from, buf.as_mut_ptr().cast(), buf.len()) };
    if n <= 0 {
        return false;
    }
    if to >= 0 {
        write_all(to, &buf[..n as usize]);
    }
    true
}

/// Removes a file (a console socket) when dropped.
pub(crate) struct RemoveOnDrop(pub(crate) std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Receives the pty master the runtime sends with SCM_RIGHTS.
fn receive_fd(socket: RawFd) -> Result<OwnedFd> {
    match crate::exec_keeper::recv_with_fd(socket)? {
        (_, Some(fd)) => Ok(fd),
        (_, None) => Err(Error::Internal("the runtime sent no pty master".into())),
    }
}

/// Writes `data` to the caller's (or the pty's) fd; a reader gone is not our error.
fn write_all(fd: RawFd, data: &[u8]) {
    // SAFETY: fds 0-2 and the pty master stay open for the whole relay.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    let _ = six_sys::fd::write_all(fd, data);
}
