//! Where `COPY` and `ADD` put their sources in a step's rootfs, with Docker's rules: a
//! destination ending in `/` (or an existing directory) receives files by their names;
//! otherwise a single file source becomes the destination; a directory source's contents go
//! into the destination; missing parent directories are made (0755, the `--chown` owner);
//! files keep their permission bits (or get `--chmod`) and times and are owned by root (or
//! the `--chown` owner); `ADD` extracts local tar archives into the destination. Everything
//! travels as a tar into six-engine's in-root extraction, so no symlink in the image can lead
//! a write outside it.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::context::{decompressed, sniff};
use crate::error::{Error, Result};
use crate::sources::{Source, Tree};

/// How the sources land.
pub(crate) struct Placement<'a> {
    /// The step's rootfs (mounted, or a scratch tree), written into.
    pub rootfs: &'a Path,
    /// Absolute destination as expanded, with its trailing `/` if it had one.
    pub dest: &'a str,
    /// `--chown` ids.
    pub owner: Option<(u32, u32)>,
    /// `--chmod` bits.
    pub chmod: Option<u32>,
    /// Time for the directories made.
    pub now: u64,
}

enum Body {
    Dir,
    File(PathBuf),
    Bytes(Vec<u8>),
    Symlink(PathBuf),
}

/// One tar entry to write.
struct Item {
    /// Relative to `/`.
    path: String,
    body: Body,
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: u64,
}

/// Puts `sources` (found in `tree`) into the rootfs.
pub(crate) fn place(tree: &Tree, sources: &[Source], p: &Placement) -> Result<()> {
    let (uid, gid) = p.owner.unwrap_or((0, 0));
    let dest_exists = six_engine::in_root::lookup(p.rootfs, p.dest, true)?;
    let dest_is_dir = p.dest.ends_with('/') || dest_exists.as_ref().is_some_and(|f| f.is_dir);
    let dest = trim(p.dest);
    let mut plan = Plan {
        rootfs: p.rootfs,
        items: Vec::new(),
        known: HashSet::new(),
        uid,
        gid,
        now: p.now,
    };
    let mut archives: Vec<(PathBuf, String)> = Vec::new();
    let file_at = |name: &str| {
        if dest_is_dir {
            join(&dest, name)
        } else {
            dest.clone()
        }
    };
    for s in sources {
        match s {
            Source::Path {
                rel,
                host,
                is_dir: true,
                ..
            } => {
                let meta = std::fs::metadata(host).map_err(|e| Error::io("reading", host, e))?;
                plan.dir(
                    &dest,
                    p.chmod.unwrap_or(meta.mode() & 0o7777),
                    meta.mtime().max(0) as u64,
                )?;
                tree.walk(rel, host, &mut |sub, path, meta| {
                    let at = join(&dest, sub);
                    let mode = p.chmod.unwrap_or(meta.mode() & 0o7777);
                    let mtime = meta.mtime().max(0) as u64;
                    let body = if meta.is_dir() {
                        plan.known.insert(at.clone());
                        Body::Dir
                    } else if meta.file_type().is_symlink() {
                        let target = std::fs::read_link(path)
                            .map_err(|e| Error::io("reading the symlink", path, e))?;
                        Body::Symlink(target)
                    } else if meta.is_file() {
                        Body::File(path.to_owned())
                    } else {
                        return Ok(()); // sockets, fifos and devices are not copied
                    };
                    plan.push(at, body, mode, mtime);
                    Ok(())
                })?;
            }
            Source::Path {
                host,
                archive: true,
                ..
            } => {
                plan.dir(&dest, 0o755, p.now)?;
                archives.push((host.clone(), dest.clone()));
            }
            Source::Path { rel, host, .. } => {
                let meta = std::fs::metadata(host).map_err(|e| Error::io("reading", host, e))?;
                let name = rel.rsplit('/').next().unwrap_or(rel);
                let at = file_at(name);
                plan.parents(&at)?;
                let mode = p.chmod.unwrap_or(meta.mode() & 0o7777);
                plan.push(
                    at,
                    Body::File(host.clone()),
                    mode,
                    meta.mtime().max(0) as u64,
                );
            }
            Source::Inline { name, content } => {
                let at = file_at(name);
                plan.parents(&at)?;
                plan.push(
                    at,
                    Body::Bytes(content.clone()),
                    p.chmod.unwrap_or(0o644),
                    p.now,
                );
            }
            Source::Download { name, file, mtime } => {
                let at = file_at(name);
                plan.parents(&at)?;
                plan.push(
                    at,
                    Body::File(file.path().to_owned()),
                    p.chmod.unwrap_or(0o600),
                    *mtime,
                );
            }
        }
    }
    write_items(p.rootfs, plan.items)?;
    for (host, dir) in archives {
        let f = File::open(&host).map_err(|e| Error::io("opening", &host, e))?;
        let mut r = BufReader::new(f);
        let head = std::io::BufRead::fill_buf(&mut r)
            .map_err(|e| Error::io("reading", &host, e))?
            .to_vec();
        let Some(c) = sniff(&head) else {
            continue;
        };
        let mut plain = decompressed(r, &c)?;
        six_engine::in_root::extract(p.rootfs, &dir, &mut plain)
            .map_err(|e| Error::Invalid(format!("extracting {}: {e}", host.display())))?;
    }
    Ok(())
}

/// The entries being planned, and the directories known to be there.
struct Plan<'a> {
    rootfs: &'a Path,
    items: Vec<Item>,
    known: HashSet<String>,
    uid: u32,
    gid: u32,
    now: u64,
}

impl Plan<'_> {
    fn push(&mut self, path: String, body: Body, mode: u32, mtime: u64) {
        self.items.push(Item {
            path: path.trim_start_matches('/').to_owned(),
            body,
            mode,
            uid: self.uid,
            gid: self.gid,
            mtime,
        });
    }

    /// The directory `dir` (absolute) is made with `mode` if missing, its parents 0755.
    fn dir(&mut self, dir: &str, mode: u32, mtime: u64) -> Result<()> {
        if dir == "/" || self.known.contains(dir) {
            return Ok(());
        }
        self.parents(dir)?;
        match six_engine::in_root::lookup(self.rootfs, dir, true)? {
            Some(f) if f.is_dir => {}
            Some(_) => {
                return Err(Error::Invalid(format!(
                    "cannot copy to non-directory: {dir}"
                )))
            }
            None => self.push(dir.to_owned(), Body::Dir, mode, mtime),
        }
        self.known.insert(dir.to_owned());
        Ok(())
    }

    /// Every missing parent directory of `path` (absolute) is made, 0755.
    fn parents(&mut self, path: &str) -> Result<()> {
        let mut at = String::new();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for part in parts.iter().take(parts.len().saturating_sub(1)) {
            at.push('/');
            at.push_str(part);
            let now = self.now;
            self.dir(&at.clone(), 0o755, now)?;
        }
        Ok(())
    }
}

/// Makes the directory `dir` (absolute) and its missing parents, 0755 and root's (`WORKDIR`).
pub(crate) fn make_dir(rootfs: &Path, dir: &str, now: u64) -> Result<()> {
    let mut plan = Plan {
        rootfs,
        items: Vec::new(),
        known: HashSet::new(),
        uid: 0,
        gid: 0,
        now,
    };
    plan.dir(dir, 0o755, now)?;
    write_items(rootfs, plan.items)
}

/// `dest` without its trailing slashes (`/` stays `/`).
fn trim(dest: &str) -> String {
    let t = dest.trim_end_matches('/');
    if t.is_empty() {
        "/".to_owned()
    } else {
        t.to_owned()
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.ends_with('/') {
        format!("{dir}{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Writes the items as a tar into a pipe on one thread while six-engine extracts it at `/` of
/// the rootfs on this one.
fn write_items(rootfs: &Path, items: Vec<Item>) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let (r, w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| Error::Invalid(format!("making a pipe: {e}")))?;
    let (read_end, write_end) = (File::from(r), File::from(w));
    std::thread::scope(|scope| {
        let producer = scope.spawn(move || write_tar(write_end, items));
        let mut reader = read_end;
        let extracted = six_engine::in_root::extract(rootfs, "/", &mut reader);
        drop(reader);
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(Error::Invalid("the copy's tar writer panicked".into())));
        produced?;
        extracted.map_err(Error::from)
    })
}

fn write_tar(out: File, items: Vec<Item>) -> Result<()> {
    let mut b = tar::Builder::new(std::io::BufWriter::with_capacity(256 * 1024, out));
    let err =
        |e: std::io::Error| Error::io("writing the copy's tar for", Path::new("the rootfs"), e);
    for item in items {
        let mut h = tar::Header::new_gnu();
        h.set_mode(item.mode);
        h.set_uid(item.uid as u64);
        h.set_gid(item.gid as u64);
        h.set_mtime(item.mtime);
        match item.body {
            Body::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, &item.path, std::io::empty())
                    .map_err(err)?;
            }
            Body::Symlink(target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, &item.path, &target).map_err(err)?;
            }
            Body::Bytes(data) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(data.len() as u64);
                b.append_data(&mut h, &item.path, &data[..]).map_err(err)?;
            }
            Body::File(path) => {
                let f = File::open(&path).map_err(|e| Error::io("opening", &path, e))?;
                let len = f
                    .metadata()
                    .map_err(|e| Error::io("reading", &path, e))?
                    .len();
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(len);
                b.append_data(&mut h, &item.path, f.take(len))
                    .map_err(err)?;
            }
        }
    }
    b.into_inner()
        .and_then(|mut w| std::io::Write::flush(&mut w))
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
        let ctx = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(ctx.path().join("dir/sub")).unwrap();
        std::fs::write(ctx.path().join("dir/sub/x"), "x").unwrap();
        std::fs::write(ctx.path().join("f.sh"), "#!/bin/sh").unwrap();
        std::fs::set_permissions(
            ctx.path().join("f.sh"),
            std::fs::Permissions::from_mode(0o750),
        )
        .unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("existing")).unwrap();
        (ctx, root)
    }

    fn copy(
        ctx: &Path,
        root: &Path,
        src: &str,
        dest: &str,
        owner: Option<(u32, u32)>,
    ) -> Result<()> {
        let tree = Tree {
            root: ctx,
            context: None,
        };
        let sources = tree.find(src, false)?;
        place(
            &tree,
            &sources,
            &Placement {
                rootfs: root,
                dest,
                owner,
                chmod: None,
                now: 1,
            },
        )
    }

    #[test]
    fn dockers_destination_rules() {
        let (ctx, root) = setup();
        let r = root.path();
        copy(ctx.path(), r, "f.sh", "/new/name", None).unwrap();
        assert!(
            r.join("new/name").is_file(),
            "no slash, missing: the file's new name"
        );
        copy(ctx.path(), r, "f.sh", "/existing", None).unwrap();
        assert!(
            r.join("existing/f.sh").is_file(),
            "an existing directory receives it"
        );
        copy(ctx.path(), r, "f.sh", "/made/dir/", None).unwrap();
        assert!(
            r.join("made/dir/f.sh").is_file(),
            "a slash: a directory, made"
        );
        copy(ctx.path(), r, "dir", "/contents", Some((7, 8))).unwrap();
        assert!(r.join("contents/sub/x").is_file(), "a directory's contents");
        let meta = std::fs::metadata(r.join("contents/sub/x")).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (7, 8));
        let mode = std::fs::metadata(r.join("existing/f.sh")).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o750, "permission bits kept");
        assert!(
            copy(ctx.path(), r, "dir", "/new/name", None).is_err(),
            "a directory over a file"
        );
    }
}
