//! `--device`: the host's nodes looked up when the container is made, as Docker does: the
//! host path's symlinks followed, a character or block device taken with its numbers, mode
//! and owner, a folder taken with every device below it (at the same place below the
//! container path). Each becomes a node in the spec's `linux.devices` (the runtime makes it)
//! and a rule allowing its `rwm` subset in `linux.resources.devices` (the runtime writes it
//! to the v1 `devices.allow`, or to the v2 BPF device filter). Never makes a node itself.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder, LinuxDeviceType,
};

use crate::error::{Error, Result};
use crate::types::DeviceMapping;

/// The nodes and the cgroup rules of `mappings`, in order.
pub(crate) fn resolve(
    mappings: &[DeviceMapping],
) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>)> {
    let mut nodes = Vec::new();
    let mut rules = Vec::new();
    for m in mappings {
        let failed = |why: String| {
            Error::Invalid(format!(
                "error gathering device information while adding custom device {:?}: {why}",
                m.path_on_host.display().to_string()
            ))
        };
        let host = std::fs::canonicalize(&m.path_on_host).map_err(|e| failed(io_text(&e)))?;
        let meta = std::fs::metadata(&host).map_err(|e| failed(io_text(&e)))?;
        let mut found = Vec::new();
        if meta.is_dir() {
            walk(&host, &host, &m.path_in_container, &mut found);
        } else if let Some(node) = node(&meta, m.path_in_container.clone()) {
            found.push(node);
        } else {
            return Err(failed("not a device node".into()));
        }
        for n in found {
            rules.push(allow(&n, &m.permissions)?);
            nodes.retain(|d: &LinuxDevice| d.path() != n.path());
            nodes.push(n);
        }
    }
    Ok((nodes, rules))
}

/// "no such file or directory", as Go prints an errno.
fn io_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_lowercase(),
        None => e.to_string(),
    }
}

/// Every device below the host folder `dir` (of `top`), at the same place below `target`.
fn walk(top: &Path, dir: &Path, target: &Path, out: &mut Vec<LinuxDevice>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(top, &path, target, out);
            continue;
        }
        let Ok(rest) = path.strip_prefix(top) else {
            continue;
        };
        if let Some(n) = node(&meta, target.join(rest)) {
            out.push(n);
        }
    }
}

/// The spec's node for a host device (its numbers, mode and owner), at `path` in the
/// container; None if it is no character or block device.
pub(crate) fn node(meta: &std::fs::Metadata, path: PathBuf) -> Option<LinuxDevice> {
    let typ = if meta.file_type().is_char_device() {
        LinuxDeviceType::C
    } else if meta.file_type().is_block_device() {
        LinuxDeviceType::B
    } else {
        return None;
    };
    let rdev = meta.rdev();
    LinuxDeviceBuilder::default()
        .path(path)
        .typ(typ)
        .major(libc::major(rdev) as i64)
        .minor(libc::minor(rdev) as i64)
        .file_mode(meta.permissions().mode() & 0o7777)
        .uid(meta.uid())
        .gid(meta.gid())
        .build()
        .ok()
}

/// The device cgroup rule letting the container use `node` as `permissions` say.
fn allow(node: &LinuxDevice, permissions: &str) -> Result<LinuxDeviceCgroup> {
    LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .typ(node.typ())
        .major(node.major())
        .minor(node.minor())
        .access(permissions)
        .build()
        .map_err(|e| Error::Invalid(format!("building a device cgroup rule: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(s: &str) -> DeviceMapping {
        s.parse().unwrap()
    }

    #[test]
    fn a_node_with_the_hosts_numbers_and_a_rule_of_its_permissions() {
        let (nodes, rules) = resolve(&[mapping("/dev/null:/dev/mynull:rw")]).unwrap();
        assert_eq!(nodes.len(), 1);
        assert_eq!(nodes[0].path(), Path::new("/dev/mynull"));
        assert_eq!((nodes[0].major(), nodes[0].minor()), (1, 3));
        assert_eq!(nodes[0].typ(), LinuxDeviceType::C);
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].access().as_deref(), Some("rw"));
        assert_eq!((rules[0].major(), rules[0].minor()), (Some(1), Some(3)));
        assert!(rules[0].allow());
    }

    #[test]
    fn missing_paths_and_files_are_refused_by_name() {
        let e = resolve(&[mapping("/dev/nonexistent-six")])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("\"/dev/nonexistent-six\": no such file or directory"),
            "{e}"
        );
        let e = resolve(&[mapping("/etc/hostname")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"/etc/hostname\": not a device node"), "{e}");
    }

    #[test]
    fn a_folder_gives_every_device_below_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/plain"), "").unwrap();
        // symlinks below the folder are not followed (as Docker's walk), plain files skipped
        std::os::unix::fs::symlink("/dev/null", dir.path().join("n")).unwrap();
        let m = DeviceMapping {
            path_on_host: dir.path().to_owned(),
            path_in_container: "/dev/set".into(),
            permissions: "r".into(),
        };
        assert!(resolve(&[m]).unwrap().0.is_empty());
        if Path::new("/dev/net/tun").exists() {
            let (nodes, rules) = resolve(&[mapping("/dev/net:/dev/n2:r")]).unwrap();
            assert!(
                nodes.iter().any(|n| n.path() == Path::new("/dev/n2/tun")),
                "{nodes:?}"
            );
            assert_eq!(nodes.len(), rules.len());
        }
        let both = [mapping("/dev/zero"), mapping("/dev/zero:/dev/zero:r")];
        assert_eq!(resolve(&both).unwrap().0.len(), 1, "one node per path");
    }
}
