//! File descriptor helpers: moving an fd above a number (so it cannot land among the fds
//! handed to a container), writing a whole buffer to a raw fd, and letting go of the fds a
//! long-lived child inherited from whoever ran its command.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// `fd` itself if its number is `min` or above, else a close-on-exec copy numbered `min` or
/// above (and `fd` is closed).
pub fn move_above(fd: OwnedFd, min: i32) -> io::Result<OwnedFd> {
    if fd.as_raw_fd() >= min {
        return Ok(fd);
    }
    // SAFETY: F_DUPFD_CLOEXEC on an fd `fd` keeps open; failure is reported.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` was just returned by fcntl and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// Writes all of `data` to `fd` (a pipe, a pty, a socket), retrying after EINTR and short
/// writes; the first other error ends it.
pub fn write_all(fd: BorrowedFd, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        // SAFETY: writing from our buffer, at most its length, to an fd `fd` keeps open.
        let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        data = &data[n as usize..];
    }
    Ok(())
}

/// Closes every open fd numbered `from` or above that is not close-on-exec: for a process
/// that outlives the command it was forked from (an exec keeper), what that command's caller
/// left open to it (a pipe a script reads until every writer is gone, say). The command's own
/// fds are all close-on-exec (Rust opens every fd so) and stay open. Reads /proc/self/fd.
pub fn close_inherited(from: i32) {
    let open: Vec<i32> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => return,
    };
    // The listing's own fd is in the list, closed by now: F_GETFD fails on it (nothing was
    // opened since to take its number).
    for fd in open.into_iter().filter(|fd| *fd >= from) {
        // SAFETY: F_GETFD only reads the fd's flags.
        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
        if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
            // SAFETY: an fd inherited across an exec, which nothing in this process owns.
            unsafe { libc::close(fd) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::AsFd;

    #[test]
    fn a_low_fd_is_moved_above_and_a_high_one_stays() {
        let f = OwnedFd::from(std::fs::File::open("/dev/null").unwrap());
        let n = f.as_raw_fd();
        let moved = move_above(f, n + 10).unwrap();
        assert!(moved.as_raw_fd() >= n + 10);
        // SAFETY: reading the flags of an fd we own.
        let flags = unsafe { libc::fcntl(moved.as_raw_fd(), libc::F_GETFD) };
        assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
        let kept = moved.as_raw_fd();
        assert_eq!(move_above(moved, 3).unwrap().as_raw_fd(), kept);
    }

    #[test]
    fn everything_is_written() {
        let (mut r, w) = std::os::unix::net::UnixStream::pair().unwrap();
        let data = vec![7u8; 10_000];
        write_all(w.as_fd(), &data).unwrap();
        drop(w);
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
    }
}
