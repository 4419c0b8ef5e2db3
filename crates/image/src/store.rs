//! `ImageStore`: the on-disk layout under `<root>/image`, image records, name resolution,
//! listing, tagging and removal. Archive formats, commit and mounts live in their own
//! modules and stage images that `register.rs` adds, all or nothing.
//!
//! ```text
//! <root>/image/lock               flock: held exclusively by every writer (for a few renames)
//! <root>/image/defaults.lock      flock: held while a default image (busybox, NAME.tar) is made
//! <root>/image/repositories.json  "repo:tag" -> image ID
//! <root>/image/images/<id>.json   image record (layers, size, created, config summary)
//! <root>/image/images/retained/   records of images removed while stopped containers use them (retained.rs)
//! <root>/image/blobs/sha256/<d>   configs and uncompressed layer tars
//! <root>/image/layers/<diff-id>/  unpacked layers (see layer.rs)
//! <root>/image/l/<short>          short links used in overlay lowerdir options
//! <root>/image/tmp/               work in progress (named with the creator's PID)
//! <root>/image/pending/<diff-id>/ layers a pull verified before its image was added (pulled.rs)
//! <root>/image/repodigests.json   "repo@sha256:<manifest>" -> image ID, for pulled and pushed images
//! <root>/image/sources/<diff-id>  where a layer came from in registries (compressed digest, repo)
//! ```
//! Readers take no lock: every file is replaced atomically. Never mounts anything.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigFile, ImageConfig};
use crate::digest::Digest;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{ensure_dir, remove_any, write_atomic, StoreLock};
use crate::gc::Intent;
use crate::index::NameIndex;
use crate::layer;
use crate::reference::Reference;
use crate::retained::ImageUse;
use crate::Image;

/// Every path of the store, computed once.
#[derive(Clone, Debug)]
pub(crate) struct Paths {
    pub dir: PathBuf,
    pub lock: PathBuf,
    pub defaults_lock: PathBuf,
    pub index: PathBuf,
    pub images: PathBuf,
    pub retained: PathBuf,
    pub blobs: PathBuf,
    pub layers: PathBuf,
    pub links: PathBuf,
    pub tmp: PathBuf,
    pub pending: PathBuf,
    pub digests: PathBuf,
    pub sources: PathBuf,
}

impl Paths {
    fn new(dir: PathBuf) -> Paths {
        Paths {
            lock: dir.join("lock"),
            defaults_lock: dir.join("defaults.lock"),
            index: dir.join("repositories.json"),
            images: dir.join("images"),
            retained: dir.join("images/retained"),
            blobs: dir.join("blobs/sha256"),
            layers: dir.join("layers"),
            links: dir.join("l"),
            tmp: dir.join("tmp"),
            pending: dir.join("pending"),
            digests: dir.join("repodigests.json"),
            sources: dir.join("sources"),
            dir,
        }
    }

    pub(crate) fn blob(&self, d: &Digest) -> PathBuf {
        self.blobs.join(d.hex())
    }

    pub(crate) fn record(&self, id_hex: &str) -> PathBuf {
        self.images.join(format!("{id_hex}.json"))
    }

    pub(crate) fn retained_record(&self, id_hex: &str) -> PathBuf {
        self.retained.join(format!("{id_hex}.json"))
    }
}

/// What `images/<id>.json` holds: enough to resolve, list and mount without the config blob.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct ImageRecord {
    pub id: String,
    created: DateTime<Utc>,
    /// Diff-ids, bottom layer first.
    layers: Vec<Digest>,
    size: u64,
    config: ImageConfig,
    /// The image a build step made this one on (64 hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// How long a command waits for the store's lock that another one holds (its holders keep
/// it for a few renames and small writes); past it, the error names the holder.
pub const STORE_LOCK_WAIT: Duration = Duration::from_secs(30);

/// How long a command waits for another that is making a default image it wants too
/// (an import of a large `NAME.tar` takes a while).
pub const DEFAULT_IMAGE_WAIT: Duration = Duration::from_secs(300);

/// The image store of one sixdocker root.
#[derive(Clone, Debug)]
pub struct ImageStore {
    pub(crate) paths: Paths,
    pub(crate) import_dir: Option<PathBuf>,
    /// The original sixDocker's image folder, looked in after `import_dir`.
    pub(crate) original_dir: Option<PathBuf>,
    /// The longest wait for the store's lock ([`STORE_LOCK_WAIT`]).
    pub(crate) lock_wait: Duration,
    /// The longest wait for a default image another command makes ([`DEFAULT_IMAGE_WAIT`]).
    pub(crate) default_image_wait: Duration,
}

impl ImageStore {
    /// Opens (creating if needed) the store at `<root>/image`, and removes work left in
    /// `tmp/` by processes that no longer exist.
    pub fn open(root: &Path) -> Result<ImageStore> {
        let paths = Paths::new(root.join("image"));
        for d in [
            &paths.images,
            &paths.blobs,
            &paths.layers,
            &paths.links,
            &paths.tmp,
            &paths.pending,
            &paths.sources,
        ] {
            ensure_dir(d)?;
        }
        let store = ImageStore {
            paths,
            import_dir: None,
            original_dir: None,
            lock_wait: STORE_LOCK_WAIT,
            default_image_wait: DEFAULT_IMAGE_WAIT,
        };
        store.recover()?;
        Ok(store)
    }

    /// Where `NAME.tar` rootfs tarballs are imported from on first use of NAME.
    pub fn with_import_dir(mut self, dir: Option<PathBuf>) -> ImageStore {
        self.import_dir = dir;
        self
    }

    /// A second folder `NAME.tar` is looked for in, after the import folder: the original
    /// sixDocker's (`/var/run/sixDocker/images/`, where it kept busybox.tar and nginx.tar).
    pub fn with_original_image_dir(mut self, dir: Option<PathBuf>) -> ImageStore {
        self.original_dir = dir;
        self
    }

    /// The folders `NAME.tar` is looked for in, in order.
    pub(crate) fn import_dirs(&self) -> Vec<&Path> {
        self.import_dir
            .iter()
            .chain(&self.original_dir)
            .map(PathBuf::as_path)
            .collect()
    }

    /// Waits at most `wait` for any of the store's locks that another process holds (the
    /// store's own and a default image's), instead of [`STORE_LOCK_WAIT`] and
    /// [`DEFAULT_IMAGE_WAIT`].
    pub fn with_lock_wait(mut self, wait: Duration) -> ImageStore {
        self.lock_wait = wait;
        self.default_image_wait = wait;
        self
    }

    /// The store directory (`<root>/image`).
    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    pub(crate) fn lock(&self) -> Result<StoreLock> {
        StoreLock::exclusive(&self.paths.lock, self.lock_wait)
    }

    /// A name for work in `tmp/` that `open` can attribute to this process.
    pub(crate) fn temp_prefix(kind: &str) -> String {
        format!("{kind}-{}-", std::process::id())
    }

    /// Finds an image by "name", "name:tag", full ID, unique ID prefix or `"sha256:<id>"`.
    /// An unknown "NAME" or "NAME:latest" is created if it is a default image: `busybox`
    /// (from /bin/busybox) or `NAME.tar` in the import dir.
    pub fn resolve(&self, name_or_id: &str) -> Result<Image> {
        if let Some(img) = self.find(name_or_id)? {
            return Ok(img);
        }
        let dirs = self.import_dirs();
        if let Some(img) = self.ensure_default_in(name_or_id, &dirs)? {
            return Ok(img);
        }
        let plain_name = Reference::parse(name_or_id)
            .ok()
            .filter(|r| r.tag() == "latest" && !r.repo().contains('/'));
        match plain_name {
            Some(r) if !dirs.is_empty() => {
                let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
                Err(Error::NotFound(format!(
                    "{name_or_id} (looked for {}.tar in {})",
                    r.repo(),
                    shown.join(" and ")
                )))
            }
            _ => Err(Error::NotFound(name_or_id.to_owned())),
        }
    }

    /// Like `resolve`, without creating default images.
    pub(crate) fn find(&self, s: &str) -> Result<Option<Image>> {
        let index = NameIndex::read(&self.paths.index)?;
        if let Some(hex) = s.strip_prefix("sha256:") {
            return self.find_by_id_prefix(hex, &index, s);
        }
        if s.contains('@') {
            return match self.find_repo_digest(s)? {
                Some(id) if self.paths.record(&id).is_file() => self.image(&id, &index).map(Some),
                _ => Ok(None),
            };
        }
        match Reference::parse(s) {
            Ok(r) => {
                if let Some(id) = index.get(&r) {
                    return self.image(id, &index).map(Some);
                }
            }
            Err(e) if !is_hex(s) => return Err(e),
            Err(_) => {}
        }
        if is_hex(s) {
            return self.find_by_id_prefix(s, &index, s);
        }
        Ok(None)
    }

    pub(crate) fn find_reference(&self, r: &Reference) -> Result<Option<Image>> {
        let index = NameIndex::read(&self.paths.index)?;
        match index.get(r) {
            Some(id) => self.image(id, &index).map(Some),
            None => Ok(None),
        }
    }

    fn find_by_id_prefix(
        &self,
        prefix: &str,
        index: &NameIndex,
        shown: &str,
    ) -> Result<Option<Image>> {
        if !is_hex(prefix) {
            return Err(Error::BadReference {
                reference: shown.to_owned(),
                reason: "an image ID is lowercase hex".into(),
            });
        }
        if prefix.len() == 64 {
            return match self.read_record(prefix)? {
                Some(rec) => Ok(Some(to_image(rec, index))),
                None => Ok(None),
            };
        }
        let matches: Vec<String> = self
            .record_ids()?
            .into_iter()
            .filter(|id| id.starts_with(prefix))
            .collect();
        match matches.len() {
            0 => Ok(None),
            1 => self.image(&matches[0], index).map(Some),
            count => Err(Error::Ambiguous {
                prefix: shown.to_owned(),
                count,
            }),
        }
    }

    fn image(&self, id: &str, index: &NameIndex) -> Result<Image> {
        let rec = self.read_record(id)?.ok_or_else(|| {
            Error::damaged(
                &self.paths.index,
                format!("it names image {id}, which has no record"),
            )
        })?;
        Ok(to_image(rec, index))
    }

    pub(crate) fn read_record(&self, id: &str) -> Result<Option<ImageRecord>> {
        read_record_at(&self.paths.record(id))
    }

    fn record_ids(&self) -> Result<Vec<String>> {
        let rd = fs::read_dir(&self.paths.images).ctx("reading", &self.paths.images)?;
        Ok(rd
            .flatten()
            .filter_map(|e| {
                e.file_name()
                    .to_str()
                    .and_then(|n| n.strip_suffix(".json"))
                    .map(str::to_owned)
            })
            .filter(|id| is_hex(id) && id.len() == 64)
            .collect())
    }

    /// Every image, newest first.
    pub fn list(&self) -> Result<Vec<Image>> {
        let index = NameIndex::read(&self.paths.index)?;
        let mut out = Vec::new();
        for id in self.record_ids()? {
            if let Some(rec) = self.read_record(&id)? {
                out.push(to_image(rec, &index));
            }
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Points `reference` at the image `image` (name or ID).
    pub fn tag(&self, image: &str, reference: &str) -> Result<()> {
        let r = Reference::parse(reference)?;
        let img = self.resolve(image)?;
        let _lock = self.lock()?;
        if self.read_record(&img.id)?.is_none() {
            return Err(Error::NotFound(image.to_owned()));
        }
        let mut index = NameIndex::read(&self.paths.index)?;
        index.set(&r, &img.id);
        index.write()
    }

    /// Removes a name, or an image, by Docker's rules. By name: the name goes; the image goes
    /// with its last name. By ID: the image and all its names go. An image containers use
    /// (`in_use`, called with the 64-hex ID) is refused unless `force`; with `force` it loses
    /// its names, and then: used by a running container, it stays (untagged); used by
    /// stopped containers only, it is deleted for everyone but them (retained.rs: they keep
    /// its layers until the last of them is removed). Layers no other image uses are deleted.
    /// Returns Docker's lines: "Untagged: x", "Deleted: sha256:...".
    pub fn remove(
        &self,
        name_or_id: &str,
        in_use: &dyn Fn(&str) -> ImageUse,
        force: bool,
    ) -> Result<Vec<String>> {
        let img = self
            .find(name_or_id)?
            .ok_or_else(|| Error::NotFound(name_or_id.to_owned()))?;
        let _lock = self.lock()?;
        let mut index = NameIndex::read(&self.paths.index)?;
        let names = index.names_of(&img.id);
        let by_name = Reference::parse(name_or_id)
            .ok()
            .filter(|r| index.get(r) == Some(img.id.as_str()));
        let mut out = Vec::new();
        if let Some(r) = &by_name {
            if names.len() > 1 {
                index.remove(r);
                index.write()?;
                return Ok(vec![format!("Untagged: {r}")]);
            }
        } else if names.len() > 1 && !force {
            return Err(Error::MultipleNames {
                image: img.short_id().to_owned(),
                names: names.join(", "),
            });
        }
        let used = in_use(&img.id);
        if used != ImageUse::Unused && !force {
            return Err(Error::InUse {
                image: name_or_id.to_owned(),
            });
        }
        for n in index.remove_id(&img.id) {
            out.push(format!("Untagged: {n}"));
        }
        index.write()?;
        match used {
            ImageUse::Running => return Ok(out),
            ImageUse::Stopped => self.retain(&img.id)?,
            ImageUse::Unused => self.delete_image(&img.id)?,
        }
        out.push(format!("Deleted: sha256:{}", img.id));
        self.remove_unused_parents(img.parent.as_deref(), &index, in_use, &mut out)?;
        Ok(out)
    }

    /// Docker's rule for the steps below a removed image: each parent in turn is deleted
    /// while it has no name, nothing else is built on it and no container uses it. Call with
    /// the lock held.
    fn remove_unused_parents(
        &self,
        parent: Option<&str>,
        index: &NameIndex,
        in_use: &dyn Fn(&str) -> ImageUse,
        out: &mut Vec<String>,
    ) -> Result<()> {
        let mut parent = parent.map(str::to_owned);
        while let Some(id) = parent.as_deref() {
            let Some(rec) = self.read_record(id)? else {
                break;
            };
            if !index.names_of(id).is_empty() || in_use(id) != ImageUse::Unused {
                break;
            }
            let mut has_children = false;
            for other in self.record_ids()? {
                if self.read_record(&other)?.and_then(|r| r.parent).as_deref() == Some(id) {
                    has_children = true;
                    break;
                }
            }
            if has_children {
                break;
            }
            self.delete_image(id)?;
            out.push(format!("Deleted: sha256:{id}"));
            parent = rec.parent;
        }
        Ok(())
    }

    /// Deletes an image record, then everything no remaining image refers to (its
    /// layers, unless shared, and its config blob). Call with the lock held.
    fn delete_image(&self, id: &str) -> Result<()> {
        let intent = Intent::begin(&self.paths, "remove")?;
        self.forget_repo_digests(id)?;
        remove_any(&self.paths.record(id))?;
        self.collect_garbage()?;
        intent.done();
        Ok(())
    }

    /// For every image record, retained ones too: its ID and its layers' diff-ids.
    pub(crate) fn records_and_layers(&self) -> Result<Vec<(String, Vec<Digest>)>> {
        let mut out = Vec::new();
        for id in self.record_ids()? {
            if let Some(rec) = self.read_record(&id)? {
                out.push((id, rec.layers));
            }
        }
        for id in self.retained_ids()? {
            if let Some(rec) = read_record_at(&self.paths.retained_record(&id))? {
                out.push((id, rec.layers));
            }
        }
        Ok(out)
    }

    /// Writes the record of the image with this config (its layers must be installed)
    /// and stores the config blob. Call with the store lock held. `parent`: the image a build
    /// step made it on (None keeps the one an existing record of the same image names).
    pub(crate) fn write_record(
        &self,
        config: &ConfigFile,
        config_bytes: &[u8],
        parent: Option<&str>,
    ) -> Result<ImageRecord> {
        let id = layer::put_blob(&self.paths, config_bytes)?;
        let created = config
            .created
            .as_deref()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc))
            .unwrap_or_default();
        let mut size = 0;
        for l in &config.rootfs.diff_ids {
            size += layer::installed_size(&self.paths, l).ok_or_else(|| {
                Error::corrupt(
                    "image config",
                    format!(
                        "layer {l} is neither in the archive nor in the store (removed meanwhile?)"
                    ),
                )
            })?;
        }
        let rec = ImageRecord {
            id: id.hex().to_owned(),
            created,
            layers: config.rootfs.diff_ids.clone(),
            size,
            config: config.image_config(),
            parent: match parent {
                Some(p) => Some(p.to_owned()),
                None => self
                    .read_record(id.hex())
                    .ok()
                    .flatten()
                    .and_then(|r| r.parent),
            },
        };
        write_atomic(
            &self.paths.record(id.hex()),
            &serde_json::to_vec_pretty(&rec).unwrap_or_default(),
        )?;
        Ok(rec)
    }

    /// The raw config JSON of an image.
    pub(crate) fn config_bytes(&self, img: &Image) -> Result<Vec<u8>> {
        let path = self.paths.blobs.join(&img.id);
        fs::read(&path).ctx("reading image config", &path)
    }
}

/// An image record file: None if there is none.
pub(crate) fn read_record_at(path: &Path) -> Result<Option<ImageRecord>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::damaged(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

pub(crate) fn to_image(rec: ImageRecord, index: &NameIndex) -> Image {
    Image {
        repo_tags: index.names_of(&rec.id),
        id: rec.id,
        config: rec.config,
        created: rec.created,
        size: rec.size,
        layers: rec.layers.iter().map(|d| d.to_string()).collect(),
        parent: rec.parent,
    }
}

pub(crate) fn is_hex(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
