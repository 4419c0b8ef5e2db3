//! Recovery from killed commands. Work in progress lives in `tmp/` under names that carry
//! the PID of the process doing it (`layer-<pid>-…`, `load-<pid>-…`, `blob-<pid>-…`, and the
//! intent markers `register-<pid>-…` / `remove-<pid>-…` written while the store itself
//! changes). `open` removes the entries of dead processes; if a dead process left an intent
//! marker, it then undoes what that process half-made: the image records a register marker
//! lists that no name points at (the process died before naming them), then layers, blobs
//! and short links that no image record refers to, and stale temp files of atomic writes.
//! This runs under the store lock, where every install is complete, so it never races with
//! an image being added. Never touches names.

use std::collections::HashSet;
use std::fs;
use std::io::Write;

use crate::digest::Digest;
use crate::error::{IoContext, Result};
use crate::fsutil::remove_any;
use crate::layer;
use crate::store::{ImageStore, Paths};

/// A marker in `tmp/` saying "this process is changing the store". Removed by
/// [`Intent::done`]; left behind (by a kill, or an error halfway), it makes the next
/// `open` collect garbage.
pub(crate) struct Intent(std::path::PathBuf);

impl Intent {
    pub(crate) fn begin(paths: &Paths, kind: &str) -> Result<Intent> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = paths
            .tmp
            .join(format!("{}{nanos}", ImageStore::temp_prefix(kind)));
        fs::File::create(&path).ctx("creating", &path)?;
        Ok(Intent(path))
    }

    /// The marker of a register that creates these image records (IDs, 64 hex), one a
    /// line, on disk before the first record is.
    pub(crate) fn begin_adding(paths: &Paths, new_records: &[String]) -> Result<Intent> {
        let intent = Intent::begin(paths, "register")?;
        if !new_records.is_empty() {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .open(&intent.0)
                .ctx("opening", &intent.0)?;
            f.write_all(new_records.join("\n").as_bytes())
                .and_then(|()| f.sync_all())
                .ctx("writing", &intent.0)?;
        }
        Ok(intent)
    }

    pub(crate) fn done(self) {
        let _ = fs::remove_file(&self.0);
    }
}

fn pid_is_dead(pid: i32) -> bool {
    // SAFETY: kill with signal 0 only checks whether the process exists.
    let rc = unsafe { libc::kill(pid, 0) };
    rc != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
}

impl ImageStore {
    /// Removes the temp work of dead processes; collects garbage if one of them died while
    /// changing the store. Cheap when there is nothing to do (one readdir).
    pub(crate) fn recover(&self) -> Result<()> {
        let mut markers = Vec::new();
        let mut unnamed_candidates = Vec::new();
        for e in fs::read_dir(&self.paths.tmp)
            .ctx("reading", &self.paths.tmp)?
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name.split('-').nth(1).and_then(|p| p.parse::<i32>().ok()) else {
                continue;
            };
            if !pid_is_dead(pid) {
                continue;
            }
            tracing::debug!(path = %e.path().display(), "removing work of a dead process");
            if name.starts_with("register-") {
                let listed = fs::read_to_string(e.path()).unwrap_or_default();
                unnamed_candidates.extend(listed.lines().map(str::to_owned));
                markers.push(e.path());
            } else if name.starts_with("remove-") {
                markers.push(e.path());
            } else {
                // Another process may be sweeping the same entry right now; that is fine.
                let _ = remove_any(&e.path());
            }
        }
        if !markers.is_empty() {
            let _lock = self.lock()?;
            self.undo_added(&unnamed_candidates)?;
            // Only now: a marker must outlive the sweep it asks for.
            for m in markers {
                let _ = remove_any(&m);
            }
        }
        Ok(())
    }

    /// Removes what no image refers to. Call with the store lock held.
    pub(crate) fn collect_garbage(&self) -> Result<()> {
        let mut layers_used = HashSet::new();
        let mut blobs_used = HashSet::new();
        for (id, layers) in self.records_and_layers()? {
            blobs_used.insert(id);
            for l in layers {
                blobs_used.insert(l.hex().to_owned());
                layers_used.insert(l.hex().to_owned());
            }
        }
        let p = &self.paths;
        for name in names_in(&p.layers)? {
            if !layers_used.contains(&name) {
                if let Ok(d) = Digest::parse(&name) {
                    tracing::debug!(layer = %name, "removing unused layer");
                    layer::remove(p, &d)?;
                }
            }
        }
        for name in names_in(&p.blobs)? {
            if !blobs_used.contains(&name) {
                remove_any(&p.blobs.join(&name))?;
            }
        }
        // Temp files of atomic writes: every such write happens under the lock we hold.
        for dir in [&p.dir, &p.images, &p.blobs] {
            for e in fs::read_dir(dir).ctx("reading", dir)?.flatten() {
                if e.file_name().to_string_lossy().starts_with(".tmp-") {
                    remove_any(&e.path())?;
                }
            }
        }
        for name in names_in(&p.links)? {
            let link = p.links.join(&name);
            if fs::metadata(&link).is_err() {
                remove_any(&link)?;
            }
        }
        self.sweep_pending()
    }
}

fn names_in(dir: &std::path::Path) -> Result<Vec<String>> {
    let rd = fs::read_dir(dir).ctx("reading", dir)?;
    Ok(rd
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|n| !n.starts_with('.'))
        .collect())
}
