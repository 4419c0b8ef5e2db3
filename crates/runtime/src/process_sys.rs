//! The syscall seam of the steps a child makes after clone: every kernel call of the process
//! steps between "namespaces and root ready" and `execve` (`process_steps.rs`), and of the
//! namespace steps before the root (`namespace_steps.rs`: the prctls that guard the child,
//! joining and making namespaces, hostname, keyring, personality), goes through
//! [`ProcessSys`]. The parent enters a container's pid namespace for its clone through it too.
//!
//! [`LinuxProcessSys`] makes the calls (on nix and the caps crate; a zero-sized type, so the
//! child after clone pays nothing for the seam); the recording implementation
//! (`process_sys_fake.rs`, tests only) records them, so the order and content of the steps
//! are checked without root, as six-rootfs does for mounts. It never decides *which* calls
//! to make.

use std::ffi::CStr;
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use caps::{CapSet, Capability, CapsHashSet};
use nix::errno::Errno;
use nix::sched::CloneFlags;

/// The kernel calls of the process steps.
pub trait ProcessSys {
    /// `fcntl(F_DUPFD_CLOEXEC, min)`: a copy of `fd` numbered `min` or above.
    fn dup_above(&mut self, fd: RawFd, min: RawFd) -> Result<RawFd, Errno>;
    fn dup2(&mut self, fd: RawFd, to: RawFd) -> Result<(), Errno>;
    fn setrlimit(
        &mut self,
        resource: libc::__rlimit_resource_t,
        soft: u64,
        hard: u64,
    ) -> Result<(), Errno>;
    /// The current hard limit of `resource` (to explain a refused raise).
    fn hard_rlimit(&mut self, resource: libc::__rlimit_resource_t) -> u64;
    fn set_oom_score_adj(&mut self, value: i32) -> std::io::Result<()>;
    /// Clears close-on-exec of `fd` (a missing fd is no error).
    fn keep_open_on_exec(&mut self, fd: RawFd);
    fn close_range(&mut self, from: u32, to: u32) -> Result<(), Errno>;
    /// Closes one fd number (a missing fd is no error).
    fn close(&mut self, fd: RawFd);
    fn setgroups(&mut self, gids: &[u32]) -> Result<(), Errno>;
    fn set_keepcaps(&mut self, keep: bool) -> Result<(), Errno>;
    fn setresgid(&mut self, gid: u32) -> Result<(), Errno>;
    fn setresuid(&mut self, uid: u32) -> Result<(), Errno>;
    fn umask(&mut self, mode: u32);
    fn drop_bounding(&mut self, cap: Capability) -> Result<(), String>;
    fn in_bounding(&mut self, cap: Capability) -> bool;
    fn set_caps(&mut self, set: CapSet, caps: &CapsHashSet) -> Result<(), String>;
    fn clear_ambient(&mut self) -> Result<(), String>;
    fn raise_ambient(&mut self, cap: Capability) -> Result<(), String>;
    fn set_no_new_privs(&mut self) -> Result<(), Errno>;
    /// Installs the filter; its notification fd when the profile has SCMP_ACT_NOTIFY rules.
    fn install_seccomp(
        &mut self,
        filter: &crate::seccomp::Program,
    ) -> Result<Option<OwnedFd>, String>;
    fn chdir(&mut self, dir: &Path) -> Result<(), Errno>;
    /// The working directory as the kernel names it (None when it cannot).
    fn getcwd(&mut self) -> Option<PathBuf>;
    /// A small file's bytes (at most 1 MiB are read); None when it cannot be read.
    fn read_file(&mut self, path: &Path) -> Option<Vec<u8>>;
    /// `PR_SET_PDEATHSIG`: the signal we get when our parent dies (0: none).
    fn set_parent_death_signal(&mut self, sig: i32) -> Result<(), Errno>;
    /// `PR_SET_DUMPABLE` 0: nobody without CAP_SYS_PTRACE may open our /proc/<pid>/exe or
    /// memory.
    fn set_undumpable(&mut self) -> Result<(), Errno>;
    /// Opens a namespace file (`/proc/<pid>/ns/<name>`, or a path the spec gives).
    fn open_namespace(&mut self, path: &Path) -> std::io::Result<OwnedFd>;
    /// `setns`: joins the namespace `fd` names, of kind `nstype` (a `CLONE_NEW*` flag; for a
    /// pid namespace, that of our next children).
    fn setns(&mut self, fd: BorrowedFd, nstype: CloneFlags) -> Result<(), Errno>;
    /// `unshare`: new namespaces of the kinds in `flags`.
    fn unshare(&mut self, flags: CloneFlags) -> Result<(), Errno>;
    fn sethostname(&mut self, name: &str) -> Result<(), Errno>;
    fn setdomainname(&mut self, name: &str) -> Result<(), Errno>;
    /// `KEYCTL_JOIN_SESSION_KEYRING`: a new session keyring named `name`.
    fn join_session_keyring(&mut self, name: &CStr) -> Result<(), Errno>;
    /// `personality`: the execution domain (`PER_LINUX`, `PER_LINUX32`).
    fn personality(&mut self, domain: libc::c_ulong) -> Result<(), Errno>;
}

/// The real kernel.
pub struct LinuxProcessSys;

impl ProcessSys for LinuxProcessSys {
    fn dup_above(&mut self, fd: RawFd, min: RawFd) -> Result<RawFd, Errno> {
        // SAFETY: fcntl on an fd number; failure is reported.
        Errno::result(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) })
    }

    fn dup2(&mut self, fd: RawFd, to: RawFd) -> Result<(), Errno> {
        // SAFETY: dup2 of fd numbers; failure is reported.
        Errno::result(unsafe { libc::dup2(fd, to) }).map(drop)
    }

    fn setrlimit(
        &mut self,
        resource: libc::__rlimit_resource_t,
        soft: u64,
        hard: u64,
    ) -> Result<(), Errno> {
        let lim = libc::rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        };
        // SAFETY: setrlimit with a valid struct.
        Errno::result(unsafe { libc::setrlimit(resource, &lim) }).map(drop)
    }

    fn hard_rlimit(&mut self, resource: libc::__rlimit_resource_t) -> u64 {
        let mut cur = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit into a valid struct.
        unsafe { libc::getrlimit(resource, &mut cur) };
        cur.rlim_max
    }

    fn set_oom_score_adj(&mut self, value: i32) -> std::io::Result<()> {
        std::fs::write("/proc/self/oom_score_adj", value.to_string())
    }

    fn keep_open_on_exec(&mut self, fd: RawFd) {
        // SAFETY: clearing FD_CLOEXEC on an fd number; a missing fd is ignored.
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }

    fn close_range(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        // SAFETY: closes fd numbers in [from, to]; the caller keeps out every fd it still uses.
        Errno::result(unsafe { libc::syscall(libc::SYS_close_range, from, to, 0u32) }).map(drop)
    }

    fn close(&mut self, fd: RawFd) {
        // SAFETY: closing an fd number the caller has no use for; EBADF is fine.
        unsafe { libc::close(fd) };
    }

    fn setgroups(&mut self, gids: &[u32]) -> Result<(), Errno> {
        // SAFETY: setgroups with a valid slice.
        Errno::result(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) }).map(drop)
    }

    fn set_keepcaps(&mut self, keep: bool) -> Result<(), Errno> {
        nix::sys::prctl::set_keepcaps(keep)
    }

    fn setresgid(&mut self, gid: u32) -> Result<(), Errno> {
        let g = nix::unistd::Gid::from_raw(gid);
        nix::unistd::setresgid(g, g, g)
    }

    fn setresuid(&mut self, uid: u32) -> Result<(), Errno> {
        let u = nix::unistd::Uid::from_raw(uid);
        nix::unistd::setresuid(u, u, u)
    }

    fn umask(&mut self, mode: u32) {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
            mode as libc::mode_t,
        ));
    }

    fn drop_bounding(&mut self, cap: Capability) -> Result<(), String> {
        caps::drop(None, CapSet::Bounding, cap).map_err(|e| e.to_string())
    }

    fn in_bounding(&mut self, cap: Capability) -> bool {
        caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false)
    }

    fn set_caps(&mut self, set: CapSet, caps: &CapsHashSet) -> Result<(), String> {
        caps::set(None, set, caps).map_err(|e| e.to_string())
    }

    fn clear_ambient(&mut self) -> Result<(), String> {
        caps::clear(None, CapSet::Ambient).map_err(|e| e.to_string())
    }

    fn raise_ambient(&mut self, cap: Capability) -> Result<(), String> {
        caps::raise(None, CapSet::Ambient, cap).map_err(|e| e.to_string())
    }

    fn set_no_new_privs(&mut self) -> Result<(), Errno> {
        nix::sys::prctl::set_no_new_privs()
    }

    fn install_seccomp(
        &mut self,
        filter: &crate::seccomp::Program,
    ) -> Result<Option<OwnedFd>, String> {
        filter.install().map_err(|e| e.to_string())
    }

    fn chdir(&mut self, dir: &Path) -> Result<(), Errno> {
        nix::unistd::chdir(dir)
    }

    fn getcwd(&mut self) -> Option<PathBuf> {
        nix::unistd::getcwd().ok()
    }

    fn read_file(&mut self, path: &Path) -> Option<Vec<u8>> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(path)
            .ok()?
            .take(1 << 20)
            .read_to_end(&mut bytes)
            .ok()?;
        Some(bytes)
    }

    fn set_parent_death_signal(&mut self, sig: i32) -> Result<(), Errno> {
        // SAFETY: prctl with integer arguments; failure is reported.
        Errno::result(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig, 0, 0, 0) }).map(drop)
    }

    fn set_undumpable(&mut self) -> Result<(), Errno> {
        nix::sys::prctl::set_dumpable(false)
    }

    fn open_namespace(&mut self, path: &Path) -> std::io::Result<OwnedFd> {
        std::fs::File::open(path).map(OwnedFd::from)
    }

    fn setns(&mut self, fd: BorrowedFd, nstype: CloneFlags) -> Result<(), Errno> {
        nix::sched::setns(fd, nstype)
    }

    fn unshare(&mut self, flags: CloneFlags) -> Result<(), Errno> {
        nix::sched::unshare(flags)
    }

    fn sethostname(&mut self, name: &str) -> Result<(), Errno> {
        nix::unistd::sethostname(name)
    }

    fn setdomainname(&mut self, name: &str) -> Result<(), Errno> {
        // SAFETY: a valid pointer and its length; failure is reported.
        Errno::result(unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) }).map(drop)
    }

    fn join_session_keyring(&mut self, name: &CStr) -> Result<(), Errno> {
        const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
        // SAFETY: keyctl with a valid C string; failure is reported.
        Errno::result(unsafe {
            libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.as_ptr())
        })
        .map(drop)
    }

    fn personality(&mut self, domain: libc::c_ulong) -> Result<(), Errno> {
        // SAFETY: personality with a plain value; failure is reported.
        Errno::result(unsafe { libc::personality(domain) }).map(drop)
    }
}
