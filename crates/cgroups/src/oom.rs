//! Watching a container's cgroup for OOM kills, as runc's `events` does: on cgroup v1 an
//! eventfd registered on memory.oom_control through cgroup.event_control (the kernel
//! signals it on each OOM and when the cgroup is removed); on cgroup v2 inotify on
//! memory.events (its oom_kill count going up) and cgroup.events (populated 0: the
//! container is gone). The caller polls [`OomWatch`]'s descriptor and calls
//! [`OomWatch::read`] when it is readable. It never writes a limit.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use crate::cgroup::Cgroup;
use crate::error::{Error, Result};
use crate::files;
use crate::hierarchy::Version;

/// What a readable [`OomWatch`] had to say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OomEvent {
    /// The OOM killer struck (once or more since the last read).
    Oom,
    /// The container is gone (its cgroup removed, or on v2 emptied): no more events.
    Gone,
    /// Nothing of interest (another counter of memory.events moved).
    Nothing,
}

/// A registration for a cgroup's OOM events.
pub struct OomWatch {
    fd: OwnedFd,
    kind: Kind,
}

enum Kind {
    /// The eventfd; cgroup.event_control's path (gone with the cgroup); memory.oom_control
    /// kept open for as long as the registration lives.
    V1 {
        event_control: PathBuf,
        _oom_control: File,
    },
    /// The inotify watch descriptors and the last oom_kill count seen.
    V2 {
        dir: PathBuf,
        memory_events: i32,
        cgroup_events: i32,
        oom_kills: u64,
    },
}

/// The failed step with the errno it left.
fn last_os_error(step: &'static str, path: &Path) -> Error {
    Error::OomWatch {
        step,
        path: path.to_path_buf(),
        source: io::Error::last_os_error(),
    }
}

impl OomWatch {
    /// Registers for `cg`'s OOM events: the v1 memory hierarchy when it is mounted (v1 and
    /// hybrid), else the cgroup2 directory.
    pub fn new(cg: &Cgroup) -> Result<OomWatch> {
        match (cg.v1_dir("memory"), cg.unified_dir()) {
            (Some(dir), _) => Self::v1(dir),
            (None, Some(dir)) if cg.version() == Version::V2 => Self::v2(dir),
            _ => Err(Error::Unsupported {
                what: "OOM notification".into(),
                context: "here: no memory cgroup is mounted",
            }),
        }
    }

    fn v1(dir: &Path) -> Result<OomWatch> {
        let oom_control =
            File::open(dir.join("memory.oom_control")).map_err(|source| Error::Read {
                path: dir.join("memory.oom_control"),
                source,
            })?;
        // SAFETY: eventfd with valid flags; the result is checked.
        let efd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC) };
        if efd < 0 {
            return Err(last_os_error("creating an eventfd", dir));
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(efd) };
        let line = format!("{} {}", fd.as_raw_fd(), oom_control.as_raw_fd());
        files::write(dir, "cgroup.event_control", &line, false)?;
        Ok(OomWatch {
            fd,
            kind: Kind::V1 {
                event_control: dir.join("cgroup.event_control"),
                _oom_control: oom_control,
            },
        })
    }

    fn v2(dir: &Path) -> Result<OomWatch> {
        // SAFETY: inotify_init1 with valid flags; the result is checked.
        let ifd = unsafe { libc::inotify_init1(libc::IN_CLOEXEC | libc::IN_NONBLOCK) };
        if ifd < 0 {
            return Err(last_os_error("creating an inotify instance", dir));
        }
        // SAFETY: a fresh descriptor we own.
        let fd = unsafe { OwnedFd::from_raw_fd(ifd) };
        let watch = |file: &str| -> Result<i32> {
            let path = dir.join(file);
            let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| {
                Error::OomWatch {
                    step: "watching",
                    path: path.clone(),
                    source: io::Error::from(io::ErrorKind::InvalidInput),
                }
            })?;
            // SAFETY: a valid inotify fd and NUL-terminated path; the result is checked.
            let wd = unsafe { libc::inotify_add_watch(ifd, c.as_ptr(), libc::IN_MODIFY) };
            if wd < 0 {
                return Err(last_os_error("watching", &path));
            }
            Ok(wd)
        };
        let memory_events = watch("memory.events")?;
        let cgroup_events = watch("cgroup.events")?;
        let oom_kills = oom_kills_v2(dir)?;
        Ok(OomWatch {
            fd,
            kind: Kind::V2 {
                dir: dir.to_path_buf(),
                memory_events,
                cgroup_events,
                oom_kills,
            },
        })
    }

    /// Reads what made the descriptor readable. Blocks on v1 until the kernel signals (call
    /// it after poll said readable); never blocks on v2.
    pub fn read(&mut self) -> Result<OomEvent> {
        match &mut self.kind {
            Kind::V1 { event_control, .. } => {
                let mut buf = [0u8; 8];
                // SAFETY: reading 8 bytes into our buffer from our eventfd.
                let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
                if n != 8 {
                    return Err(last_os_error("reading the OOM eventfd", event_control));
                }
                // The kernel signals the eventfd when the cgroup goes away too.
                if std::fs::symlink_metadata(&*event_control).is_err() {
                    return Ok(OomEvent::Gone);
                }
                Ok(OomEvent::Oom)
            }
            Kind::V2 {
                dir,
                memory_events,
                cgroup_events,
                oom_kills,
            } => {
                let mut buf = [0u8; 4096];
                let mut event = OomEvent::Nothing;
                loop {
                    // SAFETY: reading into our buffer from our non-blocking inotify fd.
                    let n = unsafe {
                        libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
                    };
                    if n <= 0 {
                        break;
                    }
                    let mut off = 0usize;
                    while off + std::mem::size_of::<libc::inotify_event>() <= n as usize {
                        // SAFETY: the kernel wrote whole inotify_event records; unaligned read.
                        let e: libc::inotify_event =
                            unsafe { std::ptr::read_unaligned(buf.as_ptr().add(off).cast()) };
                        off += std::mem::size_of::<libc::inotify_event>() + e.len as usize;
                        if e.mask & libc::IN_IGNORED != 0 {
                            return Ok(OomEvent::Gone);
                        }
                        if e.wd == *cgroup_events && !populated_v2(dir) {
                            return Ok(OomEvent::Gone);
                        }
                        if e.wd == *memory_events {
                            let now = oom_kills_v2(dir).unwrap_or(*oom_kills);
                            if now > *oom_kills {
                                *oom_kills = now;
                                event = OomEvent::Oom;
                            }
                        }
                    }
                }
                Ok(event)
            }
        }
    }
}

impl AsFd for OomWatch {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn oom_kills_v2(dir: &Path) -> Result<u64> {
    Ok(crate::stats::keyed(dir, "memory.events")?
        .get("oom_kill")
        .copied()
        .unwrap_or(0))
}

/// cgroup.events says the cgroup still has processes (a missing file: it is gone).
fn populated_v2(dir: &Path) -> bool {
    crate::stats::keyed(dir, "cgroup.events")
        .ok()
        .and_then(|m| m.get("populated").copied())
        .is_some_and(|p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// inotify works on plain files: a fake v2 directory stands in for the kernel's.
    #[test]
    fn v2_reports_new_oom_kills_then_the_end() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::write(
            d.join("memory.events"),
            "low 0\nhigh 0\nmax 0\noom 0\noom_kill 1\n",
        )
        .unwrap();
        std::fs::write(d.join("cgroup.events"), "populated 1\nfrozen 0\n").unwrap();
        let mut w = OomWatch::v2(d).unwrap();
        // Counted before the watch: not an event.
        assert_eq!(w.read().unwrap(), OomEvent::Nothing);
        std::fs::write(d.join("memory.events"), "max 3\noom 1\noom_kill 1\n").unwrap();
        assert_eq!(w.read().unwrap(), OomEvent::Nothing, "only max moved");
        std::fs::write(d.join("memory.events"), "max 3\noom 2\noom_kill 2\n").unwrap();
        assert_eq!(w.read().unwrap(), OomEvent::Oom);
        std::fs::write(d.join("cgroup.events"), "populated 1\nfrozen 1\n").unwrap();
        assert_eq!(w.read().unwrap(), OomEvent::Nothing);
        std::fs::write(d.join("cgroup.events"), "populated 0\nfrozen 0\n").unwrap();
        assert_eq!(w.read().unwrap(), OomEvent::Gone);
    }
}
