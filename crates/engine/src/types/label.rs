//! `-l/--label KEY[=VALUE]` and `--label-file FILE`: the container's own labels, on top of
//! its image's (`Config.Labels`), as Docker reads them: a KEY alone has the empty value; a
//! file has one label a line, blank lines and `#` comments skipped. Never looks at a
//! container.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::TypeError;

/// One label: a key (not empty) and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The key, as given.
    pub key: String,
    /// The value ("" for `KEY` alone).
    pub value: String,
}

impl FromStr for Label {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Label, TypeError> {
        let (key, value) = s.split_once('=').unwrap_or((s, ""));
        if key.trim().is_empty() {
            return Err(TypeError::new(
                "label",
                s,
                "expected KEY=VALUE or KEY with a non-empty KEY",
            ));
        }
        Ok(Label {
            key: key.to_owned(),
            value: value.to_owned(),
        })
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.key, self.value)
    }
}

impl Label {
    /// The labels of a `--label-file`, in file order.
    pub fn parse_file(path: &Path) -> Result<Vec<Label>, TypeError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| TypeError::new("label file", &shown, format!("cannot read it: {e}")))?;
        let mut labels = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim_start();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let label = line.parse::<Label>().map_err(|e| {
                TypeError::new("label file", &shown, format!("line {}: {e}", n + 1))
            })?;
            labels.push(label);
        }
        Ok(labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_as_docker_reads_them() {
        let l: Label = "a.b=c=d".parse().unwrap();
        assert_eq!((l.key.as_str(), l.value.as_str()), ("a.b", "c=d"));
        let l: Label = "flag".parse().unwrap();
        assert_eq!(l.to_string(), "flag=");
        assert!("=v"
            .parse::<Label>()
            .unwrap_err()
            .to_string()
            .contains("\"=v\""));
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("labels");
        std::fs::write(&file, "# team\n\nteam=core\n  tier=web\nbare\n").unwrap();
        let got: Vec<String> = Label::parse_file(&file)
            .unwrap()
            .iter()
            .map(Label::to_string)
            .collect();
        assert_eq!(got, ["team=core", "tier=web", "bare="]);
        std::fs::write(&file, "ok=1\n=bad\n").unwrap();
        let e = Label::parse_file(&file).unwrap_err().to_string();
        assert!(e.contains("line 2"), "{e}");
        assert!(Label::parse_file(&dir.path().join("none")).is_err());
    }
}
