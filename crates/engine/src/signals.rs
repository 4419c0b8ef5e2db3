//! Signals the CLI passes on while it waits for a container (Docker's sig-proxy): a
//! process-wide handler writes each signal's number to a pipe that the relay loop polls.
//! A handler (unlike a blocked mask and a signalfd) works whichever thread of the caller
//! the kernel picks. The previous handlers are restored on drop.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

use crate::error::Result;

/// The write end of the pipe of the live [`SignalPipe`], or -1.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(sig: libc::c_int) {
    let fd = WRITE_END.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) is async-signal-safe; the byte lives on this frame.
        unsafe { libc::write(fd, (&b as *const u8).cast(), 1) };
    }
}

/// Signals caught into a pipe until dropped (one at a time in a process: the handler writes
/// to the pipe of the live one). The CLI's sig-proxy, and a builder's cancel (Ctrl-C).
pub struct SignalPipe {
    read: OwnedFd,
    _write: OwnedFd,
    old: Vec<(libc::c_int, libc::sigaction)>,
}

impl SignalPipe {
    /// Catches `signals` until dropped.
    pub fn catch(signals: &[libc::c_int]) -> Result<SignalPipe> {
        let (read, write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
        WRITE_END.store(write.as_raw_fd(), Ordering::Relaxed);
        let mut old = Vec::new();
        for &sig in signals {
            // SAFETY: installing a handler that only calls write(2); the old one is kept.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                let mut previous: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, &action, &mut previous) == 0 {
                    old.push((sig, previous));
                }
            }
        }
        Ok(SignalPipe {
            read,
            _write: write,
            old,
        })
    }

    /// The fd to poll for readability.
    pub fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// The signals caught since the last call.
    pub fn take(&self) -> Vec<libc::c_int> {
        let mut buf = [0u8; 64];
        // SAFETY: reading into our buffer from our non-blocking pipe.
        let n = unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            return Vec::new();
        }
        buf[..n as usize]
            .iter()
            .map(|b| *b as libc::c_int)
            .collect()
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        for (sig, previous) in &self.old {
            // SAFETY: restoring the handler that was there before.
            unsafe { libc::sigaction(*sig, previous, std::ptr::null_mut()) };
        }
        WRITE_END.store(-1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_signal_arrives_on_the_pipe_and_handlers_are_restored() {
        let pipe = SignalPipe::catch(&[libc::SIGUSR2]).unwrap();
        // SAFETY: raising a signal we handle.
        unsafe { libc::raise(libc::SIGUSR2) };
        assert_eq!(pipe.take(), vec![libc::SIGUSR2]);
        drop(pipe);
        // SAFETY: sigaction is plain data (integers, a mask, a handler address): all zeroes
        // is a valid value, which the call below overwrites.
        let mut current: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: reading the current action.
        unsafe { libc::sigaction(libc::SIGUSR2, std::ptr::null(), &mut current) };
        assert_eq!(current.sa_sigaction, libc::SIG_DFL);
    }
}
