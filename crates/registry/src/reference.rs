//! `Reference`: an image reference as Docker reads it (`busybox`, `me/app:v1`,
//! `localhost:5000/team/app@sha256:…`), normalised to its full form
//! (`docker.io/library/busybox:latest`) and shown back in its familiar one (`busybox:latest`).
//!
//! The grammar, the normalisation and the error messages are those of Docker's reference
//! package (distribution/reference: `ParseNormalizedNamed`, `splitDockerDomain`,
//! `FamiliarString`, `TagNameOnly`), matched by hand rather than by regular expression.
//! Never looks anything up.

use std::fmt;

/// Docker Hub's name in references.
pub const DOCKER_HUB: &str = "docker.io";
const LEGACY_DOCKER_HUB: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A reference that Docker would refuse; the message is Docker's own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// Not a reference at all.
    #[error("invalid reference format")]
    InvalidFormat,
    /// A repository path with capitals (the path given).
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RemoteNotLowercase(String),
    /// A name with capitals.
    #[error("invalid reference format: repository name must be lowercase")]
    NameContainsUppercase,
    /// An empty name.
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// A name longer than 255 characters.
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// A name that is 64 hex digits (it would read as an image ID).
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    HexIdentifier(String),
    /// A digest that is not `algorithm:hex`.
    #[error("invalid checksum digest format")]
    DigestFormat,
    /// A digest of the wrong length for its algorithm.
    #[error("invalid checksum digest length")]
    DigestLength,
    /// A digest algorithm other than sha256, sha384 or sha512.
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
    /// A tag that is not `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error("invalid tag format")]
    TagFormat,
}

/// A named image reference: registry domain, repository path, and a tag and/or a digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parses what a user typed, as `docker pull`/`run`/`push` do (`ParseNormalizedNamed`):
    /// no domain means Docker Hub, and a one-component name on Docker Hub gets `library/`.
    /// The tag is left absent when not given (see [`Reference::with_default_tag`]).
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9')) {
            return Err(ReferenceError::HexIdentifier(s.to_owned()));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = remainder.split(':').next().unwrap_or_default();
        if remote.to_lowercase() != remote {
            return Err(ReferenceError::RemoteNotLowercase(remote.to_owned()));
        }
        parse_full(&format!("{domain}/{remainder}"))
    }

    /// `busybox` → `busybox:latest`: the tag "latest" when there is neither tag nor digest.
    pub fn with_default_tag(mut self) -> Reference {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some("latest".to_owned());
        }
        self
    }

    /// The same repository with another tag (and no digest).
    pub fn with_tag(&self, tag: &str) -> Result<Reference, ReferenceError> {
        if !is_tag(tag) {
            return Err(ReferenceError::TagFormat);
        }
        Ok(Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        })
    }

    /// The same repository pinned to a digest (and no tag).
    pub fn with_digest(&self, digest: &str) -> Result<Reference, ReferenceError> {
        validate_digest(digest)?;
        Ok(Reference {
            tag: None,
            digest: Some(digest.to_owned()),
            ..self.clone()
        })
    }

    /// The registry part: `docker.io`, `localhost:5000`, `[::1]:5000`.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository inside the registry: `library/busybox`, `team/app`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any (see [`Reference::with_default_tag`]).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// `algorithm:hex`, as given.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// What the registry is asked for: the digest if there is one, else the tag.
    pub fn tag_or_digest(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// `docker.io/library/busybox`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `busybox`, `me/app`, `localhost:5000/app`: without Docker Hub's domain and `library/`.
    pub fn familiar_name(&self) -> String {
        if self.domain != DOCKER_HUB {
            return self.name();
        }
        match self.path.strip_prefix(OFFICIAL_PREFIX) {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// `busybox:latest`, `me/app@sha256:…`: the familiar name with tag and digest.
    pub fn familiar_string(&self) -> String {
        self.suffixed(self.familiar_name())
    }

    fn suffixed(&self, mut name: String) -> String {
        if let Some(t) = &self.tag {
            name.push(':');
            name.push_str(t);
        }
        if let Some(d) = &self.digest {
            name.push('@');
            name.push_str(d);
        }
        name
    }
}

/// The full form: `docker.io/library/busybox:latest`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.suffixed(self.name()))
    }
}

impl std::str::FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse(s)
    }
}

/// Docker's `splitDockerDomain`: the first component is a registry when it is `localhost`,
/// holds a `.` or `:`, or has an uppercase letter (namespaces cannot); else Docker Hub.
fn split_docker_domain(name: &str) -> (&str, String) {
    let Some((first, rest)) = name.split_once('/') else {
        return (DOCKER_HUB, format!("{OFFICIAL_PREFIX}{name}"));
    };
    let (domain, remote) =
        if first == "localhost" || first.contains(['.', ':']) || first.to_lowercase() != first {
            (first, rest)
        } else {
            (DOCKER_HUB, name)
        };
    let domain = if domain == LEGACY_DOCKER_HUB {
        DOCKER_HUB
    } else {
        domain
    };
    if domain == DOCKER_HUB && !remote.contains('/') {
        return (domain, format!("{OFFICIAL_PREFIX}{remote}"));
    }
    (domain, remote.to_owned())
}

/// Docker's `Parse` of a string that starts with a domain (ours always does).
fn parse_full(s: &str) -> Result<Reference, ReferenceError> {
    if s.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(parts) = match_reference(s) else {
        let lower = s.to_lowercase();
        if lower != s && match_reference(&lower).is_some() {
            return Err(ReferenceError::NameContainsUppercase);
        }
        return Err(ReferenceError::InvalidFormat);
    };
    let (domain, path) = match parts.name.split_once('/') {
        Some((d, p)) if is_domain_and_port(d) && is_remote_name(p) => (d, p),
        _ => ("", parts.name),
    };
    if domain.is_empty() {
        // A first component that is not a valid registry host (`a_b.c/x`): Docker would
        // take the whole as a path on no registry at all, which no pull can use.
        return Err(ReferenceError::InvalidFormat);
    }
    if path.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    if let Some(d) = parts.digest {
        validate_digest(d)?;
    }
    Ok(Reference {
        domain: domain.to_owned(),
        path: path.to_owned(),
        tag: parts.tag.map(str::to_owned),
        digest: parts.digest.map(str::to_owned),
    })
}

struct Parts<'a> {
    name: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

/// `name[:tag][@digest]` as Docker's ReferenceRegexp matches it, or `None`.
fn match_reference(s: &str) -> Option<Parts<'_>> {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest_pattern(d)) {
        return None;
    }
    let after_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[after_slash..].find(':') {
        Some(i) => (&rest[..after_slash + i], Some(&rest[after_slash + i + 1..])),
        None => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) || !is_name(name) {
        return None;
    }
    Some(Parts { name, tag, digest })
}

/// `[domainAndPort "/"] remoteName`.
fn is_name(s: &str) -> bool {
    is_remote_name(s)
        || s.split_once('/')
            .is_some_and(|(d, p)| is_domain_and_port(d) && is_remote_name(p))
}

/// `pathComponent ("/" pathComponent)*`.
fn is_remote_name(s: &str) -> bool {
    s.split('/').all(is_path_component)
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*`, separator `.`, `_`, `__` or dashes.
fn is_path_component(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !s.starts_with(alnum) || !s.ends_with(alnum) {
        return false;
    }
    let mut separator = String::new();
    for c in s.chars() {
        if alnum(c) {
            if !matches!(separator.as_str(), "" | "." | "_" | "__")
                && !separator.bytes().all(|b| b == b'-')
            {
                return false;
            }
            separator.clear();
        } else if matches!(c, '.' | '_' | '-') {
            separator.push(c);
        } else {
            return false;
        }
    }
    true
}

/// `host [":" port]`, host a domain name (IPv4 included) or a bracketed IPv6 address.
fn is_domain_and_port(s: &str) -> bool {
    let (host_ok, port) = match s.strip_prefix('[') {
        Some(rest) => {
            let Some((inner, after)) = rest.split_once(']') else {
                return false;
            };
            let port = match after {
                "" => None,
                a => match a.strip_prefix(':') {
                    Some(p) => Some(p),
                    None => return false,
                },
            };
            let ipv6 =
                !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            (ipv6, port)
        }
        None => match s.split_once(':') {
            Some((h, p)) => (h.split('.').all(is_domain_component), Some(p)),
            None => (s.split('.').all(is_domain_component), None),
        },
    };
    host_ok
        && match port {
            None => true,
            Some(p) => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
        }
}

/// `[a-zA-Z0-9]` or `[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]`.
fn is_domain_component(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('-')
        && !s.ends_with('-')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `[\w][\w.-]{0,127}`.
fn is_tag(s: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    !s.is_empty()
        && s.len() <= 128
        && s.bytes().next().is_some_and(word)
        && s.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// `[A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`.
fn is_digest_pattern(s: &str) -> bool {
    let Some((algorithm, hex)) = s.split_once(':') else {
        return false;
    };
    let components_ok = algorithm.split(['-', '_', '+', '.']).all(|c| {
        c.starts_with(|ch: char| ch.is_ascii_alphabetic())
            && c.bytes().all(|b| b.is_ascii_alphanumeric())
    });
    components_ok && hex.len() >= 32 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

/// go-digest's `Validate`: a known algorithm (sha256, sha384, sha512) and exactly its
/// length of lowercase hex.
pub fn validate_digest(s: &str) -> Result<(), ReferenceError> {
    let Some((algorithm, hex)) = s
        .split_once(':')
        .filter(|(a, h)| !a.is_empty() && !h.is_empty())
    else {
        return Err(ReferenceError::DigestFormat);
    };
    let size = match algorithm {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ if is_digest_pattern(s) => return Err(ReferenceError::DigestUnsupported),
        _ => return Err(ReferenceError::DigestFormat),
    };
    if hex.len() != size * 2 {
        return Err(ReferenceError::DigestLength);
    }
    if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(ReferenceError::DigestFormat);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
