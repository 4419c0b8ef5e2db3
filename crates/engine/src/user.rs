//! The process's user: `uid[:gid]` numbers, or names looked up in the image's own
//! /etc/passwd and /etc/group (never the host's), with supplementary groups.

use std::path::Path;

use crate::error::{Error, Result};

/// The process's IDs: `uid[:gid]` numbers or names from the image's /etc/passwd and /etc/group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct UserIds {
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
}

pub(crate) fn resolve_user(user: &str, rootfs: &Path) -> Result<UserIds> {
    if user.is_empty() {
        return Ok(UserIds::default());
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = read_image_file(rootfs, "etc/passwd");
    let group = read_image_file(rootfs, "etc/group");
    let (uid, primary_gid, uname) = match u.parse::<u32>() {
        Ok(uid) => {
            let entry = passwd
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.get(2) == Some(&u));
            let gid = entry
                .as_ref()
                .and_then(|f| f.get(3)?.parse().ok())
                .unwrap_or(0);
            (
                uid,
                gid,
                entry.and_then(|f| f.first().map(|s| s.to_string())),
            )
        }
        Err(_) => {
            let f = passwd
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.first() == Some(&u))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "unable to find user {u}: no matching entries in the image's /etc/passwd"
                    ))
                })?;
            let uid = f.get(2).and_then(|s| s.parse().ok()).ok_or_else(|| {
                Error::Invalid(format!("user {u} has a bad uid in the image's /etc/passwd"))
            })?;
            let gid = f.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
            (uid, gid, Some(u.to_owned()))
        }
    };
    let gid = match g {
        None => primary_gid,
        Some(g) => match g.parse::<u32>() {
            Ok(n) => n,
            Err(_) => group
                .lines()
                .map(|l| l.split(':').collect::<Vec<_>>())
                .find(|f| f.first() == Some(&g))
                .and_then(|f| f.get(2)?.parse().ok())
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "unable to find group {g}: no matching entries in the image's /etc/group"
                    ))
                })?,
        },
    };
    let additional_gids = match &uname {
        Some(name) => group
            .lines()
            .map(|l| l.split(':').collect::<Vec<_>>())
            .filter(|f| f.get(3).is_some_and(|m| m.split(',').any(|m| m == name)))
            .filter_map(|f| f.get(2)?.parse().ok())
            .filter(|g| *g != gid)
            .collect(),
        None => Vec::new(),
    };
    Ok(UserIds {
        uid,
        gid,
        additional_gids,
    })
}

/// A file of the image, read only if it is a plain file (a symlink could point at the host's).
fn read_image_file(rootfs: &Path, rel: &str) -> String {
    let path = rootfs.join(rel);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => std::fs::read_to_string(&path).unwrap_or_default(),
        _ => String::new(),
    }
}
