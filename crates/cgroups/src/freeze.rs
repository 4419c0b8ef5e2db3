//! Freezing and thawing a container's cgroup, and waiting until the kernel confirms it:
//! v1 writes freezer.state and polls it (the kernel offers no notification); v2 writes
//! cgroup.freeze and sleeps in poll(2) until cgroup.events changes; and reading whether a
//! cgroup is frozen. Never signals a process.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cgroup::{Cgroup, SETTLE_TIMEOUT};
use crate::error::{Error, Result};
use crate::files;
use crate::hierarchy::Version;

pub(crate) fn set_frozen(cg: &Cgroup, frozen: bool) -> Result<()> {
    let _span = tracing::debug_span!("cgroup_freeze", frozen).entered();
    let result = match cg.version {
        Version::V2 => v2(cg, frozen),
        Version::V1 | Version::Hybrid => v1(cg, frozen),
    };
    if frozen && result.is_err() {
        // Half-frozen is the worst state to leave a container in.
        let _ = set_frozen(cg, false);
    }
    result
}

/// Whether the container's cgroup is frozen by itself, as runc reads it (GetFreezerState):
/// v1 `freezer.state` FROZEN (or FREEZING) with `freezer.self_freezing` 1 (frozen only
/// through an ancestor is not), v2 `cgroup.freeze` 1. A cgroup or file that does not exist is
/// not frozen.
pub(crate) fn is_frozen(cg: &Cgroup) -> Result<bool> {
    let (dir, file, frozen) = match cg.version {
        Version::V2 => (cg.unified_dir(), "cgroup.freeze", "1"),
        Version::V1 | Version::Hybrid => (cg.v1_dir("freezer"), "freezer.state", "FROZEN"),
    };
    let Some(dir) = dir.filter(|d| files::exists(d, file)) else {
        return Ok(false);
    };
    let state = files::read(dir, file)?;
    if cg.version == Version::V2 {
        return Ok(state == frozen);
    }
    if state != frozen && state != "FREEZING" {
        return Ok(false);
    }
    Ok(!files::exists(dir, "freezer.self_freezing")
        || files::read(dir, "freezer.self_freezing")? == "1")
}

fn timeout(dir: &Path, frozen: bool, start: Instant) -> Error {
    Error::Timeout {
        dir: dir.into(),
        state: if frozen { "frozen" } else { "thawed" },
        waited_ms: start.elapsed().as_millis() as u64,
    }
}

fn v1(cg: &Cgroup, frozen: bool) -> Result<()> {
    let dir = cg.v1_dir("freezer").ok_or_else(|| Error::Unsupported {
        what: "freezing".into(),
        context: "without a mounted v1 freezer hierarchy",
    })?;
    let want = if frozen { "FROZEN" } else { "THAWED" };
    let start = Instant::now();
    let mut pause = Duration::from_micros(200);
    loop {
        // FREEZING can stall on a task in an uninterruptible sleep: writing FROZEN again
        // retries it, as runc does.
        cg.write(dir, "freezer.state", want)?;
        if files::read(dir, "freezer.state")? == want {
            return Ok(());
        }
        if start.elapsed() > SETTLE_TIMEOUT {
            return Err(timeout(dir, frozen, start));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

fn v2(cg: &Cgroup, frozen: bool) -> Result<()> {
    let dir = cg.unified_dir().ok_or(Error::NoHierarchy)?;
    let events_path = dir.join("cgroup.events");
    let read_err = |source| Error::Read {
        path: events_path.clone(),
        source,
    };
    // Opened before the write, so a change after it wakes poll(2).
    let events = File::open(&events_path).map_err(read_err)?;
    cg.write(dir, "cgroup.freeze", if frozen { "1" } else { "0" })?;
    let want = if frozen { "frozen 1" } else { "frozen 0" };
    let start = Instant::now();
    let mut buf = [0u8; 512];
    loop {
        let n = events.read_at(&mut buf, 0).map_err(read_err)?;
        if String::from_utf8_lossy(&buf[..n])
            .lines()
            .any(|l| l.trim() == want)
        {
            return Ok(());
        }
        let left = SETTLE_TIMEOUT.saturating_sub(start.elapsed());
        if left.is_zero() {
            return Err(timeout(dir, frozen, start));
        }
        if cg.fake {
            // A plain file never notifies; look again shortly.
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let mut pfd = libc::pollfd {
            fd: events.as_raw_fd(),
            events: libc::POLLPRI,
            revents: 0,
        };
        // SAFETY: one valid pollfd, a bounded timeout.
        unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(i32::MAX as u128) as i32) };
    }
}
