//! Mount options from the OCI spec (`["nosuid", "mode=755", "rprivate"]`) parsed once into
//! typed flags: what to set, what to clear, the propagation changes to apply afterwards, the
//! attributes to set on the whole tree (`rro`, `rnosuid`, ... for `mount_setattr`) and the
//! data string for the filesystem.
//!
//! It owns the option table and nothing else; it never calls the kernel.

use nix::mount::MsFlags;

/// The options of one mount, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountOptions {
    /// Flags for the `mount(2)` call (never contains propagation flags).
    pub flags: MsFlags,
    /// Propagation changes (`MS_PRIVATE | MS_REC`, ...) applied, in order, after mounting.
    pub propagation: Vec<MsFlags>,
    /// Filesystem-specific options joined with commas (`mode=755,size=65536k`).
    pub data: String,
    /// `tmpcopyup`: fill a new tmpfs with what was at its mount point.
    pub copy_up: bool,
    /// `rro`, `rnosuid`, `ratime`, ...: attributes for the mount and every mount below it.
    pub recursive: MountAttrs,
}

/// `mount_setattr(2)` attributes (`MOUNT_ATTR_*`) to set and to clear on a whole mount tree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MountAttrs {
    /// The attributes to set.
    pub set: u64,
    /// The attributes to clear.
    pub clear: u64,
}

impl MountAttrs {
    /// `MOUNT_ATTR_RDONLY`.
    pub const RDONLY: u64 = 0x1;
    /// `MOUNT_ATTR_NOSUID`.
    pub const NOSUID: u64 = 0x2;
    /// `MOUNT_ATTR_NODEV`.
    pub const NODEV: u64 = 0x4;
    /// `MOUNT_ATTR_NOEXEC`.
    pub const NOEXEC: u64 = 0x8;
    /// The access-time mode (a field, not a flag: set one, clear the field).
    pub const ATIME: u64 = 0x70;
    /// `MOUNT_ATTR_RELATIME` (the access-time field's zero value).
    pub const RELATIME: u64 = 0;
    /// `MOUNT_ATTR_NOATIME`.
    pub const NOATIME: u64 = 0x10;
    /// `MOUNT_ATTR_STRICTATIME`.
    pub const STRICTATIME: u64 = 0x20;
    /// `MOUNT_ATTR_NODIRATIME`.
    pub const NODIRATIME: u64 = 0x80;
    /// `MOUNT_ATTR_NOSYMFOLLOW`.
    pub const NOSYMFOLLOW: u64 = 0x0020_0000;

    /// Whether there is nothing to set or clear.
    pub fn is_empty(&self) -> bool {
        self.set == 0 && self.clear == 0
    }

    /// Whether the tree is made read-only.
    pub fn read_only(&self) -> bool {
        self.set & Self::RDONLY != 0
    }
}

impl Default for MountOptions {
    fn default() -> MountOptions {
        MountOptions {
            flags: MsFlags::empty(),
            propagation: Vec::new(),
            data: String::new(),
            copy_up: false,
            recursive: MountAttrs::default(),
        }
    }
}

/// An option this runtime recognises but does not implement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOption(pub String);

/// The flags a bind mount can only get with a second `MS_BIND | MS_REMOUNT` call.
pub const REMOUNT_FLAGS: MsFlags = MS_NOSYMFOLLOW
    .union(MsFlags::MS_RDONLY)
    .union(MsFlags::MS_NOSUID)
    .union(MsFlags::MS_NODEV)
    .union(MsFlags::MS_NOEXEC)
    .union(MsFlags::MS_NOATIME)
    .union(MsFlags::MS_NODIRATIME)
    .union(MsFlags::MS_RELATIME)
    .union(MsFlags::MS_STRICTATIME);

/// The access-time flags; setting one clears the others.
const ATIME_FLAGS: MsFlags = MsFlags::MS_NOATIME
    .union(MsFlags::MS_RELATIME)
    .union(MsFlags::MS_STRICTATIME);

#[derive(Clone, Copy)]
enum Effect {
    Set(MsFlags),
    Clear(MsFlags),
    Propagation(MsFlags),
    /// A recursive attribute (runc's `rro`, `rrw`, ...): set it (true) or clear it.
    Recursive(bool, u64),
}

/// `MS_NOSYMFOLLOW` (Linux 5.10), which nix does not name.
const MS_NOSYMFOLLOW: MsFlags = MsFlags::from_bits_retain(256);

/// Every option this runtime reads as a mount flag, a propagation change or a recursive
/// attribute (runc's `rro`, `rnosuid`, ...: one `MOUNT_ATTR_*` set or cleared on the whole
/// tree), with what it does. Anything else is filesystem data.
const OPTIONS: &[(&str, Effect)] = {
    use Effect::*;
    let rec = MsFlags::MS_REC;
    &[
        ("defaults", Clear(MsFlags::MS_RDONLY)),
        ("rw", Clear(MsFlags::MS_RDONLY)),
        ("ro", Set(MsFlags::MS_RDONLY)),
        ("suid", Clear(MsFlags::MS_NOSUID)),
        ("nosuid", Set(MsFlags::MS_NOSUID)),
        ("dev", Clear(MsFlags::MS_NODEV)),
        ("nodev", Set(MsFlags::MS_NODEV)),
        ("exec", Clear(MsFlags::MS_NOEXEC)),
        ("noexec", Set(MsFlags::MS_NOEXEC)),
        ("sync", Set(MsFlags::MS_SYNCHRONOUS)),
        ("async", Clear(MsFlags::MS_SYNCHRONOUS)),
        ("dirsync", Set(MsFlags::MS_DIRSYNC)),
        ("mand", Set(MsFlags::MS_MANDLOCK)),
        ("nomand", Clear(MsFlags::MS_MANDLOCK)),
        ("atime", Clear(MsFlags::MS_NOATIME)),
        ("noatime", Set(MsFlags::MS_NOATIME)),
        ("diratime", Clear(MsFlags::MS_NODIRATIME)),
        ("nodiratime", Set(MsFlags::MS_NODIRATIME)),
        ("relatime", Set(MsFlags::MS_RELATIME)),
        ("norelatime", Clear(MsFlags::MS_RELATIME)),
        ("strictatime", Set(MsFlags::MS_STRICTATIME)),
        ("nostrictatime", Clear(MsFlags::MS_STRICTATIME)),
        ("lazytime", Set(MsFlags::MS_LAZYTIME)),
        ("nolazytime", Clear(MsFlags::MS_LAZYTIME)),
        ("iversion", Set(MsFlags::MS_I_VERSION)),
        ("noiversion", Clear(MsFlags::MS_I_VERSION)),
        ("acl", Set(MsFlags::MS_POSIXACL)),
        ("noacl", Clear(MsFlags::MS_POSIXACL)),
        ("nosymfollow", Set(MS_NOSYMFOLLOW)),
        ("symfollow", Clear(MS_NOSYMFOLLOW)),
        ("silent", Set(MsFlags::MS_SILENT)),
        ("loud", Clear(MsFlags::MS_SILENT)),
        ("remount", Set(MsFlags::MS_REMOUNT)),
        ("bind", Set(MsFlags::MS_BIND)),
        ("rbind", Set(MsFlags::MS_BIND.union(rec))),
        ("private", Propagation(MsFlags::MS_PRIVATE)),
        ("rprivate", Propagation(MsFlags::MS_PRIVATE.union(rec))),
        ("shared", Propagation(MsFlags::MS_SHARED)),
        ("rshared", Propagation(MsFlags::MS_SHARED.union(rec))),
        ("slave", Propagation(MsFlags::MS_SLAVE)),
        ("rslave", Propagation(MsFlags::MS_SLAVE.union(rec))),
        ("unbindable", Propagation(MsFlags::MS_UNBINDABLE)),
        (
            "runbindable",
            Propagation(MsFlags::MS_UNBINDABLE.union(rec)),
        ),
        ("rro", Recursive(true, MountAttrs::RDONLY)),
        ("rrw", Recursive(false, MountAttrs::RDONLY)),
        ("rnosuid", Recursive(true, MountAttrs::NOSUID)),
        ("rsuid", Recursive(false, MountAttrs::NOSUID)),
        ("rnodev", Recursive(true, MountAttrs::NODEV)),
        ("rdev", Recursive(false, MountAttrs::NODEV)),
        ("rnoexec", Recursive(true, MountAttrs::NOEXEC)),
        ("rexec", Recursive(false, MountAttrs::NOEXEC)),
        ("rnodiratime", Recursive(true, MountAttrs::NODIRATIME)),
        ("rdiratime", Recursive(false, MountAttrs::NODIRATIME)),
        ("rrelatime", Recursive(true, MountAttrs::RELATIME)),
        ("rnorelatime", Recursive(false, MountAttrs::RELATIME)),
        ("rnoatime", Recursive(true, MountAttrs::NOATIME)),
        ("ratime", Recursive(false, MountAttrs::NOATIME)),
        ("rstrictatime", Recursive(true, MountAttrs::STRICTATIME)),
        ("rnostrictatime", Recursive(false, MountAttrs::STRICTATIME)),
        ("rnosymfollow", Recursive(true, MountAttrs::NOSYMFOLLOW)),
        ("rsymfollow", Recursive(false, MountAttrs::NOSYMFOLLOW)),
    ]
};

/// Options handled by the runtime itself rather than the kernel.
const RUNTIME_OPTIONS: &[&str] = &["tmpcopyup", "notmpcopyup"];

fn effect(option: &str) -> Option<Effect> {
    OPTIONS
        .iter()
        .find(|(name, _)| *name == option)
        .map(|(_, e)| *e)
}

/// Every mount option this runtime acts on (the rest is passed to the filesystem as data),
/// sorted: what `features` lists as `mountOptions`.
pub fn known_options() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = OPTIONS
        .iter()
        .map(|(name, _)| *name)
        .chain(RUNTIME_OPTIONS.iter().copied())
        .collect();
    all.sort_unstable();
    all
}

/// Options runc or crun know that change behaviour in ways this runtime does not implement.
/// Passing them to the kernel as data would fail with a vague `EINVAL`; say so instead.
const UNSUPPORTED: &[&str] = &[
    "idmap",
    "ridmap",
    "copy-symlink",
    "src-nofollow",
    "dest-nofollow",
];

impl MountOptions {
    /// Parses spec options. Anything not in the flag table is filesystem data, passed
    /// through as given (`mode=755`, `size=65536k`, `newinstance`, `ptmxmode=0666`, ...).
    pub fn parse<S: AsRef<str>>(options: &[S]) -> Result<MountOptions, UnsupportedOption> {
        let mut parsed = MountOptions::default();
        let mut data: Vec<&str> = Vec::new();
        for option in options {
            let option = option.as_ref();
            if UNSUPPORTED.contains(&option) {
                return Err(UnsupportedOption(option.to_owned()));
            }
            match effect(option) {
                Some(Effect::Set(f)) => {
                    if ATIME_FLAGS.intersects(f) {
                        parsed.flags.remove(ATIME_FLAGS);
                    }
                    parsed.flags.insert(f);
                }
                Some(Effect::Clear(f)) => parsed.flags.remove(f),
                Some(Effect::Propagation(p)) => parsed.propagation.push(p),
                Some(Effect::Recursive(set, attr)) => {
                    // The later option wins. The access-time mode is a field, not a flag:
                    // setting a mode clears the whole field first; clearing one sets the
                    // kernel's default (relatime), since a partial clear is refused.
                    let r = &mut parsed.recursive;
                    if attr & MountAttrs::ATIME == attr {
                        r.set &= !MountAttrs::ATIME;
                        r.clear |= MountAttrs::ATIME;
                        if set {
                            r.set |= attr;
                        }
                    } else if set {
                        r.clear &= !attr;
                        r.set |= attr;
                    } else {
                        r.set &= !attr;
                        r.clear |= attr;
                    }
                }
                None if option.is_empty() => {}
                None if option == RUNTIME_OPTIONS[0] => parsed.copy_up = true,
                None if option == RUNTIME_OPTIONS[1] => parsed.copy_up = false,
                None => data.push(option),
            }
        }
        parsed.data = data.join(",");
        Ok(parsed)
    }

    /// Whether it is a bind mount (`bind` or `rbind`).
    pub fn is_bind(&self) -> bool {
        self.flags.contains(MsFlags::MS_BIND)
    }

    /// The data string, or `None` when empty.
    pub fn data(&self) -> Option<&str> {
        (!self.data.is_empty()).then_some(self.data.as_str())
    }

    /// Whether a bind mount needs the `MS_BIND | MS_REMOUNT` pass to apply its flags.
    pub fn needs_bind_remount(&self) -> bool {
        self.is_bind() && self.flags.intersects(REMOUNT_FLAGS)
    }
}

/// Parses `linux.rootfsPropagation` (`"rprivate"`, `"shared"`, ...).
pub fn parse_propagation(value: &str) -> Option<MsFlags> {
    match effect(value) {
        Some(Effect::Propagation(p)) => Some(p),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_data_and_propagation_are_split() {
        let o =
            MountOptions::parse(&["nosuid", "strictatime", "mode=755", "size=65536k", "rslave"])
                .unwrap();
        assert_eq!(o.flags, MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME);
        assert_eq!(o.data(), Some("mode=755,size=65536k"));
        assert_eq!(o.propagation, vec![MsFlags::MS_SLAVE | MsFlags::MS_REC]);
    }

    #[test]
    fn later_options_win_and_atime_flags_exclude_each_other() {
        let o =
            MountOptions::parse(&["ro", "rw", "noatime", "relatime", "nosuid", "suid"]).unwrap();
        assert_eq!(o.flags, MsFlags::MS_RELATIME);
    }

    #[test]
    fn bind_with_ro_needs_a_remount() {
        let o = MountOptions::parse(&["rbind", "ro"]).unwrap();
        assert!(o.is_bind() && o.flags.contains(MsFlags::MS_REC) && o.needs_bind_remount());
        assert!(!MountOptions::parse(&["bind"]).unwrap().needs_bind_remount());
    }

    #[test]
    fn every_known_option_is_acted_on_never_passed_as_data() {
        let known = known_options();
        assert!(known.windows(2).all(|w| w[0] < w[1]), "sorted, once each");
        for o in &known {
            let parsed = MountOptions::parse(&[o]).unwrap();
            assert_eq!(parsed.data(), None, "{o} went to the filesystem as data");
        }
        for o in [
            "rro",
            "tmpcopyup",
            "nosymfollow",
            "acl",
            "iversion",
            "rbind",
        ] {
            assert!(known.contains(&o), "{o}");
        }
        let o = MountOptions::parse(&["bind", "nosymfollow", "acl", "noiversion"]).unwrap();
        assert!(o.flags.contains(MS_NOSYMFOLLOW | MsFlags::MS_POSIXACL));
        assert!(
            o.needs_bind_remount(),
            "nosymfollow on a bind takes a remount"
        );
        assert!(!o.flags.contains(MsFlags::MS_I_VERSION));
    }

    #[test]
    fn unsupported_options_are_named() {
        assert_eq!(
            MountOptions::parse(&["idmap"]).unwrap_err(),
            UnsupportedOption("idmap".into())
        );
    }

    #[test]
    fn recursive_options_are_attributes_for_the_whole_tree() {
        let o = MountOptions::parse(&["rbind", "ro", "rro", "rnosuid", "rexec"]).unwrap();
        assert!(
            o.flags.contains(MsFlags::MS_RDONLY),
            "ro stays a flag of the top mount"
        );
        assert!(o.recursive.read_only());
        assert_eq!(o.recursive.set, MountAttrs::RDONLY | MountAttrs::NOSUID);
        assert_eq!(o.recursive.clear, MountAttrs::NOEXEC);
        assert_eq!(o.data(), None);
        // The later wins; an access-time mode is set by clearing the whole field.
        let o = MountOptions::parse(&["rro", "rrw", "rnoatime"]).unwrap();
        assert!(!o.recursive.read_only());
        assert_eq!(o.recursive.set, MountAttrs::NOATIME);
        assert_eq!(o.recursive.clear, MountAttrs::RDONLY | MountAttrs::ATIME);
        assert!(MountOptions::parse(&["bind"]).unwrap().recursive.is_empty());
    }

    #[test]
    fn propagation_values() {
        assert_eq!(
            parse_propagation("rprivate"),
            Some(MsFlags::MS_PRIVATE | MsFlags::MS_REC)
        );
        assert_eq!(parse_propagation("ro"), None);
        assert_eq!(parse_propagation("sideways"), None);
    }
}
