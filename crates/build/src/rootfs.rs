//! The builder's own work space under `<root>/build/tmp`: one directory per build, named
//! with the builder's PID (`build-<pid>-…`), holding the rootfs a `COPY`, `ADD` or `WORKDIR`
//! step writes into (an overlay of the step's image, whose upper dir becomes the layer; a
//! plain directory for a stage that has no files yet) and the rootfs a `COPY --from` reads.
//! Everything is unmounted and removed when the step (or the build) ends; what a killed
//! build left is swept by the next one (`sweep`).

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A rootfs of one step: mounted overlay, or a plain directory.
pub(crate) struct StepRoot {
    dir: tempfile::TempDir,
    mount: Option<six_image::RootfsMount>,
}

impl StepRoot {
    /// The rootfs of `image` (None or no layers: an empty plain tree) in a new directory
    /// below `work`.
    pub(crate) fn new(
        images: &six_image::ImageStore,
        image: Option<&six_image::Image>,
        work: &Path,
    ) -> Result<StepRoot> {
        let dir = tempfile::Builder::new()
            .prefix("step-")
            .tempdir_in(work)
            .map_err(|e| Error::io("making a step directory in", work, e))?;
        let mount = match image {
            Some(img) if !img.layers.is_empty() => Some(images.mount_rootfs(img, dir.path())?),
            _ => {
                let upper = dir.path().join("upper");
                std::fs::create_dir(&upper).map_err(|e| Error::io("making", &upper, e))?;
                None
            }
        };
        Ok(StepRoot { dir, mount })
    }

    /// Where the rootfs is seen whole (the overlay's merged dir, or the plain tree).
    pub(crate) fn rootfs(&self) -> PathBuf {
        match &self.mount {
            Some(m) => m.merged.clone(),
            None => self.dir.path().join("upper"),
        }
    }

    /// What the step changed: the overlay's upper dir, or the whole plain tree.
    pub(crate) fn changes(&self) -> PathBuf {
        match &self.mount {
            Some(m) => m.upper.clone(),
            None => self.dir.path().join("upper"),
        }
    }

    /// Unmounts the overlay (the changes stay readable).
    pub(crate) fn unmount(&mut self) -> Result<()> {
        if let Some(m) = self.mount.take() {
            let again = six_image::RootfsMount::for_container_dir(self.dir.path());
            if let Err(e) = m.unmount() {
                self.mount = Some(again);
                return Err(e.into());
            }
        }
        Ok(())
    }
}

impl Drop for StepRoot {
    fn drop(&mut self) {
        if let Some(m) = self.mount.take() {
            if let Err(e) = m.unmount() {
                tracing::warn!(
                    error = &e as &dyn std::error::Error,
                    "unmounting a build step's rootfs"
                );
            }
        }
    }
}

/// The work directory of this build, below `<root>/build/tmp`.
pub(crate) fn work_dir(tmp: &Path) -> Result<tempfile::TempDir> {
    std::fs::create_dir_all(tmp).map_err(|e| Error::io("making", tmp, e))?;
    sweep(tmp);
    tempfile::Builder::new()
        .prefix(&format!("build-{}-", std::process::id()))
        .tempdir_in(tmp)
        .map_err(|e| Error::io("making a work directory in", tmp, e))
}

/// Removes what builds that no longer run left in `tmp` (their mounts first).
fn sweep(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let pid = name.split('-').nth(1).and_then(|p| p.parse::<i32>().ok());
        let Some(pid) = pid else {
            continue;
        };
        if pid == std::process::id() as i32
            || std::path::Path::new(&format!("/proc/{pid}")).exists()
        {
            continue;
        }
        let dir = e.path();
        for m in mounts_below(&dir) {
            let _ = nix::mount::umount2(&m, nix::mount::MntFlags::MNT_DETACH);
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Mount points at or below `dir`, deepest first (from /proc/self/mountinfo).
fn mounts_below(dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut out: Vec<PathBuf> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect();
    out.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    out
}
