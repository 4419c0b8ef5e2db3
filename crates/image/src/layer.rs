//! Layers on disk, keyed by diff-id (the sha256 of the uncompressed layer tar), so a layer
//! shared by several images is unpacked once:
//!
//! ```text
//! layers/<diff-hex>/diff/   the unpacked layer (overlayfs whiteouts and opaque xattrs)
//! layers/<diff-hex>/link    its short name: l/<short> -> ../layers/<diff-hex>/diff
//! layers/<diff-hex>/size    bytes of regular files in it
//! blobs/sha256/<diff-hex>   the uncompressed layer tar (what `save` writes back out)
//! ```
//! A layer is prepared (decompressed, hashed, unpacked) in a temp dir inside the store
//! without the store lock, then installed under the lock by renames: a layer directory
//! either exists complete or not at all. Never decides which layers an image has.

use std::fs::{self, File};
use std::io::{BufWriter, Read};
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::compression;
use crate::digest::{Digest, HashingWriter};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{self, remove_any, sync_dir, write_atomic, CopyError};
use crate::store::{ImageStore, Paths};
use crate::unpack::unpack_layer;

/// A layer unpacked in a temp dir, ready to install (or already present in the store).
pub(crate) struct PreparedLayer {
    pub diff_id: Digest,
    /// Size of the regular files in the layer.
    pub size: u64,
    /// The dir holding `layer.tar` and `diff/`; `None` if the store already has it.
    tmp: Option<LayerDir>,
}

/// Where a prepared layer waits: a temp dir of this process (gone with it), or a layer
/// parked by a pull in `pending/<diff-hex>` (kept, so a killed pull is resumed).
enum LayerDir {
    Temp(TempDir),
    Pending(PathBuf),
}

impl LayerDir {
    fn path(&self) -> &Path {
        match self {
            LayerDir::Temp(t) => t.path(),
            LayerDir::Pending(p) => p,
        }
    }
}

/// Decompresses `stream` (plain, gzip or zstd) into a temp tar while hashing it, checks the
/// diff-id against `expected`, and unpacks it safely unless the store already has it.
pub(crate) fn prepare(
    paths: &Paths,
    stream: &mut dyn Read,
    expected: Option<&Digest>,
    what: &str,
) -> Result<PreparedLayer> {
    let _span = tracing::debug_span!("prepare_layer", what).entered();
    let (tmp, tar_path, file) = layer_temp_dir(paths)?;
    let mut writer = HashingWriter::new(BufWriter::with_capacity(256 * 1024, file));
    let mut plain = compression::decompressed(stream, what)?;
    fsutil::copy(&mut plain, &mut writer).map_err(|e| match e {
        CopyError::Read(e) => Error::corrupt(what, format!("cannot decompress: {e}")),
        CopyError::Write(e) => Error::io(format!("writing {}", tar_path.display()), e),
    })?;
    let (diff_id, _, buf) = writer.finish();
    buf.into_inner()
        .map_err(|e| Error::io(format!("writing {}", tar_path.display()), e.into_error()))?
        .sync_all()
        .ctx("syncing", &tar_path)?;
    if let Some(expected) = expected {
        if *expected != diff_id {
            return Err(Error::DigestMismatch {
                what: what.to_owned(),
                expected: expected.to_string(),
                actual: diff_id.to_string(),
            });
        }
    }
    if let Some(size) = installed_size(paths, &diff_id) {
        return Ok(PreparedLayer {
            diff_id,
            size,
            tmp: None,
        });
    }
    let diff = tmp.path().join("diff");
    fs::create_dir(&diff).ctx("creating", &diff)?;
    let tar = File::open(&tar_path).ctx("opening", &tar_path)?;
    let size = unpack_layer(
        std::io::BufReader::with_capacity(256 * 1024, tar),
        &diff,
        what,
    )?;
    // Unpacked files must be on disk before install renames in the directory that vouches
    // for them; done here, outside the store lock, because it can take a while.
    let dir = File::open(tmp.path()).ctx("opening", tmp.path())?;
    nix::unistd::syncfs(&dir)
        .map_err(|e| Error::io(format!("syncing {}", tmp.path().display()), e.into()))?;
    Ok(PreparedLayer {
        diff_id,
        size,
        tmp: Some(LayerDir::Temp(tmp)),
    })
}

/// A temp dir of this process for one layer, and its `layer.tar`, created.
fn layer_temp_dir(paths: &Paths) -> Result<(TempDir, PathBuf, File)> {
    let tmp = tempfile::Builder::new()
        .prefix(&ImageStore::temp_prefix("layer"))
        .tempdir_in(&paths.tmp)
        .ctx("creating a temp dir in", &paths.tmp)?;
    let tar_path = tmp.path().join("layer.tar");
    let file = File::create(&tar_path).ctx("creating", &tar_path)?;
    Ok((tmp, tar_path, file))
}

/// For pulls: decompresses `stream` and unpacks it AS IT ARRIVES into a temp dir, while
/// the same bytes are written to the layer's tar and hashed; the diff-id is checked at the
/// end (a mismatch discards everything, which was never more than a temp dir). The unpack
/// is the hardened one of load (unpack.rs), so content not yet verified cannot escape it.
pub(crate) fn prepare_streaming(
    paths: &Paths,
    stream: &mut dyn Read,
    expected: &Digest,
    what: &str,
) -> Result<PreparedLayer> {
    let _span = tracing::debug_span!("prepare_layer_streaming", what).entered();
    let (tmp, tar_path, file) = layer_temp_dir(paths)?;
    let diff = tmp.path().join("diff");
    fs::create_dir(&diff).ctx("creating", &diff)?;
    let mut tee = Tee {
        inner: compression::decompressed(stream, what)?,
        out: HashingWriter::new(BufWriter::with_capacity(256 * 1024, file)),
        write_error: None,
    };
    let unpacked = unpack_layer(&mut tee, &diff, what);
    // What follows the tar's end-of-archive blocks is part of the layer's bytes too.
    let rest = std::io::copy(&mut tee, &mut std::io::sink());
    if let Some(e) = tee.write_error.take() {
        return Err(Error::io(format!("writing {}", tar_path.display()), e));
    }
    let size = unpacked?;
    rest.map_err(|e| Error::corrupt(what, format!("cannot decompress: {e}")))?;
    let (diff_id, _, buf) = tee.out.finish();
    if diff_id != *expected {
        return Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: expected.to_string(),
            actual: diff_id.to_string(),
        });
    }
    buf.into_inner()
        .map_err(|e| Error::io(format!("writing {}", tar_path.display()), e.into_error()))?
        .sync_all()
        .ctx("syncing", &tar_path)?;
    let dir = File::open(tmp.path()).ctx("opening", tmp.path())?;
    nix::unistd::syncfs(&dir)
        .map_err(|e| Error::io(format!("syncing {}", tmp.path().display()), e.into()))?;
    Ok(PreparedLayer {
        diff_id: expected.clone(),
        size,
        tmp: Some(LayerDir::Temp(tmp)),
    })
}

/// Passes what it reads through, and writes it to `out` on the way; a failed write is
/// kept (and reads fail) so that it is reported as the store's, not the stream's, fault.
struct Tee<R, W> {
    inner: R,
    out: W,
    write_error: Option<std::io::Error>,
}

impl<R: Read, W: std::io::Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.write_error.is_some() {
            return Err(std::io::Error::other(
                "the layer's tar could not be written",
            ));
        }
        let n = self.inner.read(buf)?;
        if let Err(e) = self.out.write_all(&buf[..n]) {
            self.write_error = Some(e);
            return Err(std::io::Error::other(
                "the layer's tar could not be written",
            ));
        }
        Ok(n)
    }
}

impl PreparedLayer {
    /// Moves the layer into the store. Call with the store lock held. A layer that
    /// appeared meanwhile (another CLI installed it) wins; ours is discarded.
    pub(crate) fn install(self, paths: &Paths) -> Result<()> {
        let Some(tmp) = self.tmp else { return Ok(()) };
        let hex = self.diff_id.hex();
        let final_dir = paths.layers.join(hex);
        if final_dir.exists() {
            return Ok(());
        }
        let short = pick_short_name(paths, hex);
        write_atomic(&tmp.path().join("size"), self.size.to_string().as_bytes())?;
        write_atomic(&tmp.path().join("link"), short.as_bytes())?;
        let link = paths.links.join(&short);
        remove_any(&link)?;
        std::os::unix::fs::symlink(format!("../layers/{hex}/diff"), &link)
            .ctx("creating layer link", &link)?;
        let blob = paths.blob(&self.diff_id);
        fs::rename(tmp.path().join("layer.tar"), &blob).ctx("storing layer blob", &blob)?;
        let kept = match tmp {
            LayerDir::Temp(t) => t.keep(),
            LayerDir::Pending(p) => p,
        };
        if let Err(e) = fs::rename(&kept, &final_dir) {
            let _ = fs::remove_dir_all(&kept);
            return Err(Error::io(
                format!("installing layer {}", final_dir.display()),
                e,
            ));
        }
        sync_dir(&paths.layers)
    }

    /// Parks a layer a pull has verified in `pending/<diff-hex>`, where it outlives this
    /// process: a pull killed before its image is added resumes with it (see
    /// [`pending`]). No lock needed: it appears by one rename, and a copy parked meanwhile
    /// by another pull wins.
    pub(crate) fn park(self, paths: &Paths) -> Result<()> {
        let Some(LayerDir::Temp(tmp)) = self.tmp else {
            return Ok(());
        };
        write_atomic(&tmp.path().join("size"), self.size.to_string().as_bytes())?;
        let dest = paths.pending.join(self.diff_id.hex());
        if dest.exists() {
            return Ok(());
        }
        let kept = tmp.keep();
        match fs::rename(&kept, &dest) {
            Ok(()) => sync_dir(&paths.pending),
            Err(e) => {
                let _ = fs::remove_dir_all(&kept);
                match dest.exists() {
                    true => Ok(()),
                    false => Err(Error::io(format!("parking layer in {}", dest.display()), e)),
                }
            }
        }
    }
}

/// A layer parked by a pull (complete: its tar, unpacked dir and size), ready to install.
pub(crate) fn pending(paths: &Paths, diff_id: &Digest) -> Option<PreparedLayer> {
    let dir = paths.pending.join(diff_id.hex());
    let size = fs::read_to_string(dir.join("size"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (dir.join("diff").is_dir() && dir.join("layer.tar").is_file()).then(|| PreparedLayer {
        diff_id: diff_id.clone(),
        size,
        tmp: Some(LayerDir::Pending(dir)),
    })
}

/// An installed layer as a `PreparedLayer` that installs nothing.
pub(crate) fn existing(paths: &Paths, diff_id: &Digest) -> Option<PreparedLayer> {
    installed_size(paths, diff_id).map(|size| PreparedLayer {
        diff_id: diff_id.clone(),
        size,
        tmp: None,
    })
}

/// The size of an installed layer, or `None` if the store does not have it.
pub(crate) fn installed_size(paths: &Paths, diff_id: &Digest) -> Option<u64> {
    let dir = paths.layers.join(diff_id.hex());
    if !dir.join("diff").is_dir() {
        return None;
    }
    Some(
        fs::read_to_string(dir.join("size"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0),
    )
}

/// The lowerdir entry of a layer, relative to the store dir: `l/<short>`. Recreates the
/// short link if a crash lost it.
pub(crate) fn lower_path(paths: &Paths, diff_id: &Digest) -> Result<PathBuf> {
    let dir = paths.layers.join(diff_id.hex());
    let link_file = dir.join("link");
    let short = fs::read_to_string(&link_file)
        .map_err(|_| Error::damaged(&dir, "layer is missing or incomplete"))?;
    let short = short.trim();
    let link = paths.links.join(short);
    if fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(format!("../layers/{}/diff", diff_id.hex()), &link)
            .ctx("recreating layer link", &link)?;
    }
    Ok(Path::new("l").join(short))
}

/// Removes a layer: its directory (renamed away first, so it vanishes at once), its short
/// link and its tar blob. Call with the store lock held.
pub(crate) fn remove(paths: &Paths, diff_id: &Digest) -> Result<()> {
    let dir = paths.layers.join(diff_id.hex());
    if let Ok(short) = fs::read_to_string(dir.join("link")) {
        remove_any(&paths.links.join(short.trim()))?;
    }
    let graveyard = paths.tmp.join(format!(
        "{}{}",
        ImageStore::temp_prefix("removing"),
        diff_id.hex()
    ));
    match fs::rename(&dir, &graveyard) {
        Ok(()) => remove_any(&graveyard)?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io(format!("removing layer {}", dir.display()), e)),
    }
    remove_any(&paths.blob(diff_id))
}

/// Short link names are the first 16 hex digits of the diff-id, longer on a clash.
fn pick_short_name(paths: &Paths, hex: &str) -> String {
    for len in [16, 24, 32, 64] {
        let short = &hex[..len];
        match fs::read_link(paths.links.join(short)) {
            Err(_) => return short.to_owned(),
            Ok(t) if t.to_string_lossy().contains(hex) => return short.to_owned(),
            Ok(_) => continue,
        }
    }
    hex.to_owned()
}

/// Writes `bytes` as a content-addressed blob and returns its digest.
pub(crate) fn put_blob(paths: &Paths, bytes: &[u8]) -> Result<Digest> {
    let d = Digest::of(bytes);
    let path = paths.blob(&d);
    if !path.exists() {
        write_atomic(&path, bytes)?;
    }
    Ok(d)
}

/// A writer for a blob of not-yet-known digest, in the store's temp dir.
pub(crate) fn temp_file(paths: &Paths) -> Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&ImageStore::temp_prefix("blob"))
        .tempfile_in(&paths.tmp)
        .ctx("creating a temp file in", &paths.tmp)
}
