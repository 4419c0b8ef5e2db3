//! The state of a stage while it builds: the image its last step made (None: `FROM
//! scratch`, nothing yet), its run config, the `ARG`s in scope with their values, and
//! whether it set `CMD` (an `ENTRYPOINT` clears an inherited one). Also the build
//! arguments: `--build-arg`s, the global `ARG`s before the first `FROM`, Docker's predefined
//! proxy arguments and BuildKit's platform arguments, and Docker's rule that `ENV` wins over
//! `ARG` when variables are expanded.

use std::collections::{BTreeMap, BTreeSet};

use crate::dockerfile::words;
use crate::error::Result;
use crate::runconfig::RunConfig;

/// Docker's predefined build arguments: usable without an `ARG`, never in the history.
pub(crate) const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The build's arguments: what `--build-arg` gave, what the global `ARG`s resolved to, and
/// which were used.
#[derive(Debug, Default)]
pub(crate) struct BuildArgs {
    /// `--build-arg K=V` (and `K` taken from the environment).
    pub given: BTreeMap<String, String>,
    /// Global `ARG`s (and the platform arguments): name → value (None: declared, unset).
    pub global: BTreeMap<String, Option<String>>,
    /// Names some `ARG` declared (for the "not consumed" warning).
    pub declared: BTreeSet<String>,
}

impl BuildArgs {
    /// The `--build-arg`s no `ARG` declared (predefined ones excepted), sorted.
    pub(crate) fn unused(&self) -> Vec<String> {
        self.given
            .keys()
            .filter(|k| !self.declared.contains(*k) && !PROXY_ARGS.contains(&k.as_str()))
            .cloned()
            .collect()
    }
}

/// The platform arguments BuildKit defines (this builder builds for its own host only).
pub(crate) fn platform_args() -> Vec<(String, String)> {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    let platform = format!("linux/{arch}");
    let mut out = Vec::new();
    for who in ["TARGET", "BUILD"] {
        out.push((format!("{who}PLATFORM"), platform.clone()));
        out.push((format!("{who}OS"), "linux".to_owned()));
        out.push((format!("{who}ARCH"), arch.to_owned()));
        out.push((format!("{who}VARIANT"), String::new()));
    }
    out
}

/// One stage being built.
pub(crate) struct Stage {
    /// The image of its last step; None while a `FROM scratch` stage has made nothing.
    pub image: Option<six_image::Image>,
    pub config: RunConfig,
    /// `ARG`s declared in this stage, in order: name → value (None: unset).
    pub args: Vec<(String, Option<String>)>,
    /// `CMD` was set in this stage.
    pub cmd_set: bool,
}

impl Stage {
    /// The value a variable has for expansion: `ENV` first, then the stage's `ARG`s.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        if let Some(v) = self.config.env_value(name) {
            return Some(v);
        }
        self.args
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.clone())
    }

    /// `s` expanded as one word.
    pub(crate) fn word(&self, s: &str, escape: char) -> Result<String> {
        words::word(s, escape, &|n: &str| self.var(n))
    }

    /// `s` expanded and split into words.
    pub(crate) fn words(&self, s: &str, escape: char) -> Result<Vec<String>> {
        words::words(s, escape, &|n: &str| self.var(n))
    }

    /// The `ARG`s with values that `RUN` sees as environment variables, less those `ENV`
    /// sets (ENV wins), plus the predefined proxy arguments given on the command line.
    pub(crate) fn run_args(&self, given: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut seen = BTreeSet::new();
        for (k, v) in self.args.iter().rev() {
            if seen.insert(k.clone()) {
                if let Some(v) = v {
                    if self.config.env_value(k).is_none() {
                        out.push((k.clone(), v.clone()));
                    }
                }
            }
        }
        out.reverse();
        for p in PROXY_ARGS {
            if let Some(v) = given.get(p) {
                if !seen.contains(p) && self.config.env_value(p).is_none() {
                    out.push((p.to_owned(), v.clone()));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_wins_over_arg_and_proxies_need_no_declaration() {
        let mut s = Stage {
            image: None,
            config: RunConfig::default(),
            args: vec![
                ("A".into(), Some("arg".into())),
                ("B".into(), Some("b".into())),
                ("U".into(), None),
            ],
            cmd_set: false,
        };
        s.config.set_env("A", "env");
        assert_eq!(s.word("$A-$B-${U:-unset}", '\\').unwrap(), "env-b-unset");
        let given: BTreeMap<String, String> = [
            ("http_proxy".to_string(), "http://p".to_string()),
            ("X".into(), "x".into()),
        ]
        .into();
        assert_eq!(
            s.run_args(&given),
            [
                ("B".to_string(), "b".to_string()),
                ("http_proxy".into(), "http://p".into())
            ]
        );
        let args = BuildArgs {
            given,
            ..Default::default()
        };
        assert_eq!(args.unused(), ["X"]);
        assert!(platform_args()
            .iter()
            .any(|(k, v)| k == "TARGETOS" && v == "linux"));
    }
}
