//! sixinit: the small init `run --init` puts in a container as its PID 1 (at
//! /sbin/docker-init, Docker's path), in the spirit of tini. It starts the command it is
//! given (`sixinit [--] COMMAND [ARG...]`) in a process group of its own (the terminal's
//! foreground group when stdin is a terminal), forwards every signal it receives to it, reaps
//! every zombie that is reparented to it, and exits with the command's exit code (128 +
//! the signal that killed it). A command that cannot be executed: 127 (not found) or 126.
//!
//! Built by the engine's build script as a static executable (it must run in any image,
//! with no library there) and embedded in the engine; std only, the few libc calls it needs
//! declared here.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// glibc's `sigset_t` (1024 bits).
#[repr(C)]
struct SigSet([u64; 16]);

/// `siginfo_t` (128 bytes); only its size matters here.
#[repr(C)]
struct SigInfo([u8; 128]);

extern "C" {
    fn sigfillset(set: *mut SigSet) -> i32;
    fn sigemptyset(set: *mut SigSet) -> i32;
    fn sigprocmask(how: i32, set: *const SigSet, old: *mut SigSet) -> i32;
    fn sigwaitinfo(set: *const SigSet, info: *mut SigInfo) -> i32;
    fn signal(sig: i32, handler: usize) -> usize;
    fn kill(pid: i32, sig: i32) -> i32;
    fn waitpid(pid: i32, status: *mut i32, options: i32) -> i32;
    fn isatty(fd: i32) -> i32;
    fn tcsetpgrp(fd: i32, pgrp: i32) -> i32;
    fn getpgrp() -> i32;
}

const SIG_SETMASK: i32 = 2;
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;
const SIGCHLD: i32 = 17;
const SIGTTOU: i32 = 22;
const WNOHANG: i32 = 1;

fn main() {
    let mut args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "--") {
        args.remove(0);
    }
    if args.is_empty() {
        eprintln!("sixinit: usage: sixinit [--] COMMAND [ARG...]");
        std::process::exit(2);
    }
    // Every signal waits for sigwaitinfo below; the command starts with none blocked.
    let mut all = SigSet([0; 16]);
    // SAFETY: plain libc calls on our own sigset.
    unsafe {
        sigfillset(&mut all);
        sigprocmask(SIG_SETMASK, &all, std::ptr::null_mut());
    }
    // SAFETY: isatty on fd 0.
    let terminal = unsafe { isatty(0) } == 1;
    let mut command = Command::new(&args[0]);
    command.args(&args[1..]).process_group(0);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            if terminal {
                // a background group may take the terminal only while SIGTTOU is ignored
                signal(SIGTTOU, SIG_IGN);
                tcsetpgrp(0, getpgrp());
                signal(SIGTTOU, SIG_DFL);
            }
            let mut none = SigSet([0; 16]);
            sigemptyset(&mut none);
            sigprocmask(SIG_SETMASK, &none, std::ptr::null_mut());
            Ok(())
        });
    }
    let child = match command.spawn() {
        Ok(child) => child.id() as i32,
        Err(e) => {
            eprintln!("sixinit: exec {:?} failed: {e}", args[0]);
            let code = if e.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            };
            std::process::exit(code);
        }
    };
    loop {
        let mut info = SigInfo([0; 128]);
        // SAFETY: waiting for one of the blocked signals, into our buffer.
        let sig = unsafe { sigwaitinfo(&all, &mut info) };
        if sig < 0 {
            continue;
        }
        if sig != SIGCHLD {
            // SAFETY: the command is our child, not yet reaped: its pid is its own.
            unsafe { kill(child, sig) };
            continue;
        }
        let mut code = None;
        loop {
            let mut status = 0;
            // SAFETY: reaping any child (zombies reparented to PID 1 included).
            let pid = unsafe { waitpid(-1, &mut status, WNOHANG) };
            if pid <= 0 {
                break;
            }
            if pid == child {
                let signaled = status & 0x7f;
                code = Some(if signaled != 0 && signaled != 0x7f {
                    128 + signaled
                } else {
                    (status >> 8) & 0xff
                });
            }
        }
        if let Some(code) = code {
            std::process::exit(code);
        }
    }
}
