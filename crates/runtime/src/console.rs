//! The container's terminal: a pty opened inside the container's devpts, its master sent to
//! the `--console-socket` by SCM_RIGHTS (as runc does; conmon and containerd receive it there),
//! its slave made the controlling terminal and stdio of the process.
//!
//! It runs in the child, after pivot_root. It never relays bytes; whoever holds the master does.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::Path;

use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};

use crate::channel::{Channel, Msg};
use crate::process::ProcessPlan;

/// `TIOCGPTPEER`: opens the slave of a master without a path lookup (Linux 4.13).
const TIOCGPTPEER: libc::c_ulong = 0x5441;

fn errno() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// A fresh pty from the container's /dev/ptmx: (master, slave, slave number). The slave is
/// given to `owner` (the process's uid; its group stays devpts's), as runc does, so a
/// non-root process can use its own terminal; `size` is (rows, columns).
pub fn open_pty(size: Option<(u16, u16)>, owner: u32) -> Result<(OwnedFd, OwnedFd, u32), String> {
    // SAFETY: open with a static C string.
    let m = unsafe {
        libc::open(
            c"/dev/ptmx".as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if m < 0 {
        return Err(format!("opening /dev/ptmx in the container: {}", errno()));
    }
    // SAFETY: fresh fd from open.
    let master = unsafe { OwnedFd::from_raw_fd(m) };
    let unlock: libc::c_int = 0;
    // SAFETY: ioctls on the master with valid argument pointers.
    unsafe {
        if libc::ioctl(m, libc::TIOCSPTLCK, &unlock) != 0 {
            return Err(format!("unlocking the pty: {}", errno()));
        }
    }
    let mut n: libc::c_uint = 0;
    // SAFETY: as above.
    if unsafe { libc::ioctl(m, libc::TIOCGPTN, &mut n) } != 0 {
        return Err(format!("reading the pty number: {}", errno()));
    }
    // SAFETY: as above; returns a new fd.
    let s = unsafe {
        libc::ioctl(
            m,
            TIOCGPTPEER as _,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if s < 0 {
        return Err(format!("opening the pty slave: {}", errno()));
    }
    // SAFETY: fresh fd from ioctl.
    let slave = unsafe { OwnedFd::from_raw_fd(s) };
    // SAFETY: fchown on our fd; -1 keeps the group.
    if unsafe { libc::fchown(slave.as_raw_fd(), owner, libc::gid_t::MAX) } != 0 {
        let e = errno();
        // As runc: an owner not mapped in a user namespace (EINVAL), an inode we may not
        // change (EPERM) or a read-only devpts (EROFS) leave the terminal as it is.
        if !matches!(
            e.raw_os_error(),
            Some(libc::EINVAL | libc::EPERM | libc::EROFS)
        ) {
            return Err(format!("giving the pty to uid {owner}: {e}"));
        }
    }
    if let Some((rows, cols)) = size {
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: valid winsize pointer.
        unsafe { libc::ioctl(m, libc::TIOCSWINSZ, &ws) };
    }
    Ok((master, slave, n))
}

/// Sends `master` over the connected console socket, with the pty's name as payload (runc's
/// `utils.SendFile` does the same).
pub fn send_master(socket: RawFd, master: &OwnedFd, name: &str) -> Result<(), String> {
    let fds = [master.as_raw_fd()];
    let iov = [IoSlice::new(name.as_bytes())];
    sendmsg::<()>(
        socket,
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .map_err(|e| format!("sending the pty master to the console socket: {e}"))?;
    Ok(())
}

/// Makes `slave` the controlling terminal of a new session and the process's stdio.
pub fn make_controlling(slave: &OwnedFd) -> Result<(), String> {
    // SAFETY: setsid and ioctl/dup2 on valid fds.
    unsafe {
        if libc::setsid() < 0 {
            return Err(format!("setsid: {}", errno()));
        }
        if libc::ioctl(slave.as_raw_fd(), libc::TIOCSCTTY, 0) != 0 {
            return Err(format!(
                "making the pty the controlling terminal: {}",
                errno()
            ));
        }
        for i in 0..3 {
            if libc::dup2(slave.as_raw_fd(), i) < 0 {
                return Err(format!("pty as stdio: {}", errno()));
            }
        }
    }
    Ok(())
}

/// Opens the process's pty (owned by its uid) and hands its master out: to the console
/// socket (whose copy of ours is closed then), else to the runtime over `chan`. Returns the
/// slave and its number in the container's devpts.
pub fn hand_out_pty(
    p: &ProcessPlan,
    console_socket: Option<RawFd>,
    chan: &Channel,
) -> Result<(OwnedFd, u32), String> {
    let (master, slave, n) = open_pty(p.console_size, p.uid)?;
    match console_socket {
        Some(sock) => {
            send_master(sock, &master, &format!("/dev/pts/{n}"))?;
            // SAFETY: closing our copy of the console socket; nothing else uses it.
            unsafe { libc::close(sock) };
        }
        None => chan
            .send_with_fd(&Msg::Pty, Some(master.as_raw_fd()))
            .map_err(|e| format!("sending the pty: {e}"))?,
    }
    Ok((slave, n))
}

/// Connects to the console socket at `path` (in the caller, before the clone).
pub fn connect(path: &Path) -> std::io::Result<UnixStream> {
    UnixStream::connect(path)
}
