//! The listing cache, `<root>/containers/listing.json`: what listings read of every container
//! (`ps`, `info`, `system df`, prune, and the repair check every command makes when it opens
//! the store, `reconcile.rs`) without opening each record: per container, its state and the
//! part of its `container.json` a listing shows ([`ListedConfig`]), with the identity of the
//! record's directory when they were read ([`DirKey`]: inode, modification and change times).
//!
//! It is a cache, never the truth, and nothing keeps it up to date. Records are only ever
//! replaced whole (a temp file renamed over `state.json` or `container.json`, `store.rs`; on a
//! full disk the reserve swapped in, `reserve.rs`), and each such rename changes the times of
//! the directory it happens in. So an entry is used only while `stat` of the record's
//! directory shows the times it had when the entry was read; any change since — a command, a
//! monitor recording an exit, a command killed half-way, two CLIs at once, another version of
//! sixdocker — is read at the next listing, with no cooperation from whoever wrote it. Two
//! changes within one tick of the filesystem's clock can leave the same times: as git does
//! with its index, an entry is kept only for a directory that had not changed for
//! [`SETTLED`] when it was read, so a later change has later times.
//!
//! The cache file is replaced whole by the reader that refreshed it, without a lock: the
//! last one wins, and every entry is checked anyway. A temp file left by a killed reader is
//! deleted by reconcile ([`is_leftover`]). The cache is tied to this build's record format
//! ([`format`]): another one is ignored and rewritten.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::mount_points::MountPoint;
use crate::record::{ContainerConfig, State};

/// The cache's file name in `<root>/containers`.
pub(crate) const FILE: &str = "listing.json";

/// How long a record's directory must have been unchanged for its entry to be kept: longer
/// than any filesystem's timestamp granularity (ext4 with small inodes keeps whole seconds).
pub(crate) const SETTLED: Duration = Duration::from_secs(2);

/// What a listing needs of a container's `container.json` (a few hundred bytes of the
/// record's kilobytes: no run request, environment or spec).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListedConfig {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    /// The image as the user named it.
    pub image: String,
    pub image_id: String,
    /// The process as it runs.
    pub args: Vec<String>,
    pub labels: BTreeMap<String, String>,
    /// The networks it joins at start ([`ContainerConfig::joined_networks`]).
    pub networks: Vec<String>,
    /// Its binds, volumes and tmpfs mounts (`mount_points::of_record`).
    pub mounts: Vec<MountPoint>,
    /// Its exposed ports ([`ContainerConfig::exposed_ports`]).
    pub exposed_ports: Vec<crate::types::ExposedPort>,
}

impl From<&ContainerConfig> for ListedConfig {
    fn from(c: &ContainerConfig) -> ListedConfig {
        ListedConfig {
            id: c.id.clone(),
            name: c.name.clone(),
            created: c.created,
            image: c.image.clone(),
            image_id: c.image_id.clone(),
            args: c.args.clone(),
            labels: c.labels.clone(),
            networks: c.joined_networks(),
            mounts: crate::mount_points::of_record(c),
            exposed_ports: c.exposed_ports(),
        }
    }
}

/// Which version of a record's directory was read: a file renamed into it (or out of it)
/// since changes its times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DirKey {
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl DirKey {
    /// The key of `<dir>/<id>`, `stat`ed relative to `dir`, open (else by its whole path):
    /// a listing's hundred `stat`s each walk one name, not the store's whole path.
    fn of(dir: &Path, open: Option<&fs::File>, id: &str) -> std::io::Result<DirKey> {
        let Some(open) = open else {
            let m = fs::metadata(dir.join(id))?;
            return Ok(DirKey {
                ino: m.ino(),
                mtime: (m.mtime(), m.mtime_nsec()),
                ctime: (m.ctime(), m.ctime_nsec()),
            });
        };
        let st = nix::sys::stat::fstatat(open, id, nix::fcntl::AtFlags::empty())?;
        Ok(DirKey {
            ino: st.st_ino,
            mtime: (st.st_mtime, st.st_mtime_nsec),
            ctime: (st.st_ctime, st.st_ctime_nsec),
        })
    }

    /// Whether the directory was last changed at least `settled` ([`SETTLED`]) before
    /// `read_at`: a later change gives it later times, whatever the clock's tick.
    fn settled_at(&self, read_at: SystemTime, settled: Duration) -> bool {
        let latest = self.mtime.max(self.ctime);
        let changed = SystemTime::UNIX_EPOCH
            .checked_add(Duration::new(latest.0.max(0) as u64, latest.1 as u32))
            .unwrap_or(SystemTime::UNIX_EPOCH);
        read_at
            .duration_since(changed)
            .is_ok_and(|age| age >= settled)
    }
}

/// One container's cached reads.
#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    dir: DirKey,
    state: State,
    config: ListedConfig,
    /// Read from a directory changed too recently to be told apart from a later change:
    /// used by the listing that read it, never again.
    #[serde(skip)]
    unsettled: bool,
}

#[derive(Deserialize)]
struct CacheFile {
    format: String,
    entries: HashMap<String, Entry>,
}

/// [`CacheFile`] as written: the settled entries, borrowed.
#[derive(Serialize)]
struct CacheFileOut<'a> {
    format: &'a str,
    entries: HashMap<&'a str, &'a Entry>,
}

/// The record format this build reads and writes: a hash of the sources of what the cache
/// holds (`State`, `ListedConfig`, `MountPoint`, `PortSpec`: build.rs), so a build whose
/// records differ in any way (a field added, its meaning changed) ignores another build's
/// cache and rewrites it.
fn format() -> &'static str {
    env!("LISTING_FORMAT")
}

/// The cache of one store, loaded from disk on first use.
#[derive(Default)]
struct Cache {
    loaded: bool,
    /// Entries of directories that were [`SETTLED`] when read.
    entries: HashMap<String, Entry>,
    /// The entries differ from the file's.
    dirty: bool,
}

/// What reading one record's state gave.
pub(crate) type StateRead = (String, Result<State>);

/// What reading one record gave: its listed config and state.
pub(crate) type RecordRead = (String, Result<(ListedConfig, State)>);

impl Cache {
    fn load(&mut self, path: &Path) {
        if self.loaded {
            return;
        }
        self.loaded = true;
        let Ok(bytes) = fs::read(path) else { return };
        // Checked as UTF-8 once, whole: parsed from a `str`, serde_json checks no string again.
        let parsed = std::str::from_utf8(&bytes).map(serde_json::from_str::<CacheFile>);
        match parsed {
            Ok(Ok(file)) if file.format == format() => self.entries = file.entries,
            _ => self.dirty = true,
        }
    }

    /// Keeps only the entries of `ids` (the records there are now).
    fn retain(&mut self, ids: &[String]) {
        if self.entries.len() == ids.len() && ids.iter().all(|id| self.entries.contains_key(id)) {
            return;
        }
        let before = self.entries.len();
        let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.entries
            .retain(|id, e| wanted.contains(id.as_str()) && !e.unsettled);
        self.dirty |= self.entries.len() != before;
    }

    fn save(&mut self, path: &Path) {
        if !self.dirty {
            return;
        }
        let file = CacheFileOut {
            format: format(),
            entries: (self.entries.iter())
                .filter(|(_, e)| !e.unsettled)
                .map(|(id, e)| (id.as_str(), e))
                .collect(),
        };
        let Ok(bytes) = serde_json::to_vec(&file) else {
            return;
        };
        // A cache that cannot be written (a full disk) costs the next listing some reads.
        match six_sys::atomic::write(path, &bytes, six_sys::atomic::Durable::No) {
            Ok(()) => self.dirty = false,
            Err(e) => tracing::debug!("not writing {}: {e}", path.display()),
        }
    }
}

/// The listing cache of the records in one directory (`<root>/containers`).
pub(crate) struct Listing {
    dir: PathBuf,
    cache: Mutex<Cache>,
    /// [`SETTLED`] (tests shorten or lengthen it).
    settled: Duration,
    /// Record files read (not found in the cache), for tests.
    reads: std::sync::atomic::AtomicUsize,
}

impl Listing {
    pub(crate) fn new(dir: &Path) -> Listing {
        Listing {
            dir: dir.to_owned(),
            cache: Mutex::new(Cache::default()),
            settled: SETTLED,
            reads: Default::default(),
        }
    }

    /// The state of each record of `ids`, all the records there are (a read error for one
    /// that cannot be read).
    pub(crate) fn states(&self, ids: Vec<String>) -> Vec<StateRead> {
        self.each(ids, |e| e.state.clone())
    }

    /// Each record of `ids` (all the records there are) that can be read whole: its listed
    /// config and its state.
    pub(crate) fn records(&self, ids: Vec<String>) -> Vec<(ListedConfig, State)> {
        self.entries(ids)
            .into_iter()
            .filter_map(|(_, read)| read.ok())
            .collect()
    }

    /// Each record of `ids` (all the records there are): its listed config and its state, or
    /// why it cannot be read.
    ///
    /// The entries are handed over, not copied (a hundred records' strings): the cache is
    /// left unloaded, and a later listing of this store loads the file again.
    pub(crate) fn entries(&self, ids: Vec<String>) -> Vec<RecordRead> {
        let mut cache = self.lock();
        let checked = self.each_in(&mut cache, ids, |_| ());
        let mut entries = std::mem::take(&mut *cache).entries;
        checked
            .into_iter()
            .map(|(id, read)| {
                let entry = read.and_then(|()| {
                    (entries.remove(&id)).ok_or_else(|| Error::NoSuchContainer(id.clone()))
                });
                (id, entry.map(|e| (e.config, e.state)))
            })
            .collect()
    }

    /// `what` of each record of `ids`, from the cache where its directory is unchanged.
    fn each<T>(&self, ids: Vec<String>, what: impl Fn(&Entry) -> T) -> Vec<(String, Result<T>)> {
        self.each_in(&mut self.lock(), ids, what)
    }

    /// [`Listing::each`] on the cache, locked: every entry checked (read again where its
    /// directory changed), the cache file rewritten when anything changed.
    fn each_in<T>(
        &self,
        cache: &mut Cache,
        ids: Vec<String>,
        what: impl Fn(&Entry) -> T,
    ) -> Vec<(String, Result<T>)> {
        cache.retain(&ids);
        let open = fs::File::open(&self.dir).ok();
        let out = ids
            .into_iter()
            .map(|id| {
                let read = self.entry(cache, open.as_ref(), &id).map(&what);
                (id, read)
            })
            .collect();
        cache.save(&self.dir.join(FILE));
        out
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cache> {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.load(&self.dir.join(FILE));
        cache
    }

    /// The record `id` as cached while its directory is unchanged, else as read now (`open`:
    /// the records' directory, open).
    fn entry<'c>(
        &self,
        cache: &'c mut Cache,
        open: Option<&fs::File>,
        id: &str,
    ) -> Result<&'c Entry> {
        let current = match DirKey::of(&self.dir, open, id) {
            Ok(key) => key,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::NoSuchContainer(id.to_owned()))
            }
            Err(e) => return Err(Error::at("reading", &self.dir.join(id), e)),
        };
        let fresh = cache
            .entries
            .get(id)
            .is_some_and(|e| e.dir == current && !e.unsettled);
        if !fresh {
            // Read after the key: a change made meanwhile leaves later times than the key's.
            let read_at = SystemTime::now();
            let dir = self.dir.join(id);
            self.reads
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let read = read_state(&dir.join(STATE), id)
                .and_then(|state| Ok((state, read_config(&dir.join(CONFIG), id)?)));
            let (state, config) = match read {
                Ok(read) => read,
                Err(e) => {
                    cache.dirty |= cache.entries.remove(id).is_some();
                    return Err(e);
                }
            };
            let entry = Entry {
                dir: current,
                state,
                config: ListedConfig::from(&config),
                unsettled: !current.settled_at(read_at, self.settled),
            };
            cache.entries.insert(id.to_owned(), entry);
            cache.dirty = true;
        }
        cache
            .entries
            .get(id)
            .ok_or_else(|| Error::NoSuchContainer(id.to_owned()))
    }
}

const CONFIG: &str = "container.json";
const STATE: &str = "state.json";

/// Whether `name` (in `<root>/containers`) may be a temp file of a cache write (its writer
/// may be gone: [`is_leftover`]).
pub(crate) fn may_be_leftover(name: &str) -> bool {
    name.starts_with(FILE) && name != FILE
}

/// Whether `name` (in `<root>/containers`) is a temp file of a cache write whose writer is
/// gone.
pub(crate) fn is_leftover(dir: &Path, name: &str) -> bool {
    if !may_be_leftover(name) {
        return false;
    }
    six_sys::atomic::temp_writer(&dir.join(name))
        .is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists())
}

fn read(path: &Path, id: &str) -> Result<Vec<u8>> {
    match fs::read(path) {
        Ok(bytes) => Ok(bytes),
        Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::NoSuchContainer(id.to_owned())),
        Err(e) => Err(Error::at("reading", path, e)),
    }
}

fn read_config(path: &Path, id: &str) -> Result<ContainerConfig> {
    serde_json::from_slice(&read(path, id)?)
        .map_err(|e| Error::Corrupt(format!("reading {}: {e}", path.display())))
}

/// A state written on a full disk reuses an inode (`reserve.rs`): a read torn by such a
/// write does not parse, and is read again, as `Store::state` does.
fn read_state(path: &Path, id: &str) -> Result<State> {
    let mut attempt = 0;
    loop {
        let parsed = serde_json::from_slice(&read(path, id)?);
        attempt += 1;
        match parsed {
            Ok(state) => return Ok(state),
            Err(e) if attempt >= 3 => {
                return Err(Error::Corrupt(format!("reading {}: {e}", path.display())))
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
#[path = "listing_tests.rs"]
mod tests;
