//! Small file-system helpers the store relies on: atomic writes (temp, fsync, rename, fsync
//! of the directory), the store's `flock`s (with a bounded wait), and a copy that tells a
//! bad source (a corrupt archive) from a failed write (a full disk). Never decides what to
//! write or where.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use crate::error::{IoContext, Result};

/// Writes `bytes` to `path` so that readers see either the old or the new content, never
/// a mix, even after a crash: a temp file in the same directory, fsync, rename, fsync dir.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    six_sys::atomic::write(path, bytes, six_sys::atomic::Durable::DataAndName).ctx("writing", path)
}

/// fsyncs a directory so a rename in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .ctx("syncing directory", dir)
}

/// An exclusive `flock` on one of the store's lock files, released on drop.
pub(crate) struct StoreLock {
    file: File,
}

impl StoreLock {
    /// Takes the lock, waiting at most `wait` for another process that holds it. A wait
    /// that runs out is an error naming the lock file and the holder ("locking
    /// <root>/image/lock: held by pid 1234 (sixdocker load -i x.tar) for more than 30 s").
    pub(crate) fn exclusive(lock_file: &Path, wait: Duration) -> Result<StoreLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(lock_file)
            .ctx("opening lock file", lock_file)?;
        six_sys::flock::lock_exclusive(&file, wait).ctx("locking", lock_file)?;
        Ok(StoreLock { file })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        six_sys::flock::unlock(&self.file);
    }
}

/// Which side of a [`copy`] failed.
#[derive(Debug)]
pub(crate) enum CopyError {
    /// Reading the source: a truncated or corrupt archive, a bad compressed stream.
    Read(io::Error),
    /// Writing the destination: the store's disk (full, read-only, failing).
    Write(io::Error),
}

/// Copies `from` into `to` until the end of `from`; returns the bytes copied.
pub(crate) fn copy<R: Read + ?Sized, W: Write + ?Sized>(
    from: &mut R,
    to: &mut W,
) -> std::result::Result<u64, CopyError> {
    let mut buf = [0u8; 32 * 1024];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(e)),
        };
        to.write_all(&buf[..n]).map_err(CopyError::Write)?;
        total += n as u64;
    }
}

/// Creates `dir` (and parents) unless it exists.
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::create_dir_all(dir).ctx("creating directory", dir)
}

/// Removes a file or a directory tree; missing is fine.
pub(crate) fn remove_any(path: &Path) -> Result<()> {
    let res = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
    };
    res.ctx("removing", path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    #[test]
    fn atomic_write_replaces_content_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn copy_tells_a_bad_source_from_a_failed_write() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("bad source"))
            }
        }
        impl Write for Failing {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Vec::new();
        assert_eq!(copy(&mut &b"abc"[..], &mut out).unwrap(), 3);
        assert_eq!(out, b"abc");
        assert!(matches!(
            copy(&mut Failing, &mut out),
            Err(CopyError::Read(_))
        ));
        assert!(matches!(
            copy(&mut &b"abc"[..], &mut Failing),
            Err(CopyError::Write(e)) if e.raw_os_error() == Some(libc::ENOSPC)
        ));
    }

    #[test]
    fn exclusive_lock_can_be_retaken_after_drop() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lock");
        let wait = Duration::from_millis(200);
        drop(StoreLock::exclusive(&p, wait).unwrap());
        let _b = StoreLock::exclusive(&p, wait).unwrap();
    }

    #[test]
    fn a_held_lock_times_out_naming_the_file_and_its_holder() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("lock");
        let _held = StoreLock::exclusive(&p, Duration::ZERO).unwrap();
        let began = std::time::Instant::now();
        let e = StoreLock::exclusive(&p, Duration::from_millis(300))
            .err()
            .expect("a second lock while the first is held");
        assert!(
            began.elapsed() < Duration::from_secs(5),
            "{:?}",
            began.elapsed()
        );
        let Error::Io { context, source } = &e else {
            panic!("not an I/O error: {e:?}")
        };
        assert_eq!(source.kind(), io::ErrorKind::TimedOut);
        assert_eq!(context, &format!("locking {}", p.display()));
        let me = std::process::id();
        assert!(
            source
                .to_string()
                .starts_with(&format!("held by pid {me} (")),
            "{source}"
        );
        assert!(
            source.to_string().ends_with("for more than 300 ms"),
            "{source}"
        );
    }
}
