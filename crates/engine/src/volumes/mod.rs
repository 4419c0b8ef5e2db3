//! Volumes, as Docker's: named and anonymous volumes of the store (`store.rs`, with the
//! `local` driver's options in `local.rs`), the `volume` commands (`commands.rs`), what a
//! container's life does to its volumes (`lifecycle.rs`: made at create, mounted and filled
//! from the image at start, released at stop, anonymous ones removed with it), and the
//! checks and host directories of `-v` binds (`destinations.rs`, `bind_dirs.rs`).

pub(crate) mod bind_dirs;
mod commands;
mod copy_up;
pub(crate) mod destinations;
mod lifecycle;
mod local;
mod store;

pub use commands::{VolumeCreate, VolumeSummary};
pub(crate) use local::{check_options, is_mounted};
pub use store::Volume;
pub(crate) use store::VolumeStore;

/// Docker's rule for volume names (moby's `RestrictedNamePattern`): a letter or digit, then
/// letters, digits, `_`, `.` or `-`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok {
        return Ok(());
    }
    Err(format!(
        "\"{name}\" includes invalid characters for a local volume name, only \
         \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, \
         use absolute path"
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_follow_dockers_pattern() {
        for good in ["a", "data", "my-vol_1.2", "0abc"] {
            assert!(super::check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "-x", ".x", "a/b", "..", "a b", "_x"] {
            assert!(super::check_name(bad).is_err(), "{bad}");
        }
    }
}
