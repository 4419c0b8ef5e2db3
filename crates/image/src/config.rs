//! Image configuration: [`ImageConfig`] (what a container needs: env, cmd, entrypoint,
//! workdir, user, ports, labels) and [`ConfigFile`], the OCI/Docker config JSON that is
//! hashed into the image ID. Unknown JSON fields are kept, so a loaded image saves unchanged.
//! Never reads or writes files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The run-time defaults of an image, as `docker inspect` shows under `Config`.
/// In [`crate::ImageStore::commit`] it is a *change*: empty or `None` fields keep the base's.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// "KEY=value" entries.
    #[serde(default)]
    pub env: Vec<String>,
    /// The default command (arguments to the entrypoint, if any).
    pub cmd: Option<Vec<String>>,
    /// The program the command is given to (`Some(vec![])`: none).
    pub entrypoint: Option<Vec<String>>,
    /// The process's working directory.
    pub working_dir: Option<String>,
    /// The process's user: `uid[:gid]` or names in the image's /etc/passwd and /etc/group.
    pub user: Option<String>,
    /// "80/tcp" entries.
    #[serde(default)]
    pub exposed_ports: Vec<String>,
    /// Free-form key=value metadata.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The signal `stop` sends first ("SIGTERM" when None).
    pub stop_signal: Option<String>,
    /// `VOLUME` paths: each container gets an anonymous volume there (unless it mounts
    /// something else on it).
    #[serde(default)]
    pub volumes: Vec<String>,
    /// `HEALTHCHECK`: how the container's health is checked (`Test: ["NONE"]`: not at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
}

/// Docker's `HealthConfig` (an image's `HEALTHCHECK`, a container's `--health-*`), as its
/// JSON has it: durations in nanoseconds, 0 for "the default" (or "inherited").
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthConfig {
    /// `[]`: inherit; `["NONE"]`: no check; `["CMD", prog, args...]`; `["CMD-SHELL", line]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub test: Vec<String>,
    /// Between the end of one check and the start of the next (default 30 s).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    /// How long one check may run (default 30 s).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    /// Failures in this time after the start do not count (default 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    /// Failures in a row that make the container unhealthy (default 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl ImageConfig {
    /// `self` updated by `change`: env entries replace those with the same key, ports,
    /// volumes and labels are added, and every `Some` field of `change` replaces this one.
    pub fn merged(&self, change: &ImageConfig) -> ImageConfig {
        let mut out = self.clone();
        for entry in &change.env {
            let key = entry.split('=').next().unwrap_or(entry);
            out.env.retain(|e| e.split('=').next().unwrap_or(e) != key);
            out.env.push(entry.clone());
        }
        for p in &change.exposed_ports {
            if !out.exposed_ports.contains(p) {
                out.exposed_ports.push(p.clone());
            }
        }
        for v in &change.volumes {
            if !out.volumes.contains(v) {
                out.volumes.push(v.clone());
            }
        }
        out.labels
            .extend(change.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        if change.cmd.is_some() {
            out.cmd = change.cmd.clone();
        }
        if change.entrypoint.is_some() {
            out.entrypoint = change.entrypoint.clone();
        }
        if change.working_dir.is_some() {
            out.working_dir = change.working_dir.clone();
        }
        if change.user.is_some() {
            out.user = change.user.clone();
        }
        if change.stop_signal.is_some() {
            out.stop_signal = change.stop_signal.clone();
        }
        if change.healthcheck.is_some() {
            out.healthcheck = change.healthcheck.clone();
        }
        out
    }
}

/// The image config JSON (OCI image-spec `config`, also what Docker writes).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ConfigFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub os: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<RunConfig>,
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RunConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(crate) struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty_layer: bool,
}

impl ConfigFile {
    /// A new config for this host's OS and architecture.
    pub(crate) fn new(
        created: &str,
        config: &ImageConfig,
        diff_ids: Vec<Digest>,
        history: Vec<History>,
    ) -> ConfigFile {
        ConfigFile {
            created: Some(created.to_owned()),
            architecture: host_architecture().to_owned(),
            os: "linux".to_owned(),
            config: Some(RunConfig::from_image_config(config)),
            rootfs: RootFs {
                kind: "layers".to_owned(),
                diff_ids,
            },
            history,
            extra: Default::default(),
        }
    }

    /// The run-time part as an [`ImageConfig`].
    pub(crate) fn image_config(&self) -> ImageConfig {
        let Some(c) = &self.config else {
            return ImageConfig::default();
        };
        ImageConfig {
            env: c.env.clone().unwrap_or_default(),
            cmd: c.cmd.clone(),
            entrypoint: c.entrypoint.clone(),
            working_dir: c.working_dir.clone().filter(|w| !w.is_empty()),
            user: c.user.clone().filter(|u| !u.is_empty()),
            exposed_ports: c
                .exposed_ports
                .as_ref()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            labels: c.labels.clone().unwrap_or_default(),
            stop_signal: c.stop_signal.clone().filter(|s| !s.is_empty()),
            volumes: c
                .volumes
                .as_ref()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
            // kept in `extra`, so the config's bytes (the image ID) stay as they were
            healthcheck: c
                .extra
                .get(HEALTHCHECK)
                .and_then(|v| serde_json::from_value(v.clone()).ok()),
        }
    }

    /// Replaces the run-time part, keeping fields of the JSON this crate does not model.
    pub(crate) fn set_image_config(&mut self, c: &ImageConfig) {
        let mut extra = self.config.take().map(|rc| rc.extra).unwrap_or_default();
        let mut rc = RunConfig::from_image_config(c);
        if let Some(h) = rc.extra.remove(HEALTHCHECK) {
            extra.insert(HEALTHCHECK.to_owned(), h);
        }
        rc.extra = extra;
        self.config = Some(rc);
    }

    /// Canonical bytes: the image ID is the sha256 of exactly these.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs and maps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

impl RunConfig {
    fn from_image_config(c: &ImageConfig) -> RunConfig {
        RunConfig {
            env: Some(c.env.clone()),
            cmd: c.cmd.clone(),
            entrypoint: c.entrypoint.clone(),
            working_dir: c.working_dir.clone(),
            user: c.user.clone(),
            exposed_ports: (!c.exposed_ports.is_empty()).then(|| {
                c.exposed_ports
                    .iter()
                    .map(|p| (p.clone(), serde_json::json!({})))
                    .collect()
            }),
            labels: (!c.labels.is_empty()).then(|| c.labels.clone()),
            stop_signal: c.stop_signal.clone(),
            volumes: (!c.volumes.is_empty()).then(|| {
                c.volumes
                    .iter()
                    .map(|v| (v.clone(), serde_json::json!({})))
                    .collect()
            }),
            extra: c
                .healthcheck
                .iter()
                .filter_map(|h| Some((HEALTHCHECK.to_owned(), serde_json::to_value(h).ok()?)))
                .collect(),
        }
    }
}

/// The config's key for [`ImageConfig::healthcheck`] (kept among the unmodelled fields).
const HEALTHCHECK: &str = "Healthcheck";

/// The OCI name of this machine's architecture ("amd64", "arm64", ...).
pub(crate) fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_base_and_applies_changes() {
        let base = ImageConfig {
            env: vec!["PATH=/bin".into(), "A=1".into()],
            cmd: Some(vec!["sh".into()]),
            working_dir: Some("/srv".into()),
            ..Default::default()
        };
        let change = ImageConfig {
            env: vec!["A=2".into(), "B=3".into()],
            user: Some("1000".into()),
            ..Default::default()
        };
        let m = base.merged(&change);
        assert_eq!(m.env, ["PATH=/bin", "A=2", "B=3"]);
        assert_eq!(m.cmd.as_deref(), Some(&["sh".to_string()][..]));
        assert_eq!(m.working_dir.as_deref(), Some("/srv"));
        assert_eq!(m.user.as_deref(), Some("1000"));
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json = r#"{"architecture":"amd64","os":"linux","variant":"v8","config":{"Env":["A=1"],"Healthcheck":{"Test":["NONE"]}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let c: ConfigFile = serde_json::from_str(json).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&c.to_bytes()).unwrap();
        assert_eq!(back["variant"], "v8");
        assert_eq!(back["config"]["Healthcheck"]["Test"][0], "NONE");
        assert_eq!(c.image_config().env, ["A=1"]);
    }

    #[test]
    fn a_healthcheck_is_read_and_kept_where_docker_keeps_it() {
        let json = r#"{"config":{"Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":1000000000,"Retries":2}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let mut c: ConfigFile = serde_json::from_str(json).unwrap();
        let h = c.image_config().healthcheck.unwrap();
        assert_eq!(h.test, ["CMD-SHELL", "true"]);
        assert_eq!((h.interval, h.timeout, h.retries), (1_000_000_000, 0, 2));
        // rewritten as it was, where it was (a commit keeps it)
        let before: serde_json::Value = serde_json::from_str(json).unwrap();
        c.set_image_config(&c.image_config());
        let back: serde_json::Value = serde_json::from_slice(&c.to_bytes()).unwrap();
        assert_eq!(
            back["config"]["Healthcheck"],
            before["config"]["Healthcheck"]
        );
        // a new image's config carries it
        let made = ConfigFile::new("2026-01-01T00:00:00Z", &c.image_config(), vec![], vec![]);
        let back: serde_json::Value = serde_json::from_slice(&made.to_bytes()).unwrap();
        assert_eq!(back["config"]["Healthcheck"]["Retries"], 2);
        assert!(back["config"]["Healthcheck"].get("Timeout").is_none());
    }

    #[test]
    fn volumes_are_read_and_written_as_dockers_map() {
        let json = r#"{"config":{"Volumes":{"/data":{},"/var/log":{}}},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let mut c: ConfigFile = serde_json::from_str(json).unwrap();
        assert_eq!(c.image_config().volumes, ["/data", "/var/log"]);
        let mut ic = c.image_config();
        ic.volumes.push("/srv".into());
        c.set_image_config(&ic);
        let back: serde_json::Value = serde_json::from_slice(&c.to_bytes()).unwrap();
        assert_eq!(back["config"]["Volumes"]["/srv"], serde_json::json!({}));
    }
}
