//! Go's `filepath.Match` for one path component, as `COPY` sources use it: `*` any run of
//! characters, `?` one, `[a-z]` and `[^a-z]` classes, `\` escapes the next character.

/// Whether `s` has any of the pattern characters.
pub(crate) fn is_pattern(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Whether the name `name` matches `pattern` (neither contains `/`). A malformed class is
/// no match (Go returns ErrBadPattern).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let s: Vec<char> = name.chars().collect();
    match_from(&p, &s)
}

fn match_from(p: &[char], s: &[char]) -> bool {
    let (mut pi, mut si) = (0, 0);
    let mut backtrack: Option<(usize, usize)> = None;
    loop {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    backtrack = Some((pi, si));
                    pi += 1;
                    continue;
                }
                '?' if si < s.len() => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                '[' if si < s.len() => {
                    if let Some((ok, next)) = class(p, pi, s[si]) {
                        if ok {
                            pi = next;
                            si += 1;
                            continue;
                        }
                    } else {
                        return false;
                    }
                }
                '\\' if pi + 1 < p.len() && si < s.len() && p[pi + 1] == s[si] => {
                    pi += 2;
                    si += 1;
                    continue;
                }
                c if c != '*'
                    && c != '?'
                    && c != '['
                    && c != '\\'
                    && si < s.len()
                    && c == s[si] =>
                {
                    pi += 1;
                    si += 1;
                    continue;
                }
                _ => {}
            }
        } else if si == s.len() {
            return true;
        }
        match backtrack {
            Some((bp, bs)) if bs < s.len() => {
                backtrack = Some((bp, bs + 1));
                pi = bp + 1;
                si = bs + 1;
            }
            _ => return false,
        }
    }
}

/// The class starting at `p[at]` (`[`) against `c`: (matched, index after `]`); None when
/// malformed.
fn class(p: &[char], at: usize, c: char) -> Option<(bool, usize)> {
    let mut i = at + 1;
    let negated = matches!(p.get(i), Some('^') | Some('!'));
    if negated {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let ch = *p.get(i)?;
        if ch == ']' && !first {
            return Some((hit != negated, i + 1));
        }
        first = false;
        let lo = if ch == '\\' {
            i += 1;
            *p.get(i)?
        } else {
            ch
        };
        i += 1;
        let hi = if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|n| *n != ']') {
            i += 1;
            let h = if p[i] == '\\' {
                i += 1;
                *p.get(i)?
            } else {
                p[i]
            };
            i += 1;
            h
        } else {
            lo
        };
        if lo <= c && c <= hi {
            hit = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gos_filepath_match() {
        assert!(matches("*.txt", "a.txt"));
        assert!(matches("*", ".hidden"));
        assert!(!matches("*.txt", "a.txt.bak"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("file[0-9]", "file5"));
        assert!(!matches("file[^0-9]", "file5"));
        assert!(matches("file[!0-9]", "filex"));
        assert!(matches(r"lit\*", "lit*"));
        assert!(!matches(r"lit\*", "litx"));
        assert!(matches("*a*b*", "xxaxxbxx"));
        assert!(!matches("[a-", "a"), "malformed");
        assert!(is_pattern("a*") && !is_pattern("plain/name"));
    }
}
