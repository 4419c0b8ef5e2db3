//! `VolumeSpec`: one `-v`/`--volume` as Docker's daemon reads it (moby's linux parser):
//! `/host/path:/container/path[:MODE]` binds a host path, `NAME:/container/path[:MODE]`
//! mounts the named volume NAME (made on first use), `/container/path` alone mounts a new
//! anonymous volume. MODE is a comma list of at most one of each: `ro`|`rw`, `z`|`Z` (SELinux
//! relabelling: accepted, a no-op without SELinux), `nocopy` (volumes only), a propagation
//! (`private`, `rprivate`, `shared`, `rshared`, `slave`, `rslave`; binds only), a consistency
//! (`consistent`, `cached`, `delegated`: ignored on Linux, as Docker does).
//!
//! A source starting with `.` is a host path relative to the working directory (Docker's
//! CLI makes it absolute); any other relative source is a volume name, checked when the
//! volume is made.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::TypeError;

/// What a `-v` mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VolumeSource {
    /// A host path (absolute).
    Bind(PathBuf),
    /// A named volume.
    Named(String),
    /// A new volume with a generated name, removed with the container by `rm -v` and `--rm`.
    Anonymous,
}

/// Kept in records as one string, as the `host` field always was: a path for a bind, the
/// name for a named volume, "" for an anonymous one.
impl Serialize for VolumeSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            VolumeSource::Bind(p) => p.serialize(s),
            VolumeSource::Named(n) => s.serialize_str(n),
            VolumeSource::Anonymous => s.serialize_str(""),
        }
    }
}

impl<'de> Deserialize<'de> for VolumeSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VolumeSource, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match text.as_str() {
            "" => VolumeSource::Anonymous,
            t if t.starts_with('/') => VolumeSource::Bind(PathBuf::from(t)),
            t => VolumeSource::Named(t.to_owned()),
        })
    }
}

/// One `-v`, as typed (the mode kept as given: inspect shows it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeSpec {
    /// What is mounted (the record's `host` field).
    #[serde(rename = "host")]
    pub source: VolumeSource,
    /// Where it appears in the container (absolute).
    pub container: PathBuf,
    /// `ro` in MODE.
    pub read_only: bool,
    /// MODE as given ("ro,z"); "" when there was none. Records from before it have "".
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mode: String,
}

const EXPECTED: &str =
    "expected /host/path:/container/path[:MODE], NAME:/container/path[:MODE] or /container/path";

/// The propagation modes a bind takes (`-v` MODE, `--mount bind-propagation=`).
pub const PROPAGATIONS: [&str; 6] = [
    "private", "rprivate", "shared", "rshared", "slave", "rslave",
];

impl VolumeSpec {
    /// A bind of `host` at `container` (as `-v /host:/container[:ro]` gives).
    pub fn bind(host: impl Into<PathBuf>, container: impl Into<PathBuf>, read_only: bool) -> Self {
        VolumeSpec {
            source: VolumeSource::Bind(host.into()),
            container: container.into(),
            read_only,
            mode: if read_only {
                "ro".into()
            } else {
                String::new()
            },
        }
    }

    /// The host path of a bind.
    pub fn host_path(&self) -> Option<&Path> {
        match &self.source {
            VolumeSource::Bind(p) => Some(p),
            _ => None,
        }
    }

    /// The propagation MODE names, if any.
    pub fn propagation(&self) -> Option<&str> {
        self.modes().find(|m| PROPAGATIONS.contains(m))
    }

    /// `nocopy`: a new volume is not filled with the image's content.
    pub fn nocopy(&self) -> bool {
        self.modes().any(|m| m == "nocopy")
    }

    fn modes(&self) -> impl Iterator<Item = &str> {
        self.mode.split(',').filter(|m| !m.is_empty())
    }
}

/// Docker's `-v` as typed back: `SOURCE:DEST[:MODE]` (`DEST` alone when anonymous).
impl fmt::Display for VolumeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.source {
            VolumeSource::Bind(p) => write!(f, "{}:", p.display())?,
            VolumeSource::Named(n) => write!(f, "{n}:")?,
            VolumeSource::Anonymous => {}
        }
        write!(f, "{}", self.container.display())?;
        if !self.mode.is_empty() {
            write!(f, ":{}", self.mode)?;
        }
        Ok(())
    }
}

/// Whether `mode` is a valid MODE list: known words, at most one of each kind.
fn valid_mode(mode: &str) -> bool {
    let kinds: [&[&str]; 5] = [
        &["rw", "ro"],
        &["z", "Z"],
        &PROPAGATIONS,
        &["nocopy"],
        &["consistent", "cached", "delegated"],
    ];
    let mut counts = [0; 5];
    for word in mode.split(',') {
        let Some(kind) = kinds.iter().position(|k| k.contains(&word)) else {
            return false;
        };
        counts[kind] += 1;
    }
    counts.iter().all(|&c| c <= 1)
}

impl FromStr for VolumeSpec {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<VolumeSpec, TypeError> {
        let bad = |why: String| TypeError::new("volume", s, why);
        let parts: Vec<&str> = s.split(':').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad(format!("empty section between colons; {EXPECTED}")));
        }
        let (source, container, mode) = match parts.as_slice() {
            [c] => (None, *c, ""),
            [_, m] if valid_mode(m) => {
                return Err(bad(format!(
                    "a mode needs a source (an anonymous volume takes none); {EXPECTED}"
                )))
            }
            [src, c] => (Some(*src), *c, ""),
            [src, c, m] => (Some(*src), *c, *m),
            _ => return Err(bad(format!("too many colons; {EXPECTED}"))),
        };
        if !valid_mode(mode) && !mode.is_empty() {
            return Err(bad(format!(
                "invalid mode \"{mode}\": expected ro or rw, z or Z, nocopy, a propagation \
                 ({}) or several of them, comma separated",
                PROPAGATIONS.join(", ")
            )));
        }
        if !container.starts_with('/') {
            return Err(bad(format!(
                "the mount path \"{container}\" is not absolute; {EXPECTED}"
            )));
        }
        if Path::new(container) == Path::new("/") {
            return Err(bad("the container path cannot be /".into()));
        }
        let source = match source {
            None => VolumeSource::Anonymous,
            Some(p) if p.starts_with('/') => VolumeSource::Bind(PathBuf::from(p)),
            Some(p) if p.starts_with('.') => {
                let cwd = std::env::current_dir()
                    .map_err(|e| bad(format!("making {p} absolute: {e}")))?;
                VolumeSource::Bind(normalize(&cwd.join(p)))
            }
            Some(name) => VolumeSource::Named(name.to_owned()),
        };
        let spec = VolumeSpec {
            read_only: mode.split(',').any(|m| m == "ro"),
            mode: mode.to_owned(),
            source,
            container: PathBuf::from(container),
        };
        match &spec.source {
            VolumeSource::Bind(_) if spec.nocopy() => Err(bad(
                "nocopy is for volumes, not for a bind of a host path".into(),
            )),
            VolumeSource::Named(_) | VolumeSource::Anonymous if spec.propagation().is_some() => {
                Err(bad(format!(
                    "a propagation ({}) is for binds of host paths, not for volumes",
                    spec.propagation().unwrap_or_default()
                )))
            }
            VolumeSource::Anonymous if spec.read_only => Err(bad(
                "an anonymous volume cannot be read-only (Docker: must not set ReadOnly mode when using anonymous volumes)".into(),
            )),
            _ => Ok(spec),
        }
    }
}

/// `a/./b/../c` → `a/c`, lexically (as Go's filepath.Clean).
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> VolumeSpec {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn binds_named_and_anonymous_volumes() {
        let v = parse("/host/path:/container/path:rw");
        assert_eq!(v.source, VolumeSource::Bind("/host/path".into()));
        assert_eq!(v.container, PathBuf::from("/container/path"));
        assert!(!v.read_only);
        assert!(parse("/a:/b:ro").read_only);
        assert!(!parse("/a:/b").read_only);
        assert_eq!(parse("data:/d").source, VolumeSource::Named("data".into()));
        assert_eq!(parse("/d").source, VolumeSource::Anonymous);
        let v = parse("/h:/c:ro,Z,rslave");
        assert_eq!((v.read_only, v.propagation()), (true, Some("rslave")));
        assert!(parse("v:/c:nocopy").nocopy());
        assert_eq!(parse("v:/c:ro,z").to_string(), "v:/c:ro,z");
        assert_eq!(parse("/c").to_string(), "/c");
    }

    #[test]
    fn a_dot_source_is_a_host_path_below_the_working_directory() {
        let cwd = std::env::current_dir().unwrap();
        let v = parse("./x/../y:/c");
        assert_eq!(v.source, VolumeSource::Bind(cwd.join("y")));
    }

    #[test]
    fn bad_volumes_are_refused_with_a_reason() {
        for (s, why) in [
            ("host/path:c", "not absolute"),
            ("rel", "not absolute"),
            ("/a:/b:rx", "invalid mode \"rx\""),
            ("/a:/b:ro,rw", "invalid mode \"ro,rw\""),
            ("/a:/b:ro:x", "too many colons"),
            ("/a:/", "cannot be /"),
            (":/x", "empty section"),
            ("/x:", "empty section"),
            ("/x:ro", "a mode needs a source"),
            ("/h:/x:nocopy", "nocopy is for volumes"),
            ("v:/x:rshared", "for binds of host paths"),
            ("/x:/y:bogus", "invalid mode"),
        ] {
            let e = s.parse::<VolumeSpec>().unwrap_err().to_string();
            assert!(e.contains(why), "{s}: {e}");
            assert!(e.starts_with(&format!("invalid volume \"{s}\"")), "{e}");
        }
    }

    #[test]
    fn records_keep_the_old_host_field() {
        let old: VolumeSpec =
            serde_json::from_str(r#"{"host":"/h","container":"/c","read_only":true}"#).unwrap();
        assert_eq!(old, VolumeSpec::bind("/h", "/c", true).with_mode(""));
        for v in [parse("n:/c:ro"), parse("/c"), parse("/h:/c:z")] {
            let back: VolumeSpec =
                serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back, v);
        }
    }

    impl VolumeSpec {
        fn with_mode(mut self, mode: &str) -> VolumeSpec {
            self.mode = mode.to_owned();
            self
        }
    }
}
