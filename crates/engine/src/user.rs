//! The process's user: `uid[:gid]` numbers, or names looked up in the image's own
//! /etc/passwd and /etc/group (never the host's), with supplementary groups — Docker's rule
//! (libcontainer's `GetExecUser`, then the daemon puts the primary group first):
//!
//! - the user (empty: uid 0) is the first passwd entry with that uid or name; a number
//!   without an entry is taken as is (gid 0), a name without one is refused;
//! - an explicit group (`user:group`, a name or a gid) replaces the primary group and adds
//!   no supplementary ones; without one, every group listing the user's name is added;
//! - the groups are the primary gid, then those supplementary ones.
//!
//! `--group-add` groups come after all those (`resolve_user_with_groups`).
//!
//! `HOME` is not set here: the runtime sets it, as runc does, from the uid's passwd entry.

use std::path::Path;

use crate::error::{Error, Result};

/// The process's IDs: `uid[:gid]` numbers or names from the image's /etc/passwd and /etc/group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct UserIds {
    pub uid: u32,
    pub gid: u32,
    /// The primary gid first, then the supplementary groups (Docker's AdditionalGids).
    pub additional_gids: Vec<u32>,
}

/// One line of /etc/passwd or /etc/group, split on ':' (missing fields are empty).
fn fields(line: &str) -> Vec<&str> {
    line.split(':').collect()
}

fn entries(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(fields)
}

fn number(field: Option<&&str>) -> Option<u32> {
    field?.parse().ok()
}

pub(crate) fn resolve_user(user: &str, rootfs: &Path) -> Result<UserIds> {
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, g),
        None => (user, ""),
    };
    let passwd = read_image_file(rootfs, "etc/passwd");
    let uid_arg = if u.is_empty() {
        Some(0)
    } else {
        u.parse::<u32>().ok()
    };
    let entry = entries(&passwd).find(|f| match uid_arg {
        Some(uid) => number(f.get(2)) == Some(uid),
        None => f.first() == Some(&u),
    });
    let (uid, mut gid, name) = match (entry, uid_arg) {
        (Some(f), _) => {
            let uid = number(f.get(2)).ok_or_else(|| {
                Error::Invalid(format!("user {u} has a bad uid in the image's /etc/passwd"))
            })?;
            (
                uid,
                number(f.get(3)).unwrap_or(0),
                f.first().map(|n| n.to_string()),
            )
        }
        (None, Some(uid)) => (uid, 0, None),
        (None, None) => {
            return Err(Error::Invalid(format!(
                "unable to find user {u}: no matching entries in the image's /etc/passwd"
            )))
        }
    };
    let mut supplementary = Vec::new();
    if !g.is_empty() || name.is_some() {
        let group = read_image_file(rootfs, "etc/group");
        if !g.is_empty() {
            let gid_arg = g.parse::<u32>().ok();
            let found = entries(&group)
                .find(|f| {
                    f.first() == Some(&g) || (gid_arg.is_some() && number(f.get(2)) == gid_arg)
                })
                .and_then(|f| number(f.get(2)));
            gid = found.or(gid_arg).ok_or_else(|| {
                Error::Invalid(format!(
                    "unable to find group {g}: no matching entries in the image's /etc/group"
                ))
            })?;
        } else if let Some(name) = &name {
            supplementary = entries(&group)
                .filter(|f| f.get(3).is_some_and(|m| m.split(',').any(|m| m == name)))
                .filter_map(|f| number(f.get(2)))
                .collect();
        }
    }
    let mut additional_gids = vec![gid];
    for g in supplementary {
        if !additional_gids.contains(&g) {
            additional_gids.push(g);
        }
    }
    Ok(UserIds {
        uid,
        gid,
        additional_gids,
    })
}

/// [`resolve_user`], then the `--group-add` groups (names in the image's /etc/group, or
/// gids) after the user's, as Docker adds them.
pub(crate) fn resolve_user_with_groups(
    user: &str,
    rootfs: &Path,
    group_add: &[String],
) -> Result<UserIds> {
    let mut ids = resolve_user(user, rootfs)?;
    if group_add.is_empty() {
        return Ok(ids);
    }
    let group = read_image_file(rootfs, "etc/group");
    for g in group_add {
        let gid = match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => entries(&group)
                .find(|f| f.first() == Some(&g.as_str()))
                .and_then(|f| number(f.get(2)))
                .ok_or_else(|| {
                    Error::Invalid(format!(
                        "unable to find group {g}: no matching entries in the image's /etc/group"
                    ))
                })?,
        };
        if !ids.additional_gids.contains(&gid) {
            ids.additional_gids.push(gid);
        }
    }
    Ok(ids)
}

/// A file of the image, read only if it is a plain file (a symlink could point at the host's).
fn read_image_file(rootfs: &Path, rel: &str) -> String {
    let path = rootfs.join(rel);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_file() => std::fs::read_to_string(&path).unwrap_or_default(),
        _ => String::new(),
    }
}
