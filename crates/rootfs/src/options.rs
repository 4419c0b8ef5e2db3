//! Mount options from the OCI spec (`["nosuid", "mode=755", "rprivate"]`) parsed once into
//! typed flags: what to set, what to clear, the propagation changes to apply afterwards and
//! the data string for the filesystem.
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
}

impl Default for MountOptions {
    fn default() -> MountOptions {
        MountOptions {
            flags: MsFlags::empty(),
            propagation: Vec::new(),
            data: String::new(),
            copy_up: false,
        }
    }
}

/// An option this runtime recognises but does not implement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOption(pub String);

/// The flags a bind mount can only get with a second `MS_BIND | MS_REMOUNT` call.
pub const REMOUNT_FLAGS: MsFlags = MsFlags::MS_RDONLY
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

enum Effect {
    Set(MsFlags),
    Clear(MsFlags),
    Propagation(MsFlags),
}

fn effect(option: &str) -> Option<Effect> {
    use Effect::*;
    Some(match option {
        "defaults" | "rw" => Clear(MsFlags::MS_RDONLY),
        "ro" => Set(MsFlags::MS_RDONLY),
        "suid" => Clear(MsFlags::MS_NOSUID),
        "nosuid" => Set(MsFlags::MS_NOSUID),
        "dev" => Clear(MsFlags::MS_NODEV),
        "nodev" => Set(MsFlags::MS_NODEV),
        "exec" => Clear(MsFlags::MS_NOEXEC),
        "noexec" => Set(MsFlags::MS_NOEXEC),
        "sync" => Set(MsFlags::MS_SYNCHRONOUS),
        "async" => Clear(MsFlags::MS_SYNCHRONOUS),
        "dirsync" => Set(MsFlags::MS_DIRSYNC),
        "mand" => Set(MsFlags::MS_MANDLOCK),
        "nomand" => Clear(MsFlags::MS_MANDLOCK),
        "atime" => Clear(MsFlags::MS_NOATIME),
        "noatime" => Set(MsFlags::MS_NOATIME),
        "diratime" => Clear(MsFlags::MS_NODIRATIME),
        "nodiratime" => Set(MsFlags::MS_NODIRATIME),
        "relatime" => Set(MsFlags::MS_RELATIME),
        "norelatime" => Clear(MsFlags::MS_RELATIME),
        "strictatime" => Set(MsFlags::MS_STRICTATIME),
        "nostrictatime" => Clear(MsFlags::MS_STRICTATIME),
        "lazytime" => Set(MsFlags::MS_LAZYTIME),
        "nolazytime" => Clear(MsFlags::MS_LAZYTIME),
        "silent" => Set(MsFlags::MS_SILENT),
        "loud" => Clear(MsFlags::MS_SILENT),
        "remount" => Set(MsFlags::MS_REMOUNT),
        "bind" => Set(MsFlags::MS_BIND),
        "rbind" => Set(MsFlags::MS_BIND.union(MsFlags::MS_REC)),
        "private" => Propagation(MsFlags::MS_PRIVATE),
        "rprivate" => Propagation(MsFlags::MS_PRIVATE.union(MsFlags::MS_REC)),
        "shared" => Propagation(MsFlags::MS_SHARED),
        "rshared" => Propagation(MsFlags::MS_SHARED.union(MsFlags::MS_REC)),
        "slave" => Propagation(MsFlags::MS_SLAVE),
        "rslave" => Propagation(MsFlags::MS_SLAVE.union(MsFlags::MS_REC)),
        "unbindable" => Propagation(MsFlags::MS_UNBINDABLE),
        "runbindable" => Propagation(MsFlags::MS_UNBINDABLE.union(MsFlags::MS_REC)),
        _ => return None,
    })
}

/// Options runc or crun know that change behaviour in ways this runtime does not implement.
/// Passing them to the kernel as data would fail with a vague `EINVAL`; say so instead.
const UNSUPPORTED: &[&str] = &[
    "rro",
    "rrw",
    "rnosuid",
    "rsuid",
    "rnodev",
    "rdev",
    "rnoexec",
    "rexec",
    "rnoatime",
    "ratime",
    "rrelatime",
    "rnorelatime",
    "rstrictatime",
    "rnostrictatime",
    "rnodiratime",
    "rdiratime",
    "idmap",
    "ridmap",
    "copy-symlink",
    "src-nofollow",
    "dest-nofollow",
    "rsymfollow",
    "rnosymfollow",
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
                None if option.is_empty() => {}
                None if option == "tmpcopyup" => parsed.copy_up = true,
                None if option == "notmpcopyup" => parsed.copy_up = false,
                None => data.push(option),
            }
        }
        parsed.data = data.join(",");
        Ok(parsed)
    }

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
    fn unsupported_options_are_named() {
        assert_eq!(
            MountOptions::parse(&["rro"]).unwrap_err(),
            UnsupportedOption("rro".into())
        );
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
