//! `VolumeSpec`: a bind mount `-v /host/path:/container/path[:ro|rw]`.

use std::path::PathBuf;
use std::str::FromStr;

use super::TypeError;

/// `-v HOST:CONTAINER[:ro|rw]`: a host directory or file bound into the container.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VolumeSpec {
    /// The host path (absolute; made if missing, as Docker does).
    pub host: PathBuf,
    /// Where it appears in the container (absolute).
    pub container: PathBuf,
    /// `:ro`.
    pub read_only: bool,
}

const EXPECTED: &str = "expected /host/path:/container/path[:ro|rw]";

impl FromStr for VolumeSpec {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<VolumeSpec, TypeError> {
        let parts: Vec<&str> = s.split(':').collect();
        let (host, container, mode) = match parts.as_slice() {
            [h, c] => (*h, *c, "rw"),
            [h, c, m] => (*h, *c, *m),
            [_] => return Err(TypeError::new("volume", s, format!("no colon; {EXPECTED}"))),
            _ => {
                return Err(TypeError::new(
                    "volume",
                    s,
                    format!("too many colons; {EXPECTED}"),
                ))
            }
        };
        if !host.starts_with('/') {
            return Err(TypeError::new(
                "volume",
                s,
                format!("host path \"{host}\" is not absolute (named volumes are not supported); {EXPECTED}"),
            ));
        }
        if !container.starts_with('/') {
            return Err(TypeError::new(
                "volume",
                s,
                format!("container path \"{container}\" is not absolute; {EXPECTED}"),
            ));
        }
        if container == "/" {
            return Err(TypeError::new(
                "volume",
                s,
                "the container path cannot be /",
            ));
        }
        let read_only = match mode {
            "ro" => true,
            "rw" => false,
            _ => {
                return Err(TypeError::new(
                    "volume",
                    s,
                    format!("mode \"{mode}\" is not ro or rw; {EXPECTED}"),
                ))
            }
        };
        Ok(VolumeSpec {
            host: PathBuf::from(host),
            container: PathBuf::from(container),
            read_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_parse_with_and_without_mode() {
        let v: VolumeSpec = "/host/path:/container/path:rw".parse().unwrap();
        assert_eq!(v.host, PathBuf::from("/host/path"));
        assert_eq!(v.container, PathBuf::from("/container/path"));
        assert!(!v.read_only);
        assert!("/a:/b:ro".parse::<VolumeSpec>().unwrap().read_only);
        assert!(!"/a:/b".parse::<VolumeSpec>().unwrap().read_only);
    }

    #[test]
    fn bad_volumes_are_refused_with_a_reason() {
        let e = "/host/path".parse::<VolumeSpec>().unwrap_err().to_string();
        assert!(e.contains("no colon"), "{e}");
        let e = "host/path:/c"
            .parse::<VolumeSpec>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("not absolute"), "{e}");
        assert!("/a:b".parse::<VolumeSpec>().is_err());
        assert!("/a:/b:rx".parse::<VolumeSpec>().is_err());
        assert!("/a:/b:ro:x".parse::<VolumeSpec>().is_err());
        assert!("/a:/".parse::<VolumeSpec>().is_err());
    }
}
