//! Creating a container's missing working directory in its rootfs before it starts, as
//! Docker's daemon does (`setupWorkingDirectory`): `-w /new/dir` works even when the image
//! has no such directory.
//!
//! The path is resolved one component at a time inside the rootfs (six-rootfs's resolver),
//! so a symlink in the image can never make us create or touch anything on the host.
//! Created directories are mode 0755 and owned by root, as Docker's (non-remapped) daemon
//! creates them. This module never changes an existing directory and never mounts.

use std::path::Path;

use nix::sys::stat::{fstat, SFlag};
use oci_spec::runtime::Spec;
use six_rootfs::{Create, LinuxSyscall, Syscall};

use crate::error::{Error, Result};

/// Makes sure the spec's `process.cwd` exists as a directory inside the spec's root.
pub(crate) fn ensure_workdir(spec: &Spec, container: &str) -> Result<()> {
    let (Some(root), Some(process)) = (spec.root(), spec.process()) else {
        return Ok(());
    };
    let cwd = process.cwd();
    if cwd == Path::new("/") {
        return Ok(());
    }
    let _span = tracing::debug_span!("ensure_workdir", cwd = %cwd.display()).entered();
    let failed = |e: nix::Error| {
        Error::sys(
            format!(
                "creating the working directory {} in container {container}",
                cwd.display()
            ),
            e,
        )
    };
    let target = LinuxSyscall
        .open_in_root(root.path(), cwd, Create::Dir)
        .map_err(failed)?;
    let Some(fd) = target.fd() else {
        return Ok(());
    };
    let mode = fstat(fd).map_err(failed)?.st_mode;
    if SFlag::from_bits_truncate(mode & libc::S_IFMT) != SFlag::S_IFDIR {
        return Err(Error::Invalid(format!(
            "the working directory {} of container {container} is not a directory in its image",
            cwd.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::{ProcessBuilder, RootBuilder, SpecBuilder};
    use std::os::unix::fs::symlink;

    fn spec(root: &Path, cwd: &str) -> Spec {
        SpecBuilder::default()
            .root(RootBuilder::default().path(root).build().unwrap())
            .process(ProcessBuilder::default().cwd(cwd).build().unwrap())
            .build()
            .unwrap()
    }

    #[test]
    fn a_missing_workdir_is_created_inside_the_root() {
        let root = tempfile::tempdir().unwrap();
        ensure_workdir(&spec(root.path(), "/new/dir"), "c").unwrap();
        assert!(root.path().join("new/dir").is_dir());
    }

    #[test]
    fn a_symlink_cannot_lead_the_workdir_out_of_the_root() {
        let host = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        symlink(host.path(), root.path().join("evil")).unwrap();
        ensure_workdir(&spec(root.path(), "/evil/x"), "c").unwrap();
        assert!(!host.path().join("x").exists(), "created on the host");
        let inside = root.path().join(host.path().strip_prefix("/").unwrap());
        assert!(inside.join("x").is_dir());
    }

    #[test]
    fn a_file_as_workdir_is_a_clear_error() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("f"), b"").unwrap();
        let err = ensure_workdir(&spec(root.path(), "/f"), "c").unwrap_err();
        assert!(err.to_string().contains("not a directory"), "{err}");
        let err = ensure_workdir(&spec(root.path(), "/f/x"), "c").unwrap_err();
        assert!(err.to_string().contains("/f/x"), "{err}");
    }
}
