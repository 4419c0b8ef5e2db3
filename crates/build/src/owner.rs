//! `COPY --chown` and `ADD --chown`: `user[:group]` as numbers or names looked up in the
//! image's own /etc/passwd and /etc/group (never the host's), as BuildKit reads it: a name
//! takes its passwd entry's uid and gid, a number without a group is also the gid, an
//! explicit group replaces the gid. `--chmod`: octal permission bits.

use std::path::Path;

use crate::error::{Error, Result};

/// The uid and gid `chown` names inside `rootfs`.
pub(crate) fn chown_ids(chown: &str, rootfs: &Path) -> Result<(u32, u32)> {
    let (user, group) = match chown.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (chown, None),
    };
    if user.is_empty() || group == Some("") || group.is_some_and(|g| g.contains(':')) {
        return Err(Error::Invalid(format!(
            "invalid chown string format: {chown}"
        )));
    }
    let (uid, primary) = match user.parse::<u32>() {
        Ok(n) => (n, n),
        Err(_) => {
            let passwd = read_in(rootfs, "/etc/passwd")?;
            find(&passwd, user, 2, 3).ok_or_else(|| {
                Error::Invalid(format!(
                    "unable to find user {user}: no matching entries in passwd file"
                ))
            })?
        }
    };
    let gid = match group {
        None => primary,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                let groups = read_in(rootfs, "/etc/group")?;
                find(&groups, g, 2, 2).map(|(gid, _)| gid).ok_or_else(|| {
                    Error::Invalid(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })?
            }
        },
    };
    Ok((uid, gid))
}

/// `--chmod`: octal permission bits (`755`, `0644`).
pub(crate) fn chmod_bits(chmod: &str) -> Result<u32> {
    u32::from_str_radix(chmod, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "invalid chmod {chmod:?}: expected octal permission bits such as 755"
            ))
        })
}

/// A file of the image, resolved inside its root (empty when missing).
fn read_in(rootfs: &Path, path: &str) -> Result<String> {
    match six_engine::in_root::lookup(rootfs, path, true)? {
        Some(found) if !found.is_dir => {
            let host = rootfs.join(found.path.strip_prefix("/").unwrap_or(&found.path));
            std::fs::read_to_string(&host).map_err(|e| Error::io("reading", &host, e))
        }
        _ => Ok(String::new()),
    }
}

/// The numeric fields `a` and `b` of the first line whose name is `name`.
fn find(text: &str, name: &str, a: usize, b: usize) -> Option<(u32, u32)> {
    text.lines().find_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        if f.first() != Some(&name) {
            return None;
        }
        Some((f.get(a)?.parse().ok()?, f.get(b)?.parse().ok()?))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_the_images_files_numbers_as_given() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir(t.path().join("etc")).unwrap();
        std::fs::write(
            t.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(t.path().join("etc/group"), "root:x:0:\nstaff:x:50:app\n").unwrap();
        assert_eq!(chown_ids("app", t.path()).unwrap(), (1000, 1001));
        assert_eq!(chown_ids("app:staff", t.path()).unwrap(), (1000, 50));
        assert_eq!(chown_ids("55", t.path()).unwrap(), (55, 55));
        assert_eq!(chown_ids("55:7", t.path()).unwrap(), (55, 7));
        assert!(chown_ids("nobody", t.path())
            .unwrap_err()
            .to_string()
            .contains("unable to find user nobody"));
        assert!(chown_ids("1:nogroup", t.path()).is_err());
        assert!(chown_ids("a:b:c", t.path()).is_err());
        assert_eq!(chmod_bits("755").unwrap(), 0o755);
        assert!(chmod_bits("u+x").is_err());
        assert!(chmod_bits("99").is_err());
    }
}
