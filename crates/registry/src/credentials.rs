//! Stored registry credentials, Docker-compatible: `config.json` in the Docker config
//! directory (`DOCKER_CONFIG`, else `~/.docker`), `auths` entries keyed by registry
//! (Docker Hub's key is `https://index.docker.io/v1/`) holding base64 `user:password` or an
//! `identitytoken`, written with mode 0600; or a credential helper
//! (`credHelpers[registry]`, else `credsStore`: the program `docker-credential-<name>` with
//! `get`/`store`/`erase`), as Docker's CLI uses them. Fields of config.json this module does
//! not know are kept as they are.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::auth::Credentials;
use crate::error::{Error, Result};
use crate::options::Options;
use crate::reference::DOCKER_HUB;

/// Docker Hub's key in config.json.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The key `domain`'s credentials are stored under.
pub fn server_key(domain: &str) -> String {
    match domain {
        DOCKER_HUB | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY.to_owned(),
        d => d.to_owned(),
    }
}

/// `https://host:port/v1/` → `host:port` (how Docker matches keys written by older tools).
fn hostname_of_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn config_path(options: &Options) -> Option<PathBuf> {
    options.config_dir.as_ref().map(|d| d.join("config.json"))
}

fn read_config(path: &Path) -> Result<Map<String, Value>> {
    match fs::read(path) {
        Ok(b) if b.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Ok(b) => match serde_json::from_slice(&b) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err(Error::invalid(
                path.display().to_string(),
                "expected a JSON object",
            )),
            Err(e) => Err(Error::invalid(path.display().to_string(), e)),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(Error::io(format!("reading {}", path.display()), e)),
    }
}

/// The credential helper for `domain`, if config.json names one.
fn helper_for(config: &Map<String, Value>, domain: &str) -> Option<String> {
    let key = server_key(domain);
    config
        .get("credHelpers")
        .and_then(|h| h.get(&key).or_else(|| h.get(domain)))
        .or_else(|| config.get("credsStore"))
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The stored credentials for `domain`, if any.
pub fn lookup(options: &Options, domain: &str) -> Result<Option<Credentials>> {
    let Some(path) = config_path(options) else {
        return Ok(None);
    };
    let config = read_config(&path)?;
    let key = server_key(domain);
    if let Some(helper) = helper_for(&config, domain) {
        return helper_get(&helper, &key);
    }
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else {
        return Ok(None);
    };
    let entry = auths.get(&key).or_else(|| {
        auths
            .iter()
            .find(|(k, _)| server_key(hostname_of_key(k)) == key)
            .map(|(_, v)| v)
    });
    let Some(entry) = entry else { return Ok(None) };
    if let Some(t) = entry
        .get("identitytoken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
    {
        return Ok(Some(Credentials::IdentityToken(t.to_owned())));
    }
    let Some(auth) = entry
        .get("auth")
        .and_then(|a| a.as_str())
        .filter(|a| !a.is_empty())
    else {
        return Ok(None);
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(auth.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once(':').map(|(u, p)| (u.to_owned(), p.to_owned())))
        .ok_or_else(|| {
            Error::invalid(
                path.display().to_string(),
                format!("the auth of {key} is not base64 of user:password"),
            )
        })?;
    Ok(Some(Credentials::Basic {
        username: decoded.0,
        password: decoded.1,
    }))
}

/// Stores credentials for `domain` (in the helper if one is configured, else in
/// config.json, mode 0600). Returns the file or helper used, for the user.
pub fn store(options: &Options, domain: &str, credentials: &Credentials) -> Result<String> {
    let path = config_path(options).ok_or_else(|| {
        Error::Usage("no Docker config directory: set DOCKER_CONFIG or HOME".into())
    })?;
    let mut config = read_config(&path)?;
    let key = server_key(domain);
    if let Some(helper) = helper_for(&config, domain) {
        let (user, secret) = match credentials {
            Credentials::Basic { username, password } => (username.as_str(), password.as_str()),
            Credentials::IdentityToken(t) => ("<token>", t.as_str()),
        };
        let input = json!({"ServerURL": key, "Username": user, "Secret": secret}).to_string();
        helper_run(&helper, "store", &input)?;
        return Ok(format!("docker-credential-{helper}"));
    }
    let entry = match credentials {
        Credentials::Basic { username, password } => json!({
            "auth": base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
        }),
        Credentials::IdentityToken(t) => json!({ "identitytoken": t }),
    };
    let auths = config
        .entry("auths")
        .or_insert_with(|| Value::Object(Map::new()));
    if !auths.is_object() {
        *auths = Value::Object(Map::new());
    }
    if let Some(a) = auths.as_object_mut() {
        a.insert(key, entry);
    }
    write_config(&path, &config)?;
    Ok(path.display().to_string())
}

/// Removes the credentials of `domain`. Returns whether there were any.
pub fn erase(options: &Options, domain: &str) -> Result<bool> {
    let Some(path) = config_path(options) else {
        return Ok(false);
    };
    let mut config = read_config(&path)?;
    let key = server_key(domain);
    if let Some(helper) = helper_for(&config, domain) {
        return helper_run(&helper, "erase", &key).map(|_| true);
    }
    let Some(auths) = config.get_mut("auths").and_then(|a| a.as_object_mut()) else {
        return Ok(false);
    };
    let keys: Vec<String> = auths
        .keys()
        .filter(|k| **k == key || server_key(hostname_of_key(k)) == key)
        .cloned()
        .collect();
    if keys.is_empty() {
        return Ok(false);
    }
    for k in keys {
        auths.remove(&k);
    }
    write_config(&path, &config)?;
    Ok(true)
}

/// Writes config.json atomically with mode 0600 (its directory made 0700 if missing).
fn write_config(path: &Path, config: &Map<String, Value>) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    if !dir.is_dir() {
        fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    let bytes = serde_json::to_vec_pretty(&Value::Object(config.clone())).unwrap_or_default();
    six_sys::atomic::write_with(path, Some(0o600), six_sys::atomic::Durable::Data, |f| {
        f.write_all(&bytes)?;
        f.write_all(b"\n")
    })
    .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

fn helper_get(helper: &str, key: &str) -> Result<Option<Credentials>> {
    let out = match helper_run(helper, "get", key) {
        Ok(out) => out,
        Err(Error::Usage(msg)) if msg.contains("credentials not found") => return Ok(None),
        Err(e) => return Err(e),
    };
    let v: Value = serde_json::from_str(&out)
        .map_err(|e| Error::invalid(format!("docker-credential-{helper} get"), e))?;
    let user = v
        .get("Username")
        .and_then(|u| u.as_str())
        .unwrap_or_default();
    let secret = v.get("Secret").and_then(|s| s.as_str()).unwrap_or_default();
    if secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(match user {
        "<token>" => Credentials::IdentityToken(secret.to_owned()),
        u => Credentials::Basic {
            username: u.to_owned(),
            password: secret.to_owned(),
        },
    }))
}

/// Runs `docker-credential-<helper> <action>` with `input` on stdin; its stdout.
fn helper_run(helper: &str, action: &str, input: &str) -> Result<String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| Error::Usage(format!("error running credential helper {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| Error::Usage(format!("error running credential helper {program}: {e}")))?;
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() {
        let said = match stdout.is_empty() {
            true => String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            false => stdout,
        };
        return Err(Error::Usage(format!("{program} {action}: {said}")));
    }
    Ok(stdout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &Path) -> Options {
        Options {
            config_dir: Some(dir.join("docker")),
            ..Options::default()
        }
    }

    #[test]
    fn stores_reads_and_erases_like_docker() {
        let tmp = tempfile::tempdir().unwrap();
        let o = options(tmp.path());
        assert_eq!(lookup(&o, "localhost:5000").unwrap(), None);
        let c = Credentials::Basic {
            username: "me".into(),
            password: "p:w".into(),
        };
        store(&o, "localhost:5000", &c).unwrap();
        store(&o, "docker.io", &c).unwrap();
        let path = tmp.path().join("docker/config.json");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["auths"]["localhost:5000"]["auth"], "bWU6cDp3");
        assert!(v["auths"][DOCKER_HUB_KEY].is_object());
        assert_eq!(lookup(&o, "localhost:5000").unwrap(), Some(c.clone()));
        assert_eq!(lookup(&o, "docker.io").unwrap(), Some(c));
        assert!(erase(&o, "localhost:5000").unwrap());
        assert!(!erase(&o, "localhost:5000").unwrap());
        assert_eq!(lookup(&o, "localhost:5000").unwrap(), None);
    }

    #[test]
    fn keeps_unknown_fields_and_reads_old_keys() {
        let tmp = tempfile::tempdir().unwrap();
        let o = options(tmp.path());
        fs::create_dir_all(tmp.path().join("docker")).unwrap();
        fs::write(
            tmp.path().join("docker/config.json"),
            r#"{"auths":{"https://reg.example:5000/v1/":{"auth":"dTpw"}},"psFormat":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            lookup(&o, "reg.example:5000").unwrap(),
            Some(Credentials::Basic {
                username: "u".into(),
                password: "p".into()
            })
        );
        store(&o, "other:1", &Credentials::IdentityToken("t".into())).unwrap();
        let v: Value =
            serde_json::from_slice(&fs::read(tmp.path().join("docker/config.json")).unwrap())
                .unwrap();
        assert_eq!(v["psFormat"], "x");
        assert_eq!(v["auths"]["other:1"]["identitytoken"], "t");
    }

    #[test]
    fn a_missing_helper_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let o = options(tmp.path());
        fs::create_dir_all(tmp.path().join("docker")).unwrap();
        fs::write(
            tmp.path().join("docker/config.json"),
            r#"{"credsStore":"six-no-such-helper"}"#,
        )
        .unwrap();
        let e = lookup(&o, "localhost:5000").unwrap_err().to_string();
        assert!(e.contains("docker-credential-six-no-such-helper"), "{e}");
    }
}
