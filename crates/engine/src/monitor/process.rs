//! The monitor as a program of its own: with [`EngineOptions::monitor_program`] set, the
//! process forked to be a container's monitor `execve`s that program (sixdocker itself)
//! instead of running on as a copy of the command that started the container. A fresh image
//! holds only what the monitor uses: no copy of the CLI's heap, stack or relocated data
//! (a forked `sixdocker run` kept ~1.1 MB of private memory per container; see
//! `bench/monitor-memory.sh`).
//!
//! This file owns the command line between the two sides: [`Handoff`] is what the launching
//! side prepares before its fork (the spec in a memfd, the argument vector) and execs in the
//! forked child; [`run_monitor_if_asked`] is what the new program calls first in its `main`: it reads
//! the same arguments back and becomes the monitor. Nothing else crosses: the attach channel
//! and the trace socket are inherited fds, everything else the monitor reads from the store.
//!
//! [`EngineOptions::monitor_program`]: crate::EngineOptions::monitor_program

use std::ffi::{CString, OsStr, OsString};
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use oci_spec::runtime::Spec;

use crate::attach::{self, Message};
use crate::engine::{Engine, EngineOptions};
use crate::error::{Error, Result};
use crate::file_lock::FileLock;

/// `argv[1]` of a monitor process: no command of the CLI can be spelt so.
const MARK: &str = "__six-monitor";
/// A value the engine's options leave unset.
const UNSET: &str = "-";
/// Where the seal's mount fd is in the monitor's argv.
const SEAL_ARG: usize = 7;

/// What the launching side hands the monitor program, made before the fork (the child only
/// clears close-on-exec flags and calls `execve`).
pub(super) struct Handoff {
    program: CString,
    /// A sealed view of `program` to exec instead (see [`Handoff::sealed`]).
    sealed: Option<crate::sealed_exe::SealedView>,
    argv: Vec<CString>,
    /// The spec, as JSON, in a memfd the new process reads and closes.
    spec: OwnedFd,
    inherited: Inherited,
}

/// The launching side's fds the monitor program inherits.
pub(super) struct Inherited {
    /// The monitor's end of the attach channel.
    pub(super) channel: RawFd,
    /// The record's lock, held until the monitor has written itself in.
    pub(super) lock: RawFd,
}

impl Handoff {
    /// Prepares the exec of `program` as the monitor of container `id` given `inherited`.
    pub(super) fn new(
        program: &std::path::Path,
        opts: &EngineOptions,
        id: &str,
        spec: &Spec,
        inherited: Inherited,
    ) -> Result<Handoff> {
        let json = serde_json::to_vec(spec)
            .map_err(|e| Error::Internal(format!("encoding the spec for the monitor: {e}")))?;
        let spec =
            spec_memfd(&json).map_err(|e| Error::io("passing the spec to the monitor", e))?;
        let trace = six_trace::write_fd().map_or_else(|| UNSET.to_owned(), |fd| fd.to_string());
        let optional = |p: &Option<PathBuf>| {
            p.as_ref()
                .map_or_else(|| OsString::from(UNSET), |p| p.as_os_str().to_owned())
        };
        // argv[0] as the caller's own (`ps` shows `sixdocker __six-monitor ID ...`).
        let name = std::env::args_os()
            .next()
            .unwrap_or_else(|| program.as_os_str().to_owned());
        let args: Vec<OsString> = vec![
            name,
            MARK.into(),
            id.into(),
            inherited.channel.to_string().into(),
            inherited.lock.to_string().into(),
            spec.as_raw_fd().to_string().into(),
            trace.into(),
            // The seal's mount, once `sealed` has made one.
            UNSET.into(),
            opts.root.as_os_str().to_owned(),
            opts.runroot.as_os_str().to_owned(),
            opts.cgroup_parent
                .clone()
                .map_or_else(|| UNSET.into(), OsString::from),
            optional(&opts.import_dir),
            optional(&opts.original_image_dir),
        ];
        let argv = args
            .into_iter()
            .map(|a| CString::new(a.into_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|_| Error::Internal("a path for the monitor contains a NUL byte".into()))?;
        let program = CString::new(program.as_os_str().as_encoded_bytes()).map_err(|_| {
            Error::Internal("the monitor program's path contains a NUL byte".into())
        })?;
        Ok(Handoff {
            program,
            sealed: None,
            argv,
            spec,
            inherited,
        })
    }

    /// Makes the monitor run from a sealed binary (CVE-2019-5736: the container's init is a
    /// clone of the monitor): when the program is this process's own binary and this process
    /// runs sealed, `/proc/self/exe` already is one; otherwise (`run`, `start` and `restart`
    /// do not re-execute themselves first: only their monitors clone into containers) the
    /// program is exec'd from a sealed view made now (`scratch`: where overlayfs's empty
    /// layer may be made). Saves those commands one whole exec of the binary.
    pub(super) fn sealed(mut self, scratch: &std::path::Path) -> Result<Handoff> {
        let own = self.program.as_bytes() == b"/proc/self/exe";
        if own && crate::sealed_exe::is_sealed() {
            return Ok(self);
        }
        let path = std::path::Path::new(OsStr::from_bytes(self.program.as_bytes()));
        let exe = if own {
            std::fs::read_link(path).map_err(|e| Error::io("reading /proc/self/exe", e))?
        } else {
            path.to_path_buf()
        };
        let view =
            crate::sealed_exe::sealed_view(&exe, scratch).map_err(|e| Error::Runtime(e.into()))?;
        // The monitor holds the view's mount until it exits: closing the mount's last fd
        // waits for an RCU grace period (~2 ms), which no command should wait for.
        if let Some(mount) = &view.mount {
            self.argv[SEAL_ARG] = CString::new(mount.as_raw_fd().to_string())
                .map_err(|_| Error::Internal("an fd number with a NUL byte".into()))?;
        }
        self.sealed = Some(view);
        // for the trace and errors: the file the view shows
        if let Ok(path) = CString::new(exe.into_os_string().into_vec()) {
            self.program = path;
        }
        Ok(self)
    }

    /// In the forked child: keeps the channel, the lock, the spec and the trace socket open
    /// across the exec and runs the monitor program. Returns only when the exec failed (after
    /// telling the launching side why, on the channel).
    pub(super) fn exec(&self) -> i32 {
        let trace = six_trace::write_fd();
        let Inherited { channel, lock } = self.inherited;
        for fd in [
            Some(channel),
            Some(lock),
            Some(self.spec.as_raw_fd()),
            trace,
            self.sealed
                .as_ref()
                .and_then(|v| v.mount.as_ref())
                .map(AsRawFd::as_raw_fd),
        ]
        .into_iter()
        .flatten()
        {
            keep_across_exec(fd);
        }
        let mut argv: Vec<*const libc::c_char> = self.argv.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        extern "C" {
            static environ: *const *const libc::c_char;
        }
        match &self.sealed {
            Some(view) => {
                six_trace::step!(
                    six_trace::Kind::Exec,
                    "execveat of the sealed view of {}: the monitor as a fresh process of its own",
                    self.program.to_string_lossy()
                );
                // SAFETY: execveat with a valid fd, an empty NUL-terminated path, a
                // NULL-terminated argv of live C strings and the process environment; it
                // returns only on failure.
                unsafe {
                    libc::syscall(
                        libc::SYS_execveat,
                        view.exe.as_raw_fd(),
                        c"".as_ptr(),
                        argv.as_ptr(),
                        environ,
                        libc::AT_EMPTY_PATH,
                    )
                };
            }
            None => {
                six_trace::step!(
                    six_trace::Kind::Exec,
                    "execve {}: the monitor as a fresh process of its own",
                    self.program.to_string_lossy()
                );
                // SAFETY: execve with a NUL-terminated path, a NULL-terminated argv of live C
                // strings and the process environment; it returns only on failure.
                unsafe { libc::execve(self.program.as_ptr(), argv.as_ptr(), environ) };
            }
        }
        let err = std::io::Error::last_os_error();
        let why = format!(
            "executing the monitor program {}: {err}",
            self.program.to_string_lossy()
        );
        let _ = attach::send(channel, &Message::Failed(125, why));
        125
    }
}

/// For the program named in [`EngineOptions::monitor_program`], first in its `main` (before
/// it parses arguments or starts a thread): when this process was exec'd as a container's
/// monitor, runs the monitor and returns its exit code (the caller exits with it); None
/// when it was not.
///
/// [`EngineOptions::monitor_program`]: crate::EngineOptions::monitor_program
pub fn run_monitor_if_asked() -> Option<i32> {
    let args: Vec<OsString> = std::env::args_os().collect();
    if args.get(1).map(OsString::as_os_str) != Some(OsStr::new(MARK)) {
        return None;
    }
    let Some(launch) = Launch::parse(&args[2..]) else {
        // Not from our own Handoff (typed by hand?): there is no channel to report to.
        let me = std::path::Path::new(&args[0])
            .file_name()
            .unwrap_or_default();
        eprintln!(
            "{}: {MARK} is how the engine starts a container's monitor; it is not a command",
            me.to_string_lossy()
        );
        return Some(125);
    };
    if let Some(fd) = launch.trace {
        cloexec(fd);
    }
    // Every fd the launching side passed is close-on-exec again: what else is open without it
    // came from the launching command's caller, and a monitor that lives as long as its
    // container must not hold that (a pipe a script reads until every writer is gone, say).
    six_sys::fd::close_inherited(3);
    if let Some(fd) = launch.trace {
        six_trace::forward_to(fd, six_trace::Role::Monitor);
    }
    // Closed when the monitor is done, where nobody waits for the grace period it costs.
    let _seal = launch.seal;
    let spec = read_spec(launch.spec);
    let engine = spec.and_then(|spec| Ok((Engine::open_for_monitor(launch.opts)?, spec)));
    match engine {
        Ok((engine, spec)) => Some(super::monitor_main(
            &engine,
            &launch.id,
            spec,
            launch.channel,
            launch.lock,
        )),
        Err(e) => {
            let why = Message::Failed(125, crate::Chain(&e).to_string());
            let _ = attach::send(launch.channel.as_raw_fd(), &why);
            Some(0)
        }
    }
}

/// The monitor's arguments, read back.
struct Launch {
    id: String,
    channel: OwnedFd,
    lock: FileLock,
    spec: OwnedFd,
    /// The mount of the sealed view this monitor was exec'd from, held until it exits (see
    /// [`Handoff::sealed`]).
    seal: Option<OwnedFd>,
    trace: Option<RawFd>,
    opts: EngineOptions,
}

impl Launch {
    /// `ID CHANNEL LOCK SPEC TRACE SEAL ROOT RUNROOT CGROUP_PARENT IMPORT_DIR
    /// ORIGINAL_IMAGE_DIR`, as [`Handoff::new`] and [`Handoff::sealed`] write them.
    fn parse(args: &[OsString]) -> Option<Launch> {
        let [id, channel, lock, spec, trace, seal, root, runroot, cgroup_parent, import_dir, original] =
            args
        else {
            return None;
        };
        let fd = |a: &OsString| -> Option<RawFd> {
            let fd: RawFd = a.to_str()?.parse().ok()?;
            // SAFETY: F_GETFD only asks whether the fd is open.
            (fd > 2 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0).then_some(fd)
        };
        let optional = |a: &OsString| (a != UNSET).then(|| PathBuf::from(a));
        let (channel, lock, spec) = (fd(channel)?, fd(lock)?, fd(spec)?);
        let trace = if trace == UNSET {
            None
        } else {
            Some(fd(trace)?)
        };
        let seal = if seal == UNSET { None } else { Some(fd(seal)?) };
        for f in [Some(channel), Some(lock), Some(spec), seal]
            .into_iter()
            .flatten()
        {
            cloexec(f);
        }
        // SAFETY: the fds were left open for us by the launching side, and are ours alone.
        let (channel, lock, spec) = unsafe {
            (
                OwnedFd::from_raw_fd(channel),
                OwnedFd::from_raw_fd(lock),
                OwnedFd::from_raw_fd(spec),
            )
        };
        Some(Launch {
            id: id.to_str()?.to_owned(),
            channel,
            lock: FileLock::inherited(lock),
            spec,
            trace,
            // SAFETY: as above.
            seal: seal.map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
            opts: EngineOptions {
                root: PathBuf::from(root),
                runroot: PathBuf::from(runroot),
                cgroup_parent: optional(cgroup_parent)
                    .map(|p| p.as_os_str().to_string_lossy().into_owned()),
                import_dir: optional(import_dir),
                original_image_dir: optional(original),
                // A monitor starts no other monitor.
                monitor_program: None,
            },
        })
    }
}

/// The spec as JSON in a sealed-size memfd, read from the start.
fn spec_memfd(json: &[u8]) -> std::io::Result<OwnedFd> {
    // SAFETY: memfd_create with a static C string; returns a new fd or -1.
    let fd = unsafe { libc::memfd_create(c"six-monitor-spec".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh fd nobody else owns.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    file.write_all(json)?;
    file.rewind()?;
    Ok(file.into())
}

fn read_spec(fd: OwnedFd) -> Result<Spec> {
    let mut json = Vec::new();
    std::fs::File::from(fd)
        .read_to_end(&mut json)
        .map_err(|e| Error::io("reading the spec the monitor was given", e))?;
    serde_json::from_slice(&json)
        .map_err(|e| Error::Internal(format!("the spec the monitor was given: {e}")))
}

/// Clears close-on-exec (in the forked child, just before its `execve`).
fn keep_across_exec(fd: RawFd) {
    // SAFETY: fcntl on an fd of ours.
    unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
}

/// Sets close-on-exec again (in the monitor: nothing it starts inherits these).
fn cloexec(fd: RawFd) {
    // SAFETY: fcntl on an fd of ours.
    unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) };
}

#[cfg(test)]
mod tests {
    use std::os::fd::IntoRawFd;

    use super::*;

    #[test]
    fn the_monitor_reads_back_what_the_launching_side_passes() {
        let (channel, _peer) = attach::pair().unwrap();
        let mut opts = EngineOptions::new(
            Some(PathBuf::from("/var/lib/six root")),
            Some(PathBuf::from("/run/six")),
        );
        opts.cgroup_parent = Some("batch/jobs".to_owned());
        opts.import_dir = None;
        opts.original_image_dir = Some(PathBuf::from("/images"));
        opts.monitor_program = Some(PathBuf::from("/proc/self/exe"));
        let mut spec = Spec::default();
        spec.set_hostname(Some("box".to_owned()));
        // Owned by the parsed side below, as the monitor owns the lock it inherits.
        let lock = std::fs::File::open("/dev/null").unwrap().into_raw_fd();
        let handoff = Handoff::new(
            std::path::Path::new("/proc/self/exe"),
            &opts,
            "abc123",
            &spec,
            Inherited {
                channel: channel.as_raw_fd(),
                lock,
            },
        )
        .unwrap();
        let args: Vec<OsString> = handoff
            .argv
            .iter()
            .map(|a| OsString::from_vec(a.as_bytes().to_vec()))
            .collect();
        assert_eq!(args[1], MARK);
        let launch = Launch::parse(&args[2..]).expect("the arguments parse back");
        assert_eq!(launch.id, "abc123");
        assert_eq!(launch.opts.root, opts.root);
        assert_eq!(launch.opts.runroot, opts.runroot);
        assert_eq!(launch.opts.cgroup_parent, opts.cgroup_parent);
        assert_eq!(launch.opts.import_dir, None);
        assert_eq!(launch.opts.original_image_dir, opts.original_image_dir);
        assert_eq!(
            launch.opts.monitor_program, None,
            "a monitor starts no monitor"
        );
        assert_eq!(launch.channel.as_raw_fd(), channel.as_raw_fd());
        assert_eq!(launch.lock.as_raw_fd(), lock);
        assert!(launch.trace.is_none());
        assert!(launch.seal.is_none(), "not sealed: no seal's mount to hold");
        // The parsed side owns what the launching side would have left open across its exec.
        let _ = launch.channel.into_raw_fd();
        let Handoff { spec: passed, .. } = handoff;
        let _ = passed.into_raw_fd();
        assert_eq!(read_spec(launch.spec).unwrap(), spec);
    }

    #[test]
    fn arguments_not_from_a_handoff_are_refused() {
        let args: Vec<OsString> = ["abc", "1", "2", "-"].iter().map(OsString::from).collect();
        assert!(Launch::parse(&args).is_none());
        let closed: Vec<OsString> = [
            "abc", "9999", "9997", "9998", "-", "/r", "/s", "-", "-", "-",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert!(Launch::parse(&closed).is_none(), "fds that are not open");
    }
}
