//! A Dockerfile's text as logical lines, as Docker's parser reads it: parser directives at the
//! top (`# syntax=`, `# escape=`, `# check=`), comments and blank lines dropped, line
//! continuations (the escape character at the end of a line) joined, comment and blank lines
//! inside a continuation skipped, and the here-documents of `RUN`, `COPY` and `ADD`
//! (`<<EOF` ... `EOF`, `<<-EOF` strips leading tabs, a quoted word turns expansion off) taken
//! from the lines that follow. Knows no instruction's arguments (instruction.rs does).

use crate::error::{Error, Result};

/// One here-document of an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// Its delimiter word, unquoted (`EOF`).
    pub name: String,
    /// Its lines, each ending with a newline.
    pub content: String,
    /// Variables in it are expanded (the word was not quoted).
    pub expand: bool,
}

/// One instruction as written: its keyword and the text of its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based line of the keyword.
    pub number: usize,
    /// The keyword, upper case (`RUN`).
    pub keyword: String,
    /// The arguments, continuations joined, leading and trailing blanks trimmed.
    pub rest: String,
    /// Its here-documents, in order.
    pub heredocs: Vec<Heredoc>,
}

/// What the top of the file said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The escape character: `\` (default) or `` ` ``.
    pub escape: char,
    /// `# syntax=`: the frontend image Docker would use (kept to warn about; this builder
    /// is its own frontend).
    pub syntax: Option<String>,
}

/// Splits `text` into its directives and logical lines.
pub fn split(text: &str) -> Result<(Directives, Vec<Line>)> {
    let raw: Vec<&str> = text.lines().collect();
    let mut directives = Directives {
        escape: '\\',
        syntax: None,
    };
    let mut i = 0;
    // Directives: `# key=value` lines before anything else.
    let mut seen = Vec::new();
    while i < raw.len() {
        let Some((key, value)) = directive(raw[i]) else {
            break;
        };
        if seen.contains(&key) {
            return Err(Error::dockerfile(
                i + 1,
                format!("only one {key} parser directive can be used"),
            ));
        }
        match key.as_str() {
            "escape" => {
                directives.escape = match value.as_str() {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(Error::dockerfile(
                            i + 1,
                            format!("invalid escape token '{value}' does not match ` or \\"),
                        ))
                    }
                }
            }
            "syntax" => directives.syntax = Some(value),
            "check" => {}
            _ => break, // an unknown directive is a comment, and ends the directives
        }
        seen.push(key);
        i += 1;
    }
    let escape = directives.escape;
    let mut lines = Vec::new();
    while i < raw.len() {
        let start = i;
        let first = raw[i];
        i += 1;
        let trimmed = first.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut joined = String::new();
        let mut current = first.to_owned();
        loop {
            match continued(&current, escape) {
                Some(head) => {
                    joined.push_str(head);
                    // Skip comment and blank lines inside a continuation.
                    while i < raw.len() && {
                        let t = raw[i].trim_start();
                        t.is_empty() || t.starts_with('#')
                    } {
                        i += 1;
                    }
                    if i >= raw.len() {
                        break;
                    }
                    current = raw[i].to_owned();
                    i += 1;
                }
                None => {
                    joined.push_str(&current);
                    break;
                }
            }
        }
        let text = joined.trim();
        let (keyword, rest) = match text.find(|c: char| c.is_whitespace()) {
            Some(at) => (&text[..at], text[at..].trim()),
            None => (text, ""),
        };
        let keyword = keyword.to_ascii_uppercase();
        let mut heredocs = Vec::new();
        if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
            for (name, strip_tabs, expand) in heredoc_words(rest, escape) {
                let mut content = String::new();
                let mut closed = false;
                while i < raw.len() {
                    let mut l = raw[i];
                    i += 1;
                    if strip_tabs {
                        l = l.trim_start_matches('\t');
                    }
                    if l == name {
                        closed = true;
                        break;
                    }
                    content.push_str(l);
                    content.push('\n');
                }
                if !closed {
                    return Err(Error::dockerfile(
                        start + 1,
                        format!("unterminated heredoc: no line {name} after it"),
                    ));
                }
                heredocs.push(Heredoc {
                    name,
                    content,
                    expand,
                });
            }
        }
        lines.push(Line {
            number: start + 1,
            keyword,
            rest: rest.to_owned(),
            heredocs,
        });
    }
    Ok((directives, lines))
}

/// `# key=value` at the top of a file: (lower-case key, value).
fn directive(line: &str) -> Option<(String, String)> {
    let body = line.trim().strip_prefix('#')?.trim();
    let (key, value) = body.split_once('=')?;
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    Some((key.to_ascii_lowercase(), value.trim().to_owned()))
}

/// The line without its continuation (the escape character at its end, blanks after it
/// allowed); None when it does not continue.
fn continued(line: &str, escape: char) -> Option<&str> {
    let t = line.trim_end_matches([' ', '\t']);
    t.strip_suffix(escape)
}

/// The here-document words of an instruction's arguments (`<<EOF`, `<<-EOF`, `<<"EOF"`):
/// (name, strip leading tabs, expand). Words inside quotes are not here-documents.
pub(crate) fn heredoc_words(rest: &str, escape: char) -> Vec<(String, bool, bool)> {
    let mut out = Vec::new();
    for word in raw_words(rest, escape) {
        let Some(spec) = word.strip_prefix("<<") else {
            continue;
        };
        if spec.starts_with('<') {
            continue; // a here-string (<<<), the shell's business
        }
        let (strip, spec) = match spec.strip_prefix('-') {
            Some(s) => (true, s),
            None => (false, spec),
        };
        let (name, expand) = match unquote(spec) {
            Some(n) => (n, false),
            None => (spec.to_owned(), true),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        out.push((name, strip, expand));
    }
    out
}

/// `"x"` or `'x'` → x.
fn unquote(s: &str) -> Option<String> {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return Some(inner.to_owned());
        }
    }
    None
}

/// Words split on blanks outside quotes; quotes and escapes kept in them (Docker's
/// `parseWords`).
pub(crate) fn raw_words(s: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if quote.is_none() && c.is_whitespace() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        word.push(c);
        if c == escape && quote != Some('\'') {
            if let Some(n) = chars.next() {
                word.push(n);
            }
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            _ => {}
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(usize, String, String)> {
        split(text)
            .unwrap()
            .1
            .into_iter()
            .map(|l| (l.number, l.keyword, l.rest))
            .collect()
    }

    #[test]
    fn continuations_comments_and_blank_lines() {
        let text = "# a comment\nFROM busybox\n\nrun echo a \\\n   b \\\n# inside\n\n  c\n  # indented comment\nCMD [\"sh\"]\n";
        assert_eq!(
            lines(text),
            [
                (2, "FROM".into(), "busybox".into()),
                (4, "RUN".into(), "echo a    b   c".into()),
                (10, "CMD".into(), "[\"sh\"]".into()),
            ]
        );
    }

    #[test]
    fn directives_only_at_the_top() {
        let (d, l) =
            split("# syntax=docker/dockerfile:1\n# escape=`\nFROM x\nRUN a `\n b\n").unwrap();
        assert_eq!(d.escape, '`');
        assert_eq!(d.syntax.as_deref(), Some("docker/dockerfile:1"));
        assert_eq!(l[1].rest, "a  b");
        let (d, _) = split("FROM x\n# escape=`\n").unwrap();
        assert_eq!(
            d.escape, '\\',
            "a directive after an instruction is a comment"
        );
        let (d, _) = split("# comment\n# escape=`\nFROM x\n").unwrap();
        assert_eq!(d.escape, '\\', "a directive after a comment is a comment");
        assert!(split("# escape=x\nFROM y")
            .unwrap_err()
            .to_string()
            .contains("invalid escape token"));
    }

    #[test]
    fn heredocs_are_taken_from_the_following_lines() {
        let text = "FROM x\nRUN <<EOF\necho a\n  echo b\nEOF\nCOPY <<-\"A\" <<B /dst/\n\tone\n\tA\ntwo\nB\nCMD x\n";
        let (_, l) = split(text).unwrap();
        assert_eq!(l.len(), 4);
        assert_eq!(l[1].heredocs[0].content, "echo a\n  echo b\n");
        assert!(l[1].heredocs[0].expand);
        assert_eq!(l[2].heredocs[0].name, "A");
        assert_eq!(l[2].heredocs[0].content, "one\n");
        assert!(!l[2].heredocs[0].expand);
        assert_eq!(l[2].heredocs[1].content, "two\n");
        assert_eq!(l[3].keyword, "CMD");
        assert!(split("FROM x\nRUN <<EOF\nnever closed\n").is_err());
        let (_, l) = split("FROM x\nRUN echo \"<<EOF\"\n").unwrap();
        assert!(l[1].heredocs.is_empty(), "quoted: not a heredoc");
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        assert_eq!(
            raw_words(r#"a="b c" d=e\ f  'g h'"#, '\\'),
            [r#"a="b c""#, r"d=e\ f", "'g h'"]
        );
    }
}
