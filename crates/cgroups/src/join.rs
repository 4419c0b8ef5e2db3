//! The calling process joining a container's cgroup from inside itself: typically a child
//! just after clone(2) or fork(2), where only async-signal-safe work is allowed. The parent
//! prepares a [`JoinPlan`] (every file as a C string); [`JoinPlan::join_self`] then only
//! opens and writes: no allocation, no lock, no logging.
//!
//! Why not the parent writing the pid to `cgroup.procs` ([`Cgroup::add_process`])? Moving a
//! whole thread group takes the kernel's global threadgroup rwsem for writing, which waits
//! for an RCU grace period: 9-16 ms here, most of a container start. Moving the *calling
//! thread* — `0` written to a v1 `tasks` file — skips that lock (Linux >= 6.0): 30-60 µs
//! per hierarchy. The caller must be single-threaded, so that the thread is the process.
//! cgroup2 has no such file: its `cgroup.procs` gets `0` (the slow move), unless
//! clone3(CLONE_INTO_CGROUP) already started the process there.
//!
//! It never creates, limits or removes a cgroup, and never moves another process.

use std::ffi::{CStr, CString, OsStr};
use std::fmt;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cgroup::Cgroup;
use crate::error::{errno_text, Error, Result};

/// The files the calling process writes to join one container's cgroup, prepared (with
/// [`Cgroup::join_plan`]) before the fork that makes the process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinPlan {
    /// `<dir>/tasks` in every v1 hierarchy but the freezer's.
    tasks: Vec<CString>,
    /// `<dir>/cgroup.procs` in the cgroup2 hierarchy (v2 and hybrid).
    unified_procs: Option<CString>,
    /// `<dir>/tasks` in the v1 freezer hierarchy: written last, because a process that joins
    /// a frozen cgroup stops there, and must be in every other one by then.
    freezer_tasks: Option<CString>,
    /// A fake tree of plain files (tests): the files are created on write.
    fake: bool,
}

/// A failed join: which file refused, and the errno. Borrows the plan, so that making it
/// allocates nothing; turn it into an [`Error`] (or text) once out of the delicate child.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoinError<'a> {
    /// The `tasks` or `cgroup.procs` file that refused the write.
    pub file: &'a CStr,
    /// The errno of the write.
    pub errno: i32,
}

impl Cgroup {
    /// Prepares the calling-process join for a child (see [`JoinPlan::join_self`]).
    pub fn join_plan(&self) -> Result<JoinPlan> {
        let c_path = |dir: &Path, file: &str| {
            let path = dir.join(file);
            CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Join {
                path,
                source: io::Error::new(io::ErrorKind::InvalidInput, "the path holds a NUL byte"),
            })
        };
        let is_freezer = |d: &&crate::cgroup::Dir| d.controllers.iter().any(|c| c == "freezer");
        Ok(JoinPlan {
            tasks: self
                .v1
                .iter()
                .filter(|d| !is_freezer(d))
                .map(|d| c_path(&d.path, "tasks"))
                .collect::<Result<_>>()?,
            unified_procs: match &self.unified {
                Some(d) => Some(c_path(&d.path, "cgroup.procs")?),
                None => None,
            },
            freezer_tasks: match self.v1.iter().find(is_freezer) {
                Some(d) => Some(c_path(&d.path, "tasks")?),
                None => None,
            },
            fake: self.fake,
        })
    }

    /// The calling process joins the container's cgroup in every hierarchy: v1 through
    /// `tasks` (the calling thread only: call it single-threaded), cgroup2 through
    /// `cgroup.procs`. For a child after fork, prepare a [`JoinPlan`] in the parent instead:
    /// this allocates.
    pub fn join_self(&self) -> Result<()> {
        let _span = tracing::debug_span!("cgroup_join_self").entered();
        self.join_plan()?.join_self(false).map_err(Error::from)
    }
}

impl JoinPlan {
    /// Moves the calling process into the planned cgroup: writes `0` to `tasks` in every v1
    /// hierarchy (this moves only the calling thread: the caller must be single-threaded),
    /// to the cgroup2 `cgroup.procs` unless `in_unified_already` (clone3 with
    /// CLONE_INTO_CGROUP started the process there), and last to the v1 freezer's `tasks`
    /// (in a frozen cgroup the process stops right there, in all its cgroups, until it is
    /// thawed). Allocates nothing, takes no lock: safe in a child between fork and exec.
    /// Stops at the first file that refuses.
    pub fn join_self(&self, in_unified_already: bool) -> std::result::Result<(), JoinError<'_>> {
        for file in &self.tasks {
            write_zero(file, self.fake)?;
        }
        match &self.unified_procs {
            Some(file) if !in_unified_already => write_zero(file, self.fake)?,
            _ => {}
        }
        match &self.freezer_tasks {
            Some(file) => write_zero(file, self.fake),
            None => Ok(()),
        }
    }
}

/// `0` (the caller) written to `file` in one write(2); async-signal-safe (and so is its
/// trace record).
fn write_zero(file: &CStr, create: bool) -> std::result::Result<(), JoinError<'_>> {
    six_trace::call(
        six_trace::Kind::CgroupJoin,
        || write_zero_now(file, create),
        |d| {
            let file = six_trace::bytes(file.to_bytes());
            std::fmt::Write::write_fmt(d, format_args!("{file} = 0 (this process)"))
        },
    )
}

impl six_trace::Failure for JoinError<'_> {
    fn errno(&self) -> i32 {
        self.errno
    }
}

fn write_zero_now(file: &CStr, create: bool) -> std::result::Result<(), JoinError<'_>> {
    let fail = |errno| JoinError { file, errno };
    let flags = libc::O_WRONLY
        | libc::O_CLOEXEC
        | if create {
            libc::O_CREAT | libc::O_TRUNC
        } else {
            0
        };
    let fd = loop {
        // SAFETY: open with a valid NUL-terminated path.
        let fd = unsafe { libc::open(file.as_ptr(), flags, 0o644 as libc::c_uint) };
        if fd >= 0 {
            break fd;
        }
        match last_errno() {
            libc::EINTR => continue,
            e => return Err(fail(e)),
        }
    };
    let written = loop {
        // SAFETY: write one byte from a static buffer to the fd we just opened.
        let n = unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) };
        if n >= 0 {
            break Ok(n);
        }
        match last_errno() {
            libc::EINTR => continue,
            e => break Err(fail(e)),
        }
    };
    // SAFETY: closing the fd we opened; nobody else holds it.
    unsafe { libc::close(fd) };
    match written? {
        1 => Ok(()),
        _ => Err(fail(libc::EIO)),
    }
}

fn last_errno() -> i32 {
    io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

impl JoinError<'_> {
    /// The refusing file, as a path.
    pub fn path(&self) -> &Path {
        Path::new(OsStr::from_bytes(self.file.to_bytes()))
    }
}

impl fmt::Display for JoinError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = io::Error::from_raw_os_error(self.errno);
        write!(
            f,
            "joining cgroup {}: {}",
            self.path().display(),
            errno_text(&source)
        )
    }
}

impl std::error::Error for JoinError<'_> {}

impl From<JoinError<'_>> for Error {
    fn from(e: JoinError<'_>) -> Error {
        Error::Join {
            path: PathBuf::from(e.path()),
            source: io::Error::from_raw_os_error(e.errno),
        }
    }
}

#[cfg(test)]
#[path = "join_tests.rs"]
mod tests;
