//! The metadata instructions: each changes the stage's config and makes an image with no
//! layer (an `empty_layer` history entry): `ENV`, `LABEL`, `ARG`, `CMD`, `ENTRYPOINT` (which
//! clears a `CMD` the stage did not set, as Docker), `USER`, `EXPOSE`, `VOLUME`, `STOPSIGNAL`,
//! `HEALTHCHECK`, `SHELL`, `ONBUILD`, `MAINTAINER`. Values are expanded first (`ENV a=1
//! b=$a` sees the old `a`, as Docker), the history line shows them expanded.

use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use crate::builder::Builder;
use crate::dockerfile::{Command, Health, Instruction};
use crate::error::{Error, Result};
use crate::runconfig::RunConfig;
use crate::stage::Stage;

impl Builder<'_> {
    /// One metadata instruction; true for a cache hit.
    pub(crate) fn metadata_step(&mut self, stage: &mut Stage, i: &Instruction) -> Result<bool> {
        let esc = self.file.escape;
        let mut config = stage.config.clone();
        let mut author = None;
        let created_by = match i {
            Instruction::Env(pairs) => {
                let mut done = Vec::new();
                for (k, v) in pairs {
                    done.push((stage.word(k, esc)?, stage.word(v, esc)?));
                }
                for (k, v) in &done {
                    if k.is_empty() {
                        return Err(Error::Invalid("ENV names can not be blank".into()));
                    }
                    config.set_env(k, v);
                }
                format!("ENV {}", pairs_text(&done))
            }
            Instruction::Label(pairs) => {
                let mut done = Vec::new();
                for (k, v) in pairs {
                    done.push((stage.word(k, esc)?, stage.word(v, esc)?));
                }
                let labels = config.labels.get_or_insert_with(Default::default);
                for (k, v) in &done {
                    labels.insert(k.clone(), v.clone());
                }
                format!("LABEL {}", pairs_text(&done))
            }
            Instruction::Arg(list) => {
                let mut shown = Vec::new();
                for (name, default) in list {
                    self.args.declared.insert(name.clone());
                    let value = match self.args.given.get(name) {
                        Some(v) => Some(v.clone()),
                        None => match default {
                            Some(d) => Some(stage.word(d, esc)?),
                            None => self.args.global.get(name).cloned().flatten(),
                        },
                    };
                    shown.push(match &value {
                        Some(v) => format!("{name}={v}"),
                        None => name.clone(),
                    });
                    stage.args.retain(|(k, _)| k != name);
                    stage.args.push((name.clone(), value));
                }
                format!("ARG {}", shown.join(" "))
            }
            Instruction::Cmd(c) => {
                config.cmd = Some(command_argv(c, &config));
                stage.cmd_set = true;
                format!(
                    "CMD {}",
                    json_text(config.cmd.as_deref().unwrap_or_default())
                )
            }
            Instruction::Entrypoint(c) => {
                config.entrypoint = Some(command_argv(c, &config));
                if !stage.cmd_set {
                    config.cmd = None;
                }
                format!(
                    "ENTRYPOINT {}",
                    json_text(config.entrypoint.as_deref().unwrap_or_default())
                )
            }
            Instruction::User(u) => {
                let u = stage.word(u, esc)?;
                config.user = Some(u.clone());
                format!("USER {u}")
            }
            Instruction::Expose(ports) => {
                let mut all = Vec::new();
                for p in ports {
                    for w in stage.words(p, esc)? {
                        all.extend(port_spec(&w)?);
                    }
                }
                let map = config.exposed_ports.get_or_insert_with(Default::default);
                for p in &all {
                    map.insert(p.clone(), json!({}));
                }
                format!("EXPOSE {}", all.join(" "))
            }
            Instruction::Volume(list) => {
                let mut done = Vec::new();
                for v in list {
                    let v = stage.word(v, esc)?;
                    if v.trim().is_empty() {
                        return Err(Error::Invalid(
                            "VOLUME specified can not be an empty string".into(),
                        ));
                    }
                    done.push(v);
                }
                let map = config.volumes.get_or_insert_with(Default::default);
                for v in &done {
                    map.insert(v.clone(), json!({}));
                }
                format!("VOLUME {}", json_text(&done))
            }
            Instruction::StopSignal(s) => {
                let s = stage.word(s, esc)?;
                s.parse::<six_engine::types::Signal>()
                    .map_err(|e| Error::Invalid(format!("STOPSIGNAL {s}: {e}")))?;
                config.stop_signal = Some(s.clone());
                format!("STOPSIGNAL {s}")
            }
            Instruction::Healthcheck(h) => {
                let value = healthcheck(h.as_ref(), &config)?;
                let text = match h {
                    None => "HEALTHCHECK NONE".to_owned(),
                    Some(_) => format!("HEALTHCHECK {value}"),
                };
                config.healthcheck = Some(value);
                text
            }
            Instruction::Shell(list) => {
                config.shell = Some(list.clone());
                format!("SHELL {}", json_text(list))
            }
            Instruction::OnBuild(trigger) => {
                config
                    .on_build
                    .get_or_insert_with(Vec::new)
                    .push(trigger.clone());
                format!("ONBUILD {trigger}")
            }
            Instruction::Maintainer(m) => {
                author = Some(m.clone());
                format!("MAINTAINER {m}")
            }
            other => {
                return Err(Error::Invalid(format!(
                    "not a metadata instruction: {other:?}"
                )))
            }
        };
        let mut h = Sha256::new();
        h.update(serde_json::to_vec(&config.to_map()).unwrap_or_default());
        h.update(author.as_deref().unwrap_or("").as_bytes());
        let content = hex::encode(h.finalize());
        let map = config.to_map();
        self.cached_or(
            stage,
            &created_by,
            Some(content.as_str()),
            config,
            &mut |b, stage| {
                Ok(b.engine.images().add_step(six_image::Step {
                    parent: stage.image.as_ref(),
                    config: map.clone(),
                    created_by: created_by.clone(),
                    author: author.clone(),
                    changes: None,
                })?)
            },
        )
    }
}

/// A command as the config keeps it: exec form as is, shell form given to the `SHELL`.
pub(crate) fn command_argv(c: &Command, config: &RunConfig) -> Vec<String> {
    match c {
        Command::Exec(v) => v.clone(),
        Command::Shell(s) => {
            let mut v = config.shell();
            v.push(s.clone());
            v
        }
    }
}

fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn json_text(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// `EXPOSE` words: `80`, `80/tcp`, `53/udp`, `8000-8002` → `80/tcp` entries, one per port.
fn port_spec(w: &str) -> Result<Vec<String>> {
    let (ports, proto) = match w.split_once('/') {
        Some((p, proto)) => (p, proto.to_ascii_lowercase()),
        None => (w, "tcp".to_owned()),
    };
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(Error::Invalid(format!("invalid proto: {proto}")));
    }
    let bad = || Error::Invalid(format!("invalid containerPort: {ports}"));
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| bad())?,
            b.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let p = ports.parse::<u16>().map_err(|_| bad())?;
            (p, p)
        }
    };
    if hi < lo {
        return Err(Error::Invalid(format!(
            "invalid range specified for container port: {ports}"
        )));
    }
    Ok((lo..=hi).map(|p| format!("{p}/{proto}")).collect())
}

/// Docker's `Healthcheck` object; `None` is `HEALTHCHECK NONE`.
fn healthcheck(h: Option<&Health>, config: &RunConfig) -> Result<Value> {
    let Some(h) = h else {
        return Ok(json!({ "Test": ["NONE"] }));
    };
    let test = match &h.test {
        Some(Command::Exec(v)) => {
            let mut t = vec!["CMD".to_owned()];
            t.extend(v.iter().cloned());
            t
        }
        Some(Command::Shell(s)) => vec!["CMD-SHELL".to_owned(), s.clone()],
        None => return Err(Error::Invalid("HEALTHCHECK needs a CMD".into())),
    };
    let _ = config;
    let mut v = json!({ "Test": test });
    for (flag, field, value) in [
        ("interval", "Interval", &h.interval),
        ("timeout", "Timeout", &h.timeout),
        ("start-period", "StartPeriod", &h.start_period),
        ("start-interval", "StartInterval", &h.start_interval),
    ] {
        if let Some(text) = value {
            let ns = duration_ns(text).ok_or_else(|| {
                Error::Invalid(format!(
                    "--{flag}: invalid duration {text:?} (expected 30s, 1m30s, 500ms...)"
                ))
            })?;
            if ns != 0 && ns < 1_000_000 {
                return Err(Error::Invalid(format!("--{flag} cannot be less than 1ms")));
            }
            if ns != 0 {
                v[field] = json!(ns);
            }
        }
    }
    if let Some(r) = &h.retries {
        let n: i64 = r
            .parse()
            .map_err(|_| Error::Invalid(format!("--retries: invalid number {r:?}")))?;
        if n < 0 {
            return Err(Error::Invalid("--retries cannot be negative".into()));
        }
        if n != 0 {
            v["Retries"] = json!(n);
        }
    }
    Ok(v)
}

/// Go's `time.ParseDuration`: `1h2m3.5s`, `500ms`, `0`.
pub(crate) fn duration_ns(s: &str) -> Option<i64> {
    if s == "0" {
        return Some(0);
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(total as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expose_specs() {
        assert_eq!(port_spec("80").unwrap(), ["80/tcp"]);
        assert_eq!(port_spec("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(
            port_spec("8000-8002").unwrap(),
            ["8000/tcp", "8001/tcp", "8002/tcp"]
        );
        assert!(port_spec("http").is_err());
        assert!(port_spec("80/xyz").is_err());
        assert!(port_spec("9-1").is_err());
    }

    #[test]
    fn healthchecks_and_durations() {
        assert_eq!(duration_ns("1m30s"), Some(90_000_000_000));
        assert_eq!(duration_ns("1.5s"), Some(1_500_000_000));
        assert_eq!(duration_ns("500ms"), Some(500_000_000));
        assert_eq!(duration_ns("10"), None);
        let h = Health {
            test: Some(Command::Shell("true".into())),
            interval: Some("5s".into()),
            retries: Some("3".into()),
            ..Default::default()
        };
        let v = healthcheck(Some(&h), &RunConfig::default()).unwrap();
        assert_eq!(
            v,
            json!({"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000i64, "Retries": 3})
        );
        assert_eq!(
            healthcheck(None, &RunConfig::default()).unwrap(),
            json!({"Test": ["NONE"]})
        );
        let bad = Health {
            retries: Some("-1".into()),
            ..h
        };
        assert!(healthcheck(Some(&bad), &RunConfig::default()).is_err());
    }

    #[test]
    fn shell_form_goes_to_the_shell() {
        let mut c = RunConfig::default();
        assert_eq!(
            command_argv(&Command::Shell("echo hi".into()), &c),
            ["/bin/sh", "-c", "echo hi"]
        );
        c.shell = Some(vec!["/bin/bash".into(), "-ec".into()]);
        assert_eq!(
            command_argv(&Command::Shell("x".into()), &c),
            ["/bin/bash", "-ec", "x"]
        );
        assert_eq!(command_argv(&Command::Exec(vec!["a".into()]), &c), ["a"]);
    }
}
