//! The caller's terminal: raw mode (restored on drop, so on every exit path that unwinds or
//! returns), window size, and opening a pty pair. Never touches a terminal it was not given.

use std::os::fd::{BorrowedFd, RawFd};

use nix::sys::termios::{self, SetArg, Termios};

/// Puts a terminal in raw mode until dropped.
pub(crate) struct RawMode {
    fd: RawFd,
    saved: Termios,
}

impl RawMode {
    /// Raw mode on `fd` if it is a terminal; None otherwise.
    pub(crate) fn enable(fd: RawFd) -> Option<RawMode> {
        if !is_terminal(fd) {
            return None;
        }
        // SAFETY: fd is open for the duration of this call (the caller's stdin).
        let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
        let saved = termios::tcgetattr(borrowed).ok()?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(borrowed, SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: the fd was open when raw mode began and belongs to the caller.
        let borrowed = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let _ = termios::tcsetattr(borrowed, SetArg::TCSADRAIN, &self.saved);
    }
}

pub(crate) fn is_terminal(fd: RawFd) -> bool {
    // SAFETY: isatty only inspects the fd.
    unsafe { libc::isatty(fd) == 1 }
}

/// The window size of a terminal as (rows, cols).
pub(crate) fn window_size(fd: RawFd) -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the struct we pass.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_row > 0).then_some((ws.ws_row, ws.ws_col))
}

/// Sets the window size of a pty (the kernel sends SIGWINCH to its foreground group).
pub(crate) fn set_window_size(fd: RawFd, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads the struct we pass.
    unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn a_pty_has_a_settable_size_and_raw_mode_restores() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let (master, slave) = (pty.master, pty.slave);
        set_window_size(master.as_raw_fd(), 30, 100);
        assert_eq!(window_size(slave.as_raw_fd()), Some((30, 100)));
        assert!(is_terminal(slave.as_raw_fd()));
        let before = termios::tcgetattr(&slave).unwrap();
        {
            let _raw = RawMode::enable(slave.as_raw_fd()).unwrap();
            let during = termios::tcgetattr(&slave).unwrap();
            assert!(!during.local_flags.contains(termios::LocalFlags::ICANON));
        }
        let after = termios::tcgetattr(&slave).unwrap();
        assert_eq!(before.local_flags, after.local_flags);
    }

    #[test]
    fn not_a_terminal() {
        let f = std::fs::File::open("/dev/null").unwrap();
        assert!(RawMode::enable(f.as_raw_fd()).is_none());
        assert_eq!(window_size(f.as_raw_fd()), None);
    }
}
