//! A recording [`ProcessSys`] for unit tests (compiled only for them): every call is
//! written down with its values, in order, so the process and namespace steps are checked
//! without root. `fail` names the calls that fail with EPERM.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use caps::{CapSet, Capability, CapsHashSet};
use nix::errno::Errno;
use nix::sched::CloneFlags;

use crate::process_sys::ProcessSys;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Call {
    DupAbove(RawFd, RawFd),
    Dup2(RawFd, RawFd),
    Setrlimit(u32, u64, u64),
    OomScoreAdj(i32),
    KeepOpen(RawFd),
    CloseRange(u32, u32),
    Close(RawFd),
    Setgroups(Vec<u32>),
    KeepCaps(bool),
    Setresgid(u32),
    Setresuid(u32),
    Umask(u32),
    DropBounding(Capability),
    SetCaps(&'static str, Vec<Capability>),
    ClearAmbient,
    RaiseAmbient(Capability),
    NoNewPrivs,
    Seccomp,
    HandOver,
    Chdir(PathBuf),
    ReadFile(PathBuf),
    ParentDeathSignal(i32),
    Undumpable,
    OpenNamespace(PathBuf),
    /// The namespace joined (the path it was opened from, or `fd:N` for one the test
    /// opened) and its `CLONE_NEW*` flag.
    Setns(PathBuf, CloneFlags),
    Unshare(CloneFlags),
    Sethostname(String),
    Setdomainname(String),
    SessionKeyring(String),
    Personality(libc::c_ulong),
}

/// Records every call; `fail` makes the named calls fail with EPERM.
#[derive(Default)]
pub(crate) struct Recording {
    pub(crate) calls: Vec<Call>,
    pub(crate) fail: Vec<&'static str>,
    pub(crate) next_fd: RawFd,
    /// What the next chdir calls return, in order (then success).
    pub(crate) chdir_results: Vec<Errno>,
    /// install_seccomp returns a notification fd (a profile with SCMP_ACT_NOTIFY rules).
    pub(crate) listener: bool,
    /// What read_file returns for /etc/passwd (None: no such file).
    pub(crate) passwd: Option<&'static str>,
    /// What read_file returns for /proc/self/setgroups (None: no such file).
    pub(crate) setgroups: Option<&'static str>,
    /// What join_session_keyring fails with, if anything.
    pub(crate) keyring_error: Option<Errno>,
    /// The namespace files opened: the fd number returned and the path (latest last).
    pub(crate) opened: Vec<(RawFd, PathBuf)>,
}

impl Recording {
    fn failing(&self, name: &str) -> Result<(), Errno> {
        if self.fail.contains(&name) {
            Err(Errno::EPERM)
        } else {
            Ok(())
        }
    }
}

fn sorted(caps: &CapsHashSet) -> Vec<Capability> {
    let mut v: Vec<Capability> = caps.iter().copied().collect();
    v.sort_by_key(|c| c.index());
    v
}

impl ProcessSys for Recording {
    fn dup_above(&mut self, fd: RawFd, min: RawFd) -> Result<RawFd, Errno> {
        self.calls.push(Call::DupAbove(fd, min));
        self.next_fd = self.next_fd.max(min) + 1;
        Ok(self.next_fd - 1)
    }
    fn dup2(&mut self, fd: RawFd, to: RawFd) -> Result<(), Errno> {
        self.calls.push(Call::Dup2(fd, to));
        Ok(())
    }
    fn setrlimit(
        &mut self,
        r: libc::__rlimit_resource_t,
        soft: u64,
        hard: u64,
    ) -> Result<(), Errno> {
        self.calls.push(Call::Setrlimit(r, soft, hard));
        self.failing("setrlimit")
    }
    fn hard_rlimit(&mut self, _: libc::__rlimit_resource_t) -> u64 {
        100
    }
    fn set_oom_score_adj(&mut self, v: i32) -> std::io::Result<()> {
        self.calls.push(Call::OomScoreAdj(v));
        Ok(())
    }
    fn keep_open_on_exec(&mut self, fd: RawFd) {
        self.calls.push(Call::KeepOpen(fd));
    }
    fn close_range(&mut self, from: u32, to: u32) -> Result<(), Errno> {
        self.calls.push(Call::CloseRange(from, to));
        self.failing("close_range")
    }
    fn close(&mut self, fd: RawFd) {
        self.calls.push(Call::Close(fd));
    }
    fn setgroups(&mut self, gids: &[u32]) -> Result<(), Errno> {
        self.calls.push(Call::Setgroups(gids.to_vec()));
        Ok(())
    }
    fn set_keepcaps(&mut self, keep: bool) -> Result<(), Errno> {
        self.calls.push(Call::KeepCaps(keep));
        Ok(())
    }
    fn setresgid(&mut self, gid: u32) -> Result<(), Errno> {
        self.calls.push(Call::Setresgid(gid));
        Ok(())
    }
    fn setresuid(&mut self, uid: u32) -> Result<(), Errno> {
        self.calls.push(Call::Setresuid(uid));
        self.failing("setresuid")
    }
    fn umask(&mut self, mode: u32) {
        self.calls.push(Call::Umask(mode));
    }
    fn drop_bounding(&mut self, cap: Capability) -> Result<(), String> {
        self.calls.push(Call::DropBounding(cap));
        Ok(())
    }
    fn in_bounding(&mut self, _: Capability) -> bool {
        false
    }
    fn set_caps(&mut self, set: CapSet, caps: &CapsHashSet) -> Result<(), String> {
        let name = match set {
            CapSet::Inheritable => "inheritable",
            CapSet::Effective => "effective",
            CapSet::Permitted => "permitted",
            _ => "other",
        };
        self.calls.push(Call::SetCaps(name, sorted(caps)));
        Ok(())
    }
    fn clear_ambient(&mut self) -> Result<(), String> {
        self.calls.push(Call::ClearAmbient);
        Ok(())
    }
    fn raise_ambient(&mut self, cap: Capability) -> Result<(), String> {
        self.calls.push(Call::RaiseAmbient(cap));
        Ok(())
    }
    fn set_no_new_privs(&mut self) -> Result<(), Errno> {
        self.calls.push(Call::NoNewPrivs);
        Ok(())
    }
    fn install_seccomp(
        &mut self,
        _: &crate::seccomp::Program,
    ) -> Result<Option<std::os::fd::OwnedFd>, String> {
        self.calls.push(Call::Seccomp);
        Ok(self
            .listener
            .then(|| std::fs::File::open("/dev/null").unwrap().into()))
    }
    fn chdir(&mut self, dir: &Path) -> Result<(), Errno> {
        self.calls.push(Call::Chdir(dir.to_path_buf()));
        if self.chdir_results.is_empty() {
            Ok(())
        } else {
            Err(self.chdir_results.remove(0))
        }
    }
    fn getcwd(&mut self) -> Option<PathBuf> {
        self.calls.iter().rev().find_map(|c| match c {
            Call::Chdir(p) => Some(p.clone()),
            _ => None,
        })
    }
    fn read_file(&mut self, path: &Path) -> Option<Vec<u8>> {
        self.calls.push(Call::ReadFile(path.to_path_buf()));
        let text = match path.to_str() {
            Some("/proc/self/setgroups") => self.setgroups,
            _ => self.passwd,
        };
        text.map(|t| t.as_bytes().to_vec())
    }
    fn set_parent_death_signal(&mut self, sig: i32) -> Result<(), Errno> {
        self.calls.push(Call::ParentDeathSignal(sig));
        Ok(())
    }
    fn set_undumpable(&mut self) -> Result<(), Errno> {
        self.calls.push(Call::Undumpable);
        self.failing("set_undumpable")
    }
    fn open_namespace(&mut self, path: &Path) -> std::io::Result<OwnedFd> {
        self.calls.push(Call::OpenNamespace(path.to_path_buf()));
        self.failing("open_namespace")?;
        let fd = OwnedFd::from(std::fs::File::open("/dev/null")?);
        self.opened.push((fd.as_raw_fd(), path.to_path_buf()));
        Ok(fd)
    }
    fn setns(&mut self, fd: BorrowedFd, nstype: CloneFlags) -> Result<(), Errno> {
        let n = fd.as_raw_fd();
        let path = self
            .opened
            .iter()
            .rev()
            .find(|(o, _)| *o == n)
            .map(|(_, p)| p.clone())
            .unwrap_or_else(|| PathBuf::from(format!("fd:{n}")));
        self.calls.push(Call::Setns(path, nstype));
        self.failing("setns")
    }
    fn unshare(&mut self, flags: CloneFlags) -> Result<(), Errno> {
        self.calls.push(Call::Unshare(flags));
        self.failing("unshare")
    }
    fn sethostname(&mut self, name: &str) -> Result<(), Errno> {
        self.calls.push(Call::Sethostname(name.to_owned()));
        self.failing("sethostname")
    }
    fn setdomainname(&mut self, name: &str) -> Result<(), Errno> {
        self.calls.push(Call::Setdomainname(name.to_owned()));
        Ok(())
    }
    fn join_session_keyring(&mut self, name: &CStr) -> Result<(), Errno> {
        self.calls
            .push(Call::SessionKeyring(name.to_string_lossy().into_owned()));
        self.keyring_error.map_or(Ok(()), Err)
    }
    fn personality(&mut self, domain: libc::c_ulong) -> Result<(), Errno> {
        self.calls.push(Call::Personality(domain));
        Ok(())
    }
}
