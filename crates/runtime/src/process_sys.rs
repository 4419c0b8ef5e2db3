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
use std::fmt::{self, Write as _};
use std::os::fd::{BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use caps::{CapSet, Capability, CapsHashSet};
use nix::errno::Errno;
use nix::sched::CloneFlags;
use six_trace::Kind;

/// The kernel calls of the process steps.
pub trait ProcessSys {
    /// `fcntl(F_DUPFD_CLOEXEC, min)`: a copy of `fd` numbered `min` or above.
    #[track_caller]
    fn dup_above(&mut self, fd: RawFd, min: RawFd) -> Result<RawFd, Errno>;
    #[track_caller]
    fn dup2(&mut self, fd: RawFd, to: RawFd) -> Result<(), Errno>;
    #[track_caller]
    fn setrlimit(
        &mut self,
        resource: libc::__rlimit_resource_t,
        soft: u64,
        hard: u64,
    ) -> Result<(), Errno>;
    /// The current hard limit of `resource` (to explain a refused raise).
    fn hard_rlimit(&mut self, resource: libc::__rlimit_resource_t) -> u64;
    #[track_caller]
    fn set_oom_score_adj(&mut self, value: i32) -> std::io::Result<()>;
    /// Clears close-on-exec of `fd` (a missing fd is no error).
    fn keep_open_on_exec(&mut self, fd: RawFd);
    #[track_caller]
    fn close_range(&mut self, from: u32, to: u32) -> Result<(), Errno>;
    /// Closes one fd number (a missing fd is no error).
    fn close(&mut self, fd: RawFd);
    #[track_caller]
    fn setgroups(&mut self, gids: &[u32]) -> Result<(), Errno>;
    #[track_caller]
    fn set_keepcaps(&mut self, keep: bool) -> Result<(), Errno>;
    #[track_caller]
    fn setresgid(&mut self, gid: u32) -> Result<(), Errno>;
    #[track_caller]
    fn setresuid(&mut self, uid: u32) -> Result<(), Errno>;
    #[track_caller]
    fn umask(&mut self, mode: u32);
    fn drop_bounding(&mut self, cap: Capability) -> Result<(), String>;
    fn in_bounding(&mut self, cap: Capability) -> bool;
    #[track_caller]
    fn set_caps(&mut self, set: CapSet, caps: &CapsHashSet) -> Result<(), String>;
    #[track_caller]
    fn clear_ambient(&mut self) -> Result<(), String>;
    #[track_caller]
    fn raise_ambient(&mut self, cap: Capability) -> Result<(), String>;
    #[track_caller]
    fn set_no_new_privs(&mut self) -> Result<(), Errno>;
    /// Installs the filter; its notification fd when the profile has SCMP_ACT_NOTIFY rules.
    fn install_seccomp(
        &mut self,
        filter: &crate::seccomp::Program,
    ) -> Result<Option<OwnedFd>, String>;
    #[track_caller]
    fn chdir(&mut self, dir: &Path) -> Result<(), Errno>;
    /// The working directory as the kernel names it (None when it cannot).
    fn getcwd(&mut self) -> Option<PathBuf>;
    /// A small file's bytes (at most 1 MiB are read); None when it cannot be read.
    fn read_file(&mut self, path: &Path) -> Option<Vec<u8>>;
    /// `PR_SET_PDEATHSIG`: the signal we get when our parent dies (0: none).
    #[track_caller]
    fn set_parent_death_signal(&mut self, sig: i32) -> Result<(), Errno>;
    /// `PR_SET_DUMPABLE` 0: nobody without CAP_SYS_PTRACE may open our /proc/<pid>/exe or
    /// memory.
    #[track_caller]
    fn set_undumpable(&mut self) -> Result<(), Errno>;
    /// Opens a namespace file (`/proc/<pid>/ns/<name>`, or a path the spec gives).
    fn open_namespace(&mut self, path: &Path) -> std::io::Result<OwnedFd>;
    /// `setns`: joins the namespace `fd` names, of kind `nstype` (a `CLONE_NEW*` flag; for a
    /// pid namespace, that of our next children).
    #[track_caller]
    fn setns(&mut self, fd: BorrowedFd, nstype: CloneFlags) -> Result<(), Errno>;
    /// `unshare`: new namespaces of the kinds in `flags`.
    #[track_caller]
    fn unshare(&mut self, flags: CloneFlags) -> Result<(), Errno>;
    #[track_caller]
    fn sethostname(&mut self, name: &str) -> Result<(), Errno>;
    #[track_caller]
    fn setdomainname(&mut self, name: &str) -> Result<(), Errno>;
    /// `KEYCTL_JOIN_SESSION_KEYRING`: a new session keyring named `name`.
    #[track_caller]
    fn join_session_keyring(&mut self, name: &CStr) -> Result<(), Errno>;
    /// `personality`: the execution domain (`PER_LINUX`, `PER_LINUX32`).
    #[track_caller]
    fn personality(&mut self, domain: libc::c_ulong) -> Result<(), Errno>;
}

/// The real kernel.
pub struct LinuxProcessSys;

impl ProcessSys for LinuxProcessSys {
    #[track_caller]
    fn dup_above(&mut self, fd: RawFd, min: RawFd) -> Result<RawFd, Errno> {
        six_trace::call(
            Kind::Fds,
            // SAFETY: fcntl on an fd number; failure is reported.
            || Errno::result(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, min) }),
            |d| write!(d, "fcntl({fd}, F_DUPFD_CLOEXEC, {min})"),
        )
    }

    #[track_caller]
    fn dup2(&mut self, fd: RawFd, to: RawFd) -> Result<(), Errno> {
        six_trace::call(
            Kind::Fds,
            // SAFETY: dup2 of fd numbers; failure is reported.
            || Errno::result(unsafe { libc::dup2(fd, to) }).map(drop),
            |d| write!(d, "dup2({fd}, {to})"),
        )
    }

    #[track_caller]
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
        six_trace::call(
            Kind::Rlimit,
            // SAFETY: setrlimit with a valid struct.
            || Errno::result(unsafe { libc::setrlimit(resource, &lim) }).map(drop),
            |d| {
                let name = crate::process::rlimit_name(resource);
                write!(d, "{name} soft {} hard {}", Limit(soft), Limit(hard))
            },
        )
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

    #[track_caller]
    fn set_oom_score_adj(&mut self, value: i32) -> std::io::Result<()> {
        six_trace::call(
            Kind::OomScore,
            || std::fs::write("/proc/self/oom_score_adj", value.to_string()),
            |d| write!(d, "/proc/self/oom_score_adj = {value}"),
        )
    }

    fn keep_open_on_exec(&mut self, fd: RawFd) {
        // SAFETY: clearing FD_CLOEXEC on an fd number; a missing fd is ignored.
        unsafe { libc::fcntl(fd, libc::F_SETFD, 0) };
    }

    #[track_caller]
    fn close_range(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        six_trace::call(
            Kind::Fds,
            || {
                // SAFETY: closes fd numbers in [from, to]; the caller keeps out every fd it still
                // uses.
                Errno::result(unsafe { libc::syscall(libc::SYS_close_range, from, to, 0u32) })
                    .map(drop)
            },
            |d| write!(d, "close_range({from}, {})", Limit(u64::from(to))),
        )
    }

    fn close(&mut self, fd: RawFd) {
        // SAFETY: closing an fd number the caller has no use for; EBADF is fine.
        unsafe { libc::close(fd) };
    }

    #[track_caller]
    fn setgroups(&mut self, gids: &[u32]) -> Result<(), Errno> {
        six_trace::call(
            Kind::User,
            // SAFETY: setgroups with a valid slice.
            || Errno::result(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) }).map(drop),
            |d| write!(d, "setgroups {gids:?}"),
        )
    }

    #[track_caller]
    fn set_keepcaps(&mut self, keep: bool) -> Result<(), Errno> {
        six_trace::call(
            Kind::Prctl,
            || nix::sys::prctl::set_keepcaps(keep),
            |d| write!(d, "PR_SET_KEEPCAPS {}", u8::from(keep)),
        )
    }

    #[track_caller]
    fn setresgid(&mut self, gid: u32) -> Result<(), Errno> {
        let g = nix::unistd::Gid::from_raw(gid);
        six_trace::call(
            Kind::User,
            || nix::unistd::setresgid(g, g, g),
            |d| write!(d, "setresgid {gid} (real, effective, saved)"),
        )
    }

    #[track_caller]
    fn setresuid(&mut self, uid: u32) -> Result<(), Errno> {
        let u = nix::unistd::Uid::from_raw(uid);
        six_trace::call(
            Kind::User,
            || nix::unistd::setresuid(u, u, u),
            |d| write!(d, "setresuid {uid} (real, effective, saved)"),
        )
    }

    #[track_caller]
    fn umask(&mut self, mode: u32) {
        nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(
            mode as libc::mode_t,
        ));
        six_trace::step!(Kind::User, "umask {mode:04o}");
    }

    fn drop_bounding(&mut self, cap: Capability) -> Result<(), String> {
        caps::drop(None, CapSet::Bounding, cap).map_err(|e| e.to_string())
    }

    fn in_bounding(&mut self, cap: Capability) -> bool {
        caps::has_cap(None, CapSet::Bounding, cap).unwrap_or(false)
    }

    #[track_caller]
    fn set_caps(&mut self, set: CapSet, caps: &CapsHashSet) -> Result<(), String> {
        six_trace::call(
            Kind::Caps,
            || caps::set(None, set, caps).map_err(|e| e.to_string()),
            |d| write!(d, "{set:?} = {}", CapList(caps)),
        )
    }

    #[track_caller]
    fn clear_ambient(&mut self) -> Result<(), String> {
        six_trace::call(
            Kind::Caps,
            || caps::clear(None, CapSet::Ambient).map_err(|e| e.to_string()),
            |d| write!(d, "Ambient cleared"),
        )
    }

    #[track_caller]
    fn raise_ambient(&mut self, cap: Capability) -> Result<(), String> {
        six_trace::call(
            Kind::Caps,
            || caps::raise(None, CapSet::Ambient, cap).map_err(|e| e.to_string()),
            |d| write!(d, "Ambient += {cap}"),
        )
    }

    #[track_caller]
    fn set_no_new_privs(&mut self) -> Result<(), Errno> {
        six_trace::call(Kind::NoNewPrivs, nix::sys::prctl::set_no_new_privs, |d| {
            write!(d, "PR_SET_NO_NEW_PRIVS 1")
        })
    }

    fn install_seccomp(
        &mut self,
        filter: &crate::seccomp::Program,
    ) -> Result<Option<OwnedFd>, String> {
        filter.install().map_err(|e| e.to_string())
    }

    #[track_caller]
    fn chdir(&mut self, dir: &Path) -> Result<(), Errno> {
        six_trace::call(
            Kind::Cwd,
            || nix::unistd::chdir(dir),
            |d| write!(d, "chdir {}", dir.display()),
        )
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

    #[track_caller]
    fn set_parent_death_signal(&mut self, sig: i32) -> Result<(), Errno> {
        six_trace::call(
            Kind::Prctl,
            || {
                // SAFETY: prctl with integer arguments; failure is reported.
                Errno::result(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig, 0, 0, 0) })
                    .map(drop)
            },
            |d| write!(d, "PR_SET_PDEATHSIG {}", six_trace::signal_name(sig)),
        )
    }

    #[track_caller]
    fn set_undumpable(&mut self) -> Result<(), Errno> {
        six_trace::call(
            Kind::Prctl,
            || nix::sys::prctl::set_dumpable(false),
            |d| write!(d, "PR_SET_DUMPABLE 0 (nobody may open our /proc/self/exe)"),
        )
    }

    fn open_namespace(&mut self, path: &Path) -> std::io::Result<OwnedFd> {
        std::fs::File::open(path).map(OwnedFd::from)
    }

    #[track_caller]
    fn setns(&mut self, fd: BorrowedFd, nstype: CloneFlags) -> Result<(), Errno> {
        use std::os::fd::AsRawFd;
        six_trace::call(
            Kind::Setns,
            || nix::sched::setns(fd, nstype),
            |d| {
                let flags = six_trace::clone_flags(nstype.bits() as u32 as u64);
                let target = six_trace::fd_target(fd.as_raw_fd());
                write!(d, "{flags} {target}")
            },
        )
    }

    #[track_caller]
    fn unshare(&mut self, flags: CloneFlags) -> Result<(), Errno> {
        six_trace::call(
            Kind::Unshare,
            || nix::sched::unshare(flags),
            |d| write!(d, "{}", six_trace::clone_flags(flags.bits() as u32 as u64)),
        )
    }

    #[track_caller]
    fn sethostname(&mut self, name: &str) -> Result<(), Errno> {
        six_trace::call(
            Kind::Names,
            || nix::unistd::sethostname(name),
            |d| write!(d, "sethostname {name:?}"),
        )
    }

    #[track_caller]
    fn setdomainname(&mut self, name: &str) -> Result<(), Errno> {
        six_trace::call(
            Kind::Names,
            || {
                // SAFETY: a valid pointer and its length; failure is reported.
                Errno::result(unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) })
                    .map(drop)
            },
            |d| write!(d, "setdomainname {name:?}"),
        )
    }

    #[track_caller]
    fn join_session_keyring(&mut self, name: &CStr) -> Result<(), Errno> {
        const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
        six_trace::call(
            Kind::Keyring,
            || {
                // SAFETY: keyctl with a valid C string; failure is reported.
                Errno::result(unsafe {
                    libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.as_ptr())
                })
                .map(drop)
            },
            |d| {
                write!(
                    d,
                    "KEYCTL_JOIN_SESSION_KEYRING {}",
                    six_trace::bytes(name.to_bytes())
                )
            },
        )
    }

    #[track_caller]
    fn personality(&mut self, domain: libc::c_ulong) -> Result<(), Errno> {
        six_trace::call(
            Kind::Prctl,
            // SAFETY: personality with a plain value; failure is reported.
            || Errno::result(unsafe { libc::personality(domain) }).map(drop),
            |d| write!(d, "personality {domain:#x}"),
        )
    }
}

/// A limit as the kernel reads it: `unlimited` for RLIM_INFINITY (and close_range's "to the
/// end").
struct Limit(u64);

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == libc::RLIM_INFINITY || self.0 == u64::from(u32::MAX) {
            f.write_str("unlimited")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// A set of capabilities, in the kernel's order (`CAP_CHOWN|CAP_KILL`), or `none`; written
/// without allocating.
pub(crate) struct CapList<'a>(pub(crate) &'a CapsHashSet);

impl fmt::Display for CapList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mask = self.0.iter().fold(0u64, |m, c| m | 1 << c.index());
        if mask == 0 {
            return f.write_str("none");
        }
        let mut first = true;
        for bit in 0..64u8 {
            if mask & 1 << bit == 0 {
                continue;
            }
            if let Some(c) = self.0.iter().find(|c| c.index() == bit) {
                if !first {
                    f.write_str("|")?;
                }
                write!(f, "{c}")?;
                first = false;
            }
        }
        Ok(())
    }
}
