//! Docker's `local` volume driver options: `type` (a filesystem type, or `none` for a bind),
//! `device` (what is mounted: `tmpfs`, `/dev/sdb1`, a host path with `o=bind`) and `o` (mount
//! options, as mount(8) takes them: `size=100m,uid=1000`, `bind`, `ro`). They are checked as
//! moby's local driver checks them when the volume is made, and the volume's `_data` gets
//! that mount on the host while containers that use it run (`lifecycle.rs` decides when).
//! A volume without options is a plain directory and is never mounted.

use std::collections::BTreeMap;
use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

use crate::error::{Error, Result};

/// The options the driver takes.
const KNOWN: &[&str] = &["type", "o", "device", "size"];

/// The options each option needs beside it.
const NEEDS: &[(&str, &[&str])] = &[
    ("device", &["type"]),
    ("type", &["device"]),
    ("o", &["device", "type"]),
];

/// Refuses options the local driver does not take, as moby's words say it.
pub(crate) fn check_options(opts: &BTreeMap<String, String>) -> std::result::Result<(), String> {
    if let Some(bad) = opts.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(format!("invalid option: \"{bad}\""));
    }
    if opts.contains_key("size") {
        return Err("quota size requested but no quota support".to_owned());
    }
    for (opt, needed) in NEEDS {
        if opts.contains_key(*opt) {
            if let Some(missing) = needed.iter().find(|n| !opts.contains_key(**n)) {
                return Err(format!("missing required option: \"{missing}\""));
            }
        }
    }
    Ok(())
}

/// Whether a volume with these options is mounted (rather than a plain directory).
pub(crate) fn needs_mount(opts: &BTreeMap<String, String>) -> bool {
    opts.contains_key("type") || opts.contains_key("device")
}

/// Mounts what the options describe on `data_dir` (the volume's `_data`).
pub(crate) fn mount(name: &str, opts: &BTreeMap<String, String>, data_dir: &Path) -> Result<()> {
    let get = |k: &str| opts.get(k).map(String::as_str).unwrap_or_default();
    let (fstype, device, o) = (get("type"), get("device"), get("o"));
    let what = || {
        format!(
            "mounting volume {name} (type={fstype}, device={device}, o={o}) on {}",
            data_dir.display()
        )
    };
    let parsed = six_rootfs::MountOptions::parse(&o.split(',').collect::<Vec<_>>())
        .map_err(|e| Error::Invalid(format!("{}: option {} is not supported", what(), e.0)))?;
    let fstype = (fstype != "none").then_some(fstype);
    nix::mount::mount(Some(device), data_dir, fstype, parsed.flags, parsed.data())
        .map_err(|e| Error::sys(what(), e))?;
    let mut after: Vec<(MsFlags, Option<&str>)> = Vec::new();
    if parsed.needs_bind_remount() {
        after.push((MsFlags::MS_BIND | MsFlags::MS_REMOUNT | parsed.flags, None));
    }
    after.extend(parsed.propagation.iter().map(|p| (*p, None)));
    for (flags, data) in after {
        if let Err(e) = nix::mount::mount(None::<&str>, data_dir, None::<&str>, flags, data) {
            let _ = unmount(data_dir);
            return Err(Error::sys(what(), e));
        }
    }
    Ok(())
}

/// Whether something is mounted exactly at `path`.
pub(crate) fn is_mounted(path: &Path) -> bool {
    let text = path.to_string_lossy();
    crate::mounts::mounted_under(&text)
        .iter()
        .any(|m| Path::new(m) == path)
}

/// Takes the volume's mount off `data_dir` (containers that still have it keep their copy).
pub(crate) fn unmount(data_dir: &Path) -> Result<()> {
    while is_mounted(data_dir) {
        nix::mount::umount2(data_dir, MntFlags::MNT_DETACH)
            .map_err(|e| Error::sys(format!("unmounting {}", data_dir.display()), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn options_are_checked_as_mobys_local_driver_checks_them() {
        assert_eq!(check_options(&opts(&[])), Ok(()));
        let tmpfs = opts(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=1m")]);
        assert_eq!(check_options(&tmpfs), Ok(()));
        assert!(needs_mount(&tmpfs) && !needs_mount(&opts(&[])));
        for (given, want) in [
            (opts(&[("bogus", "1")]), "invalid option: \"bogus\""),
            (
                opts(&[("type", "tmpfs")]),
                "missing required option: \"device\"",
            ),
            (
                opts(&[("device", "tmpfs")]),
                "missing required option: \"type\"",
            ),
            (
                opts(&[("o", "size=1m")]),
                "missing required option: \"device\"",
            ),
            (
                opts(&[("size", "1g")]),
                "quota size requested but no quota support",
            ),
        ] {
            assert_eq!(check_options(&given).unwrap_err(), want, "{given:?}");
        }
    }
}
