//! The container's record on disk: `<root>/<id>/state.json`, written atomically (temp file,
//! rename; not flushed: see [`StateDir::write`]) while holding an flock on the container's
//! directory, plus `exec.fifo`, on which a created container's init waits for `start`.
//!
//! It owns the layout of the state directory and the [`Status`] rules (a pid counts as ours
//! only while its start time matches). It never starts or signals processes.

use std::collections::HashMap;
use std::fs::{self, File};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const STATE_FILE: &str = "state.json";
pub const EXEC_FIFO: &str = "exec.fifo";
/// The cgroup of a container still being made (state.json says it once made), so that a
/// directory left by a killed create can be cleaned up.
const CGROUP_FILE: &str = "cgroup.json";

/// A container's status as runc reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Being created: the init is being set up.
    Creating,
    /// The init waits for `start`.
    Created,
    /// The container's process runs.
    Running,
    /// Its processes are frozen.
    Paused,
    /// The init has exited.
    Stopped,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::Creating => "creating",
            Status::Created => "created",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopped => "stopped",
        })
    }
}

/// What we keep about a container between commands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    /// The init's pid in the runtime's pid namespace.
    pub pid: i32,
    /// The init's start time (clock ticks after boot), to tell it from a reused pid.
    pub pid_start: u64,
    pub bundle: PathBuf,
    pub rootfs: PathBuf,
    pub created: chrono::DateTime<chrono::Utc>,
    pub owner: String,
    pub annotations: HashMap<String, String>,
    pub cgroup: Option<six_cgroups::Cgroup>,
    pub paused: bool,
    /// The config it was created from (hooks and the process for exec come from here).
    pub config: Spec,
    /// A traced create: the init's fd holding the read end of the trace socket it sends its
    /// last steps to (the wait for `start`, the `execve`), which a traced `start` takes
    /// over (six-trace's `hand_over_begin`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_fd: Option<i32>,
}

impl Record {
    /// The status, refreshed from /proc.
    pub fn status(&self, dir: &Path) -> Status {
        if !six_sys::proc::is_alive(self.pid, self.pid_start) {
            Status::Stopped
        } else if self.paused {
            Status::Paused
        } else if dir.join(EXEC_FIFO).exists() {
            Status::Created
        } else {
            Status::Running
        }
    }
}

/// The directory of one container; holds an exclusive flock while alive.
pub struct StateDir {
    pub path: PathBuf,
    lock: File,
}

/// Checks an ID the way runc does: `[A-Za-z0-9_+\-.]+`, not `.` or `..`.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id != "."
        && id != ".."
        && id.len() <= 1024
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidId(id.to_owned()))
    }
}

/// How long a command waits for a container's (or the state root's) lock. Holders keep it
/// for one step (a delete's bounded wait for the init at the most); a holder past this is
/// stuck (stopped with Ctrl-Z, say), and the error names it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn lock(dir: &Path) -> Result<File> {
    let f = File::open(dir).map_err(|e| Error::io("opening state directory", dir, e))?;
    six_sys::flock::lock_exclusive(&f, LOCK_WAIT)
        .map_err(|e| Error::io("locking state directory", dir, e))?;
    Ok(f)
}

impl StateDir {
    /// Makes `<root>/<id>`; fails if the container exists. A directory that a create killed
    /// midway left behind (no state.json, nobody holding its lock) is cleaned up and reused.
    pub fn create(root: &Path, id: &str) -> Result<StateDir> {
        check_id(id)?;
        fs::create_dir_all(root).map_err(|e| Error::io("creating state root", root, e))?;
        // Held across making and locking the directory, so that a create reclaiming a
        // half-made directory never takes one that is still being made.
        let _root = lock(root)?;
        let path = root.join(id);
        match fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !reclaim_locked(&path)? {
                    return Err(Error::Exists(id.to_owned()));
                }
                fs::create_dir(&path)
                    .map_err(|e| Error::io("creating state directory", &path, e))?;
            }
            Err(e) => return Err(Error::io("creating state directory", &path, e)),
        }
        let lock = lock(&path)?;
        Ok(StateDir { path, lock })
    }

    /// Notes the cgroup of the container being made (see [`reclaim_half_made`]).
    pub fn note_cgroup(&self, cgroup: &six_cgroups::Cgroup) -> Result<()> {
        let path = self.path.join(CGROUP_FILE);
        let bytes = serde_json::to_vec(cgroup)
            .map_err(|e| Error::io("encoding cgroup", &path, e.into()))?;
        fs::write(&path, bytes).map_err(|e| Error::io("writing", &path, e))
    }

    /// Opens and locks `<root>/<id>` of an existing container.
    pub fn open(root: &Path, id: &str) -> Result<StateDir> {
        check_id(id)?;
        let path = root.join(id);
        if !path.join(STATE_FILE).exists() {
            return Err(Error::NotFound(id.to_owned()));
        }
        let lock = lock(&path)?;
        // It may have been deleted while we waited for the lock.
        if !path.join(STATE_FILE).exists() {
            return Err(Error::NotFound(id.to_owned()));
        }
        Ok(StateDir { path, lock })
    }

    /// The lock's descriptor (a cloned child closes its copy first thing).
    pub fn lock_fd(&self) -> std::os::fd::RawFd {
        self.lock.as_raw_fd()
    }

    /// Moves the lock's descriptor to a number >= `min` (out of the preserved fds).
    pub fn move_lock_above(&mut self, min: std::os::fd::RawFd) -> Result<()> {
        if self.lock.as_raw_fd() >= min {
            return Ok(());
        }
        // The flock belongs to the open file description, which the copy shares.
        let lock = self
            .lock
            .try_clone()
            .and_then(|f| six_sys::fd::move_above(f.into(), min))
            .map_err(|e| Error::io("moving the state lock", &self.path, e))?;
        self.lock = lock.into();
        Ok(())
    }

    pub fn fifo(&self) -> PathBuf {
        self.path.join(EXEC_FIFO)
    }

    pub fn read(&self) -> Result<Record> {
        read_record(&self.path)
    }

    /// Writes state.json atomically (temp file, rename), not flushed to the disk, as runc and
    /// crun write theirs: the record describes processes that a power loss ends, so a flush
    /// buys nothing, and on a disk-backed root it cost `create` an fdatasync plus, on a
    /// filesystem mounted with `discard`, a synchronous discard of the blocks it preallocated
    /// (issue 17: 1-4 ms each under load; the default root /run is a tmpfs anyway).
    pub fn write(&self, rec: &Record) -> Result<()> {
        let final_path = self.path.join(STATE_FILE);
        let bytes = serde_json::to_vec(rec)
            .map_err(|e| Error::io("encoding state", &final_path, e.into()))?;
        six_sys::atomic::write(&final_path, &bytes, six_sys::atomic::Durable::No)
            .map_err(|e| Error::io("writing state", &final_path, e))
    }

    /// Removes the whole directory (the lock goes with it).
    pub fn remove(self) -> Result<()> {
        let _held = &self.lock;
        fs::remove_dir_all(&self.path).or_else(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(Error::io("removing state directory", &self.path, e))
            }
        })
    }
}

/// Removes `<root>/<id>` if a create killed midway left it: no state.json and nobody holds its
/// lock. The cgroup it noted is emptied (SIGKILL) and removed. True if it was removed.
pub fn reclaim_half_made(root: &Path, id: &str) -> Result<bool> {
    check_id(id)?;
    let path = root.join(id);
    if !path.is_dir() || path.join(STATE_FILE).exists() {
        return Ok(false);
    }
    let _root = lock(root)?;
    reclaim_locked(&path)
}

/// [`reclaim_half_made`] with the root's lock held.
fn reclaim_locked(path: &Path) -> Result<bool> {
    let dir = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
        Err(e) => return Err(Error::io("opening state directory", path, e)),
    };
    // SAFETY: flock on a valid fd.
    if unsafe { libc::flock(dir.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Ok(false); // a create (or delete) is at work on it
    }
    if path.join(STATE_FILE).exists() {
        return Ok(false);
    }
    if let Ok(bytes) = fs::read(path.join(CGROUP_FILE)) {
        if let Ok(cg) = serde_json::from_slice::<six_cgroups::Cgroup>(&bytes) {
            crate::delete::kill_all(&cg);
            cg.destroy().map_err(|source| Error::Cgroup {
                id: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                source,
            })?;
        }
    }
    fs::remove_dir_all(path).map_err(|e| Error::io("removing state directory", path, e))?;
    Ok(true)
}

/// Reads a record without taking the lock (for `list` and `state`, which only look).
pub fn read_record(dir: &Path) -> Result<Record> {
    let path = dir.join(STATE_FILE);
    let bytes = fs::read(&path).map_err(|e| Error::io("reading state", &path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| Error::Config {
        path,
        msg: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_follow_runc_rules() {
        for ok in ["a", "web-1", "x_y.z+1", "0123abc"] {
            assert!(check_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "ü"] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_second_create_of_the_same_id_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let d = StateDir::create(root.path(), "c1").unwrap();
        assert!(matches!(
            StateDir::create(root.path(), "c1"),
            Err(Error::Exists(_))
        ));
        d.remove().unwrap();
        assert!(!root.path().join("c1").exists());
    }

    #[test]
    fn a_missing_container_is_not_found() {
        let root = tempfile::tempdir().unwrap();
        assert!(matches!(
            StateDir::open(root.path(), "nope"),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn records_round_trip_and_a_dead_pid_is_stopped() {
        let root = tempfile::tempdir().unwrap();
        let d = StateDir::create(root.path(), "c2").unwrap();
        let rec = Record {
            id: "c2".into(),
            pid: std::process::id() as i32,
            pid_start: 1, // not our real start time: must read as stopped
            bundle: "/b".into(),
            rootfs: "/b/rootfs".into(),
            created: chrono::Utc::now(),
            owner: String::new(),
            annotations: HashMap::new(),
            cgroup: None,
            paused: false,
            config: Spec::default(),
            trace_fd: None,
        };
        d.write(&rec).unwrap();
        let back = d.read().unwrap();
        assert_eq!(back.id, "c2");
        assert_eq!(back.status(&d.path), Status::Stopped);
        let me = six_sys::proc::stat(rec.pid).unwrap().start_time;
        let live = Record {
            pid_start: me,
            ..back
        };
        assert_eq!(live.status(&d.path), Status::Running);
        d.remove().unwrap();
    }
}
