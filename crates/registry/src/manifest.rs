//! Manifests as registries serve them: Docker schema 2 and OCI image manifests, Docker
//! manifest lists and OCI indexes, their media types, and the choice of one manifest of a
//! list for a platform (`linux/amd64` by default, `--platform os/arch[/variant]`).
//! Schema 1 manifests are refused, as current Docker does. Only parses and chooses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Docker's image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker's manifest list (one manifest per platform).
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// The OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI image index (one manifest per platform).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker's image config.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// Docker's gzipped layer tar.
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// What a manifest request accepts, best first.
pub(crate) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// A pointer to content by digest, with its type and size (OCI's descriptor).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// What the content is (a manifest, a config, a layer and its compression).
    #[serde(default)]
    pub media_type: String,
    /// `sha256:<hex>` of the content.
    pub digest: String,
    /// Its size in bytes.
    #[serde(default)]
    pub size: u64,
    /// In a list or index: the platform of the manifest it points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Other places the content may be fetched from (foreign layers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An image manifest (Docker schema 2 or OCI).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// 2.
    pub schema_version: u32,
    /// Its own media type (OCI manifests may leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The image config.
    pub config: Descriptor,
    /// The layers, bottom first.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
}

/// A manifest list or OCI index.
#[derive(Clone, Debug, Deserialize)]
pub struct ManifestList {
    /// One manifest per platform.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
}

/// A fetched manifest, by kind.
#[derive(Debug)]
pub enum Manifest {
    /// One image's manifest.
    Image(Box<ImageManifest>),
    /// A list or index of per-platform manifests.
    List(ManifestList),
}

impl Manifest {
    /// Parses a manifest body, using the Content-Type (or the body's own `mediaType`, or
    /// its shape) to tell its kind.
    pub fn parse(content_type: Option<&str>, body: &[u8], what: &str) -> Result<Manifest> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| Error::invalid(what, e))?;
        let declared = value.get("mediaType").and_then(|m| m.as_str());
        let media = content_type
            .map(|c| c.split(';').next().unwrap_or(c).trim())
            .filter(|c| c.starts_with("application/vnd."))
            .or(declared)
            .unwrap_or("");
        if media.contains("distribution.manifest.v1")
            || value.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1)
        {
            return Err(Error::invalid(
                what,
                "it is a Docker schema 1 manifest, which is no longer supported",
            ));
        }
        let is_list = media == DOCKER_MANIFEST_LIST
            || media == OCI_INDEX
            || (media.is_empty() && value.get("manifests").is_some());
        if is_list {
            return serde_json::from_value(value)
                .map(Manifest::List)
                .map_err(|e| Error::invalid(what, e));
        }
        if !media.is_empty() && media != DOCKER_MANIFEST && media != OCI_MANIFEST {
            return Err(Error::invalid(
                what,
                format!("unsupported media type {media}"),
            ));
        }
        serde_json::from_value(value)
            .map(|m| Manifest::Image(Box::new(m)))
            .map_err(|e| Error::invalid(what, e))
    }
}

/// `os/arch[/variant]`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Platform {
    /// "linux".
    #[serde(default)]
    pub os: String,
    /// "amd64", "arm64"...
    #[serde(default)]
    pub architecture: String,
    /// "v7", "v8"...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// This machine's: `linux/<arch>` (arm64's `v8` implied).
    pub fn host() -> Platform {
        let (architecture, variant) = normalise_arch(std::env::consts::ARCH, None);
        Platform {
            os: "linux".to_owned(),
            architecture,
            variant,
        }
    }

    /// The same platform with containerd's names (`aarch64` → arm64, arm64's `v8` dropped).
    pub fn normalised(&self) -> Platform {
        let (architecture, variant) = normalise_arch(&self.architecture, self.variant.as_deref());
        Platform {
            os: self.os.clone(),
            architecture,
            variant,
        }
    }

    /// Whether a list entry's platform is this one (variant compared only when asked for,
    /// or when the entry's is not the architecture's default).
    pub fn matches(&self, other: &Platform) -> bool {
        let (arch, variant) = normalise_arch(&other.architecture, other.variant.as_deref());
        other.os == self.os
            && arch == self.architecture
            && match (&self.variant, &variant) {
                (Some(a), Some(b)) => a == b,
                (Some(_), None) => false,
                (None, _) => true,
            }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = String;
    /// `linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`, or an architecture alone (`arm64`).
    fn from_str(s: &str) -> Result<Platform, String> {
        let bad = || {
            format!("invalid platform {s:?}: expected os/arch[/variant], such as linux/amd64 or linux/arm/v7")
        };
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if parts.is_empty() || parts.len() > 3 || !parts.iter().all(ok) {
            return Err(bad());
        }
        let (os, arch, variant) = match parts.as_slice() {
            [arch] => ("linux", *arch, None),
            [os, arch] => (*os, *arch, None),
            [os, arch, variant] => (*os, *arch, Some(*variant)),
            _ => return Err(bad()),
        };
        let os = os.to_lowercase();
        if os != "linux" && os != "windows" && os != "darwin" && os != "freebsd" {
            return Err(format!(
                "invalid platform {s:?}: unknown operating system {os:?}"
            ));
        }
        let (architecture, variant) = normalise_arch(&arch.to_lowercase(), variant);
        Ok(Platform {
            os,
            architecture,
            variant,
        })
    }
}

/// containerd's normalisation: `x86_64` → amd64, `aarch64` → arm64 (v8 implied), `armhf`
/// → arm/v7, `armel` → arm/v6, `i386` → 386.
fn normalise_arch(arch: &str, variant: Option<&str>) -> (String, Option<String>) {
    let variant = variant.map(str::to_lowercase);
    match arch {
        "x86_64" | "x86-64" | "amd64" => ("amd64".into(), variant.filter(|v| v != "v1")),
        "aarch64" | "arm64" => ("arm64".into(), variant.filter(|v| v != "v8" && v != "8")),
        "armhf" => ("arm".into(), Some("v7".into())),
        "armel" => ("arm".into(), Some("v6".into())),
        "arm" => (
            "arm".into(),
            Some(match variant.as_deref() {
                None | Some("7") | Some("v7") => "v7".into(),
                Some("5") => "v5".into(),
                Some("6") => "v6".into(),
                Some("8") => "v8".into(),
                Some(v) => v.to_owned(),
            }),
        ),
        "i386" | "x86" => ("386".into(), variant),
        other => (other.to_owned(), variant),
    }
}

/// The entry of `list` for `platform`, or Docker's "no matching manifest" error naming
/// what the list has.
pub fn choose<'a>(list: &'a ManifestList, platform: &Platform) -> Result<&'a Descriptor> {
    list.manifests
        .iter()
        .find(|d| d.platform.as_ref().is_some_and(|p| platform.matches(p)))
        .ok_or_else(|| Error::NoMatchingPlatform {
            platform: platform.to_string(),
            available: {
                let mut names: Vec<String> = list
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .filter(|p| p.os != "unknown")
                    .map(|p| p.normalised().to_string())
                    .collect();
                names.dedup();
                match names.is_empty() {
                    true => "no platforms".to_owned(),
                    false => names.join(", "),
                }
            },
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    #[test]
    fn platforms_parse_and_normalise() {
        assert_eq!(p("linux/amd64").to_string(), "linux/amd64");
        assert_eq!(p("linux/x86_64").to_string(), "linux/amd64");
        assert_eq!(p("linux/arm64/v8").to_string(), "linux/arm64");
        assert_eq!(p("linux/arm").to_string(), "linux/arm/v7");
        assert_eq!(p("arm64").to_string(), "linux/arm64");
        for bad in ["", "linux/", "a/b/c/d", "plan9/amd64", "linux/am d64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn chooses_the_platform_and_names_the_others() {
        let list: ManifestList = serde_json::from_str(
            r#"{"manifests":[
            {"mediaType":"m","digest":"sha256:a","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v6"}},
            {"mediaType":"m","digest":"sha256:b","size":1,"platform":{"os":"linux","architecture":"arm","variant":"v7"}},
            {"mediaType":"m","digest":"sha256:c","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
            {"mediaType":"m","digest":"sha256:d","size":1,"platform":{"os":"unknown","architecture":"unknown"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            choose(&list, &p("linux/arm/v7")).unwrap().digest,
            "sha256:b"
        );
        assert_eq!(choose(&list, &p("linux/arm64")).unwrap().digest, "sha256:c");
        let e = choose(&list, &p("linux/amd64")).unwrap_err().to_string();
        assert_eq!(
            e,
            "no matching manifest for linux/amd64 in the manifest list entries (it has: linux/arm/v6, linux/arm/v7, linux/arm64)"
        );
    }

    #[test]
    fn manifests_are_told_apart() {
        let index = br#"{"schemaVersion":2,"manifests":[]}"#;
        assert!(matches!(
            Manifest::parse(None, index, "m").unwrap(),
            Manifest::List(_)
        ));
        let image = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"x","digest":"sha256:a","size":2},"layers":[]}"#;
        assert!(matches!(
            Manifest::parse(
                Some("application/vnd.docker.distribution.manifest.v2+json"),
                image,
                "m"
            )
            .unwrap(),
            Manifest::Image(_)
        ));
        let oci = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:a","size":2},"layers":[]}"#;
        assert!(matches!(
            Manifest::parse(Some(OCI_MANIFEST), oci, "m").unwrap(),
            Manifest::Image(_)
        ));
        let v1 = br#"{"schemaVersion":1,"name":"x"}"#;
        assert!(Manifest::parse(None, v1, "m")
            .unwrap_err()
            .to_string()
            .contains("schema 1"));
    }
}
