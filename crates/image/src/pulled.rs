//! Content from a registry: six-registry fetches and verifies blobs, and hands them here.
//! A pulled layer is decompressed, checked against its diff-id and unpacked like a loaded
//! one, then PARKED in `pending/<diff-id>` (layer.rs): a pull killed at any moment leaves
//! no image, and the next pull of the same image finds the layers it already verified.
//! The image is added (register.rs, all or nothing) only once its config and every layer
//! are here. Also keeps the two registry facts an image store needs: repo digests
//! (`repo@sha256:<manifest>` -> image ID) and where each layer came from (its compressed
//! digest in a repository), so a push can skip or mount what a registry already has.
//! Never speaks HTTP.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::config::ConfigFile;
use crate::digest::Digest;
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{remove_any, write_atomic};
use crate::layer;
use crate::reference::Reference;
use crate::register::Staged;
use crate::store::ImageStore;
use crate::Image;

/// Parked layers no pull claimed for this long are removed by the next garbage collection.
const PENDING_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// One registry copy of a layer: its compressed blob and the repository that has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSource {
    /// `sha256:<hex>` of the blob as the registry stores it.
    pub digest: String,
    /// The blob's media type (which compression it has).
    pub media_type: String,
    /// The blob's size in bytes.
    pub size: u64,
    /// Registry domain as in references (`localhost:5000`, `docker.io`).
    pub registry: String,
    /// Repository path (`library/busybox`).
    pub repository: String,
}

impl ImageStore {
    /// Whether the store has this layer: installed, or parked by an earlier pull.
    pub fn has_layer(&self, diff_id: &Digest) -> bool {
        layer::installed_size(&self.paths, diff_id).is_some()
            || layer::pending(&self.paths, diff_id).is_some()
    }

    /// The size on disk of an installed layer (`docker system df`, prune's reclaimed space);
    /// None when the store does not have it.
    pub fn layer_size(&self, diff_id: &Digest) -> Option<u64> {
        layer::installed_size(&self.paths, diff_id)
    }

    /// The image a name, reference or ID names, without creating default images (as
    /// [`ImageStore::resolve`] would).
    pub fn find_image(&self, name_or_id: &str) -> Result<Option<Image>> {
        self.find(name_or_id)
    }

    /// The ID (64 hex) of the image each of `names` leads to, as [`ImageStore::find_image`]
    /// finds it (None: no such image, or it cannot be read), with one read of the name index
    /// for all of them: `ps`'s IMAGE column for every container. Only a name that is no
    /// reference in the index (an ID, an ID prefix, `repo@digest`) costs more.
    pub fn image_ids_of(&self, names: &[&str]) -> Vec<Option<String>> {
        let index = crate::index::NameIndex::read(&self.paths.index).ok();
        names
            .iter()
            .map(|name| {
                let by_id =
                    name.starts_with("sha256:") || name.contains('@') || crate::store::is_hex(name);
                let by_name = !name.contains('@') && !name.starts_with("sha256:");
                let indexed = index.as_ref().filter(|_| by_name).and_then(|i| {
                    let r = crate::reference::Reference::parse(name).ok()?;
                    i.get(&r).map(str::to_owned)
                });
                match (indexed, by_id || index.is_none()) {
                    (Some(id), _) => Some(id),
                    (None, true) => self.find(name).ok().flatten().map(|image| image.id),
                    (None, false) => None,
                }
            })
            .collect()
    }

    /// Whether the store has the image with this ID (64 hex, or `sha256:<hex>`).
    pub fn has_image(&self, id: &str) -> bool {
        let hex = id.strip_prefix("sha256:").unwrap_or(id);
        Digest::is_hex64(hex) && self.paths.record(hex).is_file()
    }

    /// Reads one fetched layer blob (plain, gzip or zstd) TO ITS END, checks its
    /// uncompressed content against `diff_id`, unpacks it and parks it for
    /// [`ImageStore::add_pulled_image`]. An error from `stream` (the caller's own check of
    /// the blob's digest, made when it reaches its end) refuses the layer.
    pub fn add_pulled_layer(
        &self,
        stream: &mut dyn Read,
        diff_id: &Digest,
        what: &str,
    ) -> Result<()> {
        if self.has_layer(diff_id) {
            return io::copy(stream, &mut io::sink())
                .map(drop)
                .map_err(|e| Error::corrupt(what, e));
        }
        let prepared = layer::prepare_streaming(&self.paths, stream, diff_id, what)
            .map_err(|e| e.on_store_disk(&self.paths.dir))?;
        // The decompressor may stop at the end of its data; the blob must still be read to
        // its end, where the caller verifies it.
        io::copy(stream, &mut io::sink()).map_err(|e| Error::corrupt(what, e))?;
        prepared
            .park(&self.paths)
            .map_err(|e| e.on_store_disk(&self.paths.dir))
    }

    /// Adds the image whose config JSON is `config_bytes` (its ID is their sha256), from
    /// layers the store has or a pull parked, named `reference` ("repo:tag") and, when
    /// given, `repo_digest` (`repo@sha256:<manifest digest>`). All or nothing.
    pub fn add_pulled_image(
        &self,
        config_bytes: &[u8],
        reference: Option<&str>,
        repo_digest: Option<&str>,
    ) -> Result<Image> {
        let config: ConfigFile =
            serde_json::from_slice(config_bytes).map_err(|e| Error::corrupt("image config", e))?;
        let references = reference.map(Reference::parse).transpose()?;
        let mut staged = Staged::default();
        for diff_id in &config.rootfs.diff_ids {
            let prepared = layer::existing(&self.paths, diff_id)
                .or_else(|| layer::pending(&self.paths, diff_id))
                .ok_or_else(|| {
                    Error::corrupt("pulled image", format!("layer {diff_id} was not pulled"))
                })?;
            staged.add_layer(prepared);
        }
        staged.add_image(
            config,
            config_bytes.to_vec(),
            references.into_iter().collect(),
        );
        let image = self
            .register_one(staged)
            .map_err(|e| e.on_store_disk(&self.paths.dir))?;
        if let Some(rd) = repo_digest {
            self.set_repo_digest(rd, &image.id)?;
        }
        Ok(image)
    }

    /// The "repo@sha256:…" names of an image (pulled or pushed), sorted.
    pub fn repo_digests(&self, id: &str) -> Result<Vec<String>> {
        Ok(self
            .read_digests()?
            .into_iter()
            .filter(|(_, v)| v == id)
            .map(|(k, _)| k)
            .collect())
    }

    /// Records that `repo_digest` (`repo@sha256:<hex>`, repo as the store names it) is the
    /// image `id`.
    pub fn set_repo_digest(&self, repo_digest: &str, id: &str) -> Result<()> {
        let key = repo_digest_key(repo_digest)?;
        let _lock = self.lock()?;
        let mut map = self.read_digests()?;
        map.insert(key, id.to_owned());
        self.write_digests(&map)
    }

    /// The image a "repo@sha256:<hex>" names, if the store knows that digest.
    pub(crate) fn find_repo_digest(&self, s: &str) -> Result<Option<String>> {
        let key = repo_digest_key(s)?;
        Ok(self.read_digests()?.remove(&key))
    }

    /// Forgets the repo digests of a removed image. Call with the store lock held.
    pub(crate) fn forget_repo_digests(&self, id: &str) -> Result<()> {
        let mut map = self.read_digests()?;
        let before = map.len();
        map.retain(|_, v| v != id);
        if map.len() != before {
            self.write_digests(&map)?;
        }
        Ok(())
    }

    fn read_digests(&self) -> Result<BTreeMap<String, String>> {
        match fs::read(&self.paths.digests) {
            Ok(b) => serde_json::from_slice(&b).map_err(|e| Error::damaged(&self.paths.digests, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(Error::io(
                format!("reading {}", self.paths.digests.display()),
                e,
            )),
        }
    }

    fn write_digests(&self, map: &BTreeMap<String, String>) -> Result<()> {
        write_atomic(
            &self.paths.digests,
            &serde_json::to_vec_pretty(map).unwrap_or_default(),
        )
    }

    /// Where copies of the layer `diff_id` are known to be in registries.
    pub fn layer_sources(&self, diff_id: &Digest) -> Vec<LayerSource> {
        fs::read(self.paths.sources.join(diff_id.hex()))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Remembers a registry copy of the layer `diff_id` (the newest first; at most 8 kept).
    pub fn add_layer_source(&self, diff_id: &Digest, source: LayerSource) -> Result<()> {
        let _lock = self.lock()?;
        let mut list = self.layer_sources(diff_id);
        list.retain(|s| s != &source);
        list.insert(0, source);
        list.truncate(8);
        write_atomic(
            &self.paths.sources.join(diff_id.hex()),
            &serde_json::to_vec(&list).unwrap_or_default(),
        )
    }

    /// The uncompressed tar of an installed layer, for a push.
    pub fn open_layer_tar(&self, diff_id: &Digest) -> Result<fs::File> {
        let path = self.paths.blob(diff_id);
        fs::File::open(&path).ctx("opening layer", &path)
    }

    /// The config JSON of an image, byte for byte (its sha256 is the image ID).
    pub fn image_config_json(&self, image: &Image) -> Result<Vec<u8>> {
        self.config_bytes(image)
    }

    /// Removes parked layers no pull claimed for a day, and the layer sources of layers
    /// the store no longer has. Call with the store lock held.
    pub(crate) fn sweep_pending(&self) -> Result<()> {
        let now = SystemTime::now();
        for e in fs::read_dir(&self.paths.pending)
            .ctx("reading", &self.paths.pending)?
            .flatten()
        {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .is_some_and(|age| age > PENDING_MAX_AGE);
            let installed = Digest::parse(&e.file_name().to_string_lossy())
                .is_ok_and(|d| layer::installed_size(&self.paths, &d).is_some());
            if old || installed {
                remove_any(&e.path())?;
            }
        }
        for e in fs::read_dir(&self.paths.sources)
            .ctx("reading", &self.paths.sources)?
            .flatten()
        {
            let kept = Digest::parse(&e.file_name().to_string_lossy())
                .is_ok_and(|d| layer::installed_size(&self.paths, &d).is_some());
            if !kept {
                remove_any(&e.path())?;
            }
        }
        Ok(())
    }
}

/// "repo@sha256:<hex>" with the repo as the store names it ("docker.io/library/x" -> "x").
fn repo_digest_key(s: &str) -> Result<String> {
    let bad = |reason: &str| Error::BadReference {
        reference: s.to_owned(),
        reason: reason.to_owned(),
    };
    let (repo, digest) = s
        .split_once('@')
        .ok_or_else(|| bad("expected repo@sha256:<digest>"))?;
    let digest = Digest::parse(digest)
        .ok()
        .filter(|_| digest.starts_with("sha256:"))
        .ok_or_else(|| bad("the digest is not sha256:<64 lowercase hex digits>"))?;
    let repo = Reference::parse(repo)?.repo().to_owned();
    Ok(format!("{repo}@{digest}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_digest_keys_are_normalised() {
        let hex = "a".repeat(64);
        assert_eq!(
            repo_digest_key(&format!("docker.io/library/busybox@sha256:{hex}")).unwrap(),
            format!("busybox@sha256:{hex}")
        );
        assert!(repo_digest_key("busybox").is_err());
        assert!(repo_digest_key("busybox@sha256:abc").is_err());
    }
}
