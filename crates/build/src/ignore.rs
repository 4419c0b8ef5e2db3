//! `.dockerignore`, with Docker's pattern rules (moby's `patternmatcher`): one pattern a
//! line, `#` comments, each cleaned (`./a/../b` is `b`, a leading `/` dropped); Go's
//! `filepath.Match` syntax (`*` and `?` never cross a `/`, `[a-z]` classes, `\` escapes)
//! plus `**` for any number of directories; `!` re-includes. The last pattern that matches a
//! path, or one of its parent directories, decides.

use regex::Regex;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
enum Kind {
    Exact,
    /// `foo/**`: everything below `foo/`.
    Prefix(String),
    /// `**/foo` (and `**foo`): paths ending so.
    Suffix(String),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

/// The patterns of one `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct Ignore {
    patterns: Vec<Pattern>,
}

impl Ignore {
    /// Reads the text of a `.dockerignore`.
    pub fn parse(text: &str) -> Result<Ignore> {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclusion, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if body.is_empty() {
                return Err(Error::Invalid(
                    ".dockerignore: illegal exclusion pattern: \"!\"".into(),
                ));
            }
            let mut cleaned = clean(body);
            if cleaned.len() > 1 && cleaned.starts_with('/') {
                cleaned.remove(0);
            }
            let kind = compile(&cleaned)
                .map_err(|e| Error::Invalid(format!(".dockerignore: bad pattern {body:?}: {e}")))?;
            patterns.push(Pattern {
                cleaned,
                exclusion,
                kind,
            });
        }
        Ok(Ignore { patterns })
    }

    /// Whether there are `!` patterns (an ignored directory may then hold kept files).
    pub fn has_exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Whether `path` (relative to the context, `/`-separated, clean) is left out.
    pub fn ignores(&self, path: &str) -> bool {
        let mut matched = false;
        let parents: Vec<&str> = match path.rfind('/') {
            Some(at) => path[..at].split('/').collect(),
            None => Vec::new(),
        };
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.matches(path);
            if !hit {
                for i in 0..parents.len() {
                    if p.matches(&parents[..=i].join("/")) {
                        hit = true;
                        break;
                    }
                }
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }
}

impl Pattern {
    fn matches(&self, path: &str) -> bool {
        match &self.kind {
            Kind::Exact => path == self.cleaned,
            Kind::Prefix(p) => path.starts_with(p.as_str()),
            Kind::Suffix(s) => {
                path.ends_with(s.as_str()) || (s.starts_with('/') && path == &s[1..])
            }
            Kind::Regex(r) => r.is_match(path),
        }
    }
}

/// Go's `filepath.Clean` for a relative or absolute slash path.
fn clean(p: &str) -> String {
    let absolute = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// moby's `Pattern.compile`: the cheap kinds where they apply, else a regex.
fn compile(pattern: &str) -> std::result::Result<Kind, regex::Error> {
    #[derive(PartialEq)]
    enum T {
        Exact,
        Prefix,
        Suffix,
        Regex,
    }
    let mut re = String::from("^");
    let mut t = T::Exact;
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c == '*' {
            if chars.get(i) == Some(&'*') {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i >= chars.len() {
                    if t == T::Exact {
                        t = T::Prefix;
                    } else {
                        re.push_str(".*");
                        t = T::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    t = T::Regex;
                }
                if first {
                    t = T::Suffix;
                }
            } else {
                re.push_str("[^/]*");
                t = T::Regex;
            }
        } else if c == '?' {
            re.push_str("[^/]");
            t = T::Regex;
        } else if ".+()|{}$".contains(c) {
            re.push('\\');
            re.push(c);
        } else if c == '\\' {
            match chars.get(i) {
                Some(&n) => {
                    i += 1;
                    re.push_str(&regex::escape(&n.to_string()));
                    t = T::Regex;
                }
                None => re.push_str("\\\\"),
            }
        } else if c == '[' || c == ']' {
            re.push(c);
            t = T::Regex;
        } else {
            re.push(c);
        }
        first = false;
    }
    re.push('$');
    Ok(match t {
        T::Exact => Kind::Exact,
        T::Prefix => Kind::Prefix(pattern[..pattern.len() - 2].to_owned()),
        T::Suffix => Kind::Suffix(pattern[2..].to_owned()),
        T::Regex => Kind::Regex(Regex::new(&re)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ig(text: &str) -> Ignore {
        Ignore::parse(text).unwrap()
    }

    #[test]
    fn plain_names_match_the_path_and_everything_below() {
        let i = ig("# c\n\nsecret\n/build/\n./tmp/../logs\n");
        assert!(i.ignores("secret"));
        assert!(i.ignores("secret/key"));
        assert!(!i.ignores("a/secret"), "anchored at the context root");
        assert!(i.ignores("build/out.o"));
        assert!(i.ignores("logs"));
        assert!(!i.ignores("tmp"));
    }

    #[test]
    fn stars_stay_within_one_directory_double_stars_cross() {
        let i = ig("*.log\n*/temp*\n**/*.bak\ndocs/**\n");
        assert!(i.ignores("a.log"));
        assert!(!i.ignores("d/a.log"));
        assert!(i.ignores("x/temporary"));
        assert!(!i.ignores("x/y/temporary"));
        assert!(i.ignores("deep/er/f.bak"));
        assert!(i.ignores("f.bak"));
        assert!(i.ignores("docs/a/b"));
        assert!(!i.ignores("docs"), "docs/** is what is below docs");
    }

    #[test]
    fn exclusions_re_include_and_the_last_match_wins() {
        let i = ig("*.md\n!README.md\nREADME*.md\n!README-keep.md\n");
        assert!(i.ignores("CHANGES.md"));
        assert!(i.ignores("README.md"), "README*.md came after !README.md");
        assert!(!i.ignores("README-keep.md"));
        let j = ig("dir\n!dir/keep\n");
        assert!(j.ignores("dir/x"));
        assert!(!j.ignores("dir/keep"));
        assert!(j.has_exclusions());
    }

    #[test]
    fn classes_escapes_and_question_marks() {
        let i = ig("file[0-9]\n?.txt\nlit\\*\n**.tmp\n");
        assert!(i.ignores("file7"));
        assert!(!i.ignores("fileA"));
        assert!(i.ignores("a.txt"));
        assert!(!i.ignores("ab.txt"));
        assert!(i.ignores("lit*"));
        assert!(!i.ignores("litx"));
        assert!(i.ignores("a/b/c.tmp"), "**.tmp is a suffix match");
        assert!(Ignore::parse("!\n").is_err());
    }
}
