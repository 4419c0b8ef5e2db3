//! `--privileged`, as Docker makes it: every capability, no seccomp filter, no masked or
//! read-only /proc paths, /sys and its cgroup mount writable, every device of the host in
//! the container's /dev (runc's list: what /dev holds but its pts, shm, mqueue, fd
//! folders and the console) and all devices allowed by the device cgroup. This file finds
//! the host's devices; `spec.rs` and `caps.rs` apply the rest.

use std::path::Path;

use oci_spec::runtime::LinuxDevice;

/// The folders of /dev whose nodes are not passed on (runc's `HostDevices`).
const SKIPPED_DIRS: &[&str] = &["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

/// The character and block devices below the host's /dev.
pub(crate) fn host_devices() -> Vec<LinuxDevice> {
    let mut out = Vec::new();
    walk(Path::new("/dev"), &mut out);
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

fn walk(dir: &Path, out: &mut Vec<LinuxDevice>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if meta.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) {
                walk(&path, out);
            }
            continue;
        }
        if name == "console" {
            continue;
        }
        if let Some(d) = crate::devices::node(&meta, path) {
            out.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hosts_null_device_is_there_and_no_pts() {
        let devices = host_devices();
        let null = devices
            .iter()
            .find(|d| d.path() == Path::new("/dev/null"))
            .expect("/dev/null");
        assert_eq!((null.major(), null.minor()), (1, 3));
        assert!(devices.iter().all(|d| !d.path().starts_with("/dev/pts")));
        assert!(devices
            .iter()
            .all(|d| d.path() != Path::new("/dev/console")));
    }
}
