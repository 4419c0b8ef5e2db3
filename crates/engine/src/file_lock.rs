//! The flock on a lock file that guards a container record (or a store of its own): taken
//! with a bounded wait, held until drop, and passable to a forked child (a monitor takes the
//! record's over from the command that launched it). The one place the engine takes an
//! exclusive `flock`; `six_sys::flock` does the waiting.

use std::fs::{self, File, OpenOptions};
use std::path::Path;

use crate::error::{IoContext, Result};

/// An exclusive `flock` held until drop (which unlocks it for every process holding a copy
/// of it, see [`FileLock::leave_to_child`]).
pub(crate) struct FileLock {
    file: File,
    unlock_on_drop: bool,
}

impl FileLock {
    /// A lock taken by another process and passed down to this one (a monitor's handover,
    /// `monitor/mod.rs`): an fd open on a locked record lock.
    pub(crate) fn inherited(fd: std::os::fd::OwnedFd) -> FileLock {
        FileLock {
            file: File::from(fd),
            unlock_on_drop: true,
        }
    }

    /// Closes this process's copy without unlocking: a child forked while it was held holds
    /// the lock on (`flock` locks belong to the open file, which the child shares) until it
    /// unlocks it or every copy is closed.
    pub(crate) fn leave_to_child(mut self) {
        self.unlock_on_drop = false;
    }

    /// The locked file's descriptor (to keep open across a child's exec).
    pub(crate) fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.file)
    }

    /// Whether the locked file is still the one at `path` (not unlinked or renamed away).
    pub(crate) fn is_at(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), fs::metadata(path)) {
            (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
            _ => false,
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if self.unlock_on_drop {
            six_sys::flock::unlock(&self.file);
        }
    }
}

/// How long a command waits for a record's lock. Holders keep it for one state write, or
/// (a repair) across the runtime's forced delete and a network detach, each bounded well
/// below this; a holder past it is stuck (stopped with Ctrl-Z, say), and the error names it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) fn lock_file(path: &Path) -> Result<FileLock> {
    lock_file_within(path, LOCK_WAIT)
}

/// [`lock_file`] waiting at most `wait`: "locking <path>: held by pid N (cmd) for more than S s".
pub(crate) fn lock_file_within(path: &Path, wait: std::time::Duration) -> Result<FileLock> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .at("opening the lock", path)?;
    six_sys::flock::lock_exclusive(&file, wait).at("locking", path)?;
    Ok(FileLock {
        file,
        unlock_on_drop: true,
    })
}
