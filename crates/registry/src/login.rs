//! `login` and `logout`: the registry named as the user typed it (`localhost:5000`,
//! `https://reg.example/`, nothing for Docker Hub) becomes a registry domain; login checks
//! the credentials with the registry (its token service, or `GET /v2/` with basic auth)
//! before storing them (credentials.rs); logout forgets them.

use crate::auth::Credentials;
use crate::client::Client;
use crate::credentials;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::reference::DOCKER_HUB;

/// The registry domain of a `login`/`logout` operand: scheme and path dropped, Docker
/// Hub's names folded into `docker.io`; `None` is Docker Hub.
pub fn registry_domain(server: Option<&str>) -> Result<String> {
    let Some(s) = server.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(DOCKER_HUB.to_owned());
    };
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .unwrap_or(s);
    let host = rest.split('/').next().unwrap_or(rest);
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if !valid {
        return Err(Error::Usage(format!(
            "invalid registry {s:?}: expected HOST[:PORT]"
        )));
    }
    Ok(match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => DOCKER_HUB.to_owned(),
        h => h.to_owned(),
    })
}

/// Checks `credentials` with the registry at `domain`, then stores them. Returns where
/// they were stored (a file or a credential helper).
pub fn login(options: &Options, domain: &str, credentials: Credentials) -> Result<String> {
    check_login(options, domain, &credentials)?;
    credentials::store(options, domain, &credentials)
}

/// Checks `credentials` with the registry at `domain` and stores nothing (the Engine API's
/// `/auth`: the client keeps them).
pub fn check_login(options: &Options, domain: &str, credentials: &Credentials) -> Result<()> {
    let client = Client::connect(domain, options, Some(credentials.clone()))?;
    client.verify_credentials()
}

/// Forgets the credentials of `domain`; false if there were none.
pub fn logout(options: &Options, domain: &str) -> Result<bool> {
    credentials::erase(options, domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_become_registry_domains() {
        assert_eq!(registry_domain(None).unwrap(), "docker.io");
        assert_eq!(
            registry_domain(Some("https://index.docker.io/v1/")).unwrap(),
            "docker.io"
        );
        assert_eq!(
            registry_domain(Some("localhost:5000")).unwrap(),
            "localhost:5000"
        );
        assert_eq!(
            registry_domain(Some("http://reg.example:80/x")).unwrap(),
            "reg.example:80"
        );
        assert!(registry_domain(Some("bad host")).is_err());
    }
}
