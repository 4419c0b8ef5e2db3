//! docker-archive, the format of `docker save` / `podman save`: `manifest.json` (a list of
//! {Config, RepoTags, Layers}), config JSON files and layer tars. `stage` reads it from a
//! spooled archive; `save` writes it (legacy layout: `<id>.json`, `<diff-id>/layer.tar`),
//! which Docker and Podman both load. Never unpacks a layer itself (layer.rs does).

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::archive::Spool;
use crate::config::ConfigFile;
use crate::digest::Digest;
use crate::error::{Error, IoContext, Result};
use crate::progress::Progress;
use crate::reference::Reference;
use crate::register::Staged;
use crate::store::ImageStore;
use crate::Image;

#[derive(Serialize, Deserialize, Debug)]
#[serde(rename_all = "PascalCase")]
struct ManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Stages every image listed in `manifest.json`: first every config and name is read and
/// checked (cheap, so a bad last image fails before any layer is unpacked), then the layers.
pub(crate) fn stage(store: &ImageStore, spool: &Spool, progress: &Progress) -> Result<Staged> {
    let manifest: Vec<ManifestEntry> = spool.read_json("manifest.json")?;
    if manifest.is_empty() {
        return Err(Error::corrupt(
            "docker-archive",
            "manifest.json lists no images",
        ));
    }
    let mut checked = Vec::new();
    for entry in manifest {
        let config_bytes = spool.read_bytes(&entry.config)?;
        check_named_digest(&entry.config, &config_bytes)?;
        let config: ConfigFile = serde_json::from_slice(&config_bytes).map_err(|e| {
            Error::corrupt("docker-archive", format!("config {}: {e}", entry.config))
        })?;
        let diff_ids = &config.rootfs.diff_ids;
        if diff_ids.len() != entry.layers.len() {
            return Err(Error::corrupt(
                "docker-archive",
                format!(
                    "config {} has {} layers, manifest.json lists {}",
                    entry.config,
                    diff_ids.len(),
                    entry.layers.len()
                ),
            ));
        }
        let refs = entry
            .repo_tags
            .iter()
            .flatten()
            .map(|t| Reference::parse(t))
            .collect::<Result<Vec<_>>>()?;
        checked.push((entry.layers, config, config_bytes, refs));
    }
    let mut staged = Staged::default();
    for (files, config, config_bytes, refs) in checked {
        for (file, diff_id) in files.iter().zip(&config.rootfs.diff_ids) {
            store.stage_archive_layer(&mut staged, spool, file, diff_id, progress)?;
        }
        staged.add_image(config, config_bytes, refs);
    }
    Ok(staged)
}

/// A config named `<64 hex>.json` or `blobs/sha256/<64 hex>` must hash to that name.
fn check_named_digest(name: &str, bytes: &[u8]) -> Result<()> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let hex = base.strip_suffix(".json").unwrap_or(base);
    if Digest::is_hex64(hex) {
        let actual = Digest::of(bytes);
        if actual.hex() != hex {
            return Err(Error::DigestMismatch {
                what: format!("config {name}"),
                expected: format!("sha256:{hex}"),
                actual: actual.to_string(),
            });
        }
    }
    Ok(())
}

impl ImageStore {
    /// Writes the named images as one docker-archive. A name given as "repo:tag" is kept in
    /// RepoTags; an image given by ID is saved without names, as Docker does.
    pub fn save(&self, images: &[&str], out: &mut dyn Write, progress: &Progress) -> Result<()> {
        let _span = tracing::info_span!("save").entered();
        let mut manifest: Vec<ManifestEntry> = Vec::new();
        let mut chosen: Vec<(Image, Option<Reference>)> = Vec::new();
        for name in images {
            let img = self.resolve(name)?;
            let by_name = Reference::parse(name)
                .ok()
                .filter(|r| img.repo_tags.contains(&r.to_string()));
            match chosen.iter_mut().find(|(i, _)| i.id == img.id) {
                Some(_) => {
                    if let (Some(r), Some(m)) = (
                        by_name,
                        manifest
                            .iter_mut()
                            .find(|m| m.config == format!("{}.json", img.id)),
                    ) {
                        m.repo_tags.get_or_insert_with(Vec::new).push(r.to_string());
                    }
                }
                None => {
                    manifest.push(ManifestEntry {
                        config: format!("{}.json", img.id),
                        repo_tags: by_name.as_ref().map(|r| vec![r.to_string()]),
                        layers: img
                            .layers
                            .iter()
                            .map(|l| Ok(format!("{}/layer.tar", Digest::parse(l)?.hex())))
                            .collect::<Result<_>>()?,
                    });
                    chosen.push((img, by_name));
                }
            }
        }
        let total: u64 = chosen
            .iter()
            .flat_map(|(i, _)| i.layers.iter())
            .filter_map(|l| Digest::parse(l).ok())
            .filter_map(|d| std::fs::metadata(self.paths.blob(&d)).ok())
            .map(|m| m.len())
            .sum();
        let bar = progress.bar("saving", Some(total));
        let mut b = tar::Builder::new(out);
        let err = |e: std::io::Error| Error::io("writing the docker-archive", e);
        let mut written = HashSet::new();
        for (img, _) in &chosen {
            let mtime = img.created.timestamp().max(0) as u64;
            for l in &img.layers {
                let d = Digest::parse(l)?;
                if !written.insert(d.clone()) {
                    continue;
                }
                let blob = self.paths.blob(&d);
                let f = File::open(&blob).map_err(|_| {
                    Error::damaged(&blob, format!("the tar of layer {d} is missing"))
                })?;
                let len = f.metadata().ctx("inspecting", &blob)?.len();
                let mut h = header(tar::EntryType::Directory, 0o755, 0, mtime);
                b.append_data(&mut h, format!("{}/", d.hex()), std::io::empty())
                    .map_err(err)?;
                let mut h = header(tar::EntryType::Regular, 0o644, len, mtime);
                b.append_data(&mut h, format!("{}/layer.tar", d.hex()), bar.reader(f))
                    .map_err(err)?;
            }
            let config = self.config_bytes(img)?;
            let mut h = header(tar::EntryType::Regular, 0o644, config.len() as u64, mtime);
            b.append_data(&mut h, format!("{}.json", img.id), &config[..])
                .map_err(err)?;
        }
        let manifest_bytes = serde_json::to_vec(&manifest).unwrap_or_default();
        let mut h = header(
            tar::EntryType::Regular,
            0o644,
            manifest_bytes.len() as u64,
            0,
        );
        b.append_data(&mut h, "manifest.json", &manifest_bytes[..])
            .map_err(err)?;
        let out = b.into_inner().map_err(err)?;
        out.flush().map_err(err)?;
        bar.done();
        Ok(())
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64, mtime: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(mtime);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_configs_must_match_their_digest() {
        let bytes = b"{}";
        let good = format!("{}.json", Digest::of(bytes).hex());
        assert!(check_named_digest(&good, bytes).is_ok());
        assert!(check_named_digest("config.json", bytes).is_ok());
        let bad = format!("blobs/sha256/{}", "0".repeat(64));
        assert!(check_named_digest(&bad, bytes)
            .unwrap_err()
            .to_string()
            .starts_with("digest mismatch for config"));
    }
}
