//! Reading `/proc/self/mountinfo` text: which mount holds a path, whether it is shared, and
//! what filesystem (and which part of it) each mount shows.
//!
//! Used to make the rootfs's parent mount private when `/` was not made private (or slave)
//! recursively (a bind under a shared parent would propagate to the host, and `pivot_root`
//! refuses a shared parent), and with `--no-pivot` to find the host's whole proc and sysfs
//! mounts (`pivot.rs`). It parses text; it never calls the kernel.

use std::path::{Path, PathBuf};

/// One line of mountinfo, the parts we need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub mount_point: PathBuf,
    /// Has a `shared:N` optional field.
    pub shared: bool,
    /// The directory of the filesystem this mount shows (`/`: the whole filesystem).
    pub root: PathBuf,
    /// The filesystem type (`proc`, `sysfs`, `ext4`, ...).
    pub fstype: String,
}

/// Parses mountinfo text; malformed lines are skipped.
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let separator = fields.iter().position(|f| *f == "-")?;
            let mount_point = unescape(fields.get(4)?);
            let shared = fields
                .get(6..separator)?
                .iter()
                .any(|f| f.starts_with("shared:"));
            Some(MountEntry {
                mount_point: PathBuf::from(mount_point),
                shared,
                root: PathBuf::from(unescape(fields.get(3)?)),
                fstype: unescape(fields.get(separator + 1)?),
            })
        })
        .collect()
}

/// The mount holding `path`: the last-mounted entry whose mount point is the longest
/// ancestor of `path` (a later mount on the same point hides the earlier one).
pub fn mount_holding<'a>(mounts: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    let mut best: Option<&MountEntry> = None;
    for m in mounts {
        let deeper = match best {
            None => true,
            Some(b) => m.mount_point.components().count() >= b.mount_point.components().count(),
        };
        if path.starts_with(&m.mount_point) && deeper {
            best = Some(m);
        }
    }
    best
}

/// Mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match octal {
            Some(d) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
30 22 0:30 / /tmp rw,relatime - tmpfs tmpfs rw
31 30 0:31 / /tmp/my\\040dir rw shared:7 master:2 - tmpfs tmpfs rw
";

    #[test]
    fn parses_mount_points_shared_flags_and_escapes() {
        let m = parse(TEXT);
        assert_eq!(m.len(), 3);
        assert!(m[0].shared && !m[1].shared && m[2].shared);
        assert_eq!(m[2].mount_point, Path::new("/tmp/my dir"));
        assert_eq!(
            (m[0].root.as_path(), m[0].fstype.as_str()),
            (Path::new("/"), "ext4")
        );
        assert_eq!(m[1].fstype, "tmpfs");
    }

    #[test]
    fn finds_the_deepest_mount_holding_a_path() {
        let m = parse(TEXT);
        assert_eq!(
            mount_holding(&m, Path::new("/tmp/my dir/rootfs"))
                .unwrap()
                .mount_point,
            Path::new("/tmp/my dir")
        );
        assert_eq!(
            mount_holding(&m, Path::new("/tmp/mydir"))
                .unwrap()
                .mount_point,
            Path::new("/tmp")
        );
        assert_eq!(
            mount_holding(&m, Path::new("/var")).unwrap().mount_point,
            Path::new("/")
        );
    }
}
