//! The host directories of `-v` binds that do not exist yet: made (as Docker's daemon makes
//! them) only once a run has been checked and its container record exists, and removed
//! again — only those we made, only while empty — if the run then fails. A run refused
//! for a bad image or flag leaves nothing on the host.

use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};
use crate::mount_points::{MountKind, MountPoint};

/// The directories one run made, deepest last.
#[derive(Debug, Default)]
pub(crate) struct MadeDirs(Vec<PathBuf>);

impl MadeDirs {
    /// Removes what was made, deepest first; a directory something was put in stays.
    pub(crate) fn undo(self) {
        for dir in self.0.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Makes each missing host directory of the `-v` binds among `mounts` (and its parents).
pub(crate) fn make(mounts: &[MountPoint]) -> Result<MadeDirs> {
    let mut made = MadeDirs::default();
    for v in mounts
        .iter()
        .filter(|m| m.kind == MountKind::Bind && m.make_source)
    {
        let missing = missing_chain(&v.source);
        if missing.is_empty() {
            continue;
        }
        if let Err(e) =
            std::fs::create_dir_all(&v.source).at("creating the volume's host directory", &v.source)
        {
            made.0.extend(missing.into_iter().filter(|d| d.is_dir()));
            made.undo();
            return Err(e);
        }
        made.0.extend(missing);
    }
    Ok(made)
}

/// `path` and its ancestors that do not exist, outermost first.
fn missing_chain(path: &Path) -> Vec<PathBuf> {
    let mut chain: Vec<PathBuf> = path
        .ancestors()
        .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
        .map(Path::to_path_buf)
        .collect();
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_dirs_are_removed_but_not_what_existed_or_was_filled() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a/b/c");
        let kept = t.path().join("k/d");
        std::fs::create_dir_all(t.path().join("k")).unwrap();
        let vol = |p: &Path| MountPoint::test_bind(p.to_str().unwrap(), "/x");
        let made = make(&[vol(&a), vol(&kept)]).unwrap();
        assert!(a.is_dir() && kept.is_dir());
        std::fs::write(kept.join("f"), "").unwrap();
        made.undo();
        assert!(!t.path().join("a").exists());
        assert!(kept.is_dir(), "a filled directory stays");
        assert!(t.path().join("k").is_dir(), "what existed stays");
    }
}
