//! Writing a container's `state.json` when the store's filesystem is full.
//!
//! A container that fills the disk (its rootfs upper dir or its log live in the store) must
//! still be stoppable and removable, and its exit code must still be recorded. So every
//! container directory holds `state.reserve`: one block of real (not sparse) bytes set aside
//! at create time. When the normal write (temp file + rename) fails for want of space, the
//! new state is written into the reserve's blocks in place and the two names are swapped
//! with `renameat2(RENAME_EXCHANGE)`: state.json is replaced atomically, and the old state's
//! blocks become the next reserve. Neither step allocates blocks, so it works on a full disk.
//!
//! The price: the old state's inode is reused, so a reader that opened state.json before one
//! full-disk write and is still reading it during the next can see a torn file; readers of
//! the state retry a read that does not parse (see `Store::state`). Only this fallback reuses
//! inodes; the normal path never does.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The reserve's file name inside a container directory.
pub(crate) const RESERVE: &str = "state.reserve";

/// One block: a state record is a few hundred bytes (about 1 KiB with networks and ports).
const RESERVED_BYTES: usize = 4096;

/// Sets aside room for state writes on a full disk (called while the record is created).
pub(crate) fn create(dir: &Path) -> io::Result<()> {
    let mut f = File::create(dir.join(RESERVE))?;
    f.write_all(&[b' '; RESERVED_BYTES])
}

/// Whether a write failed for want of space (the only failure the reserve helps with).
pub(crate) fn out_of_space(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT))
}

/// Makes `bytes` the content of `state` (a file in `dir`) without allocating blocks: writes
/// them into the reserve in place, then swaps the reserve and `state`.
pub(crate) fn write_through(dir: &Path, state: &Path, bytes: &[u8]) -> io::Result<()> {
    let reserve = dir.join(RESERVE);
    // Never created here: creating a file is what may need space.
    let f = OpenOptions::new().write(true).open(&reserve)?;
    f.write_all_at(bytes, 0)?;
    f.set_len(bytes.len() as u64)?;
    drop(f);
    match exchange(&reserve, state) {
        Ok(()) => Ok(()),
        // A filesystem without RENAME_EXCHANGE: the reserve is used up, but this write lands.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => std::fs::rename(&reserve, state),
        Err(e) => Err(e),
    }
}

/// Swaps two names in one step (both must exist).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let a = std::ffi::CString::new(a.as_os_str().as_bytes())?;
    let b = std::ffi::CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths; renameat2 only reads them.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_through_the_reserve_replaces_the_state_and_keeps_a_reserve() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(&state, b"{\"old\":true}").unwrap();
        create(dir.path()).unwrap();
        write_through(dir.path(), &state, b"{\"new\":1}").unwrap();
        assert_eq!(std::fs::read(&state).unwrap(), b"{\"new\":1}");
        // The old state is the reserve now, so a second write works as well.
        assert!(dir.path().join(RESERVE).exists());
        write_through(dir.path(), &state, b"{\"new\":2}").unwrap();
        assert_eq!(std::fs::read(&state).unwrap(), b"{\"new\":2}");
    }

    #[test]
    fn without_a_reserve_the_write_fails_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        std::fs::write(&state, b"{}").unwrap();
        assert!(write_through(dir.path(), &state, b"{\"x\":1}").is_err());
        assert_eq!(std::fs::read(&state).unwrap(), b"{}");
    }
}
