//! Reading and writing single cgroup control files, with errors that name the file,
//! the value and the directory. Nothing here knows what a file means.

use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Writes `value` to `dir/file` in one write(2), as the kernel expects. On a fake tree
/// (`create`), the file is created if missing.
#[track_caller]
pub(crate) fn write(dir: &Path, file: &str, value: &str, create: bool) -> Result<()> {
    tracing::trace!(dir = %dir.display(), file, value, "cgroup write");
    let fail = |source: io::Error| Error::Write {
        file: file.to_owned(),
        value: value.to_owned(),
        dir: dir.to_path_buf(),
        source,
    };
    six_trace::call(
        six_trace::Kind::Cgroup,
        || {
            let mut f = OpenOptions::new()
                .write(true)
                .truncate(create)
                .create(create)
                .open(dir.join(file))?;
            let n = f.write(value.as_bytes())?;
            if n != value.len() {
                return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
            }
            Ok(())
        },
        |d| write!(d, "{file} = {value}  (in {})", dir.display()),
    )
    .map_err(fail)
}

/// The content of `dir/file`, trimmed.
pub(crate) fn read(dir: &Path, file: &str) -> Result<String> {
    let path = dir.join(file);
    fs::read_to_string(&path)
        .map(|s| s.trim().to_owned())
        .map_err(|source| Error::Read { path, source })
}

/// `dir/file` parsed as an unsigned number ("max" reads as None).
pub(crate) fn read_u64(dir: &Path, file: &str) -> Result<Option<u64>> {
    let text = read(dir, file)?;
    if text == "max" {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|_| Error::Parse {
        path: dir.join(file),
        content: text,
        expected: "a number or \"max\"",
    })
}

/// The value of `key` in a flat keyed file such as memory.stat or cpu.stat ("key value" lines).
pub(crate) fn read_keyed(dir: &Path, file: &str, key: &str) -> Result<Option<u64>> {
    let text = read(dir, file)?;
    Ok(text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        if k == key {
            v.trim().parse().ok()
        } else {
            None
        }
    }))
}

pub(crate) fn exists(dir: &Path, file: &str) -> bool {
    dir.join(file).exists()
}

/// The PIDs listed in `dir/cgroup.procs`.
pub(crate) fn read_pids(dir: &Path) -> Result<Vec<i32>> {
    let text = read(dir, "cgroup.procs")?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim().parse().map_err(|_| Error::Parse {
                path: dir.join("cgroup.procs"),
                content: l.to_owned(),
                expected: "one PID per line",
            })
        })
        .collect()
}

/// The PIDs in `dir/cgroup.procs` and in every cgroup below it (runc's GetAllPids): a
/// sub-cgroup removed while it is read is skipped.
pub(crate) fn read_pids_below(dir: &Path) -> Result<Vec<i32>> {
    let mut pids = read_pids(dir)?;
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        match read_pids_below(&e.path()) {
            Ok(more) => pids.extend(more),
            Err(Error::Read { source, .. }) if source.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_creates_only_when_asked() {
        let t = tempfile::tempdir().unwrap();
        let e = write(t.path(), "pids.max", "10", false).unwrap_err();
        assert!(
            e.to_string().starts_with("pids.max: cannot set 10 for "),
            "{e}"
        );
        let Error::Write { source, .. } = &e else {
            panic!("not a write error: {e:?}")
        };
        assert_eq!(source.raw_os_error(), Some(libc::ENOENT), "{e}");
        write(t.path(), "pids.max", "10", true).unwrap();
        assert_eq!(read_u64(t.path(), "pids.max").unwrap(), Some(10));
        write(t.path(), "pids.max", "max", true).unwrap();
        assert_eq!(read_u64(t.path(), "pids.max").unwrap(), None);
    }

    #[test]
    fn keyed_files_and_pids() {
        let t = tempfile::tempdir().unwrap();
        fs::write(t.path().join("cpu.stat"), "usage_usec 12\nuser_usec 5\n").unwrap();
        assert_eq!(
            read_keyed(t.path(), "cpu.stat", "usage_usec").unwrap(),
            Some(12)
        );
        assert_eq!(read_keyed(t.path(), "cpu.stat", "nope").unwrap(), None);
        fs::write(t.path().join("cgroup.procs"), "1\n22\n").unwrap();
        assert_eq!(read_pids(t.path()).unwrap(), vec![1, 22]);
        fs::write(t.path().join("cgroup.procs"), "x\n").unwrap();
        assert!(read_pids(t.path()).is_err());
    }

    #[test]
    fn pids_below_include_every_sub_cgroup() {
        let t = tempfile::tempdir().unwrap();
        let sub = t.path().join("a/b");
        fs::create_dir_all(&sub).unwrap();
        fs::write(t.path().join("cgroup.procs"), "1\n").unwrap();
        fs::write(t.path().join("a/cgroup.procs"), "").unwrap();
        fs::write(sub.join("cgroup.procs"), "7\n9\n").unwrap();
        let mut pids = read_pids_below(t.path()).unwrap();
        pids.sort_unstable();
        assert_eq!(pids, vec![1, 7, 9]);
    }
}
