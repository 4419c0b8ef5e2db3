//! Helpers for the `build` tests: a build context in a temp dir, and `sixdocker build` run
//! on it with plain progress (RUN steps on `--network none` unless a test says otherwise).

use std::path::{Path, PathBuf};

use super::{Ran, Sandbox};

/// A build context: a temp dir with files.
pub struct Context {
    pub dir: tempfile::TempDir,
}

impl Context {
    /// A context holding `files` (path, content); parents are made.
    pub fn new(files: &[(&str, &str)]) -> Context {
        let dir = tempfile::Builder::new()
            .prefix("sixdocker-ctx-")
            .tempdir()
            .unwrap();
        let c = Context { dir };
        for (p, content) in files {
            c.write(p, content);
        }
        c
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Writes (or replaces) one file.
    pub fn write(&self, p: &str, content: &str) {
        let path = self.file(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// `sixdocker build --progress plain --network none ARGS CONTEXT`.
pub fn build(sb: &Sandbox, ctx: &Context, args: &[&str]) -> Ran {
    let mut all = vec!["build", "--progress", "plain", "--network", "none"];
    all.extend_from_slice(args);
    let path = ctx.path().to_string_lossy().into_owned();
    all.push(&path);
    sb.run(all)
}

/// The step lines of a plain build output that say CACHED, by step text: for each
/// `#N [..] TEXT` line, whether `#N CACHED` follows.
pub fn cache_states(out: &str) -> Vec<(String, bool)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        let Some((num, rest)) = line.split_once(' ') else {
            continue;
        };
        if rest.starts_with('[') && !rest.starts_with("[internal]") {
            steps.push((num.to_owned(), rest.to_owned()));
        }
    }
    steps
        .into_iter()
        .filter(|(_, text)| !text.contains("] FROM "))
        .map(|(num, text)| {
            let cached = out.lines().any(|l| l == format!("{num} CACHED"));
            (text, cached)
        })
        .collect()
}

/// The image ID a plain build output names (`writing image sha256:<id>`).
pub fn built_id(out: &str) -> String {
    out.lines()
        .find_map(|l| l.split("writing image sha256:").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the build names its image")
        .to_owned()
}

/// A tar of `files` (name, content), mode 0644, owned by `owner` (uid, gid).
pub fn tar_of(files: &[(&str, &str)], owner: (u64, u64)) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(owner.0);
        h.set_gid(owner.1);
        b.append_data(&mut h, name, data.as_bytes()).unwrap();
    }
    b.into_inner().unwrap()
}

/// `bytes` gzipped.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, bytes).unwrap();
    gz.finish().unwrap()
}
