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

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
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

/// An exclusive `flock` held until drop (which unlocks it for every process holding a copy
/// of it, see [`FileLock::leave_to_child`]).
pub(crate) struct FileLock {
    file: File,
    unlock_on_drop: bool,
}

impl FileLock {
    /// A lock taken by another process and passed down to this one (a monitor's handover,
    /// `monitor/mod.rs`): an fd open on a locked record lock.
    pub(crate) fn inherited(fd: std::os::fd::OwnedFd) -> FileLock {
        FileLock {
            file: File::from(fd),
            unlock_on_drop: true,
        }
    }

    /// Closes this process's copy without unlocking: a child forked while it was held holds
    /// the lock on (`flock` locks belong to the open file, which the child shares) until it
    /// unlocks it or every copy is closed.
    pub(crate) fn leave_to_child(mut self) {
        self.unlock_on_drop = false;
    }

    /// The locked file's descriptor (to keep open across a child's exec).
    pub(crate) fn as_raw_fd(&self) -> std::os::fd::RawFd {
        std::os::fd::AsRawFd::as_raw_fd(&self.file)
    }

    /// Whether the locked file is still the one at `path` (not unlinked or renamed away).
    fn is_at(&self, path: &Path) -> bool {
        use std::os::unix::fs::MetadataExt;
        match (self.file.metadata(), fs::metadata(path)) {
            (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
            _ => false,
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        if self.unlock_on_drop {
            six_sys::flock::unlock(&self.file);
        }
    }
}

/// How long a command waits for a record's lock. Holders keep it for one state write, or
/// (a repair) across the runtime's forced delete and a network detach, each bounded well
/// below this; a holder past it is stuck (stopped with Ctrl-Z, say), and the error names it.
pub(crate) const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

pub(crate) fn lock_file(path: &Path) -> Result<FileLock> {
    lock_file_within(path, LOCK_WAIT)
}

/// [`lock_file`] waiting at most `wait`: "locking <path>: held by pid N (cmd) for more than S s".
fn lock_file_within(path: &Path, wait: std::time::Duration) -> Result<FileLock> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .at("opening the lock", path)?;
    six_sys::flock::lock_exclusive(&file, wait).at("locking", path)?;
    Ok(FileLock {
        file,
        unlock_on_drop: true,
    })
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
pub(crate) mod tests {
    use super::*;
    use crate::request::RunRequest;
    use std::io::Write;

    /// A record of the default image, made now (other modules' tests use it too).
    pub(crate) fn config(id: &str, name: &str) -> ContainerConfig {
        ContainerConfig {
            id: id.to_owned(),
            name: name.to_owned(),
            created: chrono::Utc::now(),
            image: "busybox".into(),
            image_id: "x".into(),
            args: vec!["true".into()],
            entrypoint: vec![],
            cmd: vec!["true".into()],
            env: vec![],
            workdir: "/".into(),
            user: String::new(),
            hostname: id[..12].to_owned(),
            request: RunRequest::default(),
            labels: Default::default(),
            networks: None,
            endpoint_settings: Default::default(),
            mounts: None,
            stop_signal: None,
            healthcheck: None,
            exposed_ports: None,
        }
    }

    #[test]
    fn ids_are_64_hex_and_distinct() {
        let a = Store::new_id().unwrap();
        let b = Store::new_id().unwrap();
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn names_are_unique_and_lookup_works() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let a = format!("abc{}", &Store::new_id().unwrap()[3..]);
        let b = format!("abd{}", &Store::new_id().unwrap()[3..]);
        store.create(&config(&a, "web")).unwrap();
        store.create(&config(&b, "db")).unwrap();
        let err = store
            .create(&config(&Store::new_id().unwrap(), "web"))
            .unwrap_err();
        assert!(matches!(err, Error::NameInUse { .. }), "{err}");
        assert_eq!(
            store.ids().unwrap().len(),
            2,
            "the refused record left nothing"
        );
        assert_eq!(store.resolve("web").unwrap(), a);
        assert_eq!(store.resolve(&a).unwrap(), a);
        assert_eq!(store.resolve("abc").unwrap(), a);
        assert!(matches!(
            store.resolve("ab"),
            Err(Error::AmbiguousPrefix { count: 2, .. })
        ));
        assert!(matches!(
            store.resolve("zzz"),
            Err(Error::NoSuchContainer(_))
        ));
        assert!(matches!(
            store.resolve("../x"),
            Err(Error::NoSuchContainer(_))
        ));
        store.remove(&a).unwrap();
        assert!(store.resolve("web").is_err());
        store
            .create(&config(&Store::new_id().unwrap(), "web"))
            .unwrap();
    }

    #[test]
    fn a_dangling_name_is_reclaimed() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        std::os::unix::fs::symlink("0".repeat(64), root.path().join("containers/names/web"))
            .unwrap();
        store
            .create(&config(&Store::new_id().unwrap(), "web"))
            .unwrap();
    }

    #[test]
    fn updates_are_atomic_and_persist() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let id = Store::new_id().unwrap();
        store.create(&config(&id, "x")).unwrap();
        assert_eq!(store.state(&id).unwrap().status, Status::Creating);
        store
            .update(&id, |s| {
                s.status = Status::Exited;
                s.exit_code = 137;
                Ok(())
            })
            .unwrap();
        let s = store.state(&id).unwrap();
        assert_eq!((s.status, s.exit_code), (Status::Exited, 137));
        let leftovers: Vec<_> = fs::read_dir(store.dir(&id))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_stuck_lock_holder_is_named_not_waited_for_forever() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let id = Store::new_id().unwrap();
        store.create(&config(&id, "x")).unwrap();
        let _held = store.lock(&id).unwrap();
        let path = store.dir(&id).join(LOCK);
        let began = std::time::Instant::now();
        let e = lock_file_within(&path, std::time::Duration::from_millis(300))
            .err()
            .unwrap();
        assert!(began.elapsed() < std::time::Duration::from_secs(5));
        let text = crate::Chain(&e).to_string();
        let me = std::process::id();
        assert!(
            text.starts_with(&format!("locking {}: held by pid {me} (", path.display())),
            "{text}"
        );
        assert!(text.ends_with("for more than 300 ms"), "{text}");
    }

    /// Fills the filesystem of `dir` until not one more byte can be written.
    fn fill(dir: &Path) {
        let mut f = File::create(dir.join("filler")).unwrap();
        let chunk = vec![0u8; 64 << 10];
        while f.write_all(&chunk).is_ok() {}
        while f.write_all(&[0u8; 512]).is_ok() {}
        let probe = fs::write(dir.join("probe"), b"x").unwrap_err();
        assert_eq!(probe.raw_os_error(), Some(libc::ENOSPC));
    }

    #[test]
    fn the_state_is_written_and_the_record_removed_on_a_full_filesystem() {
        six_testkit::require_root();
        let dir = tempfile::tempdir().unwrap();
        let disk = six_testkit::SmallTmpfs::mount(&dir.path().join("root"), 1 << 20).unwrap();
        let store = Store::open(disk.path()).unwrap();
        let id = Store::new_id().unwrap();
        store.create(&config(&id, "full")).unwrap();
        fill(disk.path());
        for code in [137, 3] {
            store
                .update(&id, |s| {
                    s.status = Status::Exited;
                    s.exit_code = code;
                    s.stopped_by_user = true;
                    Ok(())
                })
                .unwrap();
            let s = store.state(&id).unwrap();
            assert_eq!((s.status, s.exit_code), (Status::Exited, code));
        }
        store
            .update(&id, |s| {
                s.status = Status::Removing;
                Ok(())
            })
            .unwrap();
        store.remove(&id).unwrap();
        assert!(store.ids().unwrap().is_empty());
    }

    #[test]
    fn a_waiter_on_a_removed_record_finds_no_container_and_recreates_nothing() {
        let root = tempfile::tempdir().unwrap();
        let store = std::sync::Arc::new(Store::open(root.path()).unwrap());
        for _ in 0..30 {
            let id = Store::new_id().unwrap();
            store.create(&config(&id, &id[..12])).unwrap();
            let held = store.lock(&id).unwrap();
            let spawn = |remove: bool| {
                let (store, id) = (store.clone(), id.clone());
                std::thread::spawn(move || match remove {
                    true => store.remove(&id),
                    false => store.update(&id, |s| {
                        s.exit_code = 1;
                        Ok(())
                    }),
                })
            };
            let (updater, remover) = (spawn(false), spawn(true));
            std::thread::sleep(std::time::Duration::from_millis(2));
            drop(held);
            match updater.join().unwrap() {
                Ok(()) | Err(Error::NoSuchContainer(_)) => {}
                Err(e) => panic!("the update failed with {e}"),
            }
            remover.join().unwrap().unwrap();
            assert!(!store.dir(&id).exists(), "the record came back");
            assert!(matches!(store.lock(&id), Err(Error::NoSuchContainer(_))));
        }
        let left: Vec<_> = fs::read_dir(root.path().join("containers"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, ["names"], "{left:?}");
    }

    #[test]
    fn what_killed_creates_and_removals_left_is_deleted_and_live_ones_are_not() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let me = ProcessId::current();
        let dir = |name: String| root.path().join("containers").join(name);
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let dead = [
            dir(format!("{REMOVING}{a}.{}", i32::MAX)),
            dir(format!("{CREATING}{a}.{}.1", i32::MAX)),
            // This very pid, but another start time: a pid reused since.
            dir(format!("{CREATING}{b}.{}.{}", me.pid, me.start_time + 1)),
        ];
        let live = [
            dir(format!("{REMOVING}{b}.{}", me.pid)),
            dir(format!("{CREATING}{a}.{}.{}", me.pid, me.start_time)),
        ];
        for d in dead.iter().chain(&live) {
            fs::create_dir_all(d.join("upper/x")).unwrap();
        }
        store.remove_leftovers();
        for d in &dead {
            assert!(!d.exists(), "{} stays", d.display());
        }
        for d in &live {
            assert!(d.exists(), "{} was taken from a live process", d.display());
        }
    }

    #[test]
    fn a_record_is_placed_whole() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let id = Store::new_id().unwrap();
        store.create(&config(&id, "whole")).unwrap();
        let state = store.state(&id).unwrap();
        assert_eq!(state.owner, Some(ProcessId::current()));
        let entries: Vec<_> = fs::read_dir(root.path().join("containers"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            entries.iter().all(|e| e == "names" || *e == id),
            "{entries:?}"
        );
    }

    #[test]
    fn generated_names_are_free() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::open(root.path()).unwrap();
        let name = store.generate_name();
        assert!(
            name.parse::<crate::types::ContainerName>().is_ok(),
            "{name}"
        );
    }
}
