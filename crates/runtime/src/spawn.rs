//! What `create` and `exec` share around their one clone: the channel and the console socket
//! moved above the preserved fds, and a half-made child that is killed and reaped unless it is
//! handed over (the pid namespace entered for the clone only is `namespace_steps`'). It never decides what the child does; `init.rs` and `exec.rs` do.

use std::os::fd::{OwnedFd, RawFd};
use std::path::Path;

use crate::channel::{self, Channel};
use crate::error::{Error, Result};

/// The channel's two ends (parent's, child's), both above `min_fd`.
pub(crate) fn channel_above(min_fd: RawFd) -> Result<(Channel, Channel)> {
    let (parent_end, child_end) = channel::pair().map_err(|e| Error::sys("socketpair", e))?;
    let above = |end: Channel| {
        end.move_above(min_fd)
            .map_err(|e| Error::io("moving the channel above the preserved fds", "", e))
    };
    Ok((above(parent_end)?, above(child_end)?))
}

/// The `--console-socket` connected, above `min_fd`, when the process has a terminal.
pub(crate) fn console_above(
    socket: Option<&Path>,
    terminal: bool,
    min_fd: RawFd,
) -> Result<Option<OwnedFd>> {
    let Some(path) = socket.filter(|_| terminal) else {
        return Ok(None);
    };
    let s = crate::console::connect(path)
        .map_err(|e| Error::io("connecting to console socket", path, e))?;
    six_sys::fd::move_above(OwnedFd::from(s), min_fd)
        .map(Some)
        .map_err(|e| Error::io("console socket", path, e))
}

/// A child cloned but not handed over yet: dropped, it is killed and reaped.
pub(crate) struct HalfMade {
    pid: i32,
}

impl HalfMade {
    pub(crate) fn new(pid: i32) -> HalfMade {
        HalfMade { pid }
    }

    pub(crate) fn pid(&self) -> i32 {
        self.pid
    }

    /// The child is set up: the caller owns it now.
    pub(crate) fn keep(self) -> i32 {
        let pid = self.pid;
        std::mem::forget(self);
        pid
    }
}

impl Drop for HalfMade {
    fn drop(&mut self) {
        // SAFETY: kill and reap our own child, not reaped before (we hold its only claim).
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}
