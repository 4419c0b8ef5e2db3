//! Where this process's records go. The command at the top *prints* (`start`): its own
//! steps, and before each the records its children sent, read from the read end of one
//! `SOCK_SEQPACKET` socket pair. Every other process of the command — a forked monitor or
//! exec keeper, a container's init or exec'd process after clone — *forwards*: it sends each
//! record, whole, to the write end it inherited, with `MSG_DONTWAIT | MSG_NOSIGNAL` (never
//! blocking, never SIGPIPE; a record that does not fit is counted as lost and the count
//! travels with the next one). Sending needs no allocation and no lock, so a child after
//! clone may trace; it never touches its fds 0-2, so nothing reaches a container's output.
//!
//! The write end is close-on-exec: a container's init drops it at its `execve`, a monitor
//! when it detaches. Once every forwarder has let go, the printer reads end of file
//! (`children_end`). A child that finishes its steps after the printer has ended (`sixrun
//! create`'s init) keeps a copy of the read end too (`hand_over_begin`), so the socket
//! outlives the printer, and the next printer (`sixrun start`) takes it over (`adopt`). It
//! owns the process's mode and descriptors; printing is `printer.rs`.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::time::Duration;

use crate::kind::{Phase, Role};
use crate::printer::{Format, Printer};
use crate::record::{Record, DETAIL_MAX, FIXED};

/// Whether this process traces: the one branch every step pays when tracing is off.
pub(crate) static ON: AtomicBool = AtomicBool::new(false);

const PRINT: u8 = 1;
const FORWARD: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(0);
/// Print: the end children inherit (-1: none now); forward: where our records go.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);
/// Print: where the children's records arrive.
static READ_FD: AtomicI32 = AtomicI32::new(-1);
/// Print: the next child keeps a copy of the read end (`hand_over_begin`). Forward: the copy
/// this process keeps for a later command to take (`held_read_fd`), -1 when none.
static KEEP_READ: AtomicBool = AtomicBool::new(false);
static HELD_READ: AtomicI32 = AtomicI32::new(-1);
static ROLE: AtomicU8 = AtomicU8::new(Role::Cli as u8);
static PHASE: AtomicU8 = AtomicU8::new(Phase::Other as u8);
static LOST: AtomicU32 = AtomicU32::new(0);
/// This process's pid as the host sees it (a container's init is pid 1 in its own pid
/// namespace, but the trace names it by its host pid).
static PID: AtomicI32 = AtomicI32::new(0);
/// Print: CLOCK_MONOTONIC at the command's start, in ns.
pub(crate) static T0: AtomicU64 = AtomicU64::new(0);

static PRINTER: std::sync::Mutex<Option<Printer>> = std::sync::Mutex::new(None);

/// The children's socket may hold this much before records are lost (root may go past
/// `net.core.wmem_max`): a container's start is a few hundred records.
const SOCKET_BUFFER: libc::c_int = 16 << 20;

/// The environment variable through which a command that re-executes itself (the sealed
/// binary) hands its start time on, so elapsed times count from the first process.
pub const T0_VAR: &str = "SIX_TRACE_T0";

/// CLOCK_MONOTONIC in ns (vDSO: no syscall, no allocation).
pub(crate) fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime into a valid timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Makes this process the printer: its steps and its children's are printed on stderr in
/// `format`, times counted from `SIX_TRACE_T0` (a re-executed command) or from now.
pub(crate) fn start(format: Format) {
    if MODE.load(Ordering::Relaxed) == PRINT {
        return;
    }
    let t0 = std::env::var(T0_VAR)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(now_ns);
    std::env::remove_var(T0_VAR);
    T0.store(t0, Ordering::Relaxed);
    if let Ok(mut p) = PRINTER.lock() {
        *p = Some(Printer::new(format, t0));
    }
    PID.store(host_pid(), Ordering::Relaxed);
    MODE.store(PRINT, Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// Our pid in the host's pid namespace: the name of `/proc/self` in the procfs we see (still
/// the host's in a child just cloned into a new pid namespace), else getpid. Reads into a
/// stack buffer: no allocation.
fn host_pid() -> i32 {
    let mut buf = [0u8; 16];
    // SAFETY: readlink of a static C string into a live buffer of its length.
    let n = unsafe { libc::readlink(c"/proc/self".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let digits = &buf[..n.max(0) as usize];
    let parsed = digits.iter().try_fold(0i32, |acc, b| {
        b.is_ascii_digit()
            .then(|| acc.wrapping_mul(10).wrapping_add(i32::from(b - b'0')))
    });
    match parsed {
        Some(pid) if pid > 0 => pid,
        // SAFETY: getpid has no preconditions.
        _ => unsafe { libc::getpid() },
    }
}

/// Before this process re-executes itself: the new program counts its times from our start
/// (through `SIX_TRACE_T0`) and prints in the same format.
pub(crate) fn hand_on() {
    if MODE.load(Ordering::Relaxed) == PRINT {
        std::env::set_var(T0_VAR, T0.load(Ordering::Relaxed).to_string());
    }
}

/// Sends or prints one record, stamped with this process's pid, role and phase.
pub(crate) fn emit(rec: &mut Record) {
    rec.h.pid = PID.load(Ordering::Relaxed);
    rec.h.role = ROLE.load(Ordering::Relaxed);
    if rec.h.phase == 0 {
        rec.h.phase = PHASE.load(Ordering::Relaxed);
    }
    match MODE.load(Ordering::Relaxed) {
        FORWARD => forward(rec),
        PRINT => {
            if let Ok(mut p) = PRINTER.lock() {
                if let Some(p) = p.as_mut() {
                    drain(p, READ_FD.load(Ordering::Relaxed), None);
                    p.print(rec);
                }
            }
        }
        _ => {}
    }
}

/// Sends the record to the printer without blocking; counts it lost when the socket is full,
/// stops tracing when nobody reads any more.
fn forward(rec: &mut Record) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    rec.h.lost = LOST.swap(0, Ordering::Relaxed);
    let bytes = rec.bytes();
    // SAFETY: send from a live buffer of its length.
    let n = unsafe {
        libc::send(
            fd,
            bytes.as_ptr().cast(),
            bytes.len(),
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    if n < 0 {
        // SAFETY: reading this thread's errno.
        let e = unsafe { *libc::__errno_location() };
        if e == libc::EAGAIN || e == libc::ENOBUFS || e == libc::EINTR {
            LOST.fetch_add(rec.h.lost + 1, Ordering::Relaxed);
        } else {
            ON.store(false, Ordering::Relaxed);
        }
    }
}

/// Prints every record waiting on `fd`: those there now (`until` None), or all until every
/// sender has closed its end or `until` (CLOCK_MONOTONIC ns) has passed.
fn drain(p: &mut Printer, fd: RawFd, until: Option<u64>) {
    if fd < 0 {
        return;
    }
    let mut buf = vec![0u8; FIXED + DETAIL_MAX + 1];
    loop {
        // SAFETY: recv into a live buffer of its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), libc::MSG_DONTWAIT) };
        if n > 0 {
            if let Some(rec) = Record::from_bytes(&buf[..n as usize]) {
                p.print(&rec);
            }
            continue;
        }
        if n == 0 {
            return;
        }
        // SAFETY: reading this thread's errno.
        let e = unsafe { *libc::__errno_location() };
        if e == libc::EINTR {
            continue;
        }
        let Some(until) = until else { return };
        if e != libc::EAGAIN {
            return;
        }
        let left_ms = until.saturating_sub(now_ns()) / 1_000_000;
        if left_ms == 0 {
            return;
        }
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll on one valid pollfd.
        unsafe { libc::poll(&mut pfd, 1, left_ms.min(i32::MAX as u64) as libc::c_int) };
    }
}

/// Before making processes that trace into this one (a fork, a clone): the write end they
/// inherit, made now if there is none (printing), or the one we forward to. None when off.
pub(crate) fn children_begin() -> Option<RawFd> {
    if !ON.load(Ordering::Relaxed) {
        return None;
    }
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd >= 0 || MODE.load(Ordering::Relaxed) != PRINT {
        return (fd >= 0).then_some(fd);
    }
    let mut pair = [-1; 2];
    // SAFETY: socketpair into a valid array of two.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            pair.as_mut_ptr(),
        )
    };
    if r != 0 {
        return None;
    }
    for opt in [libc::SO_SNDBUFFORCE, libc::SO_SNDBUF] {
        // SAFETY: setsockopt with an int of its size.
        let r = unsafe {
            libc::setsockopt(
                pair[1],
                libc::SOL_SOCKET,
                opt,
                (&SOCKET_BUFFER as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 {
            break;
        }
    }
    READ_FD.store(pair[0], Ordering::Relaxed);
    WRITE_FD.store(pair[1], Ordering::Relaxed);
    Some(pair[1])
}

/// The write end, when tracing: a clone's child must keep it open until its execve.
pub(crate) fn write_fd() -> Option<RawFd> {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    (ON.load(Ordering::Relaxed) && fd >= 0).then_some(fd)
}

/// Moves the write end to `min` or above (out of a range of fds passed to a container).
pub(crate) fn move_above(min: RawFd) -> Option<RawFd> {
    let fd = write_fd()?;
    if fd >= min {
        return Some(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC of our own fd.
    let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
    if moved < 0 {
        return Some(fd);
    }
    // SAFETY: closing the old number, which only this module uses.
    unsafe { libc::close(fd) };
    WRITE_FD.store(moved, Ordering::Relaxed);
    Some(moved)
}

/// Printing: the read end moved to `min` or above, and kept by the children made from now
/// on (close-on-exec), so that the socket outlives this process and a later one can take
/// over reading it ([`adopt`]). Its number; None when not printing.
pub(crate) fn hand_over_begin(min: RawFd) -> Option<RawFd> {
    if !ON.load(Ordering::Relaxed) || MODE.load(Ordering::Relaxed) != PRINT {
        return None;
    }
    let fd = READ_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return None;
    }
    let fd = if fd >= min {
        fd
    } else {
        // SAFETY: F_DUPFD_CLOEXEC of our own fd.
        let moved = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) };
        if moved < 0 {
            return None;
        }
        // SAFETY: closing the old number, which only this module uses.
        unsafe { libc::close(fd) };
        READ_FD.store(moved, Ordering::Relaxed);
        moved
    };
    KEEP_READ.store(true, Ordering::Relaxed);
    Some(fd)
}

/// A child's kept copy of the read end (see [`hand_over_begin`]), to keep open to its execve.
pub(crate) fn held_read_fd() -> Option<RawFd> {
    let fd = HELD_READ.load(Ordering::Relaxed);
    (fd >= 0).then_some(fd)
}

/// Printing and reading no children's socket now: whether a read end another process holds
/// should be taken over ([`adopt`]).
pub(crate) fn wants_hand_over() -> bool {
    ON.load(Ordering::Relaxed)
        && MODE.load(Ordering::Relaxed) == PRINT
        && READ_FD.load(Ordering::Relaxed) < 0
}

/// Printing: reads the children's records from `fd` (a read end taken over from another
/// process) from now on, to their end of file in `children_end`. Closed when this process
/// reads a socket of its own already.
pub(crate) fn adopt(fd: std::os::fd::OwnedFd) {
    use std::os::fd::IntoRawFd;
    if wants_hand_over() {
        READ_FD.store(fd.into_raw_fd(), Ordering::Relaxed);
    }
}

/// In a child just made by fork or clone: from here on it forwards, as `role`. Allocates
/// nothing, takes no lock.
pub(crate) fn enter_child(role: Role) {
    if !ON.load(Ordering::Relaxed) {
        return;
    }
    if MODE.load(Ordering::Relaxed) == PRINT {
        let r = READ_FD.swap(-1, Ordering::Relaxed);
        if r >= 0 && KEEP_READ.load(Ordering::Relaxed) {
            // Kept (close-on-exec) for a later command that takes it over.
            HELD_READ.store(r, Ordering::Relaxed);
        } else if r >= 0 {
            // SAFETY: closing our copy of the read end; the printer keeps its own.
            unsafe { libc::close(r) };
        }
        MODE.store(FORWARD, Ordering::Relaxed);
    }
    ROLE.store(role as u8, Ordering::Relaxed);
    PID.store(host_pid(), Ordering::Relaxed);
    if WRITE_FD.load(Ordering::Relaxed) < 0 {
        ON.store(false, Ordering::Relaxed);
    }
}

/// A forwarding process is done tracing: its write end closed (the printer's end of file
/// waits for it), its steps no longer recorded.
pub(crate) fn detach() {
    if MODE.load(Ordering::Relaxed) != FORWARD {
        return;
    }
    ON.store(false, Ordering::Relaxed);
    let fd = WRITE_FD.swap(-1, Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: closing our own write end.
        unsafe { libc::close(fd) };
    }
}

/// Forwards from here on to `fd` (a descriptor a printer sent us), as `role`.
pub(crate) fn forward_to(fd: RawFd, role: Role) {
    let old = WRITE_FD.swap(fd, Ordering::Relaxed);
    if old >= 0 && old != fd {
        // SAFETY: closing the write end we replace.
        unsafe { libc::close(old) };
    }
    MODE.store(FORWARD, Ordering::Relaxed);
    ROLE.store(role as u8, Ordering::Relaxed);
    PID.store(host_pid(), Ordering::Relaxed);
    ON.store(true, Ordering::Relaxed);
}

/// The printer: prints what its children still send until every one has closed its end
/// (or `wait` has passed), then closes its ends; the next `children_begin` makes new ones.
pub(crate) fn children_end(wait: Duration) {
    if MODE.load(Ordering::Relaxed) != PRINT {
        return;
    }
    let w = WRITE_FD.swap(-1, Ordering::Relaxed);
    if w >= 0 {
        // SAFETY: closing our copy of the write end, so the last child's close is our EOF.
        unsafe { libc::close(w) };
    }
    let r = READ_FD.swap(-1, Ordering::Relaxed);
    if r < 0 {
        return;
    }
    let until = now_ns().saturating_add(wait.as_nanos().min(u64::MAX as u128) as u64);
    if let Ok(mut p) = PRINTER.lock() {
        if let Some(p) = p.as_mut() {
            drain(p, r, Some(until));
        }
    }
    // SAFETY: closing the read end we own.
    unsafe { libc::close(r) };
}

/// The printer's end: what children sent so far, then the summary; tracing off.
pub(crate) fn finish() {
    if MODE.load(Ordering::Relaxed) != PRINT {
        return;
    }
    if let Ok(mut p) = PRINTER.lock() {
        if let Some(mut p) = p.take() {
            drain(&mut p, READ_FD.load(Ordering::Relaxed), None);
            p.summary();
        }
    }
    ON.store(false, Ordering::Relaxed);
}

/// The phase this process is in now; `set` replaces it and returns the one before.
pub(crate) fn swap_phase(set: Phase) -> Phase {
    Phase::from_u8(PHASE.swap(set as u8, Ordering::Relaxed))
}
