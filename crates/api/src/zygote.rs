//! `sixdocker api-worker serve`: one long-lived, single-threaded, sealed child of the service
//! that forks a process for each step (a start, an exec) instead of the service executing the
//! `sixdocker` binary for each: a fork of a small process costs a fraction of a millisecond,
//! a fresh `sixdocker` with its sealing several.
//!
//! The service sends each request on the zygote's stdin, a `SOCK_SEQPACKET` socket: one
//! packet, the step's words as a JSON list, with the socket its answer goes to (SCM_RIGHTS).
//! The zygote forks; the child makes that socket its stdout (the monitors and keepers it
//! forks let go of their stdio at once, so nothing holds the answer back), opens the engine,
//! takes the step and answers as `sixdocker api-worker OP ARGS` does ([`crate::worker`]).
//! The zygote reaps its children and ends when the service's end of its stdin closes: a
//! service killed with SIGKILL takes it along; its children finish their step.
//!
//! [`Zygote`] is the service's side: it starts the zygote on first use and again if it died;
//! the caller falls back to a one-off `api-worker` when it cannot be reached.

use std::io::IoSlice;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

use nix::sys::socket::{self, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType};
use nix::unistd::ForkResult;
use six_engine::{Engine, EngineOptions};

/// The zygote's loop (`api-worker serve`); its exit code.
pub(crate) fn serve(opts: &EngineOptions) -> i32 {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        reap();
        // A second at most without a request: ended children are reaped meanwhile.
        let mut fds = [libc::pollfd {
            fd: 0,
            events: libc::POLLIN,
            revents: 0,
        }];
        // SAFETY: a valid pollfd array of one.
        if unsafe { libc::poll(fds.as_mut_ptr(), 1, 1000) } <= 0 {
            continue;
        }
        let (request, answer) = match receive(0, &mut buf) {
            Ok(Some(r)) => r,
            Ok(None) => return 0, // the service has gone
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return 1,
        };
        let Some(answer) = answer.into_iter().next() else {
            continue;
        };
        let words: Vec<String> = serde_json::from_slice(&request).unwrap_or_default();
        // SAFETY: this process is single-threaded; the child only runs our code and leaves
        // with _exit.
        match unsafe { nix::unistd::fork() } {
            Ok(ForkResult::Child) => {
                // A panic (a debug build's unwinding) ends the child here, never back in
                // the zygote's loop.
                let step = std::panic::AssertUnwindSafe(|| step_in_child(opts, answer, &words));
                let code = std::panic::catch_unwind(step).unwrap_or(101);
                // SAFETY: leaving the forked child without running the zygote's destructors.
                unsafe { libc::_exit(code) }
            }
            // The child answers; a failed fork drops `answer`, which the service reads as
            // an end without an answer.
            Ok(ForkResult::Parent { .. }) | Err(_) => {}
        }
    }
}

/// In the forked child: `answer` as stdout, /dev/null as stdin (not the service's socket),
/// then the step.
fn step_in_child(opts: &EngineOptions, answer: OwnedFd, words: &[String]) -> i32 {
    // SAFETY: dup2 onto our own standard descriptors.
    unsafe { libc::dup2(answer.as_raw_fd(), 1) };
    drop(answer);
    if let Ok(null) = std::fs::File::open("/dev/null") {
        // SAFETY: as above.
        unsafe { libc::dup2(null.as_raw_fd(), 0) };
    }
    let Some((op, args)) = words.split_first() else {
        return 1;
    };
    match Engine::open(opts.clone()) {
        Ok(engine) => crate::worker::run(&engine, op, args),
        Err(e) => {
            crate::worker::answer_error(&crate::http::ApiError::from(e));
            0
        }
    }
}

/// Reaps every child that has ended.
fn reap() {
    loop {
        // SAFETY: reaping our own children into a local status, without waiting.
        let r = unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) };
        if r <= 0 {
            return;
        }
    }
}

/// One packet (at most `buf`'s length) and the descriptors that came with it (close-on-exec);
/// None at the end.
pub(crate) fn receive(fd: RawFd, buf: &mut [u8]) -> nix::Result<Option<(Vec<u8>, Vec<OwnedFd>)>> {
    let mut iov = [std::io::IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!([RawFd; 8]);
    let msg = socket::recvmsg::<()>(fd, &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC)?;
    let mut passed = Vec::new();
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: descriptors the kernel just gave us, owned by nobody else.
            passed.extend(fds.into_iter().map(|f| unsafe { OwnedFd::from_raw_fd(f) }));
        }
    }
    let n = msg.bytes;
    if n == 0 && passed.is_empty() {
        return Ok(None);
    }
    Ok(Some((buf[..n].to_vec(), passed)))
}

/// The service's side: the zygote, started on first use.
pub(crate) struct Zygote {
    exe: PathBuf,
    engine: EngineOptions,
    running: Mutex<Option<(OwnedFd, Child)>>,
}

impl Zygote {
    pub(crate) fn new(exe: PathBuf, engine: EngineOptions) -> Zygote {
        Zygote {
            exe,
            engine,
            running: Mutex::new(None),
        }
    }

    /// Hands `args` to the zygote, its answer to go to `answer`; false when no zygote can
    /// take it (then the caller runs a one-off worker). Blocking.
    pub(crate) fn request(&self, args: &[&str], answer: &OwnedFd) -> bool {
        let text = serde_json::to_vec(args).unwrap_or_default();
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        for _ in 0..2 {
            if running.is_none() {
                *running = self.spawn().ok();
            }
            let Some((sock, _)) = running.as_ref() else {
                return false;
            };
            let iov = [IoSlice::new(&text)];
            let fds = [answer.as_raw_fd()];
            let cmsg = [ControlMessage::ScmRights(&fds)];
            if socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsg, MsgFlags::MSG_NOSIGNAL, None)
                .is_ok()
            {
                return true;
            }
            // It died: reaped, and started again once.
            if let Some((_, mut child)) = running.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        false
    }

    /// Starts `sixdocker api-worker serve` with our end of a seqpacket pair as its stdin.
    fn spawn(&self) -> std::io::Result<(OwnedFd, Child)> {
        let (ours, theirs) = socket::socketpair(
            socket::AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let child = Command::new(&self.exe)
            .arg("--root")
            .arg(&self.engine.root)
            .arg("--runroot")
            .arg(&self.engine.runroot)
            .args(["api-worker", "serve"])
            .stdin(Stdio::from(theirs))
            .stdout(Stdio::null())
            .spawn()?;
        Ok((ours, child))
    }
}

impl Drop for Zygote {
    fn drop(&mut self) {
        // Its stdin closes: it ends.
        if let Some((sock, mut child)) = self.running.get_mut().ok().and_then(Option::take) {
            drop(sock);
            let _ = child.wait();
        }
    }
}
