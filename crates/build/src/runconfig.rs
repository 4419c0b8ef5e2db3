//! The run-time config a stage builds up (Docker's `container.Config` as image configs carry
//! it): what the metadata instructions change (`ENV`, `CMD`, `ENTRYPOINT`, `WORKDIR`, `USER`,
//! `EXPOSE`, `VOLUME`, `LABEL`, `STOPSIGNAL`, `HEALTHCHECK`, `SHELL`, `ONBUILD`). Fields this
//! builder does not know are kept as they came from the base image.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// Docker's default `SHELL`.
pub(crate) const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// An image's `config` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RunConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl RunConfig {
    /// The `config` object of an image config JSON (empty when it has none).
    pub(crate) fn from_image_json(bytes: &[u8]) -> Result<RunConfig> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::Invalid(format!("reading an image config: {e}")))?;
        match v.get("config") {
            Some(c) if !c.is_null() => serde_json::from_value(c.clone())
                .map_err(|e| Error::Invalid(format!("reading an image config: {e}"))),
            _ => Ok(RunConfig::default()),
        }
    }

    /// As Docker's JSON object.
    pub(crate) fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }

    /// `KEY=value` entries.
    pub(crate) fn env(&self) -> &[String] {
        self.env.as_deref().unwrap_or_default()
    }

    /// The value of `key` in `Env`.
    pub(crate) fn env_value(&self, key: &str) -> Option<String> {
        self.env().iter().rev().find_map(|e| {
            e.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| v.to_owned())
        })
    }

    /// Sets `key` in `Env`, replacing an entry with the same key in place.
    pub(crate) fn set_env(&mut self, key: &str, value: &str) {
        let env = self.env.get_or_insert_with(Vec::new);
        let entry = format!("{key}={value}");
        match env.iter_mut().find(|e| e.split('=').next() == Some(key)) {
            Some(e) => *e = entry,
            None => env.push(entry),
        }
    }

    /// The stage's `SHELL`, Docker's default if none.
    pub(crate) fn shell(&self) -> Vec<String> {
        match &self.shell {
            Some(s) if !s.is_empty() => s.clone(),
            _ => DEFAULT_SHELL.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The working directory, `/` when unset.
    pub(crate) fn workdir(&self) -> &str {
        match self.working_dir.as_deref() {
            Some(w) if !w.is_empty() => w,
            _ => "/",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_and_env_is_replaced_in_place() {
        let json = br#"{"config":{"Env":["PATH=/bin","A=1"],"Cmd":["sh"],"Domainname":"x","OnBuild":null}}"#;
        let mut c = RunConfig::from_image_json(json).unwrap();
        c.set_env("A", "2");
        c.set_env("B", "3");
        assert_eq!(c.env(), ["PATH=/bin", "A=2", "B=3"]);
        assert_eq!(c.env_value("A").as_deref(), Some("2"));
        let m = c.to_map();
        assert_eq!(m["Domainname"], "x");
        assert_eq!(m["Cmd"], serde_json::json!(["sh"]));
        assert!(!m.contains_key("OnBuild"));
        assert_eq!(c.shell(), ["/bin/sh", "-c"]);
        assert_eq!(RunConfig::from_image_json(b"{}").unwrap().workdir(), "/");
    }
}
