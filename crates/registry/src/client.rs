//! `Client`: HTTP to one registry (ureq, blocking). It decides how to reach the registry
//! (HTTPS verified against the system roots and `certs.d`; for insecure registries HTTPS
//! unverified, then plain HTTP, as Docker), pings `/v2/` to learn its challenge, and
//! answers 401s: a bearer token per set of scopes (cached) or basic credentials, retried
//! once. It returns raw responses; pull.rs and push.rs decide what a status means.
//! Shared by the transfer threads (`Sync`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use ureq::http::Response;
use ureq::{Agent, Body, SendBody};

use crate::auth::{token_from_json, Challenge, Credentials};
use crate::error::{Error, Result};
use crate::options::Options;
use crate::reference::DOCKER_HUB;
use crate::tls;

/// Manifests and token answers larger than this are refused.
pub(crate) const MAX_DOCUMENT: u64 = 8 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Put,
    Post,
    Patch,
}

impl Method {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

pub(crate) struct Client {
    /// The registry as references name it (`docker.io`, `localhost:5000`).
    pub domain: String,
    /// `https://host[:port]` or `http://…`.
    base: String,
    agent: Agent,
    credentials: Option<Credentials>,
    state: Mutex<AuthState>,
}

#[derive(Default)]
struct AuthState {
    challenge: Option<Challenge>,
    /// Bearer tokens by their scopes joined with spaces.
    tokens: HashMap<String, String>,
}

/// The host that serves a registry's API (Docker Hub's is not `docker.io`).
pub(crate) fn api_host(domain: &str) -> &str {
    if domain == DOCKER_HUB {
        "registry-1.docker.io"
    } else {
        domain
    }
}

impl Client {
    /// Reaches `domain` and learns how it authenticates (GET /v2/).
    pub(crate) fn connect(
        domain: &str,
        options: &Options,
        credentials: Option<Credentials>,
    ) -> Result<Client> {
        let insecure = options.is_insecure(domain);
        let host = api_host(domain);
        let tls = tls::config(
            &options.certs_dir,
            domain,
            !options.skips_verification(domain),
        )?;
        let https = Client::new(
            domain,
            format!("https://{host}"),
            tls.clone(),
            credentials.clone(),
        );
        match https.ping() {
            Err(e @ Error::Connect { .. }) if insecure => {
                // Plain HTTP, as Docker tries for insecure registries; if that fails too,
                // the server spoke TLS and its HTTPS error is the one that tells.
                let http = Client::new(domain, format!("http://{host}"), tls, credentials);
                http.ping().map_err(|_| e)?;
                Ok(http)
            }
            Err(e) => Err(e),
            Ok(()) => Ok(https),
        }
    }

    fn new(
        domain: &str,
        base: String,
        tls: ureq::tls::TlsConfig,
        credentials: Option<Credentials>,
    ) -> Client {
        let agent = agent(tls);
        Client {
            domain: domain.to_owned(),
            base,
            agent,
            credentials,
            state: Mutex::new(AuthState::default()),
        }
    }

    /// `GET /v2/`: 200 (open) or 401 (its challenge is kept). Anything else: not a registry.
    fn ping(&self) -> Result<()> {
        let url = self.url("/v2/");
        let resp = self.raw(Method::Get, &url, &[], None, None)?;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            401 => {
                self.learn(&resp);
                Ok(())
            }
            status => Err(http_error(Method::Get, &url, resp, status)),
        }
    }

    /// An absolute URL for `path` (`/v2/…`), or `path` itself if it is absolute already
    /// (the `Location` of an upload).
    pub(crate) fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    /// A request with the authorization `scopes` need; on a 401, learns the challenge and
    /// retries once with a fresh token or the credentials.
    pub(crate) fn send(
        &self,
        method: Method,
        path: &str,
        scopes: &[String],
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Response<Body>> {
        let url = self.url(path);
        let mut refresh = false;
        loop {
            let auth = self.authorization(scopes, refresh)?;
            let resp = self.raw(method, &url, headers, auth.as_deref(), body)?;
            if resp.status().as_u16() == 401 && !refresh && self.learn(&resp) {
                refresh = true;
                continue;
            }
            return Ok(resp);
        }
    }

    /// A request whose body is streamed (chunked); authorization as already learnt for
    /// `scopes` (no retry: a stream cannot be sent twice).
    pub(crate) fn send_stream(
        &self,
        method: Method,
        path: &str,
        scopes: &[String],
        headers: &[(&str, &str)],
        body: &mut dyn Read,
    ) -> Result<Response<Body>> {
        let url = self.url(path);
        let auth = self.authorization(scopes, false)?;
        let mut req = match method {
            Method::Put => self.agent.put(&url),
            Method::Post => self.agent.post(&url),
            _ => self.agent.patch(&url),
        };
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(a) = &auth {
            req = req.header("Authorization", a);
        }
        req.send(SendBody::from_reader(body))
            .map_err(|e| connect_error(method, &url, e))
    }

    fn raw(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        auth: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Response<Body>> {
        let result = match method {
            Method::Get | Method::Head => {
                let mut req = match method {
                    Method::Get => self.agent.get(url),
                    _ => self.agent.head(url),
                };
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.call()
            }
            Method::Put | Method::Post | Method::Patch => {
                let mut req = match method {
                    Method::Put => self.agent.put(url),
                    Method::Post => self.agent.post(url),
                    _ => self.agent.patch(url),
                };
                for (k, v) in headers {
                    req = req.header(*k, *v);
                }
                if let Some(a) = auth {
                    req = req.header("Authorization", a);
                }
                req.send(body.unwrap_or_default())
            }
        };
        result.map_err(|e| connect_error(method, url, e))
    }

    /// Keeps the challenge of a 401; false if there is none we can answer.
    fn learn(&self, resp: &Response<Body>) -> bool {
        let Some(challenge) = resp
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(Challenge::parse)
            .min_by_key(|c| matches!(c, Challenge::Basic))
        else {
            return false;
        };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(challenge, Challenge::Basic) && self.credentials.is_none() {
            state.challenge = Some(challenge);
            return false;
        }
        state.challenge = Some(challenge);
        true
    }

    /// The `Authorization` value for `scopes`, if the registry asked for one.
    fn authorization(&self, scopes: &[String], refresh: bool) -> Result<Option<String>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match state.challenge.clone() {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.credentials.as_ref().and_then(|c| c.basic_header())),
            Some(Challenge::Bearer { realm, service }) => {
                let key = scopes.join(" ");
                if !refresh {
                    if let Some(t) = state.tokens.get(&key) {
                        return Ok(Some(format!("Bearer {t}")));
                    }
                }
                let token = self.fetch_token(&realm, service.as_deref(), scopes)?;
                state.tokens.insert(key, token.clone());
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// Asks the token service for a token with `scopes` (anonymously without credentials).
    fn fetch_token(&self, realm: &str, service: Option<&str>, scopes: &[String]) -> Result<String> {
        let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        let mut query: Vec<String> = Vec::new();
        if let Some(s) = service {
            query.push(format!("service={}", enc(s)));
        }
        for s in scopes {
            query.push(format!("scope={}", enc(s)));
        }
        if let Some(Credentials::Basic { username, .. }) = &self.credentials {
            query.push(format!("account={}", enc(username)));
        }
        let sep = if realm.contains('?') { '&' } else { '?' };
        let url = match query.is_empty() {
            true => realm.to_owned(),
            false => format!("{realm}{sep}{}", query.join("&")),
        };
        let mut resp = match &self.credentials {
            // OAuth2: a refresh token is traded for an access token (POST, form).
            Some(Credentials::IdentityToken(refresh)) => {
                let mut form = vec![
                    "grant_type=refresh_token".to_owned(),
                    format!("refresh_token={}", enc(refresh)),
                    "client_id=sixdocker".to_owned(),
                ];
                form.extend(query.iter().filter(|q| !q.starts_with("account=")).cloned());
                self.agent
                    .post(realm)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .send(form.join("&").as_bytes())
                    .map_err(|e| connect_error(Method::Post, realm, e))?
            }
            _ => {
                let mut req = self.agent.get(&url);
                if let Some(h) = self.credentials.as_ref().and_then(|c| c.basic_header()) {
                    req = req.header("Authorization", h);
                }
                req.call()
                    .map_err(|e| connect_error(Method::Get, &url, e))?
            }
        };
        match resp.status().as_u16() {
            200 => {
                let body = read_document(&mut resp, "token answer")?;
                token_from_json(&body).ok_or_else(|| {
                    Error::invalid(format!("token answer of {realm}"), "it has no token")
                })
            }
            401 | 403 => Err(Error::Unauthorized {
                registry: self.domain.clone(),
                detail: "incorrect username or password".to_owned(),
            }),
            status => Err(http_error(Method::Get, &url, resp, status)),
        }
    }
}

impl Client {
    /// Checks the client's credentials: a token from the token service (which refuses bad
    /// ones), or `GET /v2/` with basic auth. A registry that asks for nothing accepts any.
    pub(crate) fn verify_credentials(&self) -> Result<()> {
        let url = self.url("/v2/");
        let resp = self.send(Method::Get, "/v2/", &[], &[], None)?;
        match resp.status().as_u16() {
            200..=299 => Ok(()),
            401 | 403 => Err(Error::Unauthorized {
                registry: self.domain.clone(),
                detail: "incorrect username or password".to_owned(),
            }),
            status => Err(http_error(Method::Get, &url, resp, status)),
        }
    }
}

/// Reads a small response body (a manifest, a token answer), at most [`MAX_DOCUMENT`].
pub(crate) fn read_document(resp: &mut Response<Body>, what: &str) -> Result<Vec<u8>> {
    resp.body_mut()
        .with_config()
        .limit(MAX_DOCUMENT)
        .read_to_vec()
        .map_err(|e| Error::invalid(what, format!("reading it: {e}")))
}

fn connect_error(method: Method, url: &str, e: ureq::Error) -> Error {
    Error::Connect {
        method: method.name(),
        url: url.to_owned(),
        detail: e.to_string(),
    }
}

/// An HTTP agent with our TLS settings, timeouts (30 s to connect, 120 s per read) and
/// user agent; statuses are answers, not errors.
pub(crate) fn agent(tls: ureq::tls::TlsConfig) -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_per_read(Some(Duration::from_secs(120)))
        .user_agent(concat!("sixdocker/", env!("CARGO_PKG_VERSION")))
        .max_idle_connections_per_host(8)
        .build()
        .new_agent()
}

/// The registry's own words for an error (`{"errors":[{"code":…,"message":…}]}`):
/// "code: message" joined, or `None`.
pub(crate) fn registry_message(mut resp: Response<Body>) -> Option<String> {
    let body = read_document(&mut resp, "error").ok()?;
    registry_message_from(&body)
}

pub(crate) fn registry_message_from(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let parts: Vec<String> = v
        .get("errors")?
        .as_array()?
        .iter()
        .map(|e| {
            let code = e.get("code").and_then(|c| c.as_str()).unwrap_or_default();
            let msg = e
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default();
            format!("{}: {msg}", code.to_lowercase().replace('_', " "))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The registry error codes of a response body (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, ...).
pub(crate) fn registry_codes(body: &[u8]) -> Vec<String> {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("errors")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|e| e.get("code")?.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// An answer nobody expected: status and the registry's message (or the status text).
pub(crate) fn http_error(method: Method, url: &str, resp: Response<Body>, status: u16) -> Error {
    let reason = resp.status().canonical_reason().unwrap_or("").to_owned();
    let detail = registry_message(resp).unwrap_or(reason);
    Error::Http {
        method: method.name(),
        url: url.to_owned(),
        status,
        detail,
    }
}

/// `repository:<path>:<actions>`.
pub(crate) fn scope(path: &str, actions: &str) -> String {
    format!("repository:{path}:{actions}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_messages_read_as_docker_prints_them() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        assert_eq!(
            registry_message_from(body).as_deref(),
            Some("manifest unknown: manifest unknown")
        );
        assert_eq!(registry_codes(body), ["MANIFEST_UNKNOWN"]);
        assert_eq!(registry_message_from(b"<html>"), None);
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("localhost:5000"), "localhost:5000");
    }
}
