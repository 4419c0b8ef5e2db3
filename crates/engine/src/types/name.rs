//! `ContainerName`: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, as Docker allows (a leading `/` is dropped).

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// A container name Docker accepts: `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (a leading "/" is
/// stripped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ContainerName(String);

impl ContainerName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for ContainerName {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<ContainerName, TypeError> {
        let name = s.strip_prefix('/').unwrap_or(s);
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            && name.len() <= 128;
        if valid {
            Ok(ContainerName(name.to_owned()))
        } else {
            Err(TypeError::new(
                "container name",
                s,
                "expected [a-zA-Z0-9][a-zA-Z0-9_.-]* (at most 128 characters)",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            "mycontainer".parse::<ContainerName>().unwrap().as_str(),
            "mycontainer"
        );
        assert_eq!("/web".parse::<ContainerName>().unwrap().as_str(), "web");
        assert!("a_b.c-1".parse::<ContainerName>().is_ok());
        for bad in ["", "-a", "_a", "a b", "a/b", "é"] {
            assert!(bad
                .parse::<ContainerName>()
                .unwrap_err()
                .to_string()
                .contains("container name"));
        }
    }
}
