//! Default images, made locally because there is no registry: `busybox:latest` from the
//! host's busybox-static (/bin/busybox plus one relative symlink per applet in /bin, users
//! root, user 1000 and nobody, the usual empty directories, Cmd ["sh"]), and `NAME:latest`
//! from `NAME.tar` in the import folder (as the original sixDocker kept busybox.tar and
//! nginx.tar in one folder). Never downloads anything.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::{DateTime, SecondsFormat, Utc};
use tar::{EntryType, Header};

use crate::error::{Error, IoContext, Result};
use crate::fsutil::StoreLock;
use crate::import::DEFAULT_PATH;
use crate::layer;
use crate::progress::Progress;
use crate::reference::Reference;
use crate::store::ImageStore;
use crate::{Image, ImageConfig};

/// Where Debian's busybox-static installs its binary.
pub const BUSYBOX_BINARY: &str = "/bin/busybox";

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/home/user:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
const GROUP: &str = "root:x:0:\nuser:x:1000:\nnogroup:x:65534:\n";

impl ImageStore {
    /// Makes sure the default image `name` exists and returns it: `NAME.tar` in
    /// `import_dir` (if there) is imported as `NAME:latest`, else `busybox` is built from
    /// /bin/busybox. `None` if `name` is not a default image. An existing image by that
    /// name is returned as is. Safe to call from several processes at once.
    pub fn ensure_default(&self, name: &str, import_dir: Option<&Path>) -> Result<Option<Image>> {
        let dirs: Vec<&Path> = import_dir.into_iter().collect();
        self.ensure_default_in(name, &dirs)
    }

    /// [`ImageStore::ensure_default`] with `NAME.tar` looked for in each of `dirs`, in order.
    pub(crate) fn ensure_default_in(&self, name: &str, dirs: &[&Path]) -> Result<Option<Image>> {
        let Ok(r) = Reference::parse(name) else {
            return Ok(None);
        };
        if let Some(img) = self.find_reference(&r)? {
            return Ok(Some(img));
        }
        if r.tag() != "latest" || r.repo().contains('/') {
            return Ok(None);
        }
        let tar: Option<PathBuf> = dirs
            .iter()
            .map(|d| d.join(format!("{}.tar", r.repo())))
            .find(|p| p.is_file());
        if tar.is_none() && r.repo() != "busybox" {
            return Ok(None);
        }
        // One creator at a time; the others find the image made.
        let _guard = StoreLock::exclusive(&self.paths.defaults_lock, self.default_image_wait)?;
        if let Some(img) = self.find_reference(&r)? {
            return Ok(Some(img));
        }
        let img = match tar {
            Some(path) => {
                let _span =
                    tracing::info_span!("import_default", image = %r, tar = %path.display())
                        .entered();
                let file = File::open(&path).ctx("opening", &path)?;
                let created = file_time(&path)?;
                let config = ImageConfig {
                    env: vec![DEFAULT_PATH.to_owned()],
                    ..Default::default()
                };
                let by = format!("sixdocker import {}", path.display());
                self.import_with(
                    &mut BufReader::new(file),
                    Some(r),
                    &created,
                    &config,
                    &by,
                    &Progress::hidden(),
                )?
            }
            None => {
                let _span = tracing::info_span!("build_busybox").entered();
                self.build_busybox(r)?
            }
        };
        Ok(Some(img))
    }

    fn build_busybox(&self, r: Reference) -> Result<Image> {
        let busybox = Path::new(BUSYBOX_BINARY);
        let created = file_time(busybox)?;
        let mtime = std::fs::metadata(busybox)
            .ctx("inspecting", busybox)?
            .mtime()
            .max(0) as u64;
        let mut tmp = layer::temp_file(&self.paths)?;
        let path = tmp.path().to_owned();
        write_busybox_rootfs(busybox, mtime, BufWriter::new(tmp.as_file_mut()))?;
        tmp.as_file_mut().rewind().ctx("rewinding", &path)?;
        let config = ImageConfig {
            env: vec![DEFAULT_PATH.to_owned()],
            cmd: Some(vec!["sh".to_owned()]),
            ..Default::default()
        };
        let by = format!("sixdocker: busybox rootfs from {BUSYBOX_BINARY}");
        self.import_with(
            &mut BufReader::new(tmp.as_file_mut()),
            Some(r),
            &created,
            &config,
            &by,
            &Progress::hidden(),
        )
    }
}

/// A file's mtime as an RFC 3339 time: default images get reproducible IDs.
fn file_time(path: &Path) -> Result<String> {
    let m = std::fs::metadata(path).ctx("inspecting", path)?;
    let t = DateTime::<Utc>::from_timestamp(m.mtime(), 0).unwrap_or_default();
    Ok(t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Writes the busybox rootfs as a tar stream (entries in a fixed order, all times `mtime`).
fn write_busybox_rootfs(busybox: &Path, mtime: u64, out: impl Write) -> Result<()> {
    let list = Command::new(busybox)
        .arg("--list")
        .output()
        .ctx("running --list of", busybox)?;
    if !list.status.success() {
        return Err(Error::io(
            format!("{} --list failed", busybox.display()),
            std::io::ErrorKind::Other.into(),
        ));
    }
    let mut applets: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "busybox" && !a.contains('/'))
        .map(str::to_owned)
        .collect();
    applets.sort();
    applets.dedup();

    let mut b = tar::Builder::new(out);
    let dirs: &[(&str, u32, u64)] = &[
        ("bin", 0o755, 0),
        ("dev", 0o755, 0),
        ("etc", 0o755, 0),
        ("home", 0o755, 0),
        ("home/user", 0o755, 1000),
        ("proc", 0o555, 0),
        ("root", 0o700, 0),
        ("run", 0o755, 0),
        ("sbin", 0o755, 0),
        ("sys", 0o555, 0),
        ("tmp", 0o1777, 0),
        ("usr", 0o755, 0),
        ("usr/bin", 0o755, 0),
        ("usr/sbin", 0o755, 0),
        ("var", 0o755, 0),
        ("var/log", 0o755, 0),
        ("var/tmp", 0o1777, 0),
    ];
    let err = |e: std::io::Error| Error::io("writing the busybox rootfs tar", e);
    for (d, mode, owner) in dirs {
        let mut h = header(EntryType::Directory, *mode, mtime, *owner);
        b.append_data(&mut h, format!("{d}/"), std::io::empty())
            .map_err(err)?;
    }
    let bin = File::open(busybox).ctx("opening", busybox)?;
    let mut h = header(EntryType::Regular, 0o755, mtime, 0);
    h.set_size(bin.metadata().ctx("inspecting", busybox)?.len());
    b.append_data(&mut h, "bin/busybox", bin).map_err(err)?;
    for applet in &applets {
        let mut h = header(EntryType::Symlink, 0o777, mtime, 0);
        b.append_link(&mut h, format!("bin/{applet}"), "busybox")
            .map_err(err)?;
    }
    for (name, text) in [("etc/passwd", PASSWD), ("etc/group", GROUP)] {
        let mut h = header(EntryType::Regular, 0o644, mtime, 0);
        h.set_size(text.len() as u64);
        b.append_data(&mut h, name, text.as_bytes()).map_err(err)?;
    }
    let mut w = b.into_inner().map_err(err)?;
    w.flush().map_err(err)
}

fn header(kind: EntryType, mode: u32, mtime: u64, owner: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_mtime(mtime);
    h.set_uid(owner);
    h.set_gid(owner);
    h.set_size(0);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busybox_rootfs_tar_has_binary_links_and_users() {
        let mut buf = Vec::new();
        write_busybox_rootfs(Path::new(BUSYBOX_BINARY), 0, &mut buf).unwrap();
        let mut a = tar::Archive::new(&buf[..]);
        let mut names = Vec::new();
        for e in a.entries().unwrap() {
            let e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            if name == "bin/sh" {
                assert_eq!(e.link_name().unwrap().unwrap().to_str(), Some("busybox"));
            }
            names.push(name);
        }
        for want in [
            "bin/busybox",
            "bin/sh",
            "bin/ls",
            "etc/passwd",
            "etc/group",
            "tmp/",
            "home/user/",
        ] {
            assert!(names.iter().any(|n| n == want), "{want} missing");
        }
    }
}
