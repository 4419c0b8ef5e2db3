//! `--trace`: every step that touches the kernel, from every process of a command — the CLI,
//! sixdocker's monitor, the runtime's parent, a container's init up to its `execve`, network
//! setup — with its time, what it did (decoded: `CLONE_NEWPID|CLONE_NEWNS`, a mount's source,
//! target, type, flags and data, `memory.limit_in_bytes = 104857600`) and the source line
//! that did it (`crates/…/src/file.rs:LINE`, from `#[track_caller]`), so a reader can go from
//! a step to its code.
//!
//! Every layer writes steps here; the top (`sixdocker`, `sixrun`) chooses the sink with
//! [`start`]: text or JSON lines on stderr. Off, a step costs one branch on a global flag
//! ([`on`]) and nothing else: no formatting, no call.
//!
//! A step is a fixed-size record made on the stack (no allocation, no lock), so a child after
//! clone records its steps too: it sends them over an inherited socket to the printing
//! process (`sink.rs`), never to its fds 0-2 — nothing of the trace can reach a container's
//! output or its log.
//!
//! ```text
//! six_trace::step!(Kind::Cgroup, "{} = {}", file, value);            // a one-off step
//! six_trace::call(Kind::Mount, || mount(...), |d| write!(d, "{}", …)) // a call, timed
//! let _p = six_trace::phase(Phase::Rootfs);                          // a phase, for the summary
//! ```
//!
//! This crate never decides what to trace or where a step's text comes from: callers do.

#![deny(missing_docs)]

use std::fmt;
use std::os::fd::RawFd;
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::time::Duration;

mod kind;
mod names;
mod printer;
mod record;
mod sink;

pub use kind::{Kind, Phase, Role};
pub use names::{
    bytes, clone_flags, errno_name, fd_target, mount_attrs, mount_flags, path, pidfd_pid, quoted,
    signal_name, umount_flags, Flags,
};
pub use printer::Format;
pub use record::Detail;
pub use sink::T0_VAR;

use record::{Mark, Record};

/// Whether this process traces. The only cost of a step when tracing is off.
#[inline(always)]
pub fn on() -> bool {
    sink::ON.load(Ordering::Relaxed)
}

/// Makes this process the printer: steps (its own and its children's) go to stderr in
/// `format`, and [`finish`] ends with the summary.
pub fn start(format: Format) {
    sink::start(format);
}

/// Before an `execve` of this same program (a re-exec) that will print the trace on: hands
/// on the start time. The new process calls [`start`] again.
pub fn hand_on() {
    sink::hand_on();
}

/// Starts printing when one of `args` is `--trace` or `--trace=text|json` (for a program
/// that looks at its global flags before parsing them: the raw arguments before the command
/// word).
pub fn start_from_flags<S: AsRef<std::ffi::OsStr>>(args: &[S]) {
    let asked = args
        .iter()
        .find_map(|a| a.as_ref().to_str().and_then(Format::from_flag));
    if let Some(format) = asked {
        start(format);
    }
}

/// The printer's end: the steps still waiting, then the time per phase.
pub fn finish() {
    sink::finish();
}

/// Before a fork or clone whose child traces into this process: makes the socket the child
/// inherits (printing) and returns its write end, which the child must keep open until its
/// `execve` (see [`write_fd`]). None when not tracing.
pub fn children_begin() -> Option<RawFd> {
    sink::children_begin()
}

/// The printer, once its children have done what it waits for: prints their steps until
/// every one has closed its end of the socket (a container's init at its `execve`, a monitor
/// when it detaches), for at most `wait`.
pub fn children_end(wait: Duration) {
    sink::children_end(wait);
}

/// The write end a traced child inherits, to keep open across its own fd clean-up.
pub fn write_fd() -> Option<RawFd> {
    sink::write_fd()
}

/// Moves the write end to `min` or above (out of the fds a container is given) and returns
/// it; None when not tracing.
pub fn move_above(min: RawFd) -> Option<RawFd> {
    sink::move_above(min)
}

/// Before a clone whose child may finish its steps after this command has ended (`sixrun
/// create`'s init, whose wait for `start` and `execve` come later): the read end is moved to
/// `min` or above and the child keeps a copy of it to its `execve` ([`held_read_fd`]), so
/// that the socket outlives this command and the one that lets the child go on (`sixrun
/// start`) can take over reading it ([`adopt`]). Returns the read end's number (the same
/// in the child), to record where the next command finds it; None when not printing.
pub fn hand_over_begin(min: RawFd) -> Option<RawFd> {
    sink::hand_over_begin(min)
}

/// In a child: its copy of the read end ([`hand_over_begin`]), to keep open (it is
/// close-on-exec) across its own fd clean-up.
pub fn held_read_fd() -> Option<RawFd> {
    sink::held_read_fd()
}

/// Whether this command prints and reads no socket of its own children now: then the read
/// end another process keeps ([`hand_over_begin`]) is worth taking over with [`adopt`].
pub fn wants_hand_over() -> bool {
    sink::wants_hand_over()
}

/// Prints, from now on, the records that arrive on `fd` (a read end taken over from the
/// process that keeps it, e.g. with `pidfd_getfd`), and reads them to their end of file in
/// [`children_end`]. Closes `fd` when [`wants_hand_over`] is false.
pub fn adopt(fd: std::os::fd::OwnedFd) {
    sink::adopt(fd);
}

/// In a child just made by fork or clone, first thing: it forwards its steps as `role`.
/// Allocates nothing, takes no lock.
#[inline]
pub fn enter_child(role: Role) {
    if on() {
        sink::enter_child(role);
    }
}

/// A forwarding process stops tracing and closes its end (the printer waits for that).
pub fn detach() {
    sink::detach();
}

/// A process that was handed a write end (`fd`, now its own) forwards its steps there as
/// `role`, until [`detach`].
pub fn forward_to(fd: RawFd, role: Role) {
    sink::forward_to(fd, role);
}

/// A step begun: when it is done, [`Timer::done`] records it with its duration.
pub struct Timer {
    t0: u64,
    at: &'static Location<'static>,
}

/// Starts timing a step made by the caller (None when not tracing).
#[track_caller]
#[inline(always)]
pub fn begin() -> Option<Timer> {
    if on() {
        Some(Timer {
            t0: sink::now_ns(),
            at: Location::caller(),
        })
    } else {
        None
    }
}

impl Timer {
    /// Records the step as begun, without a duration: for a call that does not return when
    /// it works (`execve`); [`Timer::done`] records its failure.
    #[cold]
    pub fn note(&self, kind: Kind, detail: impl FnOnce(&mut Detail) -> fmt::Result) {
        let mut rec = Record::new(kind, Role::Cli, self.at.file(), self.at.line());
        rec.h.t_ns = self.t0;
        rec.h.dur_ns = u64::MAX;
        let _ = detail(&mut rec.detail());
        sink::emit(&mut rec);
    }

    /// Records the step: `kind`, its errno (0: done; negative: failed without one), and its
    /// text, written by `detail` into a fixed buffer.
    #[cold]
    pub fn done(self, kind: Kind, errno: i32, detail: impl FnOnce(&mut Detail) -> fmt::Result) {
        let mut rec = Record::new(kind, Role::Cli, self.at.file(), self.at.line());
        rec.h.t_ns = self.t0;
        rec.h.dur_ns = sink::now_ns().saturating_sub(self.t0);
        rec.h.errno = errno;
        let _ = detail(&mut rec.detail());
        sink::emit(&mut rec);
    }
}

/// A failure's errno, for a step's record.
pub trait Failure {
    /// The errno; negative when there is none.
    fn errno(&self) -> i32;
}

impl Failure for nix::errno::Errno {
    fn errno(&self) -> i32 {
        *self as i32
    }
}

impl Failure for std::io::Error {
    fn errno(&self) -> i32 {
        self.raw_os_error().unwrap_or(-1)
    }
}

impl Failure for String {
    fn errno(&self) -> i32 {
        -1
    }
}

/// Makes `call` a step of `kind`, timed, described by `detail` (called only when tracing).
#[track_caller]
#[inline(always)]
pub fn call<T, E: Failure>(
    kind: Kind,
    call: impl FnOnce() -> Result<T, E>,
    detail: impl FnOnce(&mut Detail) -> fmt::Result,
) -> Result<T, E> {
    let t = begin();
    let r = call();
    if let Some(t) = t {
        t.done(kind, r.as_ref().err().map_or(0, Failure::errno), detail);
    }
    r
}

/// A one-off step at `at` (see [`step!`]).
#[cold]
pub fn event(kind: Kind, at: &'static Location<'static>, args: fmt::Arguments<'_>) {
    event_with(kind, at, |d| fmt::Write::write_fmt(d, args));
}

/// A one-off step at `at` whose text `detail` writes.
#[cold]
pub fn event_with(
    kind: Kind,
    at: &'static Location<'static>,
    detail: impl FnOnce(&mut Detail) -> fmt::Result,
) {
    let mut rec = Record::new(kind, Role::Cli, at.file(), at.line());
    rec.h.t_ns = sink::now_ns();
    rec.h.dur_ns = u64::MAX;
    let _ = detail(&mut rec.detail());
    sink::emit(&mut rec);
}

/// Records a one-off step: `step!(Kind::Cgroup, "{} = {}", file, value)`. The text is
/// formatted only when tracing (into a fixed buffer); the location is the caller's when the
/// enclosing function is `#[track_caller]`, else this line.
#[macro_export]
macro_rules! step {
    ($kind:expr, $($arg:tt)+) => {
        if $crate::on() {
            $crate::event($kind, ::core::panic::Location::caller(), format_args!($($arg)+))
        }
    };
}

/// Records a one-off step whose text a closure writes (for text built in a loop):
/// `step_with!(Kind::Caps, |d| write!(d, ...))`. The closure runs only when tracing.
#[macro_export]
macro_rules! step_with {
    ($kind:expr, $detail:expr) => {
        if $crate::on() {
            $crate::event_with($kind, ::core::panic::Location::caller(), $detail)
        }
    };
}

/// While it lives, this process is in `phase` (the summary adds its time up).
pub struct PhaseGuard {
    before: Option<(Phase, Phase, &'static Location<'static>)>,
    /// The process that entered the phase: a child made by fork or clone inside the guard's
    /// life does not end it.
    pid: i32,
}

/// Enters `phase` until the guard drops (or the process execs).
#[track_caller]
#[inline]
pub fn phase(phase: Phase) -> PhaseGuard {
    if !on() {
        return PhaseGuard {
            before: None,
            pid: 0,
        };
    }
    let at = Location::caller();
    mark(Mark::PhaseBegin, phase, at);
    let before = sink::swap_phase(phase);
    PhaseGuard {
        before: Some((before, phase, at)),
        // SAFETY: getpid has no preconditions.
        pid: unsafe { libc::getpid() },
    }
}

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        if let Some((before, phase, at)) = self.before.take() {
            // SAFETY: getpid has no preconditions.
            if unsafe { libc::getpid() } != self.pid {
                return;
            }
            sink::swap_phase(before);
            if on() {
                mark(Mark::PhaseEnd, phase, at);
            }
        }
    }
}

fn mark(mark: Mark, phase: Phase, at: &'static Location<'static>) {
    let mut rec = Record::new(Kind::Phase, Role::Cli, at.file(), at.line());
    rec.h.t_ns = sink::now_ns();
    rec.h.dur_ns = u64::MAX;
    rec.h.mark = mark as u8;
    rec.h.phase = phase as u8;
    sink::emit(&mut rec);
}
