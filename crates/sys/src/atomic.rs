//! Writing a file whole: readers see the old content or the new, never a mix, and a writer
//! killed half-way leaves `path` as it was. The bytes go to a temp file next to `path`
//! (`<name>.tmp-<pid>-<n>`), are flushed to disk if asked ([`Durable`]), and the temp file is
//! renamed over `path`. A temp file left by a killed writer names it: [`temp_writer`].

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// How much of a write must survive a power loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durable {
    /// Only the rename: whole for readers and for a killed writer; a power loss may bring
    /// back the old content (state rewritten often, which a restart rebuilds anyway).
    No,
    /// The data is flushed (fdatasync) before the rename.
    Data,
    /// The data, and after the rename the directory too, so the new name survives a crash.
    DataAndName,
}

/// Writes `bytes` to `path` whole (see the module doc); mode 0666 less the umask.
pub fn write(path: &Path, bytes: &[u8], durable: Durable) -> io::Result<()> {
    write_with(path, None, durable, |f| f.write_all(bytes))
}

/// Like [`write()`], with the content written by `fill` into the temp file, and `mode` (if
/// given) set on it exactly, whatever the umask. On any error the temp file is removed
/// and `path` is untouched; `fill`'s error comes back as it was.
pub fn write_with<E: From<io::Error>>(
    path: &Path,
    mode: Option<u32>,
    durable: Durable,
    fill: impl FnOnce(&mut File) -> Result<(), E>,
) -> Result<(), E> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        if let Some(m) = mode {
            options.mode(m);
        }
        let mut file = options.open(&tmp)?;
        if let Some(m) = mode {
            file.set_permissions(std::fs::Permissions::from_mode(m))?;
        }
        fill(&mut file)?;
        if durable != Durable::No {
            file.sync_data()?;
        }
        std::fs::rename(&tmp, path)?;
        if durable == Durable::DataAndName {
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
            File::open(dir.unwrap_or(Path::new(".")))?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temp file of one write to `path`: `<name>.tmp-<pid>-<n>`, unique in this process.
fn temp_path(path: &Path) -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    path.with_file_name(name)
}

/// The pid of the writer whose temp file this is (a name [`write()`] makes), or None for any
/// other file. A temp file whose writer is gone is a leftover of a killed write.
pub fn temp_writer(temp: &Path) -> Option<i32> {
    let name = temp.file_name()?.to_str()?;
    let (_, tail) = name.rsplit_once(".tmp-")?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u32>().ok()?;
    pid.parse().ok().filter(|pid| *pid > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_replaced_whole_and_no_temp_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old").unwrap();
        for durable in [Durable::No, Durable::Data, Durable::DataAndName] {
            write(&path, b"new", durable).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), b"new");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "old").unwrap();
        let err = write_with(&path, None, Durable::No, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_mode_is_set_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        write_with(&path, Some(0o600), Durable::Data, |f| f.write_all(b"{}")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn a_temp_file_names_its_writer() {
        let tmp = temp_path(Path::new("/x/leases.json"));
        assert_eq!(temp_writer(&tmp), Some(std::process::id() as i32));
        assert!(tmp.starts_with("/x"));
        assert_eq!(temp_writer(Path::new("/x/leases.json")), None);
        assert_eq!(temp_writer(Path::new("/x/a.tmp-12")), None);
        assert_eq!(temp_writer(Path::new("/x/a.tmp-0-1")), None);
    }
}
