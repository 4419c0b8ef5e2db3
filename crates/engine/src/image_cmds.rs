//! The image and network commands as the engine does them: the store's work (six-image,
//! six-network), then Docker's event for it (`image tag`, `untag`, `delete`, `load`, `save`,
//! `import`; `network create`, `destroy`). The CLI and an API call these, never the stores
//! directly, so that every change is in the events journal.

use std::io::{Read, Write};

use six_image::{Image, Progress};
use six_network::{Network, NetworkSpec};

use crate::engine::Engine;
use crate::error::Result;

impl Engine {
    /// `docker tag SOURCE TARGET`.
    pub fn tag_image(&self, source: &str, target: &str) -> Result<()> {
        self.images.tag(source, target)?;
        if let Ok(image) = self.images.resolve(target) {
            self.emit_image("tag", &image, Some(&familiar(target)));
        }
        Ok(())
    }

    /// `docker rmi [-f] IMAGE`: Docker's lines ("Untagged: …", "Deleted: sha256:…"); an
    /// image containers use is refused, or with `force` handled as Docker does (see
    /// `ImageStore::remove` and `Engine::image_uses`).
    pub fn remove_image(&self, name: &str, force: bool) -> Result<Vec<String>> {
        let uses = self.image_uses()?;
        let is_used = |id: &str| uses.get(id).copied().unwrap_or(six_image::ImageUse::Unused);
        let image = self.images.find_image(name).ok().flatten();
        let lines = self.images.remove(name, &is_used, force)?;
        if let Some(image) = image {
            for line in &lines {
                if line.starts_with("Untagged: ") {
                    self.emit_image("untag", &image, None);
                } else if line.starts_with("Deleted: ") {
                    self.emit_image("delete", &image, None);
                }
            }
        }
        Ok(lines)
    }

    /// `docker import`: the new image (tagged `reference` if given).
    pub fn import_image(
        &self,
        rootfs_tar: &mut dyn Read,
        reference: Option<&str>,
        progress: &Progress,
    ) -> Result<Image> {
        let image = self.images.import(rootfs_tar, reference, progress)?;
        if let Some(r) = reference {
            self.emit_image("tag", &image, Some(&familiar(r)));
        }
        self.emit_image("import", &image, None);
        Ok(image)
    }

    /// `docker load`: the images of the archive (all or none).
    pub fn load_images(&self, archive: &mut dyn Read, progress: &Progress) -> Result<Vec<Image>> {
        let images = self.images.load(archive, progress)?;
        for image in &images {
            self.emit_image("load", image, None);
        }
        Ok(images)
    }

    /// `docker save`: `names` as one docker-archive on `out`.
    pub fn save_images(
        &self,
        names: &[&str],
        out: &mut dyn Write,
        progress: &Progress,
    ) -> Result<()> {
        self.images.save(names, out, progress)?;
        for name in names {
            if let Ok(Some(image)) = self.images.find_image(name) {
                self.emit_image("save", &image, None);
            }
        }
        Ok(())
    }

    /// `docker network create`.
    pub fn create_network(&self, spec: NetworkSpec) -> Result<Network> {
        let network = self.networks()?.create(spec)?;
        self.emit_network("create", &network.name, None);
        Ok(network)
    }

    /// `docker network rm`.
    pub fn remove_network(&self, name: &str) -> Result<()> {
        let networks = self.networks()?;
        let network = networks.inspect(name)?;
        networks.remove(name)?;
        self.emit_network_removed(&network);
        Ok(())
    }
}

/// "busybox" → "busybox:latest", as Docker names a tag in its events.
pub(crate) fn familiar(reference: &str) -> String {
    six_registry::Reference::parse(reference)
        .map(|r| r.with_default_tag().familiar_string())
        .unwrap_or_else(|_| reference.to_owned())
}
