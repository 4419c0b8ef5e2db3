//! `--mount` ([`MountSpec`]), `--tmpfs` ([`TmpfsSpec`]) and `--volumes-from`
//! ([`VolumesFrom`]), read as Docker's CLI and daemon read them (docker/cli's `opts/mount.go`,
//! moby's `validateMountConfig`, `ParseTmpfsOptions` and `parseVolumesFrom`), with their words
//! in the messages. What needs the host (a bind source that must exist, the container named by
//! `--volumes-from`) is checked when the container is made.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::volume::PROPAGATIONS;
use super::{MemorySize, TypeError};

/// A `--mount` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MountType {
    /// A host path.
    Bind,
    /// A volume (named, or anonymous without a source): Docker's default type.
    #[default]
    Volume,
    /// A new tmpfs.
    Tmpfs,
}

impl fmt::Display for MountType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MountType::Bind => "bind",
            MountType::Volume => "volume",
            MountType::Tmpfs => "tmpfs",
        })
    }
}

/// One `--mount type=…,source=…,target=…[,readonly][,bind-propagation=…][,volume-nocopy]
/// [,tmpfs-size=…][,tmpfs-mode=…]`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MountSpec {
    /// `type=` (volume when not given).
    #[serde(rename = "type")]
    pub kind: MountType,
    /// `source=`/`src=`: a host path (bind) or a volume name; None for an anonymous volume.
    pub source: Option<String>,
    /// `target=`/`destination=`/`dst=`.
    pub target: PathBuf,
    /// `readonly`/`ro`.
    pub read_only: bool,
    /// `bind-propagation=` (rprivate when not given).
    pub bind_propagation: Option<String>,
    /// `bind-nonrecursive`: the mounts below the source are not bound along.
    pub bind_nonrecursive: bool,
    /// `volume-nocopy`: a new volume is not filled from the image.
    pub volume_nocopy: bool,
    /// `volume-label=K=V`: labels of a volume this mount makes.
    pub volume_labels: BTreeMap<String, String>,
    /// `volume-opt=K=V`: the local driver's options of a volume this mount makes.
    pub volume_options: BTreeMap<String, String>,
    /// `volume-driver=` (only local).
    pub volume_driver: Option<String>,
    /// `tmpfs-size=` in bytes.
    pub tmpfs_size: Option<u64>,
    /// `tmpfs-mode=` (octal).
    pub tmpfs_mode: Option<u32>,
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `encoding/csv` for one line: commas separate fields, a field in double quotes may hold
/// commas, `""` inside quotes is one quote.
fn csv_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, ',') => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            (false, '"') if at_start => quoted = true,
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (_, c) => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err("extraneous or missing \" in quoted-field".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

/// `K=V` (or `K`, an empty value) into `map`, as docker/cli's setValueOnMap.
fn set_on_map(map: &mut BTreeMap<String, String>, value: &str) {
    match value.split_once('=') {
        Some((k, v)) => map.insert(k.to_owned(), v.to_owned()),
        None => map.insert(value.to_owned(), String::new()),
    };
}

impl FromStr for MountSpec {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<MountSpec, TypeError> {
        let bad = |why: String| TypeError::new("mount", s, why);
        let mut m = MountSpec::default();
        let (mut bind_opts, mut volume_opts, mut tmpfs_opts) = (false, false, false);
        for field in csv_fields(s).map_err(bad)? {
            let Some((key, value)) = field.split_once('=') else {
                match field.to_lowercase().as_str() {
                    "readonly" | "ro" => m.read_only = true,
                    "volume-nocopy" => (m.volume_nocopy, volume_opts) = (true, true),
                    "bind-nonrecursive" => (m.bind_nonrecursive, bind_opts) = (true, true),
                    _ => {
                        return Err(bad(format!(
                            "invalid field '{field}' must be a key=value pair"
                        )))
                    }
                }
                continue;
            };
            let invalid = || bad(format!("invalid value for {key}: {value}"));
            match key.to_lowercase().as_str() {
                "type" => {
                    m.kind = match value.to_lowercase().as_str() {
                        "bind" => MountType::Bind,
                        "volume" => MountType::Volume,
                        "tmpfs" => MountType::Tmpfs,
                        other => {
                            return Err(bad(format!(
                                "invalid mount config for type \"{other}\": mount type unknown (expected bind, volume or tmpfs)"
                            )))
                        }
                    }
                }
                "source" | "src" => m.source = Some(value.to_owned()),
                "target" | "dst" | "destination" => m.target = PathBuf::from(value),
                "readonly" | "ro" => m.read_only = parse_bool(value).ok_or_else(invalid)?,
                "consistency" => {}
                "bind-propagation" => {
                    bind_opts = true;
                    m.bind_propagation = Some(value.to_lowercase());
                }
                "bind-nonrecursive" => {
                    bind_opts = true;
                    m.bind_nonrecursive = parse_bool(value).ok_or_else(invalid)?;
                }
                "volume-nocopy" => {
                    volume_opts = true;
                    m.volume_nocopy = parse_bool(value).ok_or_else(invalid)?;
                }
                "volume-label" => {
                    volume_opts = true;
                    set_on_map(&mut m.volume_labels, value);
                }
                "volume-driver" => {
                    volume_opts = true;
                    m.volume_driver = Some(value.to_owned());
                }
                "volume-opt" => {
                    volume_opts = true;
                    set_on_map(&mut m.volume_options, value);
                }
                "tmpfs-size" => {
                    tmpfs_opts = true;
                    let size: MemorySize = value.parse().map_err(|_| invalid())?;
                    m.tmpfs_size = Some(size.bytes());
                }
                "tmpfs-mode" => {
                    tmpfs_opts = true;
                    m.tmpfs_mode = Some(u32::from_str_radix(value, 8).map_err(|_| invalid())?);
                }
                _ => return Err(bad(format!("unexpected key '{key}' in '{field}'"))),
            }
        }
        if m.target.as_os_str().is_empty() {
            return Err(bad("target is required".into()));
        }
        for (given, kind, prefix) in [
            (volume_opts, MountType::Volume, "volume"),
            (bind_opts, MountType::Bind, "bind"),
            (tmpfs_opts, MountType::Tmpfs, "tmpfs"),
        ] {
            if given && m.kind != kind {
                return Err(bad(format!(
                    "cannot mix '{prefix}-*' options with mount type '{}'",
                    m.kind
                )));
            }
        }
        m.check().map_err(|why| {
            bad(format!(
                "invalid mount config for type \"{}\": {why}",
                m.kind
            ))
        })?;
        Ok(m)
    }
}

impl MountSpec {
    /// The daemon's rules for each type (moby's `validateMountConfig`), host aside.
    fn check(&self) -> Result<(), String> {
        let absolute = |p: &Path| match p.is_absolute() {
            true => Ok(()),
            false => Err(format!(
                "invalid mount path: '{}' mount path must be absolute",
                p.display()
            )),
        };
        absolute(&self.target)?;
        if self.target == Path::new("/") {
            return Err("invalid specification: destination can't be '/'".into());
        }
        let source = self.source.as_deref().filter(|s| !s.is_empty());
        match self.kind {
            MountType::Bind => {
                let source = source.ok_or("field Source must not be empty")?;
                absolute(Path::new(source))?;
                if let Some(p) = &self.bind_propagation {
                    if !PROPAGATIONS.contains(&p.as_str()) {
                        return Err(format!("invalid propagation mode: {p}"));
                    }
                }
            }
            MountType::Volume => {
                if source.is_none() && self.read_only {
                    return Err("must not set ReadOnly mode when using anonymous volumes".into());
                }
            }
            MountType::Tmpfs => {
                if source.is_some() {
                    return Err("field Source must not be specified".into());
                }
            }
        }
        Ok(())
    }

    /// The tmpfs options Docker gives a `type=tmpfs` mount: its defaults, the size (in the
    /// largest unit that divides it), the mode, `ro`.
    pub fn tmpfs_options(&self) -> Vec<String> {
        let mut o: Vec<String> = TMPFS_DEFAULTS.iter().map(|s| (*s).to_owned()).collect();
        if let Some(size) = self.tmpfs_size.filter(|s| *s > 0) {
            let (n, unit) = [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)]
                .iter()
                .find(|(_, d)| size % d == 0)
                .map_or((size, ""), |(u, d)| (size / d, *u));
            o.push(format!("size={n}{unit}"));
        }
        if let Some(mode) = self.tmpfs_mode.filter(|m| *m != 0) {
            o.push(format!("mode={mode:o}"));
        }
        if self.read_only {
            o.push("ro".into());
        }
        o
    }
}

/// What Docker gives every tmpfs before the user's options.
const TMPFS_DEFAULTS: [&str; 3] = ["noexec", "nosuid", "nodev"];

/// The mount flags a tmpfs may be given (moby's `ParseTmpfsOptions`), and its data options.
const TMPFS_FLAGS: &[&str] = &[
    "defaults",
    "ro",
    "rw",
    "suid",
    "nosuid",
    "dev",
    "nodev",
    "exec",
    "noexec",
    "sync",
    "async",
    "dirsync",
    "remount",
    "mand",
    "nomand",
    "atime",
    "noatime",
    "diratime",
    "nodiratime",
    "bind",
    "rbind",
    "unbindable",
    "runbindable",
    "private",
    "rprivate",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "relatime",
    "norelatime",
    "strictatime",
    "nostrictatime",
];
const TMPFS_DATA: &[&str] = &[
    "size",
    "mode",
    "uid",
    "gid",
    "nr_inodes",
    "nr_blocks",
    "mpol",
];

/// One `--tmpfs /path[:OPTIONS]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TmpfsSpec {
    /// Where it is mounted (absolute).
    pub target: PathBuf,
    /// OPTIONS as given ("" when none).
    pub options: String,
}

impl TmpfsSpec {
    /// Whether its options end read-only (`ro` after any `rw`).
    pub fn read_only(&self) -> bool {
        self.options.split(',').rfind(|o| *o == "ro" || *o == "rw") == Some("ro")
    }

    /// Docker's defaults, then the options given (later ones win).
    pub fn mount_options(&self) -> Vec<String> {
        TMPFS_DEFAULTS
            .iter()
            .map(|s| (*s).to_owned())
            .chain(
                self.options
                    .split(',')
                    .filter(|o| !o.is_empty())
                    .map(str::to_owned),
            )
            .collect()
    }
}

impl FromStr for TmpfsSpec {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<TmpfsSpec, TypeError> {
        let bad = |why: String| TypeError::new("tmpfs", s, why);
        let (target, options) = s.split_once(':').unwrap_or((s, ""));
        if !target.starts_with('/') {
            return Err(bad(format!(
                "invalid mount path: '{target}' mount path must be absolute"
            )));
        }
        if Path::new(target) == Path::new("/") {
            return Err(bad("invalid specification: destination can't be '/'".into()));
        }
        let unknown: Vec<String> = options
            .split(',')
            .filter(|o| !o.is_empty())
            .filter(|o| {
                let key = o.split('=').next().unwrap_or_default();
                !(TMPFS_FLAGS.contains(o) || (o.contains('=') && TMPFS_DATA.contains(&key)))
            })
            .map(|o| format!("{o:?}"))
            .collect();
        if !unknown.is_empty() {
            return Err(bad(format!("invalid tmpfs option [{}]", unknown.join(" "))));
        }
        Ok(TmpfsSpec {
            target: PathBuf::from(target),
            options: options.to_owned(),
        })
    }
}

/// One `--volumes-from CONTAINER[:ro|rw]` (`z`/`Z` accepted, a no-op without SELinux).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumesFrom {
    /// The container whose mounts are taken (name or ID).
    pub container: String,
    /// `:ro`: every mount read-only (`:rw`, the default, keeps each one's own mode).
    pub read_only: bool,
}

impl fmt::Display for VolumesFrom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.read_only {
            true => write!(f, "{}:ro", self.container),
            false => f.write_str(&self.container),
        }
    }
}

impl FromStr for VolumesFrom {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<VolumesFrom, TypeError> {
        let (container, mode) = s.split_once(':').unwrap_or((s, "rw"));
        if container.is_empty() {
            return Err(TypeError::new(
                "volumes-from",
                s,
                "expected CONTAINER[:ro|rw]",
            ));
        }
        let words: Vec<&str> = mode.split(',').collect();
        let known = |w: &&str| ["ro", "rw", "z", "Z"].contains(w);
        let rw_words = words.iter().filter(|w| ["ro", "rw"].contains(w)).count();
        if !words.iter().all(known) || rw_words > 1 {
            return Err(TypeError::new(
                "volumes-from",
                s,
                format!("invalid mode: {mode} (expected ro or rw)"),
            ));
        }
        let read_only = words.contains(&"ro");
        Ok(VolumesFrom {
            container: container.to_owned(),
            read_only,
        })
    }
}

#[cfg(test)]
#[path = "mount_tests.rs"]
mod tests;
