//! six-image: the image store of sixdocker. It turns archives (docker-archive, OCI image
//! layout, flat rootfs tars) into content-addressed layers on disk, and layers into a
//! container rootfs (overlayfs: the image's layers below, the container's own upper dir
//! above). It also builds the default `busybox` image from the host's busybox-static.
//!
//! It knows nothing of processes or containers beyond a directory and an "in use" answer
//! from its caller. A reader can start at [`ImageStore`] (store.rs), then `layer.rs` and
//! `unpack.rs` for what reaches the disk, and `overlay.rs` for the mount. Content pulled
//! from registries comes in through `pulled.rs` (six-registry fetches; this crate stores).

#![deny(missing_docs)]

mod archive;
mod busybox;
mod commit;
mod compression;
mod config;
mod digest;
mod docker_archive;
mod error;
mod fsutil;
mod gc;
mod history;
mod import;
mod index;
mod layer;
mod oci_layout;
mod overlay;
mod pack;
mod progress;
mod pulled;
mod reference;
mod register;
mod retained;
mod step;
mod store;
mod unpack;
mod whiteout;

pub use config::{HealthConfig, ImageConfig};
pub use digest::Digest;
pub use error::{Error, Result};
pub use history::HistoryEntry;
pub use overlay::{Durability, RootfsMount};
pub use progress::Progress;
pub use pulled::LayerSource;
pub use reference::Reference;
pub use retained::ImageUse;
pub use step::{Changes, Step};
pub use store::{ImageStore, DEFAULT_IMAGE_WAIT, STORE_LOCK_WAIT};

use chrono::{DateTime, Utc};

/// One image, as the store knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// The image ID: sha256 of its config JSON, 64 lowercase hex digits without "sha256:".
    pub id: String,
    /// Its names, "repo:tag", sorted; empty for a dangling image.
    pub repo_tags: Vec<String>,
    /// Run-time defaults: env, cmd, entrypoint, workdir, user, ports, labels.
    pub config: ImageConfig,
    /// When the image was made (its config's `created`).
    pub created: DateTime<Utc>,
    /// Bytes of regular files in all its layers.
    pub size: u64,
    /// Diff-ids ("sha256:..."), bottom layer first.
    pub layers: Vec<String>,
    /// The image this one was built on by a build step (64 hex; Docker's `Parent`): set
    /// only by [`ImageStore::add_step`]. Removing an image removes its untagged parents
    /// that nothing else is built on.
    pub parent: Option<String>,
}

impl Image {
    /// The first 12 hex digits of the ID, as `images` shows it.
    pub fn short_id(&self) -> &str {
        &self.id[..12.min(self.id.len())]
    }

    /// (repository, tag) pairs for `images`; one `("<none>", "<none>")` for a dangling image.
    pub fn repo_tag_pairs(&self) -> Vec<(String, String)> {
        if self.repo_tags.is_empty() {
            return vec![("<none>".into(), "<none>".into())];
        }
        self.repo_tags
            .iter()
            .map(
                |rt| match rt.rsplit_once(':').filter(|(_, t)| !t.contains('/')) {
                    Some((r, t)) => (r.to_owned(), t.to_owned()),
                    None => (rt.clone(), "latest".to_owned()),
                },
            )
            .collect()
    }
}
