//! OCI image layout archives (`oci-layout`, `index.json`, `blobs/sha256/...`), as
//! `podman save --format oci-archive` and `skopeo copy ... oci-archive:` write them.
//! Follows index → (nested index, choosing this host's platform) → manifest → config and
//! layers, checking every blob against its digest. Names come from the
//! `io.containerd.image.name` or `org.opencontainers.image.ref.name` annotations.
//! Never unpacks a layer itself (layer.rs does).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::archive::Spool;
use crate::config::{host_architecture, ConfigFile};
use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::reference::Reference;
use crate::register::Staged;
use crate::store::ImageStore;

const WHAT: &str = "OCI image layout";

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: Digest,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize, Debug, Clone)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// Stages every image the top-level `index.json` lists: first every manifest and config is
/// read and checked, then the layers.
pub(crate) fn stage(store: &ImageStore, spool: &Spool, progress: &Progress) -> Result<Staged> {
    let index: Index = spool.read_json("index.json")?;
    if index.manifests.is_empty() {
        return Err(Error::corrupt(WHAT, "index.json lists no manifests"));
    }
    let mut checked = Vec::new();
    for desc in &index.manifests {
        let refs = references(&desc.annotations);
        let manifest_desc = pick_manifest(spool, desc)?;
        checked.push((read_manifest(spool, &manifest_desc)?, refs));
    }
    let mut staged = Staged::default();
    for ((manifest, config, config_bytes), refs) in checked {
        for (layer, diff_id) in manifest.layers.iter().zip(&config.rootfs.diff_ids) {
            if staged.has_layer(diff_id) || crate::layer::existing(&store.paths, diff_id).is_some()
            {
                continue;
            }
            spool.blob_checked(&layer.digest)?;
            let name = format!("blobs/sha256/{}", layer.digest.hex());
            store.stage_archive_layer(&mut staged, spool, &name, diff_id, progress)?;
        }
        staged.add_image(config, config_bytes, refs);
    }
    Ok(staged)
}

fn is_index(media_type: &str) -> bool {
    media_type.ends_with("image.index.v1+json") || media_type.ends_with("manifest.list.v2+json")
}

/// Follows nested indexes to the manifest for this host (linux and our architecture).
fn pick_manifest(spool: &Spool, desc: &Descriptor) -> Result<Descriptor> {
    let mut current = desc.clone();
    for _ in 0..4 {
        if !is_index(&current.media_type) {
            return Ok(current);
        }
        let nested: Index = read_blob_json(spool, &current.digest)?;
        let arch = host_architecture();
        current = nested
            .manifests
            .iter()
            .find(|m| {
                m.platform
                    .as_ref()
                    .is_some_and(|p| p.os == "linux" && p.architecture == arch)
            })
            .or_else(|| nested.manifests.iter().find(|m| m.platform.is_none()))
            .cloned()
            .ok_or_else(|| {
                Error::corrupt(
                    WHAT,
                    format!("index {} has no manifest for linux/{arch}", current.digest),
                )
            })?;
    }
    Err(Error::corrupt(WHAT, "indexes nested too deeply"))
}

/// The manifest `desc` names, its config (parsed and raw), checked against each other.
fn read_manifest(spool: &Spool, desc: &Descriptor) -> Result<(Manifest, ConfigFile, Vec<u8>)> {
    let manifest: Manifest = read_blob_json(spool, &desc.digest)?;
    let config_file = spool.blob_checked(&manifest.config.digest)?;
    let config_bytes =
        std::fs::read(&config_file.path).map_err(|e| Error::io("reading config blob", e))?;
    let config: ConfigFile = serde_json::from_slice(&config_bytes)
        .map_err(|e| Error::corrupt(WHAT, format!("config {}: {e}", manifest.config.digest)))?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(Error::corrupt(
            WHAT,
            format!(
                "config has {} layers, manifest {} lists {}",
                config.rootfs.diff_ids.len(),
                desc.digest,
                manifest.layers.len()
            ),
        ));
    }
    Ok((manifest, config, config_bytes))
}

fn read_blob_json<T: serde::de::DeserializeOwned>(spool: &Spool, digest: &Digest) -> Result<T> {
    spool.blob_checked(digest)?;
    spool.read_json(&format!("blobs/sha256/{}", digest.hex()))
}

/// The image's names from its index annotations. A bare tag ("latest") names no
/// repository, so it gives no name.
fn references(annotations: &BTreeMap<String, String>) -> Vec<Reference> {
    for key in [
        "io.containerd.image.name",
        "org.opencontainers.image.ref.name",
    ] {
        if let Some(v) = annotations.get(key) {
            if v.contains(['/', ':']) || key == "io.containerd.image.name" {
                if let Ok(r) = Reference::parse(v) {
                    return vec![r];
                }
            }
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_annotations() {
        let mut a = BTreeMap::new();
        a.insert(
            "org.opencontainers.image.ref.name".to_string(),
            "latest".to_string(),
        );
        assert!(references(&a).is_empty());
        a.insert(
            "org.opencontainers.image.ref.name".to_string(),
            "docker.io/library/busybox:1.36".to_string(),
        );
        assert_eq!(references(&a)[0].to_string(), "busybox:1.36");
    }
}
