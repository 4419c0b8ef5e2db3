//! Docker's shell-word expansion of instruction arguments (BuildKit's `shell.Lex`): `$VAR`,
//! `${VAR}`, `${VAR:-word}` (word when unset or empty), `${VAR-word}` (when unset),
//! `${VAR:+word}` / `${VAR+word}` (word when set), `${VAR:?msg}` / `${VAR?msg}` (an error when
//! unset), `${VAR#pat}` `${VAR##pat}` `${VAR%pat}` `${VAR%%pat}` (prefix and suffix removal,
//! `*` and `?` patterns); single quotes literal, double quotes expand, the escape character
//! takes the next one literally. Quotes are removed. `words` also splits on blanks outside
//! quotes (expanded values split too). Never sees a shell: `RUN`'s arguments are the shell's.

use crate::error::{Error, Result};

/// The variables an expansion sees.
pub trait Vars {
    /// The value of `name`, None when unset.
    fn get(&self, name: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Vars for F {
    fn get(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// `word` expanded, quotes removed, never split.
pub fn word(s: &str, escape: char, vars: &dyn Vars) -> Result<String> {
    let mut l = Lexer::new(s, escape, vars);
    let mut out = Words::default();
    l.run(&mut out, None)?;
    Ok(out.joined)
}

/// `s` expanded, quotes removed, split into words on blanks outside quotes.
pub fn words(s: &str, escape: char, vars: &dyn Vars) -> Result<Vec<String>> {
    let mut l = Lexer::new(s, escape, vars);
    let mut out = Words::default();
    l.run(&mut out, None)?;
    out.end_word();
    Ok(out.words)
}

/// The result being built: the whole string, and its words.
#[derive(Default)]
struct Words {
    joined: String,
    words: Vec<String>,
    current: String,
    in_word: bool,
}

impl Words {
    /// A character that splits words when it is blank.
    fn add(&mut self, c: char) {
        self.joined.push(c);
        if c.is_whitespace() {
            self.end_word();
        } else {
            self.current.push(c);
            self.in_word = true;
        }
    }

    /// A quoted character: never splits.
    fn add_raw(&mut self, c: char) {
        self.joined.push(c);
        self.current.push(c);
        self.in_word = true;
    }

    /// An empty quoted string still makes a word (`""`).
    fn mark(&mut self) {
        self.in_word = true;
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.words.push(std::mem::take(&mut self.current));
            self.in_word = false;
        }
    }
}

struct Lexer<'a> {
    chars: Vec<char>,
    at: usize,
    escape: char,
    vars: &'a dyn Vars,
    source: &'a str,
}

impl<'a> Lexer<'a> {
    fn new(s: &'a str, escape: char, vars: &'a dyn Vars) -> Lexer<'a> {
        Lexer {
            chars: s.chars().collect(),
            at: 0,
            escape,
            vars,
            source: s,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek();
        self.at += 1;
        c
    }

    fn bad(&self, what: &str) -> Error {
        Error::Expand(format!("{what} in {:?}", self.source))
    }

    /// Reads until `stop` (unquoted, unescaped; consumed) or the end.
    fn run(&mut self, out: &mut Words, stop: Option<char>) -> Result<()> {
        while let Some(c) = self.next() {
            if Some(c) == stop {
                return Ok(());
            }
            if c == self.escape {
                match self.next() {
                    Some(n) => out.add_raw(n),
                    None => break,
                }
            } else if c == '\'' {
                out.mark();
                loop {
                    match self.next() {
                        Some('\'') => break,
                        Some(n) => out.add_raw(n),
                        None => return Err(self.bad(
                            "unexpected end of statement while looking for matching single-quote",
                        )),
                    }
                }
            } else if c == '"' {
                out.mark();
                self.double_quoted(out)?;
            } else if c == '$' {
                let value = self.dollar()?;
                for v in value.chars() {
                    out.add(v);
                }
            } else {
                out.add(c);
            }
        }
        match stop {
            Some(s) => Err(self.bad(&format!("missing '{s}'"))),
            None => Ok(()),
        }
    }

    fn double_quoted(&mut self, out: &mut Words) -> Result<()> {
        loop {
            match self.next() {
                None => {
                    return Err(self.bad(
                        "unexpected end of statement while looking for matching double-quote",
                    ))
                }
                Some('"') => return Ok(()),
                Some('$') => {
                    for v in self.dollar()?.chars() {
                        out.add_raw(v);
                    }
                }
                Some(c) if c == self.escape => match self.peek() {
                    Some(n) if n == '"' || n == '$' || n == self.escape => {
                        self.at += 1;
                        out.add_raw(n);
                    }
                    Some(_) => out.add_raw(c),
                    None => {}
                },
                Some(c) => out.add_raw(c),
            }
        }
    }

    fn name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                name.push(c);
                self.at += 1;
            } else {
                break;
            }
        }
        name
    }

    /// After a `$`: the value it stands for.
    fn dollar(&mut self) -> Result<String> {
        match self.peek() {
            Some('{') => self.at += 1,
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                let name = self.name();
                return Ok(self.vars.get(&name).unwrap_or_default());
            }
            _ => return Ok("$".to_owned()),
        }
        let name = self.name();
        if name.is_empty() {
            return Err(self.bad("bad substitution"));
        }
        let value = self.vars.get(&name);
        let c = self.next().ok_or_else(|| self.bad("missing '}'"))?;
        if c == '}' {
            return Ok(value.unwrap_or_default());
        }
        let (colon, op) = if c == ':' {
            (true, self.next().ok_or_else(|| self.bad("missing '}'"))?)
        } else {
            (false, c)
        };
        let mut inner = Words::default();
        self.run(&mut inner, Some('}'))?;
        let word = inner.joined;
        let set = match (&value, colon) {
            (Some(v), true) => !v.is_empty(),
            (Some(_), false) => true,
            (None, _) => false,
        };
        match op {
            '-' => Ok(if set { value.unwrap_or_default() } else { word }),
            '+' => Ok(if set { word } else { String::new() }),
            '?' if set => Ok(value.unwrap_or_default()),
            '?' => Err(Error::Expand(if word.is_empty() {
                format!("{name}: is not allowed to be unset")
            } else {
                format!("{name}: {word}")
            })),
            '#' | '%' if !colon => {
                let v = value.unwrap_or_default();
                let (longest, pattern) = match word.strip_prefix(op) {
                    Some(p) => (true, p.to_owned()),
                    None => (false, word),
                };
                Ok(remove_affix(&v, &pattern, op == '#', longest))
            }
            other => Err(self.bad(&format!("unsupported modifier ({other}) in substitution"))),
        }
    }
}

/// `${v#p}` (prefix) or `${v%p}` (suffix) removal, shortest or longest match.
fn remove_affix(v: &str, pattern: &str, prefix: bool, longest: bool) -> String {
    let cuts: Vec<usize> = v
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(v.len()))
        .collect();
    let try_cut = |i: usize| {
        if prefix {
            glob_match(pattern, &v[..i]).then(|| v[i..].to_owned())
        } else {
            glob_match(pattern, &v[i..]).then(|| v[..i].to_owned())
        }
    };
    // Shortest match first: for a prefix the smallest i, for a suffix the largest.
    let order: Vec<usize> = match (prefix, longest) {
        (true, false) | (false, true) => cuts.clone(),
        (true, true) | (false, false) => cuts.iter().rev().copied().collect(),
    };
    order
        .into_iter()
        .find_map(try_cut)
        .unwrap_or_else(|| v.to_owned())
}

/// `*` and `?` glob over a whole string.
fn glob_match(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "EMPTY" => Some(String::new()),
            "SP" => Some("x  y".into()),
            "P" => Some("/usr/local/bin/tool.tar.gz".into()),
            _ => None,
        }
    }

    fn w(s: &str) -> String {
        word(s, '\\', &vars).unwrap()
    }

    #[test]
    fn plain_and_braced_variables() {
        assert_eq!(w("$A/${A}_$A-x"), "alpha/alpha_alpha-x");
        assert_eq!(w("$NOPE.${NOPE}"), ".");
        assert_eq!(w("cost: $ 5 $"), "cost: $ 5 $");
    }

    #[test]
    fn dockers_modifiers() {
        assert_eq!(w("${A:-d}|${EMPTY:-d}|${NOPE:-d}"), "alpha|d|d");
        assert_eq!(w("${A-d}|${EMPTY-d}|${NOPE-d}"), "alpha||d");
        assert_eq!(w("${A:+s}|${EMPTY:+s}|${NOPE:+s}"), "s||");
        assert_eq!(w("${A+s}|${EMPTY+s}|${NOPE+s}"), "s|s|");
        assert_eq!(w("${NOPE:-${A}x}"), "alphax", "nested");
        assert_eq!(
            word("${NOPE:?must be set}", '\\', &vars)
                .unwrap_err()
                .to_string(),
            "NOPE: must be set"
        );
        assert!(word("${A:*x}", '\\', &vars).is_err());
        assert!(word("${", '\\', &vars).is_err());
    }

    #[test]
    fn prefix_and_suffix_removal() {
        assert_eq!(w("${P#*/}"), "usr/local/bin/tool.tar.gz");
        assert_eq!(w("${P##*/}"), "tool.tar.gz");
        assert_eq!(w("${P%.*}"), "/usr/local/bin/tool.tar");
        assert_eq!(w("${P%%.*}"), "/usr/local/bin/tool");
    }

    #[test]
    fn quotes_and_escapes() {
        assert_eq!(
            w(r#"'$A' "$A" \$A "\$A" "a\b" it\'s"#),
            r#"$A alpha $A $A a\b it's"#
        );
        assert_eq!(word("a`$A", '`', &vars).unwrap(), "a$A");
        assert!(word("'open", '\\', &vars).is_err());
    }

    #[test]
    fn splitting_only_outside_quotes() {
        let ws = |s| words(s, '\\', &vars).unwrap();
        assert_eq!(
            ws(r#"a "b c" $SP "$SP" '' d"#),
            ["a", "b c", "x", "y", "x  y", "", "d"]
        );
    }
}
