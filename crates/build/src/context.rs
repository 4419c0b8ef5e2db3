//! The build context: the files `COPY` and `ADD` may take. A directory is used where it is;
//! a tar (`-` on stdin, or a tar file; plain, gzip or zstd) is first extracted, safely, into a
//! temp dir of the builder's (removed with the context); stdin that is not a tar is the
//! Dockerfile itself, with an empty context (as `docker build - < Dockerfile`). Its
//! `.dockerignore` hides files from `COPY`/`ADD`; the Dockerfile is read whatever it says.

use std::io::{BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::ignore::Ignore;

/// Where the context comes from.
pub enum ContextSource {
    /// A directory.
    Dir(PathBuf),
    /// A tar archive (plain, gzip or zstd) — or, if it is none, a Dockerfile (`-`).
    Tar(Box<dyn Read>),
}

impl std::fmt::Debug for ContextSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContextSource::Dir(d) => write!(f, "Dir({})", d.display()),
            ContextSource::Tar(_) => f.write_str("Tar(..)"),
        }
    }
}

/// Where the Dockerfile comes from.
#[derive(Debug, Clone, Default)]
pub enum DockerfileSource {
    /// `Dockerfile` (else `dockerfile`) at the context's root.
    #[default]
    Default,
    /// `-f PATH`: a path on the host for a directory context, inside the archive for a tar.
    Path(PathBuf),
    /// `-f -`: its text, read from stdin.
    Text(String),
}

/// An opened context.
pub(crate) struct Context {
    root: PathBuf,
    ignore: Ignore,
    /// The Dockerfile, when stdin held it instead of a context.
    stdin_dockerfile: Option<String>,
    is_dir_context: bool,
    _extracted: Option<tempfile::TempDir>,
}

/// The compressions a context tar or an `ADD`ed archive may have.
pub(crate) enum Compression {
    None,
    Gzip,
    Zstd,
}

/// What the first bytes of a stream say about it.
pub(crate) fn sniff(head: &[u8]) -> Option<Compression> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Compression::Gzip)
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Some(Compression::Zstd)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Compression::None)
    } else {
        None
    }
}

/// `r` decompressed as `c` says.
pub(crate) fn decompressed<'a>(r: impl Read + 'a, c: &Compression) -> Result<Box<dyn Read + 'a>> {
    Ok(match c {
        Compression::None => Box::new(r),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(r)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::new(r)
                .map_err(|e| Error::Invalid(format!("reading a zstd stream: {e}")))?,
        ),
    })
}

impl Context {
    /// Opens the context; a tar is extracted below `tmp_dir`.
    pub(crate) fn open(source: ContextSource, tmp_dir: &Path) -> Result<Context> {
        match source {
            ContextSource::Dir(dir) => {
                let root = std::fs::canonicalize(&dir).map_err(|e| {
                    Error::Invalid(format!(
                        "unable to prepare context: path {:?} not found: {e}",
                        dir.display().to_string()
                    ))
                })?;
                if !root.is_dir() {
                    return Err(Error::Invalid(format!(
                        "unable to prepare context: context must be a directory or a tar archive: {}",
                        root.display()
                    )));
                }
                Context::with_root(root, None, true)
            }
            ContextSource::Tar(reader) => {
                let mut reader = BufReader::with_capacity(64 * 1024, reader);
                let head = reader
                    .fill_buf()
                    .map_err(|e| Error::io("reading the context from", Path::new("stdin"), e))?
                    .to_vec();
                let extracted = tempfile::Builder::new()
                    .prefix(&format!("context-{}-", std::process::id()))
                    .tempdir_in(tmp_dir)
                    .map_err(|e| Error::io("making a temp dir in", tmp_dir, e))?;
                let root = extracted.path().to_owned();
                match sniff(&head) {
                    Some(c) => {
                        let mut plain = decompressed(reader, &c)?;
                        six_engine::in_root::extract(&root, "/", &mut plain).map_err(|e| {
                            Error::Invalid(format!("reading the build context archive: {e}"))
                        })?;
                        Context::with_root(root, Some(extracted), false)
                    }
                    None => {
                        let mut text = String::new();
                        reader.read_to_string(&mut text).map_err(|e| {
                            Error::io("reading the Dockerfile from", Path::new("stdin"), e)
                        })?;
                        let mut c = Context::with_root(root, Some(extracted), false)?;
                        c.stdin_dockerfile = Some(text);
                        Ok(c)
                    }
                }
            }
        }
    }

    fn with_root(
        root: PathBuf,
        extracted: Option<tempfile::TempDir>,
        is_dir: bool,
    ) -> Result<Context> {
        let ignore_path = root.join(".dockerignore");
        let ignore = match std::fs::read_to_string(&ignore_path) {
            Ok(text) => Ignore::parse(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ignore::default(),
            Err(e) => return Err(Error::io("reading", &ignore_path, e)),
        };
        Ok(Context {
            root,
            ignore,
            stdin_dockerfile: None,
            is_dir_context: is_dir,
            _extracted: extracted,
        })
    }

    /// The context's directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Whether `.dockerignore` leaves `rel` (relative, `/`-separated) out.
    pub(crate) fn ignores(&self, rel: &str) -> bool {
        !rel.is_empty() && self.ignore.ignores(rel)
    }

    /// Whether an ignored directory may still hold files that are not.
    pub(crate) fn ignore_has_exclusions(&self) -> bool {
        self.ignore.has_exclusions()
    }

    /// The Dockerfile's text.
    pub(crate) fn dockerfile(&self, source: &DockerfileSource) -> Result<String> {
        if let Some(text) = &self.stdin_dockerfile {
            return Ok(text.clone());
        }
        let path = match source {
            DockerfileSource::Text(t) => return Ok(t.clone()),
            DockerfileSource::Path(p) if self.is_dir_context => p.clone(),
            DockerfileSource::Path(p) => self.root.join(inside(p)?),
            DockerfileSource::Default => {
                let upper = self.root.join("Dockerfile");
                let lower = self.root.join("dockerfile");
                if !upper.exists() && lower.exists() {
                    lower
                } else {
                    upper
                }
            }
        };
        std::fs::read_to_string(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::Invalid(format!(
                "unable to prepare context: unable to evaluate symlinks in Dockerfile path: no such file: {}",
                path.display()
            )),
            _ => Error::io("reading the Dockerfile", &path, e),
        })
    }
}

/// A path inside an archive: relative, clean, never above its root.
fn inside(p: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            _ => {
                return Err(Error::Invalid(format!(
                    "the Dockerfile {} is outside the build context",
                    p.display()
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdin_that_is_no_tar_is_the_dockerfile() {
        let tmp = tempfile::tempdir().unwrap();
        let text = "FROM busybox\nRUN true\n";
        let c = Context::open(ContextSource::Tar(Box::new(text.as_bytes())), tmp.path()).unwrap();
        assert_eq!(c.dockerfile(&DockerfileSource::Default).unwrap(), text);
        assert!(std::fs::read_dir(c.root()).unwrap().next().is_none());
    }

    #[test]
    fn a_gzipped_tar_is_extracted_with_its_dockerignore() {
        let tmp = tempfile::tempdir().unwrap();
        let mut b = tar::Builder::new(Vec::new());
        for (name, data) in [
            ("Dockerfile", "FROM x\n"),
            (".dockerignore", "*.tmp\n"),
            ("sub/a.tmp", "t"),
        ] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            b.append_data(&mut h, name, data.as_bytes()).unwrap();
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
        let bytes = gz.finish().unwrap();
        let c = Context::open(
            ContextSource::Tar(Box::new(std::io::Cursor::new(bytes))),
            tmp.path(),
        )
        .unwrap();
        assert_eq!(
            c.dockerfile(&DockerfileSource::Default).unwrap(),
            "FROM x\n"
        );
        assert!(c.root().join("sub/a.tmp").is_file());
        assert!(c.ignores("x.tmp"));
        let root = c.root().to_owned();
        drop(c);
        assert!(!root.exists(), "the extracted context is removed with it");
        assert!(inside(Path::new("../x")).is_err());
    }
}
