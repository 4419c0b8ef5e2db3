//! The sources of a `COPY` or `ADD`: found in a tree (the context, less what `.dockerignore`
//! hides, or another stage's or image's rootfs), globs expanded (`*`, `?`, `[..]` per path
//! component, as Go's `filepath.Match`), a symlink named as a source followed inside the
//! tree; plus here-documents and downloaded URLs. Their content and metadata (not their
//! times) hash into the step's cache key (`content_hash`).

use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::context::{sniff, Context};
use crate::error::{Error, Result};
use crate::glob;

/// Where sources are read from.
pub(crate) struct Tree<'a> {
    /// The tree's directory on the host.
    pub root: &'a Path,
    /// The build context, when the tree is it (its `.dockerignore` applies).
    pub context: Option<&'a Context>,
}

/// One source, found.
pub(crate) enum Source {
    /// A file or directory of the tree.
    Path {
        /// As matched (relative to the tree, clean): its last component names a copied file.
        rel: String,
        /// Where it is on the host (symlinks followed inside the tree).
        host: PathBuf,
        is_dir: bool,
        /// `ADD` of a local tar archive: extracted, not copied.
        archive: bool,
    },
    /// A here-document: a file of that name.
    Inline { name: String, content: Vec<u8> },
    /// An `ADD`ed URL, downloaded into `file`.
    Download {
        name: String,
        file: tempfile::NamedTempFile,
        mtime: u64,
    },
}

/// A source path as typed, relative to the tree's root and clean; None when it climbs out.
pub(crate) fn clean_relative(s: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in s.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

impl Tree<'_> {
    fn ignored(&self, rel: &str) -> bool {
        self.context.is_some_and(|c| c.ignores(rel))
    }

    fn not_found(&self, source: &str) -> Error {
        match self.context {
            Some(_) => Error::Invalid(format!(
                "file not found in build context or excluded by .dockerignore: stat {source}: file does not exist"
            )),
            None => Error::Invalid(format!("{source}: no such file or directory")),
        }
    }

    /// The files and directories `source` (a path or a glob) names; `add`: local archives
    /// are marked for extraction.
    pub(crate) fn find(&self, source: &str, add: bool) -> Result<Vec<Source>> {
        let rel = clean_relative(source).ok_or_else(|| {
            Error::Invalid(format!(
                "forbidden path outside the build context: {source}"
            ))
        })?;
        let mut matched = Vec::new();
        if glob::is_pattern(&rel) {
            self.expand(&rel, &mut matched)?;
            if matched.is_empty() {
                return Err(Error::Invalid(format!(
                    "no source files were specified: {source} matches nothing in the build context"
                )));
            }
        } else {
            matched.push(rel);
        }
        let mut out = Vec::new();
        for rel in matched {
            if self.ignored(&rel) {
                return Err(self.not_found(source));
            }
            let found = six_engine::in_root::lookup(self.root, &rel, true)?
                .ok_or_else(|| self.not_found(source))?;
            let host = self.host(&found.path);
            let archive = add && !found.is_dir && is_archive(&host)?;
            out.push(Source::Path {
                rel,
                host,
                is_dir: found.is_dir,
                archive,
            });
        }
        Ok(out)
    }

    /// The host path of a clean absolute path inside the tree.
    fn host(&self, inside: &Path) -> PathBuf {
        self.root.join(inside.strip_prefix("/").unwrap_or(inside))
    }

    /// Every path of the tree that the glob `pattern` matches, component by component.
    fn expand(&self, pattern: &str, out: &mut Vec<String>) -> Result<()> {
        let parts: Vec<&str> = pattern.split('/').collect();
        let mut current = vec![String::new()];
        for (i, part) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let mut next = Vec::new();
            for dir in &current {
                let join = |n: &str| {
                    if dir.is_empty() {
                        n.to_owned()
                    } else {
                        format!("{dir}/{n}")
                    }
                };
                if !glob::is_pattern(part) {
                    next.push(join(part));
                    continue;
                }
                let Some(found) = six_engine::in_root::lookup(self.root, dir, true)? else {
                    continue;
                };
                if !found.is_dir {
                    continue;
                }
                let host = self.host(&found.path);
                let entries =
                    std::fs::read_dir(&host).map_err(|e| Error::io("reading", &host, e))?;
                let mut names: Vec<String> = entries
                    .flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect();
                names.sort();
                for n in names {
                    let rel = join(&n);
                    if glob::matches(part, &n) && !self.ignored(&rel) {
                        next.push(rel);
                    }
                }
            }
            if last {
                for rel in next {
                    if six_engine::in_root::lookup(self.root, &rel, true)?.is_some() {
                        out.push(rel);
                    }
                }
                return Ok(());
            }
            current = next;
        }
        Ok(())
    }

    /// Calls `each(path relative to the directory, host path, metadata)` for everything below
    /// the directory `host` (the source `rel`), sorted, depth first, symlinks not followed,
    /// what `.dockerignore` hides left out.
    pub(crate) fn walk(
        &self,
        rel: &str,
        host: &Path,
        each: &mut dyn FnMut(&str, &Path, &Metadata) -> Result<()>,
    ) -> Result<()> {
        self.walk_below(rel, host, "", each)
    }

    fn walk_below(
        &self,
        rel: &str,
        host: &Path,
        below: &str,
        each: &mut dyn FnMut(&str, &Path, &Metadata) -> Result<()>,
    ) -> Result<()> {
        let dir = if below.is_empty() {
            host.to_owned()
        } else {
            host.join(below)
        };
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("reading", &dir, e))?;
        let mut names: Vec<std::ffi::OsString> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let Some(name) = name.to_str() else {
                continue;
            };
            let sub = if below.is_empty() {
                name.to_owned()
            } else {
                format!("{below}/{name}")
            };
            let in_tree = if rel.is_empty() {
                sub.clone()
            } else {
                format!("{rel}/{sub}")
            };
            let path = host.join(&sub);
            let meta =
                std::fs::symlink_metadata(&path).map_err(|e| Error::io("reading", &path, e))?;
            let ignored = self.ignored(&in_tree);
            if meta.is_dir() {
                if ignored && !self.context.is_some_and(Context::ignore_has_exclusions) {
                    continue;
                }
                if !ignored {
                    each(&sub, &path, &meta)?;
                }
                self.walk_below(rel, host, &sub, each)?;
            } else if !ignored {
                each(&sub, &path, &meta)?;
            }
        }
        Ok(())
    }
}

/// Whether a local file is a tar archive `ADD` extracts (plain, gzip or zstd).
fn is_archive(path: &Path) -> Result<bool> {
    let mut head = [0u8; 512];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(Error::io("reading", path, e)),
        }
    }
    Ok(sniff(&head[..n]).is_some())
}

/// The hash of everything the sources would copy: names, kinds, permission bits, sizes,
/// link targets and file content (not times, not the host's owners).
pub(crate) fn content_hash(
    tree: &Tree,
    sources: &[Source],
    cancelled: &dyn Fn() -> bool,
) -> Result<String> {
    let mut h = Sha256::new();
    let file = |h: &mut Sha256, path: &Path| -> Result<()> {
        let mut f = std::fs::File::open(path).map_err(|e| Error::io("opening", path, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = f
                .read(&mut buf)
                .map_err(|e| Error::io("reading", path, e))?;
            if n == 0 {
                return Ok(());
            }
            h.update(&buf[..n]);
        }
    };
    for s in sources {
        if cancelled() {
            return Err(Error::Cancelled);
        }
        match s {
            Source::Path {
                rel,
                host,
                is_dir,
                archive,
            } => {
                h.update(format!("path\0{rel}\0{is_dir}\0{archive}\0").as_bytes());
                if *is_dir {
                    let meta =
                        std::fs::metadata(host).map_err(|e| Error::io("reading", host, e))?;
                    h.update(format!("{:o}\0", meta.permissions().mode() & 0o7777).as_bytes());
                    tree.walk(rel, host, &mut |sub, path, meta| {
                        h.update(entry_line(sub, path, meta)?.as_bytes());
                        if meta.is_file() {
                            file(&mut h, path)?;
                        }
                        Ok(())
                    })?;
                } else {
                    let meta =
                        std::fs::metadata(host).map_err(|e| Error::io("reading", host, e))?;
                    h.update(entry_line("", host, &meta)?.as_bytes());
                    file(&mut h, host)?;
                }
            }
            Source::Inline { name, content } => {
                h.update(format!("inline\0{name}\0{}\0", content.len()).as_bytes());
                h.update(content);
            }
            Source::Download { name, file: f, .. } => {
                h.update(format!("url\0{name}\0").as_bytes());
                file(&mut h, f.path())?;
            }
        }
    }
    Ok(hex::encode(h.finalize()))
}

/// One entry's metadata as hashed.
fn entry_line(sub: &str, path: &Path, meta: &Metadata) -> Result<String> {
    let kind = if meta.is_dir() {
        "d"
    } else if meta.file_type().is_symlink() {
        "l"
    } else if meta.is_file() {
        "f"
    } else {
        "o"
    };
    let target = if meta.file_type().is_symlink() {
        std::fs::read_link(path)
            .map_err(|e| Error::io("reading the symlink", path, e))?
            .to_string_lossy()
            .into_owned()
    } else {
        String::new()
    };
    Ok(format!(
        "{sub}\0{kind}\0{:o}\0{}\0{target}\n",
        meta.mode() & 0o7777,
        if meta.is_file() { meta.len() } else { 0 }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree_dir() -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        std::fs::create_dir_all(r.join("src/sub")).unwrap();
        std::fs::write(r.join("src/a.txt"), "a").unwrap();
        std::fs::write(r.join("src/b.txt"), "b").unwrap();
        std::fs::write(r.join("src/sub/c.md"), "c").unwrap();
        symlink("/src/a.txt", r.join("link")).unwrap();
        t
    }

    fn rels(v: &[Source]) -> Vec<String> {
        v.iter()
            .map(|s| match s {
                Source::Path { rel, .. } => rel.clone(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn globs_paths_and_symlinks_inside_the_tree() {
        let t = tree_dir();
        let tree = Tree {
            root: t.path(),
            context: None,
        };
        assert_eq!(
            rels(&tree.find("src/*.txt", false).unwrap()),
            ["src/a.txt", "src/b.txt"]
        );
        assert_eq!(rels(&tree.find("*/sub", false).unwrap()), ["src/sub"]);
        let link = tree.find("./link", false).unwrap();
        let Source::Path { host, is_dir, .. } = &link[0] else {
            panic!()
        };
        assert_eq!((host.clone(), *is_dir), (t.path().join("src/a.txt"), false));
        assert!(tree.find("nope", false).is_err());
        assert!(tree.find("*.none", false).is_err());
        let Err(e) = tree.find("../etc/passwd", false) else {
            panic!("climbed out")
        };
        assert!(e.to_string().contains("outside the build context"), "{e}");
    }

    #[test]
    fn the_hash_follows_content_and_modes_not_times() {
        let t = tree_dir();
        let tree = Tree {
            root: t.path(),
            context: None,
        };
        let hash = || content_hash(&tree, &tree.find("src", false).unwrap(), &|| false).unwrap();
        let first = hash();
        let f = t.path().join("src/sub/c.md");
        let file = std::fs::File::options().write(true).open(&f).unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(hash(), first, "a time alone changes nothing");
        std::fs::write(&f, "changed").unwrap();
        let second = hash();
        assert_ne!(second, first);
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_ne!(hash(), second);
    }
}
