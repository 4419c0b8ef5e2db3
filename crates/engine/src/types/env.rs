//! `EnvVar`: `-e KEY=VALUE`, or `-e KEY` taking the caller's value; `--env-file` lines.

use std::path::Path;
use std::str::FromStr;

use super::TypeError;

/// One environment variable for the container. `value: None` means `KEY` was given
/// alone and the caller has no such variable: Docker then leaves it out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnvVar {
    /// The variable's name.
    pub key: String,
    /// Its value (None: the host has none; the variable is left out).
    pub value: Option<String>,
}

impl EnvVar {
    /// `KEY=VALUE`, or None when the variable is to be left out.
    pub fn to_entry(&self) -> Option<String> {
        self.value.as_ref().map(|v| format!("{}={v}", self.key))
    }

    /// Reads an `--env-file`: one `KEY=VALUE` or `KEY` a line; blank lines and lines
    /// starting with `#` are skipped.
    pub fn parse_file(path: &Path) -> Result<Vec<EnvVar>, TypeError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            TypeError::new(
                "env file",
                &path.display().to_string(),
                format!("cannot read it: {e}"),
            )
        })?;
        let mut vars = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let var = line.parse::<EnvVar>().map_err(|e| {
                TypeError::new(
                    "env file",
                    &path.display().to_string(),
                    format!("line {}: {e}", n + 1),
                )
            })?;
            vars.push(var);
        }
        Ok(vars)
    }
}

impl FromStr for EnvVar {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<EnvVar, TypeError> {
        let (key, value) = match s.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (s, None),
        };
        if key.is_empty() {
            return Err(TypeError::new(
                "environment variable",
                s,
                "expected KEY=VALUE or KEY with a non-empty KEY",
            ));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(TypeError::new(
                "environment variable",
                s,
                "expected a KEY without spaces",
            ));
        }
        let value = value.or_else(|| std::env::var(key).ok());
        Ok(EnvVar {
            key: key.to_owned(),
            value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_and_host_value() {
        let v: EnvVar = "KEY1=value1".parse().unwrap();
        assert_eq!(v.to_entry().unwrap(), "KEY1=value1");
        let v: EnvVar = "A=b=c".parse().unwrap();
        assert_eq!(v.value.as_deref(), Some("b=c"));
        let v: EnvVar = "PATH".parse().unwrap();
        assert_eq!(v.value, std::env::var("PATH").ok());
        let v: EnvVar = "SIX_SURELY_UNSET_VARIABLE_1234".parse().unwrap();
        assert_eq!(v.to_entry(), None);
    }

    #[test]
    fn empty_key_is_refused() {
        let e = "=value".parse::<EnvVar>().unwrap_err().to_string();
        assert!(e.contains("\"=value\""), "{e}");
        assert!("".parse::<EnvVar>().is_err());
        assert!("A B=c".parse::<EnvVar>().is_err());
    }

    #[test]
    fn env_file_skips_comments() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("env");
        std::fs::write(&f, "# comment\n\nA=1\nB=two words\n").unwrap();
        let vars = EnvVar::parse_file(&f).unwrap();
        assert_eq!(vars.len(), 2);
        assert_eq!(vars[1].to_entry().unwrap(), "B=two words");
        std::fs::write(&f, "A=1\n=bad\n").unwrap();
        let e = EnvVar::parse_file(&f).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
    }
}
