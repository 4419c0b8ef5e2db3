//! Finding the container's program in its root filesystem before anything starts, so that
//! `run busybox nginx` fails at once with Docker's "nginx: not found in image busybox" (exit
//! 127) or "not an executable file" (126), leaving nothing behind.
//!
//! Paths are resolved inside the rootfs: a symlink never leads to the host's files.

use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};

/// What the lookup found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Found {
    Executable(PathBuf),
    /// Lies in a volume: the host's file decides at exec time.
    InVolume,
}

/// Looks up `program` as execvp would inside `rootfs`, with the container's PATH and cwd;
/// a program below one of `mount_points` (destinations) is the mount's business.
pub(crate) fn find_program(
    rootfs: &Path,
    program: &str,
    env: &[String],
    workdir: &str,
    mount_points: &[&Path],
    image: &str,
) -> Result<Found> {
    let not_found = || Error::CommandNotFound {
        cmd: program.to_owned(),
        image: image.to_owned(),
    };
    if program.is_empty() {
        return Err(not_found());
    }
    let candidates: Vec<String> = if program.contains('/') {
        let abs = if program.starts_with('/') {
            program.to_owned()
        } else {
            format!("{}/{program}", workdir.trim_end_matches('/'))
        };
        vec![abs]
    } else {
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        path.split(':')
            .filter(|d| d.starts_with('/'))
            .map(|d| format!("{}/{program}", d.trim_end_matches('/')))
            .collect()
    };
    let mut not_executable = false;
    for candidate in candidates {
        if mount_points
            .iter()
            .any(|m| Path::new(&candidate).starts_with(m))
        {
            return Ok(Found::InVolume);
        }
        let Some(host) = resolve_in_root(rootfs, &candidate) else {
            continue;
        };
        match std::fs::metadata(&host) {
            Ok(m) if m.is_file() && m.permissions().mode() & 0o111 != 0 => {
                return Ok(Found::Executable(host))
            }
            Ok(_) => not_executable = true,
            Err(_) => {}
        }
    }
    if not_executable {
        Err(Error::NotExecutable {
            cmd: program.to_owned(),
            image: image.to_owned(),
        })
    } else {
        Err(not_found())
    }
}

/// The host path of `path` (absolute, as the container sees it), following symlinks
/// inside `root` only. None if some component is missing.
pub(crate) fn resolve_in_root(root: &Path, path: &str) -> Option<PathBuf> {
    let mut resolved = PathBuf::from("/");
    let mut pending: Vec<String> = components(path);
    let mut links = 0;
    while let Some(part) = pending.first().cloned() {
        pending.remove(0);
        match part.as_str() {
            ".." => {
                resolved.pop();
                continue;
            }
            "." | "" => continue,
            _ => {}
        }
        let next = resolved.join(&part);
        let host = root.join(next.strip_prefix("/").ok()?);
        let meta = std::fs::symlink_metadata(&host).ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > 40 {
                return None;
            }
            let target = std::fs::read_link(&host).ok()?;
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                resolved = PathBuf::from("/");
            }
            let mut rest = components(&target);
            rest.append(&mut pending);
            pending = rest;
        } else {
            resolved = next;
        }
    }
    Some(root.join(resolved.strip_prefix("/").ok()?))
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_owned()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn rootfs() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("bin")).unwrap();
        std::fs::create_dir_all(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("bin/busybox"), "x").unwrap();
        std::fs::set_permissions(
            d.path().join("bin/busybox"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        symlink("busybox", d.path().join("bin/sh")).unwrap();
        symlink("/bin/busybox", d.path().join("bin/abs")).unwrap();
        symlink("/etc/passwd", d.path().join("bin/escape")).unwrap();
        symlink("../../../../../etc/shadow", d.path().join("bin/dots")).unwrap();
        std::fs::write(d.path().join("etc/data"), "x").unwrap();
        d
    }

    const ENV: &[String] = &[];

    #[test]
    fn finds_programs_on_path_and_through_links() {
        let r = rootfs();
        let found = find_program(r.path(), "sh", ENV, "/", &[], "busybox").unwrap();
        assert_eq!(found, Found::Executable(r.path().join("bin/busybox")));
        assert!(matches!(
            find_program(r.path(), "/bin/abs", ENV, "/", &[], "busybox").unwrap(),
            Found::Executable(_)
        ));
        assert!(matches!(
            find_program(r.path(), "../bin/sh", ENV, "/etc", &[], "busybox").unwrap(),
            Found::Executable(_)
        ));
    }

    #[test]
    fn missing_and_not_executable() {
        let r = rootfs();
        let e = find_program(r.path(), "nginx", ENV, "/", &[], "busybox").unwrap_err();
        assert_eq!(e.to_string(), "nginx: not found in image busybox");
        assert_eq!(e.exit_code(), 127);
        let e = find_program(r.path(), "/etc/data", ENV, "/", &[], "busybox").unwrap_err();
        assert_eq!(e.exit_code(), 126);
        let e = find_program(r.path(), "/etc", ENV, "/", &[], "busybox").unwrap_err();
        assert_eq!(e.exit_code(), 126);
    }

    #[test]
    fn links_never_leave_the_root() {
        let r = rootfs();
        // /etc/passwd exists on the host but not in this root.
        assert!(find_program(r.path(), "/bin/escape", ENV, "/", &[], "b").is_err());
        assert!(find_program(r.path(), "/bin/dots", ENV, "/", &[], "b").is_err());
        assert_eq!(
            resolve_in_root(r.path(), "/../../bin/sh"),
            Some(r.path().join("bin/busybox"))
        );
    }

    #[test]
    fn volumes_are_left_to_exec_time() {
        let r = rootfs();
        let v = Path::new("/tools");
        assert_eq!(
            find_program(r.path(), "/tools/x", ENV, "/", &[v], "b").unwrap(),
            Found::InVolume
        );
    }
}
