//! A network namespace of a test's own that plays the host: the bridges, firewall rules and
//! settings a test makes there are its alone, and go with the namespace. Held by a `busybox
//! sleep` child (killed on drop); set up with lo up, IP forwarding on (hairpin traffic needs
//! it) and bridge netfilter off (so a hairpin reply is undone by the masquerade rule alone),
//! each a setting of that namespace only.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A `busybox sleep 3600` child in a network namespace of its own (fresh: lo down, nothing
/// else); the namespace lives as long as the child (kill and reap it to end both).
pub fn hold_new_netns() -> Child {
    let mut cmd = Command::new(crate::BUSYBOX);
    cmd.args(["sleep", "3600"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: unshare is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWNET) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.spawn().expect("starting a network namespace's holder")
}

/// A network namespace held by a child of the test.
pub struct OwnNetns {
    holder: Child,
    file: File,
}

impl OwnNetns {
    /// A new namespace (lo up, IP forwarding on, bridge netfilter off), held until drop.
    pub fn new() -> OwnNetns {
        let holder = hold_new_netns();
        let file = File::open(format!("/proc/{}/ns/net", holder.id())).expect("its namespace");
        let netns = OwnNetns { holder, file };
        netns.run(|| {
            let lo = Command::new("ip")
                .args(["link", "set", "lo", "up"])
                .status()
                .expect("running ip");
            assert!(lo.success(), "lo up: {lo}");
            std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").unwrap();
            let bridged = Path::new("/proc/sys/net/bridge/bridge-nf-call-iptables");
            if bridged.exists() {
                std::fs::write(bridged, "0").unwrap();
            }
        });
        netns
    }

    /// `/proc/<holder>/ns/net`.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/{}/ns/net", self.holder.id()))
    }

    /// The namespace's file (for setns before an exec).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Runs `f` on a thread that entered the namespace (processes it starts start there).
    pub fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| {
                // SAFETY: setns on a namespace fd we hold; it changes only this thread.
                let entered =
                    unsafe { libc::setns(self.file.as_fd().as_raw_fd(), libc::CLONE_NEWNET) };
                assert_eq!(entered, 0, "setns: {}", std::io::Error::last_os_error());
                f()
            })
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })
    }
}

impl Default for OwnNetns {
    fn default() -> OwnNetns {
        OwnNetns::new()
    }
}

impl Drop for OwnNetns {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}
