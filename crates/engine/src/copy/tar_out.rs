//! Writing a tar of one file or directory tree, as `docker cp` sends it: the object under the
//! name it will have (`top`; `.` for "the contents of"), then what is below it, sorted by
//! name. Modes, owners, times, symlinks (as symlinks), hard links (once, then links), device
//! nodes and fifos; sockets are left out, as Docker does.
//!
//! Every step is relative to a held descriptor, opened without following symlinks, so the
//! walk never leaves the tree it was given whatever the tree holds. It never writes to it.

use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{openat, readlinkat, AtFlags, OFlag};
use nix::sys::stat::{fstat, fstatat, FileStat, Mode};

use super::resolve::reopen;

/// Counts what passes through (for "Successfully copied 2.05kB").
pub(crate) struct Counted<W> {
    pub inner: W,
    pub bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn io_err(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e as i32)
}

/// Writes the object `src` (an `O_PATH` descriptor: a symlink is archived as one) and, for a
/// directory, everything below it, named `top` and below; then the tar's end.
pub(crate) fn write_tree<W: Write>(out: W, src: &OwnedFd, top: &str) -> io::Result<W> {
    let mut writer = TreeWriter {
        builder: tar::Builder::new(out),
        links: HashMap::new(),
    };
    writer.builder.follow_symlinks(false);
    let st = fstat(src).map_err(io_err)?;
    writer.entry(src, None, &st, Path::new(top))?;
    writer.builder.into_inner()
}

struct TreeWriter<W: Write> {
    builder: tar::Builder<W>,
    /// (dev, ino) of files with several links, and the name each was first written under.
    links: HashMap<(u64, u64), PathBuf>,
}

impl<W: Write> TreeWriter<W> {
    /// One entry: `fd` is an `O_PATH` descriptor of it, or (`parent`, `name`) says where it is.
    fn entry(
        &mut self,
        fd: &OwnedFd,
        link_at: Option<(&OwnedFd, &CStr)>,
        st: &FileStat,
        name: &Path,
    ) -> io::Result<()> {
        let kind = st.st_mode & libc::S_IFMT;
        let mut h = header(st);
        match kind {
            libc::S_IFDIR => {
                if name != Path::new(".") {
                    h.set_entry_type(tar::EntryType::Directory);
                    self.builder.append_data(&mut h, name, io::empty())?;
                }
                let dir = reopen(fd, OFlag::O_RDONLY | OFlag::O_DIRECTORY).map_err(io_err)?;
                self.children(&dir, name)
            }
            libc::S_IFREG => {
                if st.st_nlink > 1 {
                    let key = (st.st_dev, st.st_ino);
                    if let Some(first) = self.links.get(&key) {
                        h.set_entry_type(tar::EntryType::Link);
                        h.set_size(0);
                        let first = first.clone();
                        return self.builder.append_link(&mut h, name, first);
                    }
                    self.links.insert(key, name.to_path_buf());
                }
                let file = reopen(fd, OFlag::O_RDONLY).map_err(io_err)?;
                // The size of what is read, not of what was listed (it may have changed).
                let size = fstat(&file).map_err(io_err)?.st_size.max(0) as u64;
                h.set_size(size);
                h.set_entry_type(tar::EntryType::Regular);
                let data = io::Read::take(std::fs::File::from(file), size);
                self.builder.append_data(&mut h, name, data)
            }
            libc::S_IFLNK => {
                let target = match link_at {
                    Some((parent, leaf)) => readlinkat(parent, leaf),
                    None => readlinkat(fd, ""),
                }
                .map_err(io_err)?;
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                self.builder.append_link(&mut h, name, target)
            }
            libc::S_IFCHR | libc::S_IFBLK | libc::S_IFIFO => {
                h.set_entry_type(match kind {
                    libc::S_IFCHR => tar::EntryType::Char,
                    libc::S_IFBLK => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                h.set_size(0);
                let rdev = st.st_rdev;
                h.set_device_major(libc::major(rdev))?;
                h.set_device_minor(libc::minor(rdev))?;
                self.builder.append_data(&mut h, name, io::empty())
            }
            _ => Ok(()), // sockets
        }
    }

    fn children(&mut self, dir: &OwnedFd, name: &Path) -> io::Result<()> {
        let mut names: Vec<CString> = Vec::new();
        let mut listing = Dir::openat(
            dir,
            ".",
            OFlag::O_RDONLY | OFlag::O_DIRECTORY,
            Mode::empty(),
        )
        .map_err(io_err)?;
        for entry in listing.iter() {
            let entry = entry.map_err(io_err)?;
            let n = entry.file_name();
            if n.to_bytes() != b"." && n.to_bytes() != b".." {
                names.push(n.to_owned());
            }
        }
        names.sort();
        for child in names {
            let st =
                fstatat(dir, child.as_c_str(), AtFlags::AT_SYMLINK_NOFOLLOW).map_err(io_err)?;
            let fd = openat(
                dir,
                child.as_c_str(),
                OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
            .map_err(io_err)?;
            let child_name = name.join(std::ffi::OsStr::from_bytes(child.to_bytes()));
            let child_name = child_name
                .strip_prefix(".")
                .unwrap_or(&child_name)
                .to_path_buf();
            self.entry(&fd, Some((dir, child.as_c_str())), &st, &child_name)?;
        }
        Ok(())
    }
}

/// A header with the object's mode bits, owner and time.
fn header(st: &FileStat) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_mode(st.st_mode & 0o7777);
    h.set_uid(st.st_uid.into());
    h.set_gid(st.st_gid.into());
    h.set_mtime(st.st_mtime.max(0) as u64);
    h.set_size(if st.st_mode & libc::S_IFMT == libc::S_IFREG {
        st.st_size.max(0) as u64
    } else {
        0
    });
    h
}
