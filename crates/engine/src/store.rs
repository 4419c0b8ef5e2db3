//! Container records on disk: `<root>/containers/<id>/` with `container.json` (fixed at
//! create) and `state.json` (rewritten atomically under the container's flock, even on a
//! full disk: see `reserve.rs`), and
//! `<root>/containers/names/<name>`, a symlink to the ID, which makes names unique by
//! `symlink(2)` itself: two CLIs racing for one name cannot both win.
//!
//! A record vanishes in one step: its remover holds the lock, renames the directory away
//! (`containers/.removing-<id>`) and deletes it there. Whoever waited for the lock then finds
//! the lock it holds no longer at the record's path and reports `NoSuchContainer`, never a
//! half-deleted directory or a lock file recreated inside one.
//!
//! Records are only ever replaced whole, by a rename into their directory (never written in
//! place where they are read): the listing cache (`listing.rs`), through which listings of
//! every record go, notices a change by the directory's times alone.
//!
//! Lookup takes a full ID, a name or a unique ID prefix. This module never mounts, signals
//! or starts anything.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::file_lock::{lock_file, FileLock};
use crate::listing::{ListedConfig, Listing, RecordRead, StateRead};
use crate::record::{ContainerConfig, ProcessId, State, Status};

#[derive(Clone)]
pub(crate) struct Store {
    dir: PathBuf,
    names: PathBuf,
    listing: std::sync::Arc<Listing>,
}

const CONFIG: &str = "container.json";
const STATE: &str = "state.json";
const LOCK: &str = "lock";
/// Prefix of a record's directory while it is deleted (`.removing-<id>.<remover pid>`).
const REMOVING: &str = ".removing-";
/// Prefix of a record's directory while it is made (`.creating-<id>.<pid>.<start time>`).
const CREATING: &str = ".creating-";

impl Store {
    /// Opens `<root>/containers`, creating it if needed.
    pub(crate) fn open(root: &Path) -> Result<Store> {
        let dir = root.join("containers");
        let names = dir.join("names");
        fs::create_dir_all(&names).at("creating the container store", &names)?;
        let listing = std::sync::Arc::new(Listing::new(&dir));
        Ok(Store {
            dir,
            names,
            listing,
        })
    }

    /// The directory of one container.
    pub(crate) fn dir(&self, id: &str) -> PathBuf {
        self.dir.join(id)
    }

    /// A fresh 64-hex container ID from the kernel's random source (getrandom(2)).
    pub(crate) fn new_id() -> Result<String> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            let e = std::io::Error::from_raw_os_error(errno);
            Error::io("reading random bytes for a container ID", e)
        })?;
        Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// Writes a new record (state `Creating`, owned by this process) and claims its name.
    /// Fails with `NameInUse` leaving nothing behind when the name is taken.
    ///
    /// The record is made in `containers/.creating-<id>.<pid>.<start time>` and renamed into
    /// place whole, so `containers/<id>` always has a state naming its owner; what a create
    /// killed before the rename left is deleted by the next reconcile once that very process
    /// (pid and start time) is gone, never while it still works on it.
    pub(crate) fn create(&self, config: &ContainerConfig) -> Result<()> {
        let dir = self.dir(&config.id);
        let owner = ProcessId::current();
        let staging = self.dir.join(format!(
            "{CREATING}{}.{}.{}",
            config.id, owner.pid, owner.start_time
        ));
        fs::create_dir(&staging).at("creating the container directory", &staging)?;
        let state = State {
            status: Status::Creating,
            owner: Some(owner),
            ..State::default()
        };
        let written = write_atomic(&staging.join(CONFIG), config, Durable::No)
            .and_then(|()| {
                crate::test_hook::pause_point("record-staged");
                write_atomic(&staging.join(STATE), &state, Durable::No)
            })
            .and_then(|()| {
                crate::reserve::create(&staging)
                    .at("setting space aside for the state in", &staging)
            })
            .and_then(|()| fs::rename(&staging, &dir).at("placing the container directory", &dir));
        if let Err(e) = written {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        crate::test_hook::pause_point("record-placed");
        if let Err(e) = self.claim_name(&config.name, &config.id) {
            let _ = fs::remove_dir_all(&dir);
            return Err(e);
        }
        Ok(())
    }

    fn claim_name(&self, name: &str, id: &str) -> Result<()> {
        let link = self.names.join(name);
        loop {
            match std::os::unix::fs::symlink(id, &link) {
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::at("claiming the container name", &link, e)),
            }
            // Taken: by a live container, or a link left by a removal that was killed.
            let _guard = lock_file(&self.names.join(".lock"))?;
            match fs::read_link(&link) {
                Ok(owner) if self.dir.join(&owner).join(CONFIG).exists() => {
                    return Err(Error::NameInUse {
                        name: name.to_owned(),
                        id: owner.to_string_lossy().into_owned(),
                    })
                }
                Ok(_) => {
                    let _ = fs::remove_file(&link);
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(Error::at("reading the container name", &link, e)),
            }
        }
    }

    /// Gives container `id` the name `new` (claimed as at create: `NameInUse` when taken)
    /// under its lock, and frees its old name, which it returns.
    pub(crate) fn rename(&self, id: &str, new: &str) -> Result<String> {
        let path = self.dir(id).join(CONFIG);
        let _guard = self.lock(id)?;
        let mut config: ContainerConfig = read_json(&path, id)?;
        if config.name == new {
            return Err(Error::Invalid(
                "renaming a container with the same name as its current name".into(),
            ));
        }
        self.claim_name(new, id)?;
        let old = std::mem::replace(&mut config.name, new.to_owned());
        let (written, dropped) = match write_atomic(&path, &config, Durable::Yes) {
            Ok(()) => (Ok(old.clone()), old),
            Err(e) => (Err(e), new.to_owned()),
        };
        let link = self.names.join(&dropped);
        if fs::read_link(&link).is_ok_and(|t| t.as_os_str() == id) {
            let _ = fs::remove_file(&link);
        }
        written
    }

    /// A free name in Docker's style ("brave_turing"), with a number when all are taken.
    pub(crate) fn generate_name(&self) -> String {
        crate::names::generate(&self.names)
    }

    /// The full ID for a full ID, a name or a unique ID prefix (Docker's order).
    pub(crate) fn resolve(&self, given: &str) -> Result<String> {
        let not_found = || Error::NoSuchContainer(given.to_owned());
        let plausible = !given.is_empty() && !given.contains('/') && given != "." && given != "..";
        if !plausible {
            return Err(not_found());
        }
        if given.len() == 64 && self.dir(given).join(CONFIG).exists() {
            return Ok(given.to_owned());
        }
        if let Ok(target) = fs::read_link(self.names.join(given.strip_prefix('/').unwrap_or(given)))
        {
            let id = target.to_string_lossy().into_owned();
            if self.dir(&id).join(CONFIG).exists() {
                return Ok(id);
            }
        }
        if !given.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let given = given.to_ascii_lowercase();
        let matches: Vec<String> = self
            .ids()?
            .into_iter()
            .filter(|id| id.starts_with(&given))
            .collect();
        match matches.len() {
            0 => Err(not_found()),
            1 => Ok(matches.into_iter().next().unwrap_or_default()),
            count => Err(Error::AmbiguousPrefix {
                prefix: given,
                count,
            }),
        }
    }

    /// IDs of every record (complete or not).
    pub(crate) fn ids(&self) -> Result<Vec<String>> {
        Ok(self.scan()?.0)
    }

    /// IDs of every record, and whether the directory holds names that may be what a killed
    /// command left ([`Store::remove_leftovers`] tells).
    fn scan(&self) -> Result<(Vec<String>, bool)> {
        let mut ids = Vec::new();
        let mut leftovers = false;
        for entry in fs::read_dir(&self.dir).at("listing containers in", &self.dir)? {
            let entry = entry.at("listing containers in", &self.dir)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                ids.push(name);
            } else {
                leftovers |= name.starts_with(REMOVING)
                    || name.starts_with(CREATING)
                    || crate::listing::may_be_leftover(&name);
            }
        }
        Ok((ids, leftovers))
    }

    /// The state of every record (a read error for one whose state cannot be read), from the
    /// listing cache where its file has not changed.
    pub(crate) fn states(&self) -> Result<Vec<StateRead>> {
        Ok(self.listing.states(self.ids()?))
    }

    /// Every record that can be read whole, as listings show it (in no order), from the
    /// listing cache where its files have not changed.
    pub(crate) fn listed(&self) -> Result<Vec<(ListedConfig, State)>> {
        Ok(self.listing.records(self.ids()?))
    }

    /// Every record as listings show it, or why it cannot be read (in no order), from the
    /// listing cache where its files have not changed; and whether the store holds names a
    /// killed command may have left ([`Store::remove_leftovers`]).
    pub(crate) fn entries(&self) -> Result<(Vec<RecordRead>, bool)> {
        let (ids, leftovers) = self.scan()?;
        Ok((self.listing.entries(ids), leftovers))
    }

    pub(crate) fn config(&self, id: &str) -> Result<ContainerConfig> {
        read_json(&self.dir(id).join(CONFIG), id)
    }

    pub(crate) fn state(&self, id: &str) -> Result<State> {
        let path = self.dir(id).join(STATE);
        // A state written on a full disk reuses an inode (reserve.rs): a read torn by two
        // such writes does not parse, and is read again.
        for _ in 0..2 {
            if let Ok(state) = read_json(&path, id) {
                return Ok(state);
            }
        }
        read_json(&path, id)
    }

    /// [`Store::update`] for a caller that holds the container's lock already.
    pub(crate) fn update_held<R>(
        &self,
        _held: &FileLock,
        id: &str,
        change: impl FnOnce(&mut State) -> Result<R>,
    ) -> Result<R> {
        let dir = self.dir(id);
        let mut state: State = read_json(&dir.join(STATE), id)?;
        let out = change(&mut state)?;
        write_state(&dir, &state)?;
        Ok(out)
    }

    /// Read-modify-write of the state under the container's lock.
    pub(crate) fn update<R>(
        &self,
        id: &str,
        change: impl FnOnce(&mut State) -> Result<R>,
    ) -> Result<R> {
        let guard = self.lock(id)?;
        self.update_held(&guard, id, change)
    }

    /// Read-modify-write of the config under the container's lock (durable: it is what
    /// every later start is built from).
    pub(crate) fn update_config<R>(
        &self,
        id: &str,
        change: impl FnOnce(&mut ContainerConfig) -> Result<R>,
    ) -> Result<R> {
        let path = self.dir(id).join(CONFIG);
        let _guard = self.lock(id)?;
        let mut config: ContainerConfig = read_json(&path, id)?;
        let out = change(&mut config)?;
        write_atomic(&path, &config, Durable::Yes)?;
        Ok(out)
    }

    /// Holds the container's lock for a multi-step operation (do not call `update` inside).
    /// `NoSuchContainer` when the record is gone, or went while we waited for the lock.
    pub(crate) fn lock(&self, id: &str) -> Result<FileLock> {
        let path = self.dir(id).join(LOCK);
        let lock = match lock_file(&path) {
            Err(Error::Io { source, .. }) if source.kind() == ErrorKind::NotFound => {
                return Err(Error::NoSuchContainer(id.to_owned()))
            }
            other => other?,
        };
        if !lock.is_at(&path) {
            // Removed (renamed away) while we waited: what we hold is the old record's lock.
            return Err(Error::NoSuchContainer(id.to_owned()));
        }
        Ok(lock)
    }

    /// Writes the state while the caller holds [`Store::lock`].
    pub(crate) fn write_state_locked(&self, id: &str, state: &State) -> Result<()> {
        write_state(&self.dir(id), state)
    }

    /// Removes the record and its name, under the record's lock: the directory is renamed
    /// away first, so the record is gone at once for everyone, then deleted. A record already
    /// gone is fine. Refuses while anything is still mounted inside it (removing through a
    /// mounted overlay would delete image files).
    pub(crate) fn remove(&self, id: &str) -> Result<()> {
        let lock = match self.lock(id) {
            Err(Error::NoSuchContainer(_)) => return Ok(()),
            other => other?,
        };
        let dir = self.dir(id);
        let prefix = format!("{}/", dir.display());
        if let Some(m) = crate::mounts::mounted_under(&prefix).into_iter().next() {
            return Err(Error::Corrupt(format!(
                "not removing container {id}: {m} is still mounted"
            )));
        }
        let name = self.config(id).map(|c| c.name).ok();
        if let Some(name) = name {
            let link = self.names.join(&name);
            if fs::read_link(&link)
                .map(|t| t.as_os_str() == id)
                .unwrap_or(false)
            {
                let _ = fs::remove_file(&link);
            }
        }
        let doomed = self
            .dir
            .join(format!("{REMOVING}{id}.{}", std::process::id()));
        fs::rename(&dir, &doomed).at("removing the container directory", &dir)?;
        drop(lock);
        delete_tree(&doomed)
    }

    /// Deletes what killed commands left: the directories of removals (`.removing-<id>.<pid>`)
    /// and of creates before their record was placed (`.creating-<id>.<pid>.<start>`) whose
    /// process is gone, and temp files of listing cache writes. A create or removal still in
    /// progress is left alone.
    pub(crate) fn remove_leftovers(&self) {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let gone = if let Some(rest) = name.strip_prefix(REMOVING) {
                let remover = rest.rsplit('.').next().unwrap_or_default();
                !Path::new("/proc").join(remover).exists()
            } else if let Some(rest) = name.strip_prefix(CREATING) {
                let mut parts = rest.rsplit('.');
                let start_time = parts.next().and_then(|s| s.parse().ok());
                let pid = parts.next().and_then(|s| s.parse().ok());
                match (pid, start_time) {
                    (Some(pid), Some(start_time)) => !ProcessId { pid, start_time }.alive(),
                    _ => false,
                }
            } else if crate::listing::is_leftover(&self.dir, &name) {
                let _ = fs::remove_file(e.path());
                false
            } else {
                false
            };
            if gone {
                let _ = delete_tree(&e.path());
            }
        }
    }

    /// Name links whose container is gone (left by a removal that was killed).
    pub(crate) fn remove_dangling_names(&self) {
        let Ok(entries) = fs::read_dir(&self.names) else {
            return;
        };
        for e in entries.flatten() {
            if let Ok(target) = fs::read_link(e.path()) {
                if !self.dir.join(&target).exists() {
                    let _guard = lock_file(&self.names.join(".lock"));
                    if fs::read_link(e.path())
                        .map(|t| t == target)
                        .unwrap_or(false)
                        && !self.dir.join(&target).exists()
                    {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }
    }
}

/// Deletes a directory tree renamed out of the store. Someone who had walked into it just
/// before the rename may still create a lock file there: retry a few times.
fn delete_tree(dir: &Path) -> Result<()> {
    let mut attempts = 0;
    loop {
        match fs::remove_dir_all(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(_) if attempts < 5 => attempts += 1,
            Err(e) => return Err(Error::at("removing the container directory", dir, e)),
        }
    }
}

fn read_json<T: DeserializeOwned>(path: &Path, id: &str) -> Result<T> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(Error::NoSuchContainer(id.to_owned()))
        }
        Err(e) => return Err(Error::at("reading", path, e)),
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Corrupt(format!("reading {}: {e}", path.display())))
}

/// Writes `<dir>/state.json`; when the filesystem is full, through the space reserved for it.
fn write_state(dir: &Path, state: &State) -> Result<()> {
    let path = dir.join(STATE);
    let bytes = encode(&path, state)?;
    match write_atomic_bytes(&path, &bytes, Durable::No) {
        Err(e) if crate::reserve::out_of_space(&e) => {
            crate::reserve::write_through(dir, &path, &bytes).at("writing", &path)
        }
        other => other.at("writing", &path),
    }
}

/// Whether a write must reach the disk before it counts (fsync before the rename).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durable {
    /// The container's identity (`container.json`), written once.
    Yes,
    /// State rewritten many times per run: the rename alone keeps it whole for readers and a
    /// killed writer, ext4 flushes a replaced file's data on rename (auto_da_alloc), and after a
    /// power loss nothing runs anyway and reconcile rewrites it. An fsync here costs 2-6 ms each.
    No,
}

/// Write to a temp file, (fsync,) rename over: readers see the old or the new file, never half.
pub(crate) fn write_atomic<T: Serialize>(path: &Path, value: &T, durable: Durable) -> Result<()> {
    let bytes = encode(path, value)?;
    write_atomic_bytes(path, &bytes, durable).at("writing", path)
}

fn encode<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| Error::Corrupt(format!("encoding {}: {e}", path.display())))
}

fn write_atomic_bytes(path: &Path, bytes: &[u8], durable: Durable) -> std::io::Result<()> {
    let durable = match durable {
        Durable::Yes => six_sys::atomic::Durable::Data,
        Durable::No => six_sys::atomic::Durable::No,
    };
    six_sys::atomic::write(path, bytes, durable)
}

#[cfg(test)]
#[path = "store_tests.rs"]
pub(crate) mod tests;
