//! Registry authentication: the `WWW-Authenticate` challenge a registry answers 401 with,
//! and what to send back. `Basic` gets the user's credentials; `Bearer` sends us to a
//! token service (`realm`, `service`) for a token with the scopes we need
//! (`repository:library/busybox:pull`), fetched anonymously or with the credentials.
//! Only parses and formats: client.rs does the requests.

use base64::Engine as _;

/// What the user logged in with, for one registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// A user name and a password (or a personal access token).
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in config.json).
    IdentityToken(String),
}

impl Credentials {
    /// `Authorization: Basic …` for these credentials (an identity token has none).
    pub(crate) fn basic_header(&self) -> Option<String> {
        match self {
            Credentials::Basic { username, password } => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
            )),
            Credentials::IdentityToken(_) => None,
        }
    }
}

/// A parsed `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

impl Challenge {
    /// Parses `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`; `None` for
    /// schemes we cannot answer.
    pub(crate) fn parse(header: &str) -> Option<Challenge> {
        let header = header.trim();
        let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
        let params = parse_params(rest);
        let get = |k: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            Some(Challenge::Basic)
        } else if scheme.eq_ignore_ascii_case("bearer") {
            Some(Challenge::Bearer {
                realm: get("realm")?,
                service: get("service"),
            })
        } else {
            None
        }
    }
}

/// `k1="v1", k2=v2` with backslash escapes inside quotes.
fn parse_params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_owned();
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('=') {
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_owned();
        }
        out.push((key, value));
    }
    out
}

/// The token in a token service's JSON answer (`token`, or OAuth2's `access_token`).
pub(crate) fn token_from_json(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("token")
        .or_else(|| v.get("access_token"))
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic_challenges() {
        assert_eq!(
            Challenge::parse(
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull""#
            ),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into())
            })
        );
        assert_eq!(
            Challenge::parse(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            Challenge::parse(r#"bearer realm=http://x/t , service="a \"b\"""#),
            Some(Challenge::Bearer {
                realm: "http://x/t".into(),
                service: Some("a \"b\"".into())
            })
        );
        assert_eq!(Challenge::parse("Bearer service=x"), None, "no realm");
        assert_eq!(Challenge::parse("Negotiate abc"), None);
    }

    #[test]
    fn basic_header_and_tokens() {
        let c = Credentials::Basic {
            username: "aladdin".into(),
            password: "opensesame".into(),
        };
        assert_eq!(c.basic_header().unwrap(), "Basic YWxhZGRpbjpvcGVuc2VzYW1l");
        assert_eq!(token_from_json(br#"{"token":"t1"}"#).as_deref(), Some("t1"));
        assert_eq!(
            token_from_json(br#"{"access_token":"t2","expires_in":300}"#).as_deref(),
            Some("t2")
        );
        assert_eq!(token_from_json(br#"{"token":""}"#), None);
    }
}
