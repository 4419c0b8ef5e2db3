//! Network state on disk and the locks that guard it.
//!
//! `<root>/network/networks/<name>.json` holds one network with its endpoints (the IPAM
//! leases); `<root>/network/lock` is the store's flock, held while a record is read, changed
//! and written; `<root>/network/hosts.lock` serialises the rewriting of containers' hosts
//! files from the records (taken alone, or inside the store lock, never around it). Records are written atomically (six-sys's temp file `<name>.tmp-<PID>-<N>`, fsync, rename);
//! temp files of processes that died mid-write are removed on the next open.
//! `/run/six-network/` is host-wide: its `lock` serialises choices that must not collide
//! between stores (subnets, host ports, bridge devices) and `subnets` reserves the subnets of
//! every store's networks. This module never touches links or firewall rules.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{io, Error, Result};
use crate::subnet::Subnet;
use crate::Network;

/// Where host-wide state lives.
fn host_dir() -> PathBuf {
    PathBuf::from("/run/six-network")
}

/// An exclusive flock, released on drop.
pub(crate) struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        six_sys::flock::unlock(&self.file);
    }
}

/// How long a lock is waited for. Holders keep it for a few netlink calls and one
/// iptables-restore (itself bounded); a holder past this is stuck, and the error names it.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn lock_file(path: &Path) -> Result<Lock> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(format!("opening lock file {}", path.display())))?;
    six_sys::flock::lock_exclusive(&file, LOCK_WAIT)
        .map_err(io(format!("locking {}", path.display())))?;
    Ok(Lock { file })
}

/// The host-wide lock (`/run/six-network/lock`): take it after a store lock, never before.
pub(crate) fn host_lock() -> Result<Lock> {
    lock_file(&host_dir().join("lock"))
}

/// Test hook for crash-safety tests: with env `SIX_NETWORK_TEST_PAUSE_AT` equal to `step`,
/// the process stops itself (SIGSTOP) there, so that a test can SIGKILL it at that point.
pub(crate) fn pause_point(step: &str) {
    if std::env::var_os("SIX_NETWORK_TEST_PAUSE_AT").is_some_and(|v| v == step) {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP);
    }
}

/// Writes `contents` to `path` atomically (six-sys: a temp file in the same directory,
/// fsync, rename). A test may stop the writer once the temp file is written.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    six_sys::atomic::write_with(path, None, six_sys::atomic::Durable::Data, |file| {
        file.write_all(contents)?;
        if let Some(name) = path.file_name() {
            pause_point(&format!("writing {}", name.to_string_lossy()));
        }
        Ok::<(), std::io::Error>(())
    })
    .map_err(io(format!("writing {}", path.display())))
}

/// Removes the temp files of [`write_atomic`] in `dir` whose writer died before its rename
/// (a killed command); a live writer's are left to it.
fn remove_dead_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        let Some(pid) = six_sys::atomic::temp_writer(&path) else {
            continue;
        };
        let dead = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None)
            == Err(nix::errno::Errno::ESRCH);
        if dead {
            tracing::debug!(file = %path.display(), "removing the temp file of a dead writer");
            let _ = fs::remove_file(&path);
        }
    }
}

/// The records of one store, under `<root>/network`.
pub(crate) struct Store {
    dir: PathBuf,
}

impl Store {
    pub(crate) fn open(dir: PathBuf) -> Result<Store> {
        fs::create_dir_all(dir.join("networks"))
            .map_err(io(format!("creating {}", dir.display())))?;
        // hosts files shared by a network's containers (before each had its own): unused
        let _ = fs::remove_dir_all(dir.join("hosts"));
        remove_dead_temp_files(&dir.join("networks"));
        Ok(Store { dir })
    }

    /// The paths of every record, without reading them.
    pub(crate) fn record_paths(&self) -> Result<Vec<PathBuf>> {
        let dir = self.dir.join("networks");
        let entries = fs::read_dir(&dir).map_err(io(format!("listing {}", dir.display())))?;
        let mut out = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(io(format!("listing {}", dir.display())))?
                .path();
            if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
        Ok(out)
    }

    /// The store's flock: every read-change-write of records happens under it.
    pub(crate) fn lock(&self) -> Result<Lock> {
        lock_file(&self.dir.join("lock"))
    }

    /// The hosts files' flock: held while the containers' hosts files are rendered from the
    /// records and rewritten. Take it after the store lock or without it, never before it.
    pub(crate) fn hosts_lock(&self) -> Result<Lock> {
        lock_file(&self.dir.join("hosts.lock"))
    }

    pub(crate) fn record_path(&self, name: &str) -> PathBuf {
        self.dir.join("networks").join(format!("{name}.json"))
    }

    pub(crate) fn read(&self, name: &str) -> Result<Option<Network>> {
        read_record(&self.record_path(name))
    }

    pub(crate) fn get(&self, name: &str) -> Result<Network> {
        self.read(name)?
            .ok_or_else(|| Error::UnknownNetwork(name.to_string()))
    }

    pub(crate) fn write(&self, network: &Network) -> Result<()> {
        let path = self.record_path(&network.name);
        let json = serde_json::to_vec_pretty(network).map_err(|e| Error::Record {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, &json)
    }

    pub(crate) fn delete(&self, name: &str) -> Result<()> {
        let path = self.record_path(name);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(io(format!("removing {}", path.display()))(e))
            }
            _ => Ok(()),
        }
    }

    pub(crate) fn list(&self) -> Result<Vec<Network>> {
        let mut out = Vec::new();
        for path in self.record_paths()? {
            if let Some(network) = read_record(&path)? {
                out.push(network);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

fn read_record(path: &Path) -> Result<Option<Network>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Record {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(format!("reading {}", path.display()))(e)),
    }
}

/// Subnets reserved by networks of every store on this host (`/run/six-network/subnets`,
/// one `SUBNET RECORD-PATH` a line). An entry whose record is gone or names another subnet
/// is stale and dropped on the next write. Read and write it under [`host_lock`].
pub(crate) struct SubnetRegistry {
    entries: Vec<(Subnet, PathBuf)>,
}

impl SubnetRegistry {
    fn path() -> PathBuf {
        host_dir().join("subnets")
    }

    /// The text of the registry file ("" when there is none).
    fn read_text() -> Result<String> {
        let path = Self::path();
        match fs::read_to_string(&path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(io(format!("reading {}", path.display()))(e)),
        }
    }

    /// Every record path with an entry, live or not, read without the lock (the file is
    /// replaced by rename, so a reader sees a whole version): a quick check before a repair.
    pub(crate) fn recorded_paths() -> Result<Vec<PathBuf>> {
        Ok(Self::read_text()?
            .lines()
            .filter_map(|line| line.split_once(' ').map(|(_, r)| PathBuf::from(r)))
            .collect())
    }

    /// Reads the reservations (dropping stale ones) and removes temp files of writers that
    /// died. Call under [`host_lock`].
    pub(crate) fn load() -> Result<SubnetRegistry> {
        remove_dead_temp_files(&host_dir());
        let entries = Self::read_text()?
            .lines()
            .filter_map(|line| {
                let (subnet, record) = line.split_once(' ')?;
                let subnet = Subnet::parse_cidr(subnet).ok()?;
                let record = PathBuf::from(record);
                let live = matches!(read_record(&record), Ok(Some(n)) if n.subnet == subnet);
                live.then_some((subnet, record))
            })
            .collect();
        Ok(SubnetRegistry { entries })
    }

    /// Is the network at `record` reserved?
    pub(crate) fn has(&self, record: &Path) -> bool {
        self.entries.iter().any(|(_, r)| r == record)
    }

    /// Every live reservation: (subnet, record path).
    pub(crate) fn entries(&self) -> impl Iterator<Item = &(Subnet, PathBuf)> {
        self.entries.iter()
    }

    /// The reservation overlapping `subnet`, other than the one of `except` (a record path).
    pub(crate) fn overlapping(&self, subnet: &Subnet, except: &Path) -> Option<&(Subnet, PathBuf)> {
        self.entries
            .iter()
            .find(|(s, record)| record != except && s.overlaps(subnet))
    }

    pub(crate) fn reserve(&mut self, subnet: Subnet, record: &Path) -> Result<()> {
        self.entries.retain(|(_, r)| r != record);
        self.entries.push((subnet, record.to_path_buf()));
        self.save()
    }

    pub(crate) fn release(&mut self, record: &Path) -> Result<()> {
        self.entries.retain(|(_, r)| r != record);
        self.save()
    }

    fn save(&self) -> Result<()> {
        let mut text = String::new();
        for (subnet, record) in &self.entries {
            text.push_str(&format!("{subnet} {}\n", record.display()));
        }
        let path = Self::path();
        fs::create_dir_all(host_dir()).map_err(io(format!("creating {}", host_dir().display())))?;
        write_atomic(&path, text.as_bytes())
    }
}
