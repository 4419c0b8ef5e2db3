//! `commit` (one new image layer from the container's upper dir, with its config) and
//! `export` (the container's filesystem as a flat tar). A running container is frozen while
//! its upper dir is read, by its monitor, for as long as the commit's connection to the
//! monitor is open (see `monitor/freeze.rs`): a commit killed half-way leaves it running.

use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

use crate::attach::{self, Message};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::record::Status;

/// How long a commit waits for the monitor to confirm a freeze or a thaw.
const FREEZE_ANSWER: Duration = Duration::from_secs(10);

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
        let base = self.images.container_image(&config.image_id)?;
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
            // as Docker: the container's published ports are exposed by the image
            exposed_ports: config
                .request
                .ports
                .iter()
                .map(|p| format!("{}/{}", p.container_port, p.proto))
                .collect(),
            ..Default::default()
        };
        let upper = self.rootfs_mount(&id).upper;
        let frozen = if state.status == Status::Running {
            self.freeze_for_commit(&id)
        } else {
            None
        };
        if frozen.is_some() {
            self.emit_container(&config, "pause", &[]);
        }
        crate::test_hook::pause_point("commit-frozen");
        let step = six_trace::begin();
        let result = self
            .images
            .commit_with_progress(&base, &upper, change, reference, progress)
            .map_err(Error::from);
        if let Some(t) = step {
            let errno = if result.is_ok() { 0 } else { -1 };
            t.done(six_trace::Kind::Image, errno, |d| {
                let made = result.as_ref().map(|i| i.short_id()).unwrap_or("none");
                let (from, base) = (upper.display(), base.short_id());
                std::fmt::Write::write_fmt(
                    d,
                    format_args!("one new layer from {from} (tar of the upper dir, whiteouts for deletions) on image {base}: image {made}"),
                )
            });
        }
        if let Some(channel) = frozen {
            // Closing the connection alone thaws it; asking first means the container runs
            // again before `commit` returns.
            if attach::send(channel.as_raw_fd(), &Message::Thaw).is_ok() {
                let _ = attach::answer(&channel, |m| matches!(m, Message::Thawed), FREEZE_ANSWER);
            }
            self.emit_container(&config, "unpause", &[]);
        }
        if let Ok(image) = &result {
            let reference = reference.map(crate::image_cmds::familiar);
            if let Some(r) = &reference {
                self.emit_image("tag", image, Some(r));
            }
            let attrs = [
                ("comment", String::new()),
                ("imageID", format!("sha256:{}", image.id)),
                ("imageRef", reference.unwrap_or_default()),
            ];
            self.emit_container(&config, "commit", &attrs);
        }
        result
    }

    /// Asks the container's monitor to freeze it; the returned connection holds the freeze
    /// (closing it, even by dying, thaws). None when it could not be frozen: the commit then
    /// reads a running container, as before.
    fn freeze_for_commit(&self, id: &str) -> Option<OwnedFd> {
        let channel = attach::connect(&self.attach_socket(id)).ok()?;
        attach::send(channel.as_raw_fd(), &Message::Freeze).ok()?;
        attach::answer(&channel, |m| matches!(m, Message::Frozen), FREEZE_ANSWER)
            .ok()
            .map(|()| channel)
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
            let image = self.images.container_image(&config.image_id)?;
            self.images
                .mount_rootfs(&image, &self.container_dir(&id))?
                .merged
        };
        let result = self
            .images
            .export(&merged, out, &six_image::Progress::for_stderr())
            .map_err(Error::from);
        if !was_mounted && self.store.state(&id).is_ok_and(|s| !s.rootfs_mounted) {
            let _ = self.rootfs_mount(&id).unmount();
        }
        result
    }
}
