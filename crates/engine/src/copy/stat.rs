//! What `docker cp` asks before it copies (moby's `ContainerStatPath`): a path's name, size,
//! mode, modification time and, for a symlink, the path it leads to inside the container. The
//! last component is not followed (an `lstat`); everything before it is resolved in the root.

use std::os::fd::OwnedFd;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::not_found;
use super::resolve::{clean, inside_path, open_in};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// A path in a container, as `docker cp` sees it before copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathStat {
    /// Its last component ("/" for the root).
    pub name: String,
    /// Its size in bytes.
    pub size: i64,
    /// Its `st_mode` (type and permission bits).
    pub mode: u32,
    /// When it was last modified.
    pub mtime: DateTime<Utc>,
    /// For a symlink, where it leads inside the container (absolute); else "".
    pub link_target: String,
}

impl Engine {
    /// The stat of `path` in container `c` (running or not); `NoSuchPath` if there is none.
    pub fn stat_path(&self, c: &str, path: &str) -> Result<PathStat> {
        let config = self.store.config(&self.resolve(c)?)?;
        self.with_container_fs(&config, |fs| {
            let p = clean(path);
            let fd = open_in(&fs.root, &p, false).map_err(|_| not_found(path, c))?;
            let st = fstat(&fd)?;
            let link_target = match st.st_mode & libc::S_IFMT == libc::S_IFLNK {
                false => String::new(),
                true => link_target(fs, &fd, &p),
            };
            Ok(PathStat {
                name: p
                    .file_name()
                    .map_or_else(|| "/".to_owned(), |n| n.to_string_lossy().into_owned()),
                size: st.st_size,
                mode: st.st_mode,
                mtime: DateTime::from_timestamp(st.st_mtime, st.st_mtime_nsec as u32)
                    .unwrap_or_default(),
                link_target,
            })
        })
    }
}

fn fstat(fd: &OwnedFd) -> Result<nix::sys::stat::FileStat> {
    nix::sys::stat::fstat(fd).map_err(|e| Error::sys("reading the stat of a path", e))
}

/// Where the symlink `link` (at `p`) leads: followed inside the root when it resolves, else
/// its text joined to its directory (a dangling link).
fn link_target(fs: &super::container_fs::ContainerFs, link: &OwnedFd, p: &Path) -> String {
    if let Some(inside) = open_in(&fs.root, p, true)
        .ok()
        .and_then(|fd| inside_path(&fs.root_path, &fd))
    {
        return inside.display().to_string();
    }
    let text = nix::fcntl::readlinkat(link, "").unwrap_or_default();
    let parent = p.parent().unwrap_or(Path::new("/"));
    clean(&parent.join(text).to_string_lossy())
        .display()
        .to_string()
}
