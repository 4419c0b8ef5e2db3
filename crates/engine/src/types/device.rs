//! `--device HOST[:CONTAINER][:PERMISSIONS]`: a host device node given to the container, as
//! Docker's CLI reads it (`/dev/sda`, `/dev/sda:/dev/xvda`, `/dev/sda:rw`,
//! `/dev/sda:/dev/xvda:rwm`). Only the text is checked here; `crate::devices` looks the node
//! up on the host when the container is made.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::TypeError;

/// One `--device`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceMapping {
    /// The node (or a folder of nodes) on the host.
    pub path_on_host: PathBuf,
    /// Where it appears in the container (default: the host's path).
    pub path_in_container: PathBuf,
    /// What the device cgroup allows: some of `r`, `w`, `m` (default `rwm`).
    pub permissions: String,
}

const EXPECTED: &str = "expected HOST[:CONTAINER][:PERMISSIONS], absolute paths, PERMISSIONS some of r, w and m (like /dev/sda:/dev/xvda:rw)";

/// Docker's rule: one or more of r, w and m, each at most once.
fn is_permissions(mode: &str) -> bool {
    !mode.is_empty()
        && mode.chars().all(|c| "rwm".contains(c))
        && mode
            .chars()
            .enumerate()
            .all(|(i, c)| !mode[..i].contains(c))
}

impl FromStr for DeviceMapping {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<DeviceMapping, TypeError> {
        let bad = |why: String| TypeError::new("device", s, format!("{why}; {EXPECTED}"));
        let parts: Vec<&str> = s.splitn(4, ':').collect();
        let (host, container, permissions) = match parts.as_slice() {
            [host] => (*host, *host, "rwm"),
            [host, second] if is_permissions(second) => (*host, *host, *second),
            [host, container] => (*host, *container, "rwm"),
            [host, container, mode] => {
                if !is_permissions(mode) {
                    return Err(bad(format!("bad mode {mode:?}")));
                }
                (*host, *container, *mode)
            }
            _ => return Err(bad("too many parts".into())),
        };
        for (what, path) in [("host path", host), ("container path", container)] {
            if !path.starts_with('/') {
                return Err(bad(format!("the {what} {path:?} is not absolute")));
            }
        }
        if container == "/" || container.split('/').any(|c| c == "..") {
            return Err(bad(format!(
                "the container path {container:?} must name a file below /"
            )));
        }
        Ok(DeviceMapping {
            path_on_host: PathBuf::from(host),
            path_in_container: PathBuf::from(container),
            permissions: permissions.to_owned(),
        })
    }
}

impl fmt::Display for DeviceMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}",
            self.path_on_host.display(),
            self.path_in_container.display(),
            self.permissions
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (String, String, String) {
        let d: DeviceMapping = s.parse().unwrap();
        (
            d.path_on_host.display().to_string(),
            d.path_in_container.display().to_string(),
            d.permissions,
        )
    }

    #[test]
    fn dockers_forms() {
        let p = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(parts("/dev/sda"), p("/dev/sda", "/dev/sda", "rwm"));
        assert_eq!(
            parts("/dev/sda:/dev/xvda"),
            p("/dev/sda", "/dev/xvda", "rwm")
        );
        assert_eq!(parts("/dev/sda:rw"), p("/dev/sda", "/dev/sda", "rw"));
        assert_eq!(parts("/dev/sda:/dev/x:m"), p("/dev/sda", "/dev/x", "m"));
        assert_eq!(
            "/dev/sda:/dev/x:r"
                .parse::<DeviceMapping>()
                .unwrap()
                .to_string(),
            "/dev/sda:/dev/x:r"
        );
    }

    #[test]
    fn bad_ones_name_the_value() {
        for (bad, why) in [
            ("/dev/null:/dev/x:rx", "bad mode \"rx\""),
            ("/dev/null:/dev/x:rr", "bad mode \"rr\""),
            (
                "/dev/null:relative",
                "container path \"relative\" is not absolute",
            ),
            ("null", "host path \"null\" is not absolute"),
            ("", "host path \"\" is not absolute"),
            ("/a:/b:r:x", "too many parts"),
            ("/dev/null:/", "must name a file below /"),
            ("/dev/null:/dev/../x", "must name a file below /"),
        ] {
            let e = bad.parse::<DeviceMapping>().unwrap_err().to_string();
            assert!(e.contains(&format!("invalid device \"{bad}\"")), "{e}");
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
