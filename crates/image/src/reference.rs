//! `Reference`: an image name with a tag ("busybox:latest"), parsed and normalised once.
//! "busybox" means "busybox:latest"; "docker.io/library/busybox" and "localhost/busybox"
//! (as Podman writes them) are the same image as "busybox". Never looks anything up.

use std::fmt;

use crate::error::{Error, Result};

/// A normalised `repository:tag`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Reference {
    repo: String,
    tag: String,
}

impl Reference {
    /// Parses "name", "name:tag", "host:port/path/name:tag". Digest references
    /// ("name@sha256:...") are refused: the store has no registry to pin against.
    pub fn parse(s: &str) -> Result<Reference> {
        let bad = |reason: &str| Error::BadReference {
            reference: s.to_owned(),
            reason: reason.to_owned(),
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.contains('@') {
            return Err(bad(
                "digest references (name@sha256:...) are not supported; use the image ID",
            ));
        }
        let last_slash = s.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match s[last_slash..].rfind(':') {
            Some(i) => (&s[..last_slash + i], &s[last_slash + i + 1..]),
            None => (s, "latest"),
        };
        if !valid_tag(tag) {
            return Err(bad(
                "a tag is 1-128 of [A-Za-z0-9_.-] and does not start with '.' or '-'",
            ));
        }
        let repo = normalise_repo(repo);
        if !valid_repo(&repo) {
            return Err(bad("a name is lowercase letters, digits and separators (. _ - /), optionally after a registry host"));
        }
        Ok(Reference {
            repo,
            tag: tag.to_owned(),
        })
    }

    /// The repository ("busybox", "localhost:5000/team/app").
    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// The tag ("latest" when none was given).
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repo, self.tag)
    }
}

fn normalise_repo(repo: &str) -> String {
    for prefix in [
        "docker.io/library/",
        "index.docker.io/library/",
        "docker.io/",
        "localhost/",
    ] {
        if let Some(rest) = repo.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest.to_owned();
            }
        }
    }
    repo.to_owned()
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

fn valid_repo(repo: &str) -> bool {
    let mut parts = repo.split('/').peekable();
    let mut first = true;
    while let Some(part) = parts.next() {
        let is_host =
            first && parts.peek().is_some() && (part.contains(['.', ':']) || part == "localhost");
        first = false;
        let ok = if is_host {
            part.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b))
        } else {
            !part.is_empty()
                && part
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && part
                    .bytes()
                    .last()
                    .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        };
        if !ok {
            return false;
        }
    }
    !repo.is_empty() && repo.len() <= 255
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> String {
        Reference::parse(s).unwrap().to_string()
    }

    #[test]
    fn defaults_and_normalises() {
        assert_eq!(r("busybox"), "busybox:latest");
        assert_eq!(r("busybox:1.36"), "busybox:1.36");
        assert_eq!(r("docker.io/library/nginx:alpine"), "nginx:alpine");
        assert_eq!(r("localhost/myimage"), "myimage:latest");
        assert_eq!(r("docker.io/me/app:v1"), "me/app:v1");
        assert_eq!(
            r("registry.example:5000/team/app"),
            "registry.example:5000/team/app:latest"
        );
    }

    #[test]
    fn refuses_bad_references() {
        for bad in [
            "",
            "Busybox",
            "a:",
            "a:-x",
            "a@sha256:00",
            "/x",
            "a//b",
            "x-:y",
            "a:b:c",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad} accepted");
        }
        let e = Reference::parse("UP").unwrap_err().to_string();
        assert!(e.contains("\"UP\""), "{e}");
    }
}
