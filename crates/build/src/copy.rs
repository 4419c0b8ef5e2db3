//! `COPY`, `ADD` and `WORKDIR` as steps: their arguments expanded, the sources found and
//! hashed for the cache key (from the context; from another stage or image by its ID), and
//! on a miss the step's rootfs mounted, the sources placed (place.rs) or the directory made,
//! and its changes committed as one layer. A `WORKDIR` that exists already makes no layer.

use std::io::Read as _;

use sha2::{Digest as _, Sha256};

use crate::builder::Builder;
use crate::dockerfile::CopyArgs;
use crate::error::{Error, Result};
use crate::owner::{chmod_bits, chown_ids};
use crate::place::{place, Placement};
use crate::rootfs::StepRoot;
use crate::sources::{clean_relative, content_hash, Source, Tree};
use crate::stage::Stage;

/// What a `COPY --from` reads.
enum From {
    Context,
    Image(Box<Option<six_image::Image>>),
}

impl Builder<'_> {
    /// One `COPY` or `ADD`; true for a cache hit.
    pub(crate) fn copy_step(&mut self, stage: &mut Stage, c: &CopyArgs, add: bool) -> Result<bool> {
        let esc = self.file.escape;
        let kw = if add { "ADD" } else { "COPY" };
        let mut raw_dest = stage.word(&c.dest, esc)?;
        if raw_dest.is_empty() {
            return Err(Error::Invalid(format!("{kw}: the destination is empty")));
        }
        if raw_dest == "." || raw_dest.ends_with("/.") {
            raw_dest.push('/');
        }
        let dest = absolute_dest(stage.config.workdir(), &raw_dest);
        let chown = c.chown.as_deref().map(|x| stage.word(x, esc)).transpose()?;
        let chmod = c.chmod.as_deref().map(|x| stage.word(x, esc)).transpose()?;
        let chmod_value = chmod.as_deref().map(chmod_bits).transpose()?;
        let from = match &c.from {
            None => From::Context,
            Some(f) => {
                let f = stage.word(f, esc)?;
                From::Image(Box::new(self.copy_source_image(&f)?))
            }
        };
        let mut texts = Vec::new();
        for s in &c.sources {
            texts.push(stage.word(s, esc)?);
        }
        // The sources, hashed: the context's by content; an image's by its ID.
        let mut from_root = match &from {
            From::Image(img) => Some(StepRoot::new(
                self.engine.images(),
                img.as_ref().as_ref(),
                &self.work,
            )?),
            From::Context => None,
        };
        let tree_root = match &from_root {
            Some(r) => r.rootfs(),
            None => self.context.root().to_owned(),
        };
        let tree = Tree {
            root: &tree_root,
            context: matches!(from, From::Context).then_some(self.context),
        };
        let mut sources = Vec::new();
        for (raw, text) in c.sources.iter().zip(&texts) {
            if let Some(h) = raw.strip_prefix("<<").and_then(|n| {
                c.heredocs
                    .iter()
                    .find(|h| h.name == n.trim_start_matches('-').trim_matches(['"', '\'']))
            }) {
                let content = if h.expand {
                    stage.word(&h.content, esc)?
                } else {
                    h.content.clone()
                };
                sources.push(Source::Inline {
                    name: h.name.clone(),
                    content: content.into_bytes(),
                });
            } else if text.starts_with("http://") || text.starts_with("https://") {
                if !add {
                    return Err(Error::Invalid(format!(
                        "COPY: source can't be a URL: {text} (use ADD)"
                    )));
                }
                sources.push(self.download(text, c.checksum.as_deref())?);
            } else {
                sources.extend(tree.find(text, add)?);
            }
        }
        if sources.len() > 1 && !raw_dest.ends_with('/') {
            return Err(Error::Invalid(format!(
                "When using {kw} with more than one source file, the destination must be a directory and end with a /"
            )));
        }
        let content = match &from {
            From::Context => {
                let cancel = self.cancel;
                content_hash(&tree, &sources, &|| crate::cancelled(cancel))?
            }
            From::Image(img) => {
                let mut h = Sha256::new();
                h.update(
                    img.as_ref()
                        .as_ref()
                        .map_or("scratch", |i| i.id.as_str())
                        .as_bytes(),
                );
                // Downloads and here-documents still count by content.
                let inline = content_hash(
                    &tree,
                    &sources.iter().filter_map(inline_only).collect::<Vec<_>>(),
                    &|| false,
                )?;
                h.update(inline.as_bytes());
                hex::encode(h.finalize())
            }
        };
        let mut flags = String::new();
        if let Some(f) = &c.from {
            flags.push_str(&format!("--from={} ", stage.word(f, esc)?));
        }
        if let Some(x) = &chown {
            flags.push_str(&format!("--chown={x} "));
        }
        if let Some(x) = &chmod {
            flags.push_str(&format!("--chmod={x} "));
        }
        let created_by = format!("{kw} {flags}{} {dest}", texts.join(" "));
        let config = stage.config.clone();
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        let hit = self.cached_or(
            stage,
            &created_by,
            Some(content.as_str()),
            config,
            &mut |b, stage| {
                let mut root = StepRoot::new(b.engine.images(), stage.image.as_ref(), &b.work)?;
                let rootfs = root.rootfs();
                let owner = chown
                    .as_deref()
                    .map(|x| chown_ids(x, &rootfs))
                    .transpose()?;
                place(
                    &tree,
                    &sources,
                    &Placement {
                        rootfs: &rootfs,
                        dest: &dest,
                        owner,
                        chmod: chmod_value,
                        now,
                    },
                )?;
                b.commit_root(stage, &mut root, &created_by)
            },
        )?;
        if let Some(r) = from_root.as_mut() {
            r.unmount()?;
        }
        Ok(hit)
    }

    /// `WORKDIR`: the new working directory, made (0755, root's) if missing; true for a cache
    /// hit.
    pub(crate) fn workdir_step(&mut self, stage: &mut Stage, w: &str) -> Result<bool> {
        let w = stage.word(w, self.file.escape)?;
        let joined = if w.starts_with('/') {
            w.clone()
        } else {
            format!("{}/{w}", stage.config.workdir())
        };
        let dir = format!("/{}", clean_relative(&joined).unwrap_or_default());
        let mut config = stage.config.clone();
        config.working_dir = Some(dir.clone());
        let created_by = format!("WORKDIR {dir}");
        let map = config.to_map();
        let now = chrono::Utc::now().timestamp().max(0) as u64;
        self.cached_or(stage, &created_by, None, config.clone(), &mut |b, stage| {
            let mut root = StepRoot::new(b.engine.images(), stage.image.as_ref(), &b.work)?;
            let exists = six_engine::in_root::lookup(&root.rootfs(), &dir, true)?;
            match exists {
                Some(f) if f.is_dir => {
                    root.unmount()?;
                    Ok(b.engine.images().add_step(six_image::Step {
                        parent: stage.image.as_ref(),
                        config: map.clone(),
                        created_by: created_by.clone(),
                        author: None,
                        changes: None,
                    })?)
                }
                Some(_) => Err(Error::Invalid(format!("WORKDIR {dir}: not a directory"))),
                None => {
                    crate::place::make_dir(&root.rootfs(), &dir, now)?;
                    let staged = Stage {
                        image: stage.image.clone(),
                        config: config.clone(),
                        args: Vec::new(),
                        cmd_set: false,
                    };
                    b.commit_root(&staged, &mut root, &created_by)
                }
            }
        })
    }

    /// The step's changes in `root` as one layer on the stage's image, with its config.
    fn commit_root(
        &mut self,
        stage: &Stage,
        root: &mut StepRoot,
        created_by: &str,
    ) -> Result<six_image::Image> {
        root.unmount()?;
        let changes = root.changes();
        Ok(self.engine.images().add_step(six_image::Step {
            parent: stage.image.as_ref(),
            config: stage.config.to_map(),
            created_by: created_by.to_owned(),
            author: None,
            changes: Some(six_image::Changes {
                dir: &changes,
                skip: &[],
            }),
        })?)
    }

    /// `COPY --from=NAME`: a stage's last image (None: scratch) or an image of the store.
    fn copy_source_image(&mut self, name: &str) -> Result<Option<six_image::Image>> {
        let lower = name.to_ascii_lowercase();
        if let Some(j) = self.file.stage_named(&lower) {
            return match self.results.get(j).cloned().flatten() {
                Some(image) => Ok(image),
                None => Err(Error::Invalid(format!(
                    "COPY --from={name}: that stage is not built before this one (a stage can only copy from an earlier one)"
                ))),
            };
        }
        Ok(Some(self.pull(name)?))
    }

    /// `ADD URL`: downloaded into the work dir; `--checksum=sha256:…` checked.
    fn download(&mut self, url: &str, checksum: Option<&str>) -> Result<Source> {
        let d = six_registry::download(url, &self.engine.registry_options())?;
        let mut file = tempfile::Builder::new()
            .prefix("download-")
            .tempfile_in(&self.work)
            .map_err(|e| Error::io("making a file in", &self.work, e))?;
        let mut body = d.body;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = body
                .read(&mut buf)
                .map_err(|e| Error::Invalid(format!("downloading {url}: {e}")))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            std::io::Write::write_all(file.as_file_mut(), &buf[..n])
                .map_err(|e| Error::io("writing", &self.work, e))?;
        }
        let got = format!("sha256:{}", hex::encode(h.finalize()));
        if let Some(want) = checksum {
            if want != got {
                return Err(Error::Invalid(format!(
                    "ADD {url}: digest mismatch: expected {want}, got {got}"
                )));
            }
        }
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let name = path
            .split_once("://")
            .map_or(path, |(_, rest)| rest)
            .split('/')
            .skip(1)
            .filter(|s| !s.is_empty())
            .last()
            .unwrap_or("download")
            .to_owned();
        let mtime = d
            .last_modified
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc2822(t).ok())
            .map_or_else(|| chrono::Utc::now().timestamp(), |t| t.timestamp())
            .max(0) as u64;
        Ok(Source::Download { name, file, mtime })
    }
}

/// The sources whose content counts even when copied from an image.
fn inline_only(s: &Source) -> Option<Source> {
    match s {
        Source::Inline { name, content } => Some(Source::Inline {
            name: name.clone(),
            content: content.clone(),
        }),
        _ => None,
    }
}

/// A destination made absolute against the working directory, its trailing `/` kept.
fn absolute_dest(workdir: &str, dest: &str) -> String {
    let slash = dest.ends_with('/');
    let joined = if dest.starts_with('/') {
        dest.to_owned()
    } else {
        format!("{workdir}/{dest}")
    };
    let mut out = format!("/{}", clean_relative(&joined).unwrap_or_default());
    if slash && out != "/" {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_made_absolute_keeping_the_slash() {
        assert_eq!(absolute_dest("/", "app/"), "/app/");
        assert_eq!(absolute_dest("/srv", "x"), "/srv/x");
        assert_eq!(absolute_dest("/srv", "./"), "/srv/");
        assert_eq!(absolute_dest("/srv", "/abs/../y"), "/y");
        assert_eq!(absolute_dest("/", "/"), "/");
    }
}
