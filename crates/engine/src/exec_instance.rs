//! Docker's exec instances (the Engine API's `POST /containers/{id}/exec`, `/exec/{id}/start`,
//! `/exec/{id}/json`): an exec is made first and started later, perhaps by another process,
//! so each is a record `<runroot>/execs/<exec id>.json`: what to run, and once started its
//! pid, whether it runs and its exit code. Those are written by the exec's keeper, which
//! outlives whoever started it; a `<exec id>.started` file, made exclusively, lets one start
//! win. Records go with the runroot (a reboot), or when their container is gone.
//!
//! Starting hands back the process's streams (pipes, or the pty master) for the caller to
//! relay (`exec_relay.rs`); the process itself is made exactly as `sixdocker exec` makes one
//! (`exec.rs`, `exec_keeper.rs`).

use std::io::ErrorKind;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::exec::{accept_console, RemoveOnDrop};
use crate::exec_keeper::{self, KeeperEvent};
use crate::record::Status;
use crate::request::ExecRequest;
use crate::store::{write_atomic, Durable, Store};
use crate::types::{DetachKeys, EnvVar};

/// What `POST /containers/{id}/exec` asks for.
#[derive(Debug, Clone, Default)]
pub struct ExecCreate {
    /// The command, env, user, working dir, `tty`, `privileged`; `interactive` is Docker's
    /// `AttachStdin` (`detach` is chosen at start).
    pub request: ExecRequest,
    /// `AttachStdout`: the client gets the process's stdout (else it goes nowhere).
    pub stdout: bool,
    /// `AttachStderr`.
    pub stderr: bool,
    /// `DetachKeys` (None: the default, Ctrl-P Ctrl-Q).
    pub detach_keys: Option<DetachKeys>,
}

/// One exec instance on disk.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ExecRecord {
    id: String,
    /// The container's full ID.
    container: String,
    cmd: Vec<String>,
    env: Vec<EnvVar>,
    workdir: Option<String>,
    user: Option<String>,
    tty: bool,
    privileged: bool,
    stdin: bool,
    stdout: bool,
    stderr: bool,
    detach_keys: Option<String>,
    running: bool,
    pid: Option<i32>,
    exit_code: Option<i32>,
}

impl ExecRecord {
    fn request(&self, detach: bool) -> ExecRequest {
        ExecRequest {
            cmd: self.cmd.clone(),
            env: self.env.clone(),
            workdir: self.workdir.clone(),
            user: self.user.clone(),
            tty: self.tty,
            interactive: self.stdin,
            detach,
            privileged: self.privileged,
        }
    }
}

/// The streams of a started exec, for the caller to relay: pipes (the ends the process does
/// not hold), or its terminal; and the keeper's end.
#[derive(Debug)]
pub struct ExecStreams {
    /// Write end of the process's stdin (`AttachStdin`, no tty).
    pub stdin: Option<OwnedFd>,
    /// Read end of its stdout (`AttachStdout`, no tty).
    pub stdout: Option<OwnedFd>,
    /// Read end of its stderr (`AttachStderr`, no tty).
    pub stderr: Option<OwnedFd>,
    /// The pty master (with a tty).
    pub pty: Option<OwnedFd>,
    /// Hangs up once the keeper has reaped the process and recorded its exit code.
    pub ended: OwnedFd,
}

/// The names [`ExecStreams::into_fds`] gives each descriptor, in order.
const STREAM_NAMES: [&str; 5] = ["stdin", "stdout", "stderr", "pty", "ended"];

impl ExecStreams {
    /// The descriptors, each with its name, to pass to another process.
    pub fn into_fds(self) -> Vec<(&'static str, OwnedFd)> {
        let all = [
            self.stdin,
            self.stdout,
            self.stderr,
            self.pty,
            Some(self.ended),
        ];
        STREAM_NAMES
            .into_iter()
            .zip(all)
            .filter_map(|(name, fd)| fd.map(|fd| (name, fd)))
            .collect()
    }

    /// Put back together from [`ExecStreams::into_fds`]'s names and descriptors.
    pub fn from_fds(fds: Vec<(String, OwnedFd)>) -> Result<ExecStreams> {
        let mut slots: [Option<OwnedFd>; 5] = Default::default();
        for (name, fd) in fds {
            let Some(i) = STREAM_NAMES.iter().position(|n| *n == name) else {
                return Err(Error::Internal(format!("unknown exec stream {name:?}")));
            };
            slots[i] = Some(fd);
        }
        let [stdin, stdout, stderr, pty, ended] = slots;
        let ended = ended.ok_or_else(|| Error::Internal("no keeper end for the exec".into()))?;
        Ok(ExecStreams {
            stdin,
            stdout,
            stderr,
            pty,
            ended,
        })
    }
}

impl Engine {
    fn execs_dir(&self) -> PathBuf {
        self.opts.runroot.join("execs")
    }

    /// The record's path; an ID that cannot be one (not 64 hex digits) is no such exec.
    fn exec_path(&self, exec_id: &str) -> Result<PathBuf> {
        if exec_id.len() != 64 || !exec_id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::NoSuchExec(exec_id.to_owned()));
        }
        Ok(self.execs_dir().join(format!("{exec_id}.json")))
    }

    fn exec_record(&self, exec_id: &str) -> Result<ExecRecord> {
        let path = self.exec_path(exec_id)?;
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::NoSuchExec(exec_id.to_owned()))
            }
            Err(e) => return Err(Error::at("reading", &path, e)),
        };
        let rec: ExecRecord = serde_json::from_slice(&text)
            .map_err(|e| Error::Corrupt(format!("exec record {}: {e}", path.display())))?;
        if self.store.state(&rec.container).is_err() {
            // Its container is gone: so is the exec, as in Docker.
            self.forget_exec(exec_id);
            return Err(Error::NoSuchExec(exec_id.to_owned()));
        }
        Ok(rec)
    }

    fn forget_exec(&self, exec_id: &str) {
        let dir = self.execs_dir();
        let _ = std::fs::remove_file(dir.join(format!("{exec_id}.json")));
        let _ = std::fs::remove_file(dir.join(format!("{exec_id}.started")));
    }

    /// Changes the record (the keeper's pid and exit code); a record gone meanwhile stays gone.
    fn update_exec(&self, exec_id: &str, change: impl FnOnce(&mut ExecRecord)) {
        let Ok(path) = self.exec_path(exec_id) else {
            return;
        };
        let Ok(text) = std::fs::read(&path) else {
            return;
        };
        if let Ok(mut rec) = serde_json::from_slice::<ExecRecord>(&text) {
            change(&mut rec);
            let _ = write_atomic(&path, &rec, Durable::No);
        }
    }

    /// Makes an exec instance in the running container `c`: its ID (Docker's exec_create
    /// event). Refused like `sixdocker exec`: no command, a container that does not run or
    /// is paused.
    pub fn exec_create(&self, c: &str, create: ExecCreate) -> Result<String> {
        let req = &create.request;
        if req.cmd.is_empty() {
            return Err(Error::Invalid("No exec command specified".into()));
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
        let dir = self.execs_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::at("creating", &dir, e))?;
        self.sweep_execs();
        let exec_id = Store::new_id()?;
        let rec = ExecRecord {
            id: exec_id.clone(),
            container: id,
            cmd: req.cmd.clone(),
            env: req.env.clone(),
            workdir: req.workdir.clone(),
            user: req.user.clone(),
            tty: req.tty,
            privileged: req.privileged,
            stdin: req.interactive,
            stdout: create.stdout,
            stderr: create.stderr,
            detach_keys: create.detach_keys.map(|k| k.to_string()),
            running: false,
            pid: None,
            exit_code: None,
        };
        write_atomic(&self.exec_path(&exec_id)?, &rec, Durable::No)?;
        let command = format!("{} {}", req.cmd[0], req.cmd[1..].join(" "));
        self.emit_container(
            &config,
            &format!("exec_create: {command}"),
            &[("execID", exec_id.clone())],
        );
        Ok(exec_id)
    }

    /// Removes the records of execs whose container is gone.
    fn sweep_execs(&self) {
        let Ok(entries) = std::fs::read_dir(self.execs_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(exec_id) = name.to_str().and_then(|n| n.strip_suffix(".json")) else {
                continue;
            };
            let Ok(text) = std::fs::read(entry.path()) else {
                continue;
            };
            let gone = serde_json::from_slice::<ExecRecord>(&text)
                .map_or(true, |r| self.store.state(&r.container).is_err());
            if gone {
                self.forget_exec(exec_id);
            }
        }
    }

    /// Docker's `GET /exec/{id}/json` document.
    pub fn exec_inspect(&self, exec_id: &str) -> Result<Value> {
        let r = self.exec_record(exec_id)?;
        Ok(json!({
            "ID": r.id,
            "Running": r.running,
            "ExitCode": r.exit_code,
            "ProcessConfig": {
                "tty": r.tty,
                "entrypoint": r.cmd.first(),
                "arguments": r.cmd.get(1..).unwrap_or_default(),
                "privileged": r.privileged,
                "user": r.user.clone().unwrap_or_default(),
            },
            "OpenStdin": r.stdin,
            "OpenStderr": r.stderr,
            "OpenStdout": r.stdout,
            "CanRemove": false,
            "ContainerID": r.container,
            "DetachKeys": r.detach_keys.clone().unwrap_or_default(),
            "Pid": r.pid.unwrap_or(0),
        }))
    }

    /// What a client of `exec_id` needs before it starts it: its tty, whether it takes
    /// stdin, and its detach keys. Conflict when it was started already.
    pub fn exec_startable(&self, exec_id: &str) -> Result<(bool, bool, Option<DetachKeys>)> {
        let r = self.exec_record(exec_id)?;
        if r.exit_code.is_some() || self.execs_dir().join(format!("{exec_id}.started")).exists() {
            return Err(already_started(&r));
        }
        let keys = r.detach_keys.as_deref().map(str::parse).transpose()?;
        Ok((r.tty, r.stdin, keys))
    }

    /// Starts exec `exec_id` (once: Conflict after). Detached: nothing to relay (None).
    /// Otherwise its streams. Needs a single-threaded caller from a sealed binary, as
    /// `sixdocker exec` (six-runtime's exec). A start that fails records Docker's exit code
    /// (127: no such command, 126: cannot run it).
    pub fn exec_start(&self, exec_id: &str, detach: bool) -> Result<Option<ExecStreams>> {
        let rec = self.exec_record(exec_id)?;
        let marker = self.execs_dir().join(format!("{exec_id}.started"));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
        {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(already_started(&rec)),
            Err(e) => return Err(Error::at("creating", &marker, e)),
        }
        if rec.exit_code.is_some() {
            return Err(already_started(&rec));
        }
        self.exec_spawn(&rec, detach).inspect_err(|e| {
            let code = match e.exit_code() {
                127 => 127,
                _ => 126,
            };
            self.update_exec(exec_id, |r| r.exit_code = Some(code));
        })
    }

    fn exec_spawn(&self, rec: &ExecRecord, detach: bool) -> Result<Option<ExecStreams>> {
        let id = &rec.container;
        let config = self.store.config(id)?;
        let state = self.store.state(id)?;
        if state.status != Status::Running {
            return Err(Error::NotRunning { name: config.name });
        }
        if state.paused {
            return Err(Error::Conflict(format!(
                "container {} is paused, unpause the container before exec",
                config.name
            )));
        }
        let container = self.running_container(id, &config.name)?;
        let req = rec.request(detach);
        let process = self.exec_process(id, &config, container.spec(), &req)?;
        let command = format!("{} {}", req.cmd[0], req.cmd[1..].join(" "));
        let on_event = |event: KeeperEvent| match event {
            KeeperEvent::Started(pid) => {
                self.update_exec(&rec.id, |r| {
                    r.running = true;
                    r.pid = Some(pid);
                });
                let attrs = [("execID", rec.id.clone())];
                self.emit_container(&config, &format!("exec_start: {command}"), &attrs);
            }
            KeeperEvent::Ended(code) => {
                self.update_exec(&rec.id, |r| {
                    r.running = false;
                    r.exit_code = Some(code);
                });
                let attrs = [("execID", rec.id.clone()), ("exitCode", code.to_string())];
                self.emit_container(&config, "exec_die", &attrs);
            }
        };
        let null = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/null")
            .map_err(|e| Error::io("opening /dev/null", e))?;
        let mut opts = six_runtime::ExecOptions {
            stdio: Some([null.as_raw_fd(); 3]),
            ..Default::default()
        };
        if detach {
            opts.process = process;
            // The keeper is nobody's child here: it outlives this process and reaps its own.
            exec_keeper::start(&container, opts, true, &[], &on_event)?;
            return Ok(None);
        }
        if rec.tty {
            let (listener, socket) = self.console_listener(id)?;
            let _cleanup = RemoveOnDrop(socket.clone());
            opts.process = process;
            opts.stdio = None;
            opts.console_socket = Some(socket.clone());
            let keeper = exec_keeper::start(&container, opts, true, &[], &on_event)?;
            let master = accept_console(&listener, &socket)?;
            return Ok(Some(ExecStreams {
                stdin: None,
                stdout: None,
                stderr: None,
                pty: Some(master),
                ended: keeper.ended,
            }));
        }
        // Pipes: the process gets one end of each (dup'd onto its stdio by the runtime); the
        // other is relayed. Both are close-on-exec, so no process keeps a stray copy.
        let pipe = || -> Result<(OwnedFd, OwnedFd)> {
            Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
        };
        let stdin = rec.stdin.then(pipe).transpose()?;
        let stdout = rec.stdout.then(pipe).transpose()?;
        let stderr = rec.stderr.then(pipe).transpose()?;
        let fd_or_null = |p: &Option<(OwnedFd, OwnedFd)>, process_end_is_read: bool| {
            p.as_ref().map_or(null.as_raw_fd(), |(r, w)| {
                if process_end_is_read {
                    r.as_raw_fd()
                } else {
                    w.as_raw_fd()
                }
            })
        };
        opts.stdio = Some([
            fd_or_null(&stdin, true),
            fd_or_null(&stdout, false),
            fd_or_null(&stderr, false),
        ]);
        opts.process = process;
        let ours: Vec<std::os::fd::RawFd> = [
            stdin.as_ref().map(|(_, w)| w.as_raw_fd()),
            stdout.as_ref().map(|(r, _)| r.as_raw_fd()),
            stderr.as_ref().map(|(r, _)| r.as_raw_fd()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let keeper = exec_keeper::start(&container, opts, true, &ours, &on_event)?;
        Ok(Some(ExecStreams {
            stdin: stdin.map(|(_, w)| w),
            stdout: stdout.map(|(r, _)| r),
            stderr: stderr.map(|(r, _)| r),
            pty: None,
            ended: keeper.ended,
        }))
    }

    /// The exit code of exec `exec_id` once its keeper has recorded it.
    pub fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i32>> {
        Ok(self.exec_record(exec_id)?.exit_code)
    }
}

fn already_started(r: &ExecRecord) -> Error {
    if r.exit_code.is_some() {
        Error::Conflict(format!("exec command {} has already run", r.id))
    } else {
        Error::Conflict(format!("exec command {} is already running", r.id))
    }
}
