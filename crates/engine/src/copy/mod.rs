//! `docker cp`: copying files and directories between a container (running or not) and the
//! host, or a tar on stdin/stdout, with Docker's rules for names (docker/cli's `cp.go` and
//! moby's `PrepareArchiveCopy`):
//! - to an existing directory, the source goes into it (`SRC/.`: its contents do);
//! - to an existing file, a file source replaces it ("cannot copy directory" otherwise);
//! - to a missing path, the source is made under that name, in its parent, which must exist
//!   (a missing path with a trailing `/` must be a directory: "no such directory").
//!
//! Inside the container every path is resolved in its root (`resolve.rs`), on its file system
//! with its volumes and binds (`container_fs.rs`); the data travels as a tar (`tar_out.rs`,
//! `tar_in.rs`) through a pipe between two threads. `-L` follows a symlink named as the source;
//! `-a` makes what is copied into a container its user's (its `--user`), else the owners travel
//! with the files into it, and what comes out is the caller's (Docker's `NoLchown`).

mod container_fs;
pub mod in_root;
mod resolve;
mod stat;
mod tar_in;
mod tar_out;

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::sys::stat::Mode;

pub use self::stat::PathStat;

use self::container_fs::ContainerFs;
use self::resolve::{clean, inside_path, open_in};
use self::tar_in::{extract, Destination, Owners};
use self::tar_out::{write_tree, Counted};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::ContainerConfig;

/// `docker cp`'s flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// `-L`: a symlink given as the source is followed.
    pub follow_link: bool,
    /// `-a`: what goes into a container gets its user's ids.
    pub archive: bool,
}

/// Where a copy lands: the directory to extract into and the name the source gets there.
#[derive(Debug, PartialEq, Eq)]
struct Landing {
    dir: PathBuf,
    name: String,
}

/// Docker's `PrepareArchiveCopy`: `dest` (as typed), what is there (None: nothing; Some(is a
/// directory)), the source's name and whether it is a directory.
fn landing(dest: &Path, there: Option<bool>, src_name: &str, src_is_dir: bool) -> Result<Landing> {
    let in_parent = || Landing {
        dir: dest.parent().unwrap_or(Path::new("/")).to_path_buf(),
        name: dest
            .file_name()
            .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned()),
    };
    let asserts_dir = {
        let s = dest.as_os_str().as_encoded_bytes();
        s.ends_with(b"/") || s.ends_with(b"/.")
    };
    match there {
        Some(true) => Ok(Landing {
            dir: dest.to_path_buf(),
            name: src_name.to_owned(),
        }),
        Some(false) if src_is_dir => Err(Error::Invalid("cannot copy directory".into())),
        Some(false) => Ok(in_parent()),
        None if src_is_dir => Ok(in_parent()),
        None if asserts_dir => Err(Error::Invalid("no such directory".into())),
        None => Ok(in_parent()),
    }
}

/// The name a source is sent under: its last component, `.` for "its contents" (`SRC/.`, `/`).
fn source_name(typed: &str) -> String {
    if typed.ends_with("/.") || typed == "." {
        return ".".to_owned();
    }
    clean(typed)
        .file_name()
        .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn not_found(path: &str, container: &str) -> Error {
    Error::NoSuchPath {
        path: path.to_owned(),
        container: container.to_owned(),
    }
}

/// A pipe's two ends as files.
fn pipe() -> Result<(std::fs::File, std::fs::File)> {
    let (r, w) =
        nix::unistd::pipe2(OFlag::O_CLOEXEC).map_err(|e| Error::sys("making a pipe", e))?;
    Ok((std::fs::File::from(r), std::fs::File::from(w)))
}

impl Engine {
    /// `docker cp CONTAINER:SRC DEST`: `dest` a host path. Returns the bytes sent.
    pub fn copy_from_container(
        &self,
        c: &str,
        src: &str,
        dest: &Path,
        o: CopyOptions,
    ) -> Result<u64> {
        let config = self.store.config(&self.resolve(c)?)?;
        let dest =
            std::path::absolute(dest).map_err(|e| Error::io("reading the working directory", e))?;
        let parent = dest.parent().unwrap_or(Path::new("/"));
        if !parent.is_dir() {
            return Err(Error::Invalid(format!(
                "invalid output path: directory \"{}\" does not exist",
                parent.display()
            )));
        }
        let there = std::fs::metadata(&dest).ok().map(|m| m.is_dir());
        self.with_container_fs(&config, |fs| {
            let (fd, is_dir) = source_in(fs, c, src, o.follow_link)?;
            let land = landing(&dest, there, &source_name(src), is_dir)?;
            let root = open_host_dir(&land.dir)?;
            let to = Destination {
                root: &root,
                dir: Path::new("/"),
                owners: Owners::Caller,
            };
            send_through_pipe(&fd, &land.name, |tar| extract(tar, &to))
        })
    }

    /// `docker cp CONTAINER:SRC -`: a tar of SRC on `out`. Returns the bytes written.
    pub fn archive_from_container(
        &self,
        c: &str,
        src: &str,
        o: CopyOptions,
        out: &mut (dyn Write + Send),
    ) -> Result<u64> {
        let config = self.store.config(&self.resolve(c)?)?;
        self.with_container_fs(&config, |fs| {
            let (fd, _) = source_in(fs, c, src, o.follow_link)?;
            let counted = Counted {
                inner: out,
                bytes: 0,
            };
            let counted = write_tree(counted, &fd, &source_name(src))
                .map_err(|e| Error::io("writing the archive", e))?;
            Ok(counted.bytes)
        })
    }

    /// `docker cp SRC CONTAINER:DEST`: `src` a host path. Returns the bytes sent.
    pub fn copy_to_container(
        &self,
        c: &str,
        src: &Path,
        dest: &str,
        o: CopyOptions,
    ) -> Result<u64> {
        let config = self.store.config(&self.resolve(c)?)?;
        let typed = src.to_string_lossy().into_owned();
        let flags = match o.follow_link {
            true => OFlag::O_PATH | OFlag::O_CLOEXEC,
            false => OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        };
        let what = if o.follow_link { "stat" } else { "lstat" };
        let shown = std::path::absolute(src).unwrap_or_else(|_| src.to_path_buf());
        let fd = nix::fcntl::open(src, flags, Mode::empty()).map_err(|e| match e {
            nix::errno::Errno::ENOENT => Error::Invalid(format!(
                "{what} {}: no such file or directory",
                shown.display()
            )),
            e => Error::sys(format!("{what} {}", shown.display()), e),
        })?;
        let src_is_dir = is_dir(&fd);
        self.with_container_fs(&config, |fs| {
            let dest_path = clean(dest);
            // An existing destination is where it really is (a symlink followed in the root).
            let (dest_path, there) = match open_in(&fs.root, &dest_path, true) {
                Ok(d) => (
                    inside_path(&fs.root_path, &d).unwrap_or(dest_path),
                    Some(is_dir(&d)),
                ),
                Err(_) if dest.ends_with('/') || dest.ends_with("/.") => {
                    (PathBuf::from(format!("{}/", dest_path.display())), None)
                }
                Err(_) => (dest_path, None),
            };
            let land = landing(&dest_path, there, &source_name(&typed), src_is_dir)?;
            let owners = self.owners_in(&config, fs, o.archive)?;
            let dir = clean(&land.dir.to_string_lossy());
            let inside = extraction_dir(fs, &dir, c)?;
            let to = Destination {
                root: &fs.root,
                dir: &inside,
                owners,
            };
            send_through_pipe(&fd, &land.name, |tar| extract(tar, &to))
        })
    }

    /// `docker cp - CONTAINER:DEST`: the tar on `input` extracted into the directory DEST.
    /// Returns the bytes read.
    pub fn extract_into_container(
        &self,
        c: &str,
        input: &mut (dyn Read + Send),
        dest: &str,
        o: CopyOptions,
    ) -> Result<u64> {
        let config = self.store.config(&self.resolve(c)?)?;
        self.with_container_fs(&config, |fs| {
            let dir = clean(dest);
            if !open_in(&fs.root, &dir, true).is_ok_and(|d| is_dir(&d)) {
                return Err(Error::Invalid(format!(
                    "destination \"{c}:{dest}\" must be a directory"
                )));
            }
            let owners = self.owners_in(&config, fs, o.archive)?;
            let inside = extraction_dir(fs, &dir, c)?;
            let mut counted = CountedRead {
                inner: input,
                bytes: 0,
            };
            let to = Destination {
                root: &fs.root,
                dir: &inside,
                owners,
            };
            extract(&mut counted, &to)?;
            Ok(counted.bytes)
        })
    }

    /// Whose what is copied into the container is: `-a` with a `--user`: that user's.
    fn owners_in(
        &self,
        config: &ContainerConfig,
        fs: &ContainerFs,
        archive: bool,
    ) -> Result<Owners> {
        if !archive || config.user.is_empty() {
            return Ok(Owners::FromArchive);
        }
        let ids = crate::user::resolve_user(&config.user, &fs.root_path)?;
        Ok(Owners::Fixed(ids.uid, ids.gid))
    }
}

/// The source inside the container and whether it is a directory; Docker's "Could not find
/// the file" when there is none.
fn source_in(fs: &ContainerFs, c: &str, src: &str, follow: bool) -> Result<(OwnedFd, bool)> {
    let path = clean(src);
    let fd = open_in(&fs.root, &path, follow).map_err(|_| {
        // A dangling link followed: Docker names where it leads.
        let target = follow
            .then(|| open_in(&fs.root, &path, false).ok())
            .flatten()
            .and_then(|link| nix::fcntl::readlinkat(&link, "").ok())
            .map(|t| {
                let parent = path.parent().unwrap_or(Path::new("/"));
                clean(&parent.join(t).to_string_lossy())
            });
        not_found(&target.unwrap_or(path.clone()).display().to_string(), c)
    })?;
    let dir = is_dir(&fd);
    Ok((fd, dir))
}

/// Whether a descriptor is of a directory.
fn is_dir(fd: &OwnedFd) -> bool {
    nix::sys::stat::fstat(fd).is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// The directory `dir` (inside the container) to extract into, where it really is (symlinks
/// followed inside the root), checked to exist, be a directory and be writable.
fn extraction_dir(fs: &ContainerFs, dir: &Path, c: &str) -> Result<PathBuf> {
    let fd = open_in(&fs.root, dir, true).map_err(|_| not_found(&dir.display().to_string(), c))?;
    if !is_dir(&fd) {
        return Err(Error::Invalid("extraction point is not a directory".into()));
    }
    let inside = inside_path(&fs.root_path, &fd).unwrap_or_else(|| dir.to_path_buf());
    fs.check_writable(&inside)?;
    Ok(inside)
}

/// A host directory the user named (symlinks followed, as Docker follows them).
fn open_host_dir(dir: &Path) -> Result<OwnedFd> {
    nix::fcntl::open(
        dir,
        OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::sys(format!("opening {}", dir.display()), e))
}

/// Writes the tree at `src` (named `name`) into a pipe on one thread while `take` reads it
/// on this one; the bytes that went through.
fn send_through_pipe(
    src: &OwnedFd,
    name: &str,
    take: impl FnOnce(&mut dyn Read) -> Result<()>,
) -> Result<u64> {
    let (mut r, w) = pipe()?;
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || {
            let counted = Counted { inner: w, bytes: 0 };
            write_tree(counted, src, name).map(|c| c.bytes)
        });
        let taken = take(&mut r);
        drop(r);
        let written = writer
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the archive's writer panicked")));
        taken?;
        written.map_err(|e| Error::io("reading what is copied", e))
    })
}

/// Counts what is read.
struct CountedRead<'a> {
    inner: &'a mut (dyn Read + Send),
    bytes: u64,
}

impl Read for CountedRead<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn land(
        dest: &str,
        there: Option<bool>,
        src: &str,
        dir: bool,
    ) -> std::result::Result<(String, String), String> {
        landing(Path::new(dest), there, &source_name(src), dir)
            .map(|l| (l.dir.display().to_string(), l.name))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn dockers_rules_for_where_a_copy_lands() {
        let ok = |d: &str, n: &str| Ok((d.to_owned(), n.to_owned()));
        assert_eq!(land("/d", Some(true), "/tmp/new", false), ok("/d", "new"));
        assert_eq!(land("/d", Some(true), "/tmp/.", true), ok("/d", "."));
        assert_eq!(land("/d/f", Some(false), "/tmp/new", false), ok("/d", "f"));
        assert_eq!(
            land("/d/f", Some(false), "/tmp", true),
            Err("cannot copy directory".into())
        );
        assert_eq!(land("/d/x", None, "/tmp", true), ok("/d", "x"));
        assert_eq!(land("/d/x", None, "/tmp/.", true), ok("/d", "x"));
        assert_eq!(
            land("/d/x/", None, "/tmp/new", false),
            Err("no such directory".into())
        );
        assert_eq!(land("/d/x", None, "/tmp/new", false), ok("/d", "x"));
        assert_eq!(source_name("/"), ".");
        assert_eq!(source_name("/a/b/"), "b");
    }
}
