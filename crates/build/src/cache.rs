//! The layer cache, as Docker's classic builder keeps it: every step's result is an image of
//! the store, and a step is reused when an image was made from the same parent by the same
//! instruction (variables expanded, build arguments in scope) and, for `COPY`/`ADD`, from
//! sources with the same content and metadata. The key is the sha256 of those; the cache
//! maps it to the image ID, one small file per key under `<root>/build/cache/` (written
//! atomically; read without a lock). An entry whose image is gone is a miss, and is removed.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::error::{Error, Result};

/// The cache of one store.
pub(crate) struct Cache {
    dir: PathBuf,
}

/// What a step's key is made of.
pub(crate) struct KeyParts<'a> {
    /// The image the step runs on (64 hex), or None for `FROM scratch`.
    pub parent: Option<&'a str>,
    /// The step as it made its history line (expanded, with the build arguments RUN sees).
    pub created_by: &'a str,
    /// The sources' content hash (`COPY`/`ADD`), or what else decides the result.
    pub content: Option<&'a str>,
}

impl KeyParts<'_> {
    /// The key: sha256 of the parts, hex.
    pub(crate) fn key(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"six-build cache v1\0");
        h.update(self.parent.unwrap_or("scratch").as_bytes());
        h.update(b"\0");
        h.update(self.created_by.as_bytes());
        h.update(b"\0");
        h.update(self.content.unwrap_or("").as_bytes());
        hex::encode(h.finalize())
    }
}

impl Cache {
    /// The cache under `build_dir` (`<root>/build`).
    pub(crate) fn open(build_dir: &Path) -> Result<Cache> {
        let dir = build_dir.join("cache");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("making", &dir, e))?;
        Ok(Cache { dir })
    }

    /// The image a step with this key made, if the store still has it.
    pub(crate) fn lookup(
        &self,
        key: &str,
        images: &six_image::ImageStore,
    ) -> Result<Option<six_image::Image>> {
        let path = self.dir.join(key);
        let id = match std::fs::read_to_string(&path) {
            Ok(id) => id.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("reading", &path, e)),
        };
        if !six_image::Digest::is_hex64(&id) {
            let _ = std::fs::remove_file(&path);
            return Ok(None);
        }
        match images.find_image(&id)? {
            Some(image) => Ok(Some(image)),
            None => {
                let _ = std::fs::remove_file(&path);
                Ok(None)
            }
        }
    }

    /// Remembers that the step with this key made `image_id`.
    pub(crate) fn store(&self, key: &str, image_id: &str) -> Result<()> {
        let path = self.dir.join(key);
        six_sys::atomic::write(&path, image_id.as_bytes(), six_sys::atomic::Durable::No)
            .map_err(|e| Error::io("writing", &path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_by_each_part() {
        let k = |p: Option<&str>, c: &str, x: Option<&str>| {
            KeyParts {
                parent: p,
                created_by: c,
                content: x,
            }
            .key()
        };
        let base = k(Some("a"), "RUN x", None);
        assert_eq!(base, k(Some("a"), "RUN x", None));
        assert_ne!(base, k(Some("b"), "RUN x", None));
        assert_ne!(base, k(None, "RUN x", None));
        assert_ne!(base, k(Some("a"), "RUN y", None));
        assert_ne!(base, k(Some("a"), "RUN x", Some("h")));
    }
}
