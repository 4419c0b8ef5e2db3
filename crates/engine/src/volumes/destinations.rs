//! Checking mount destinations (`-v`, volumes) against the image before anything starts: a
//! destination that leads (through the image's symlinks) onto /proc or below it is refused
//! with one line naming the volume and where it leads, instead of failing later inside the
//! container.
//!
//! The rule is six-rootfs's (`mount_refusal`), which also applies it where the mount is
//! finally made (with whatever earlier mounts put in the way); this is the early, clear
//! error. It resolves inside the rootfs only and never creates or mounts anything.

use std::path::Path;

use six_rootfs::{LinuxSyscall, Syscall};

use crate::error::{Error, Result};
use crate::mount_points::{MountKind, MountPoint};

/// Refuses the first mount whose destination in `rootfs` (the image's mounted rootfs)
/// is a place no bind mount may go.
pub(crate) fn check_destinations(rootfs: &Path, mounts: &[MountPoint], image: &str) -> Result<()> {
    for v in mounts {
        let (source, fstype) = match v.kind {
            MountKind::Bind => (v.source.display().to_string(), "bind"),
            MountKind::Volume => (v.name.clone(), "bind"),
            MountKind::Tmpfs => ("tmpfs".to_owned(), "tmpfs"),
        };
        let container = &v.destination;
        let named = format!("volume {source}:{}", container.display());
        let inside = LinuxSyscall
            .resolve_in_root(rootfs, container)
            .map_err(|e| {
                Error::Invalid(format!(
                    "{named}: resolving {} in image {image}: {e}",
                    container.display()
                ))
            })?;
        let host = (v.kind != MountKind::Tmpfs).then_some(v.source.as_path());
        let Some(reason) = six_rootfs::mount_refusal(container, &inside, fstype, host) else {
            continue;
        };
        let leads = if &inside == container {
            String::new()
        } else {
            format!(
                "{} leads to {} in image {image}, and ",
                container.display(),
                inside.display()
            )
        };
        return Err(Error::Invalid(format!("{named}: {leads}{reason}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn volume(s: &str) -> Vec<MountPoint> {
        let (host, dest) = s.split_once(':').unwrap();
        vec![MountPoint::test_bind(host, dest)]
    }

    #[test]
    fn destinations_leading_onto_proc_are_named_with_where_they_lead() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for (dest, leads_to) in six_testkit::hostile_proc_links(r).unwrap() {
            let e = check_destinations(r, &volume(&format!("/tmp/x:{dest}")), "evil")
                .unwrap_err()
                .to_string();
            let want =
                format!("volume /tmp/x:{dest}: {dest} leads to {leads_to} in image evil, and ");
            assert!(e.starts_with(&want), "{dest}: {e}");
        }
        let e = check_destinations(r, &volume("/tmp/x:/proc/sys"), "evil").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("volume /tmp/x:/proc/sys: below /proc only"),
            "{e}"
        );
        assert!(!r.join("proc/sys").exists(), "the check created something");
    }

    #[test]
    fn ordinary_destinations_and_the_lxcfs_files_pass() {
        let root = tempfile::tempdir().unwrap();
        symlink("/proc/meminfo", root.path().join("mem")).unwrap();
        for dest in ["/data", "/new/dir", "/proc/meminfo", "/mem", "/procfoo"] {
            check_destinations(root.path(), &volume(&format!("/tmp/x:{dest}")), "i")
                .unwrap_or_else(|e| panic!("{dest}: {e}"));
        }
    }
}
