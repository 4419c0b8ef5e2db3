//! The outer image archive (docker-archive or OCI image layout, maybe gzip/zstd compressed)
//! spooled into a temp dir in the store: every regular file is written under a numbered
//! name (never under its archive path, so a hostile path cannot point anywhere) and hashed
//! on the way; a hardlink entry (some tools store identical layer tars once and link the
//! others to it) names the spooled file of the earlier entry, so nothing is held in memory
//! and nothing is read twice. `load` then dispatches on what the archive holds, and adds
//! the images it staged all at once (register.rs). Never writes a layer; docker_archive.rs
//! and oci_layout.rs read the spooled files and do that.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use tempfile::TempDir;

use crate::compression;
use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{self, CopyError};
use crate::layer;
use crate::progress::Progress;
use crate::register::Staged;
use crate::store::{ImageStore, Paths};
use crate::unpack::clean_path;
use crate::{docker_archive, oci_layout, Image};

const WHAT: &str = "image archive";

/// One regular file of the archive, on disk.
#[derive(Clone)]
pub(crate) struct SpooledFile {
    pub path: PathBuf,
    pub digest: Digest,
}

/// The files of an image archive, by their path in the archive.
pub(crate) struct Spool {
    _dir: TempDir,
    files: HashMap<String, SpooledFile>,
    symlinks: HashMap<String, String>,
}

impl Spool {
    /// Reads the whole archive into a temp dir of the store.
    pub(crate) fn read(paths: &Paths, archive: &mut dyn Read) -> Result<Spool> {
        let dir = tempfile::Builder::new()
            .prefix(&ImageStore::temp_prefix("load"))
            .tempdir_in(&paths.tmp)
            .ctx("creating a temp dir in", &paths.tmp)?;
        let plain = compression::decompressed(archive, WHAT)?;
        let mut tar = tar::Archive::new(plain);
        let corrupt = |e: std::io::Error| {
            Error::corrupt(WHAT, format!("truncated or not a tar archive: {e}"))
        };
        let mut files = HashMap::new();
        let mut symlinks = HashMap::new();
        for (n, entry) in tar.entries().map_err(corrupt)?.enumerate() {
            let mut entry = entry.map_err(corrupt)?;
            let shown = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(rel) = clean_path(&entry.path_bytes(), &shown)? else {
                continue;
            };
            let key = rel.to_string_lossy().into_owned();
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let path = dir.path().join(n.to_string());
                    let f = File::create(&path).ctx("creating", &path)?;
                    let mut w = HashingWriter::new(BufWriter::with_capacity(256 * 1024, f));
                    fsutil::copy(&mut entry, &mut w).map_err(|e| match e {
                        CopyError::Read(e) => corrupt(e),
                        CopyError::Write(e) => Error::io(format!("writing {}", path.display()), e),
                    })?;
                    let (digest, _, buf) = w.finish();
                    buf.into_inner().map_err(|e| {
                        Error::io(format!("writing {}", path.display()), e.into_error())
                    })?;
                    files.insert(key, SpooledFile { path, digest });
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .unwrap_or_default();
                    symlinks.insert(key, target);
                }
                tar::EntryType::Link => {
                    let earlier = hardlink_target(&entry, &shown, &files)?;
                    files.insert(key, earlier);
                }
                _ => {}
            }
        }
        Ok(Spool {
            _dir: dir,
            files,
            symlinks,
        })
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// The file at archive path `name`, following the archive's own symlinks (docker save
    /// links identical layers) lexically, within the archive.
    pub(crate) fn get(&self, name: &str) -> Result<&SpooledFile> {
        let mut key = clean_key(name)?;
        for _ in 0..8 {
            if let Some(f) = self.files.get(&key) {
                return Ok(f);
            }
            let Some(target) = self.symlinks.get(&key) else {
                break;
            };
            let base = if target.starts_with('/') {
                String::new()
            } else {
                key.rsplit_once('/')
                    .map(|(d, _)| d.to_owned())
                    .unwrap_or_default()
            };
            key = resolve_within(&base, target)
                .ok_or_else(|| Error::unsafe_entry(name, "its link leads out of the archive"))?;
        }
        Err(Error::corrupt(WHAT, format!("it has no file {name:?}")))
    }

    pub(crate) fn open(&self, name: &str) -> Result<BufReader<File>> {
        let f = self.get(name)?;
        File::open(&f.path)
            .ctx("opening", &f.path)
            .map(|f| BufReader::with_capacity(256 * 1024, f))
    }

    pub(crate) fn read_bytes(&self, name: &str) -> Result<Vec<u8>> {
        let f = self.get(name)?;
        std::fs::read(&f.path).ctx("reading", &f.path)
    }

    pub(crate) fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        serde_json::from_slice(&self.read_bytes(name)?)
            .map_err(|e| Error::corrupt(WHAT, format!("{name}: {e}")))
    }

    /// Reads the blob `blobs/sha256/<hex>` and checks its content against its name.
    pub(crate) fn blob_checked(&self, digest: &Digest) -> Result<&SpooledFile> {
        let name = format!("blobs/sha256/{}", digest.hex());
        let f = self.get(&name)?;
        if f.digest != *digest {
            return Err(Error::DigestMismatch {
                what: name,
                expected: digest.to_string(),
                actual: f.digest.to_string(),
            });
        }
        Ok(f)
    }
}

/// The earlier regular file a hardlink entry names. Its target is a path from the root of
/// the archive (not from the link's directory, as a symlink's is).
fn hardlink_target<R: Read>(
    entry: &tar::Entry<R>,
    shown: &str,
    files: &HashMap<String, SpooledFile>,
) -> Result<SpooledFile> {
    let target = entry.link_name_bytes().unwrap_or_default();
    let target_shown = String::from_utf8_lossy(&target).into_owned();
    let key = clean_path(&target, &target_shown)
        .ok()
        .flatten()
        .map(|p| p.to_string_lossy().into_owned())
        .ok_or_else(|| {
            Error::unsafe_entry(
                shown,
                format!("hardlink target {target_shown:?} leads out of the archive"),
            )
        })?;
    files.get(&key).cloned().ok_or_else(|| {
        Error::unsafe_entry(
            shown,
            format!("hardlink target {target_shown:?} is not an earlier file of the archive"),
        )
    })
}

fn clean_key(name: &str) -> Result<String> {
    let rel = clean_path(name.as_bytes(), name)?
        .ok_or_else(|| Error::corrupt(WHAT, "a file name is empty"))?;
    Ok(rel.to_string_lossy().into_owned())
}

/// `base/target` with `.` and `..` resolved; `None` if it climbs out of the archive.
fn resolve_within(base: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl ImageStore {
    /// Loads every image of a docker-archive (`docker save`, `podman save`) or OCI
    /// image-layout archive (`podman save --format oci-archive`, skopeo `oci-archive:`),
    /// whole or gzip/zstd compressed, with plain, gzip or zstd layers. All or nothing: if
    /// any image of the archive is refused, no image, name or layer is added.
    pub fn load(&self, archive: &mut dyn Read, progress: &Progress) -> Result<Vec<Image>> {
        let _span = tracing::info_span!("load").entered();
        self.load_staged(archive, progress)
            .map_err(|e| e.on_store_disk(&self.paths.dir))
    }

    fn load_staged(&self, archive: &mut dyn Read, progress: &Progress) -> Result<Vec<Image>> {
        let bar = progress.bar("reading archive", None);
        let spool = Spool::read(&self.paths, &mut bar.reader(archive))?;
        bar.done();
        let staged = if spool.has("manifest.json") {
            docker_archive::stage(self, &spool, progress)?
        } else if spool.has("index.json") {
            oci_layout::stage(self, &spool, progress)?
        } else {
            return Err(Error::corrupt(
                WHAT,
                "it has neither manifest.json (docker-archive) nor index.json (OCI image layout)",
            ));
        };
        // The spooled archive goes before the images are added: less on disk at once.
        drop(spool);
        self.register(staged)
    }

    /// Stages one layer of an archive, unless the store has it or it is staged already:
    /// decompressed, checked against `diff_id` and unpacked in a temp dir.
    pub(crate) fn stage_archive_layer(
        &self,
        staged: &mut Staged,
        spool: &Spool,
        file: &str,
        diff_id: &Digest,
        progress: &Progress,
    ) -> Result<()> {
        if staged.has_layer(diff_id) || layer::existing(&self.paths, diff_id).is_some() {
            return Ok(());
        }
        let bar = progress.bar(&format!("layer {}", &diff_id.hex()[..12]), None);
        let mut reader = bar.reader(spool.open(file)?);
        let prepared = layer::prepare(
            &self.paths,
            &mut reader,
            Some(diff_id),
            &format!("layer {file}"),
        )?;
        bar.done();
        staged.add_layer(prepared);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_inside_the_archive_only() {
        assert_eq!(
            resolve_within("a/b", "../c/layer.tar").as_deref(),
            Some("a/c/layer.tar")
        );
        assert_eq!(resolve_within("a", "../../x"), None);
    }
}
