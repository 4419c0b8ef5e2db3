//! The lexer: template text into tokens, as Go's text/template/parse lexer reads it — text
//! between actions, `{{`/`}}` with their trim markers (`{{- ` and ` -}}`), comments, and the
//! words inside an action (fields, variables, identifiers, numbers, strings, punctuation).
//!
//! It only cuts text into tokens; what they mean is the parser's business.

use crate::Error;

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// Plain text between actions (already trimmed by adjacent trim markers).
    Text(String),
    LeftDelim,
    RightDelim,
    /// A word: a function name or a keyword (`if`, `range`, `end`, ...).
    Ident(String),
    /// `.Name` (the name, without the dot).
    Field(String),
    /// `$` or `$name` (with the `$`).
    Variable(String),
    Dot,
    /// A number as written (`12`, `-3.5`, `0x1F`, `1e3`).
    Number(String),
    /// A character constant (`'a'`), a number in Go.
    Char(char),
    /// A quoted or raw string, unquoted.
    Str(String),
    Bool(bool),
    Nil,
    Pipe,
    LeftParen,
    RightParen,
    Declare,
    Assign,
    Comma,
    Space,
    Eof,
}

/// A token and the byte offset where it starts.
#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

/// Cuts `src` into tokens, ending with `Eof`.
pub fn lex(src: &str) -> Result<Vec<Token>, Error> {
    let mut lexer = Lexer {
        src,
        pos: 0,
        tokens: Vec::new(),
        paren_depth: 0,
    };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    paren_depth: usize,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn error(&self, message: impl std::fmt::Display) -> Error {
        Error::parse(self.src, self.pos, message)
    }

    fn push(&mut self, tok: Tok, pos: usize) {
        self.tokens.push(Token { tok, pos });
    }

    fn run(&mut self) -> Result<(), Error> {
        loop {
            // Text up to the next action.
            let start = self.pos;
            let Some(offset) = self.rest().find(LEFT) else {
                let text = &self.src[start..];
                if !text.is_empty() {
                    self.push(Tok::Text(text.to_owned()), start);
                }
                self.push(Tok::Eof, self.src.len());
                return Ok(());
            };
            let delim = start + offset;
            let after = &self.src[delim + LEFT.len()..];
            let trim_left = after.starts_with('-') && after[1..].starts_with(is_space);
            let mut text = &self.src[start..delim];
            if trim_left {
                text = text.trim_end_matches(is_space);
            }
            if !text.is_empty() {
                self.push(Tok::Text(text.to_owned()), start);
            }
            self.pos = delim + LEFT.len();
            if trim_left {
                self.pos += 2; // "-" and one space
            }
            if self.rest().starts_with("/*") {
                self.comment(delim)?;
            } else {
                self.push(Tok::LeftDelim, delim);
                self.inside_action()?;
            }
        }
    }

    /// `{{/* ... */}}`: skipped; the closing may trim too.
    fn comment(&mut self, delim: usize) -> Result<(), Error> {
        let Some(end) = self.rest().find("*/") else {
            self.pos = delim;
            return Err(self.error("unclosed comment"));
        };
        self.pos += end + 2;
        let (trim, close) = self.right_delim_here();
        if !close {
            return Err(self.error("comment ends before closing delimiter"));
        }
        self.pos += if trim { 2 + RIGHT.len() } else { RIGHT.len() };
        if trim {
            self.trim_following_space();
        }
        Ok(())
    }

    /// Is a right delimiter (with or without a trim marker) at the current position?
    fn right_delim_here(&self) -> (bool, bool) {
        let rest = self.rest();
        if rest.starts_with(is_space) && rest[1..].starts_with("-}}") {
            return (true, true);
        }
        (false, rest.starts_with(RIGHT))
    }

    fn trim_following_space(&mut self) {
        let trimmed = self.rest().trim_start_matches(is_space);
        self.pos = self.src.len() - trimmed.len();
    }

    fn inside_action(&mut self) -> Result<(), Error> {
        loop {
            let (trim, close) = self.right_delim_here();
            if close && self.paren_depth > 0 {
                return Err(self.error("unclosed left paren"));
            }
            if close {
                let at = self.pos;
                if trim {
                    self.pos += 2 + RIGHT.len();
                } else {
                    self.pos += RIGHT.len();
                }
                self.push(Tok::RightDelim, at);
                if trim {
                    self.trim_following_space();
                }
                return Ok(());
            }
            let Some(c) = self.rest().chars().next() else {
                return Err(self.error("unclosed action"));
            };
            let start = self.pos;
            match c {
                c if is_space(c) => self.spaces(start),
                '=' => {
                    self.pos += 1;
                    self.push(Tok::Assign, start);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err(self.error("expected :="));
                    }
                    self.pos += 2;
                    self.push(Tok::Declare, start);
                }
                '|' => {
                    self.pos += 1;
                    self.push(Tok::Pipe, start);
                }
                ',' => {
                    self.pos += 1;
                    self.push(Tok::Comma, start);
                }
                '"' => self.quoted(start)?,
                '`' => self.raw_quoted(start)?,
                '\'' => self.char_constant(start)?,
                '$' => {
                    self.pos += 1;
                    let name = self.word();
                    self.push(Tok::Variable(format!("${name}")), start);
                    self.check_terminator()?;
                }
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    match next {
                        Some(d) if d.is_ascii_digit() => self.number(start)?,
                        Some(n) if is_alphanumeric(n) => {
                            self.pos += 1;
                            let name = self.word();
                            self.push(Tok::Field(name), start);
                            self.check_terminator()?;
                        }
                        _ => {
                            self.pos += 1;
                            self.push(Tok::Dot, start);
                        }
                    }
                }
                '+' | '-' | '0'..='9' => self.number(start)?,
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.push(Tok::LeftParen, start);
                }
                ')' => {
                    if self.paren_depth == 0 {
                        return Err(self.error("unexpected right paren"));
                    }
                    self.pos += 1;
                    self.paren_depth -= 1;
                    self.push(Tok::RightParen, start);
                }
                c if is_alphanumeric(c) => {
                    let word = self.word();
                    let tok = match word.as_str() {
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        "nil" => Tok::Nil,
                        _ => Tok::Ident(word),
                    };
                    self.push(tok, start);
                    self.check_terminator()?;
                }
                c => {
                    return Err(self.error(format!(
                        "unrecognized character in action: {}",
                        go_char_name(c)
                    )))
                }
            }
        }
    }

    /// A run of spaces, stopping before the space of a " -}}" trim marker.
    fn spaces(&mut self, start: usize) {
        while let Some(c) = self.rest().chars().next().filter(|c| is_space(*c)) {
            if self.rest()[c.len_utf8()..].starts_with("-}}") {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.pos > start {
            self.push(Tok::Space, start);
        }
    }

    fn word(&mut self) -> String {
        let rest = self.rest();
        let len = rest.find(|c| !is_alphanumeric(c)).unwrap_or(rest.len());
        let word = rest[..len].to_owned();
        self.pos += len;
        word
    }

    /// After a word: a space, the end, `.`, `,`, `|`, `:`, `=`, `(`, `)` or `}}`.
    fn check_terminator(&self) -> Result<(), Error> {
        let rest = self.rest();
        match rest.chars().next() {
            None => Ok(()),
            Some(c) if is_space(c) || ".,|:=()".contains(c) => Ok(()),
            Some(_) if rest.starts_with(RIGHT) => Ok(()),
            Some(c) => Err(self.error(format!("bad character {}", go_char_name(c)))),
        }
    }

    fn number(&mut self, start: usize) -> Result<(), Error> {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let mut i = 0;
        if matches!(bytes.first(), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut digits = "0123456789_";
        if rest[i..].starts_with("0x") || rest[i..].starts_with("0X") {
            i += 2;
            digits = "0123456789abcdefABCDEF_";
        } else if rest[i..].starts_with("0o") || rest[i..].starts_with("0O") {
            i += 2;
            digits = "01234567_";
        } else if rest[i..].starts_with("0b") || rest[i..].starts_with("0B") {
            i += 2;
            digits = "01_";
        }
        let accept_run = |i: &mut usize, set: &str| {
            while *i < bytes.len() && set.contains(bytes[*i] as char) {
                *i += 1;
            }
        };
        accept_run(&mut i, digits);
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            accept_run(&mut i, digits);
        }
        let exponent = if digits.len() == 11 { "eE" } else { "pP" };
        if i < bytes.len() && exponent.contains(bytes[i] as char) {
            i += 1;
            if i < bytes.len() && matches!(bytes[i], b'+' | b'-') {
                i += 1;
            }
            accept_run(&mut i, "0123456789_");
        }
        let text = &rest[..i];
        let next = rest[i..].chars().next();
        if next.is_some_and(is_alphanumeric) || text.trim_start_matches(['+', '-']).is_empty() {
            let end = i + next.map_or(0, char::len_utf8);
            return Err(self.error(format!("bad number syntax: {:?}", &rest[..end])));
        }
        self.pos += i;
        self.push(Tok::Number(text.to_owned()), start);
        Ok(())
    }

    /// The unescaped text between `quote` and its closing twin, and the length consumed.
    fn scan_quoted(&self, quote: char, what: &str) -> Result<(String, usize), Error> {
        let rest = self.rest();
        let mut chars = rest.char_indices().skip(1);
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => {
                    chars.next();
                }
                Some((i, c)) if c == quote => break i,
                Some((_, '\n')) | None => return Err(self.error(format!("unterminated {what}"))),
                _ => {}
            }
        };
        let value = unquote(&rest[1..end]).map_err(|m| self.error(m))?;
        Ok((value, end + 1))
    }

    fn quoted(&mut self, start: usize) -> Result<(), Error> {
        let (value, len) = self.scan_quoted('"', "quoted string")?;
        self.pos += len;
        self.push(Tok::Str(value), start);
        Ok(())
    }

    fn raw_quoted(&mut self, start: usize) -> Result<(), Error> {
        let rest = self.rest();
        let Some(end) = rest[1..].find('`') else {
            return Err(self.error("unterminated raw quoted string"));
        };
        let value = rest[1..1 + end].replace('\r', "");
        self.pos += end + 2;
        self.push(Tok::Str(value), start);
        Ok(())
    }

    fn char_constant(&mut self, start: usize) -> Result<(), Error> {
        let (value, len) = self.scan_quoted('\'', "character constant")?;
        let mut it = value.chars();
        let (Some(c), None) = (it.next(), it.next()) else {
            let text = &self.rest()[..len];
            return Err(self.error(format!("malformed character constant: {text}")));
        };
        self.pos += len;
        self.push(Tok::Char(c), start);
        Ok(())
    }
}

/// Go's escapes in a quoted string: \a \b \f \n \r \t \v \\ \" \' \xNN \NNN \uNNNN \UNNNNNNNN.
fn unquote(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or("invalid syntax")?;
        let hex = |chars: &mut std::str::Chars, n: usize| -> Result<u32, String> {
            let digits: String = chars.by_ref().take(n).collect();
            if digits.len() != n {
                return Err("invalid syntax".into());
            }
            u32::from_str_radix(&digits, 16).map_err(|_| "invalid syntax".into())
        };
        let decoded = match e {
            'a' => '\x07',
            'b' => '\x08',
            'f' => '\x0c',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'v' => '\x0b',
            '\\' | '"' | '\'' => e,
            'x' => char::from_u32(hex(&mut chars, 2)?).ok_or("invalid syntax")?,
            'u' => char::from_u32(hex(&mut chars, 4)?).ok_or("invalid syntax")?,
            'U' => char::from_u32(hex(&mut chars, 8)?).ok_or("invalid syntax")?,
            '0'..='7' => {
                let rest: String = chars.by_ref().take(2).collect();
                let n = u32::from_str_radix(&format!("{e}{rest}"), 8)
                    .map_err(|_| "invalid syntax".to_owned())?;
                char::from_u32(n).ok_or("invalid syntax")?
            }
            _ => return Err("invalid syntax".into()),
        };
        out.push(decoded);
    }
    Ok(out)
}

/// Go's `%#U` of a character: `U+0021 '!'`.
fn go_char_name(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_actions() {
        assert_eq!(
            toks("a {{.Name}} b"),
            [
                Tok::Text("a ".into()),
                Tok::LeftDelim,
                Tok::Field("Name".into()),
                Tok::RightDelim,
                Tok::Text(" b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers_eat_spaces() {
        assert_eq!(
            toks("a \n {{- 3 -}} \n b"),
            [
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Number("3".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
        // "{{-3}}" is the number -3, not a trim marker.
        assert_eq!(toks("{{-3}}")[1], Tok::Number("-3".into()));
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(
            toks("x {{- /* hi */ -}} y"),
            [Tok::Text("x".into()), Tok::Text("y".into()), Tok::Eof]
        );
    }

    #[test]
    fn words_inside_an_action() {
        assert_eq!(
            toks(r#"{{$x := index .A "k\t" `r` 'c' | printf}}"#)[1..],
            [
                Tok::Variable("$x".into()),
                Tok::Space,
                Tok::Declare,
                Tok::Space,
                Tok::Ident("index".into()),
                Tok::Space,
                Tok::Field("A".into()),
                Tok::Space,
                Tok::Str("k\t".into()),
                Tok::Space,
                Tok::Str("r".into()),
                Tok::Space,
                Tok::Char('c'),
                Tok::Space,
                Tok::Pipe,
                Tok::Space,
                Tok::Ident("printf".into()),
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(lex("{{.A").is_err());
        assert!(lex("{{\"abc}}").is_err());
        assert!(lex("{{3x}}").is_err());
        assert!(lex("{{.A#}}").is_err());
        assert!(lex("{{/* x }}").is_err());
    }
}
