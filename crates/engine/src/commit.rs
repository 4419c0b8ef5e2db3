//! `commit` (one new image layer from the container's upper dir, with its config) and
//! `export` (the container's filesystem as a flat tar). The container is paused while its
//! upper dir is read.

use std::io::Write;

use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;

impl Engine {
    /// `docker commit CONTAINER [REPO[:TAG]]` without progress bars; see
    /// [`Engine::commit_with_progress`].
    pub fn commit(&self, c: &str, reference: Option<&str>) -> Result<six_image::Image> {
        self.commit_with_progress(c, reference, &six_image::Progress::hidden())
    }

    /// `docker commit CONTAINER [REPO[:TAG]]`, drawing the layer's progress on `progress`.
    pub fn commit_with_progress(
        &self,
        c: &str,
        reference: Option<&str>,
        progress: &six_image::Progress,
    ) -> Result<six_image::Image> {
        let _span = tracing::debug_span!("commit").entered();
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let state = self.store.state(&id)?;
        let base = self
            .images
            .resolve(&config.image_id)
            .map_err(|e| Error::Image(e.to_string()))?;
        let change = six_image::ImageConfig {
            env: config
                .env
                .iter()
                .filter(|e| !e.starts_with("HOSTNAME="))
                .cloned()
                .collect(),
            cmd: Some(config.cmd.clone()),
            entrypoint: Some(config.entrypoint.clone()),
            working_dir: Some(config.workdir.clone()),
            user: Some(config.user.clone()).filter(|u| !u.is_empty()),
            ..Default::default()
        };
        let upper = self.rootfs_mount(&id).upper;
        let paused = if state.status == Status::Running {
            self.pause_for_commit(&id)
        } else {
            None
        };
        let result = self
            .images
            .commit_with_progress(&base, &upper, change, reference, progress)
            .map_err(|e| Error::Image(e.to_string()));
        if let Some(c) = paused {
            let _ = c.resume();
            let _ = self.store.update(&id, |s| {
                s.paused_by = None;
                Ok(())
            });
        }
        result
    }

    /// Freezes a running container while its upper dir is read; the record says who froze
    /// it, so a commit killed half-way leaves a container the next command thaws.
    fn pause_for_commit(&self, id: &str) -> Option<six_runtime::Container> {
        let container = self.runtime.load(id).ok()?;
        let me = crate::record::ProcessId::current();
        self.store
            .update(id, |s| {
                s.paused_by = Some(me);
                Ok(())
            })
            .ok()?;
        if container.pause().is_err() {
            let _ = self.store.update(id, |s| {
                s.paused_by = None;
                Ok(())
            });
            return None;
        }
        Some(container)
    }

    /// `docker export`: the container's filesystem as a tar on `out`.
    pub fn export(&self, c: &str, out: &mut dyn Write) -> Result<()> {
        let id = self.resolve(c)?;
        let config = self.store.config(&id)?;
        let mount = self.rootfs_mount(&id);
        let was_mounted = mount.is_mounted();
        let merged = if was_mounted {
            mount.merged.clone()
        } else {
            let image = self
                .images
                .resolve(&config.image_id)
                .map_err(|e| Error::Image(e.to_string()))?;
            self.images
                .mount_rootfs(&image, &self.container_dir(&id))
                .map_err(|e| Error::Image(e.to_string()))?
                .merged
        };
        let result = self
            .images
            .export(&merged, out, &six_image::Progress::for_stderr())
            .map_err(|e| Error::Image(e.to_string()));
        if !was_mounted && self.store.state(&id).is_ok_and(|s| !s.rootfs_mounted) {
            let _ = self.rootfs_mount(&id).unmount();
        }
        result
    }
}
