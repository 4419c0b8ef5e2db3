//! The parser: tokens into a tree of nodes, with Go's checks at parse time — functions must
//! exist, variables must be declared, `break`/`continue` only inside `range`, every
//! `if`/`range`/`with`/`define`/`block` closed by `end`.
//!
//! It never evaluates anything; `exec` walks the tree.

use std::collections::{BTreeMap, BTreeSet};

use crate::lex::{lex, Tok, Token};
use crate::Error;

pub type List = Vec<Node>;

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        pos: usize,
        name: String,
        pipe: Option<Pipe>,
    },
    Break,
    Continue,
}

/// `if`, `range` and `with`: the pipeline, the body and the `else` part.
#[derive(Debug, Clone)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug, Clone)]
pub struct Pipe {
    /// Variables declared (`$x :=`) or assigned (`$x =`).
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub pos: usize,
    /// The command's source text, for error messages (`at <.Foo>`).
    pub text: String,
    pub args: Vec<Arg>,
}

#[derive(Debug, Clone)]
pub enum Arg {
    /// `.A.B`
    Field(usize, Vec<String>),
    /// `$x.A.B`
    Variable(usize, String, Vec<String>),
    Dot,
    Nil,
    Bool(bool),
    Number(Number),
    String(String),
    /// A function name.
    Ident(usize, String),
    /// `(pipeline).A.B`
    Chain(Box<Arg>, Vec<String>),
    Pipe(Box<Pipe>),
}

/// A number constant: an integer, a float, or both when it is integral.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    pub int: Option<i64>,
    pub float: Option<f64>,
    pub text: String,
}

/// A parsed template and the ones it defines (`define`, `block`).
pub struct Tree {
    pub root: List,
    pub defines: BTreeMap<String, List>,
}

/// Parses `src`; `funcs` are the names of the functions it may call.
pub fn parse(src: &str, funcs: &BTreeSet<String>) -> Result<Tree, Error> {
    let tokens = lex(src)?;
    let mut parser = Parser {
        src,
        tokens,
        at: 0,
        funcs,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        defines: BTreeMap::new(),
    };
    let (root, end) = parser.list()?;
    if let Some(end) = end {
        return Err(parser.error_at(end.pos(), format!("unexpected {}", end.describe())));
    }
    Ok(Tree {
        root,
        defines: parser.defines,
    })
}

/// What ended a list: `{{end}}`, `{{else}}` (maybe `else if ...`), or the end of input.
enum Ending {
    End(usize),
    Else(usize),
}

impl Ending {
    fn pos(&self) -> usize {
        match self {
            Ending::End(p) | Ending::Else(p) => *p,
        }
    }
    fn describe(&self) -> &'static str {
        match self {
            Ending::End(_) => "{{end}}",
            Ending::Else(_) => "{{else}}",
        }
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    at: usize,
    funcs: &'a BTreeSet<String>,
    vars: Vec<String>,
    range_depth: usize,
    defines: BTreeMap<String, List>,
}

impl Parser<'_> {
    fn error_at(&self, pos: usize, message: impl std::fmt::Display) -> Error {
        Error::parse(self.src, pos, message)
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.at < self.tokens.len() - 1 {
            self.at += 1;
        }
        t
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.tok != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Token {
        let t = self.next_non_space();
        self.at -= 1;
        t
    }

    fn expect_right(&mut self, context: &str) -> Result<(), Error> {
        let t = self.next_non_space();
        if t.tok != Tok::RightDelim {
            return Err(self.unexpected(&t, context));
        }
        Ok(())
    }

    fn unexpected(&self, t: &Token, context: &str) -> Error {
        let what = match &t.tok {
            Tok::Eof => "EOF".to_owned(),
            Tok::RightDelim => "\"}}\"".to_owned(),
            tok => format!("{tok:?}"),
        };
        self.error_at(t.pos, format!("unexpected {what} in {context}"))
    }

    /// Nodes up to `{{end}}`, `{{else}}` or the end of input.
    fn list(&mut self) -> Result<(List, Option<Ending>), Error> {
        let mut list = List::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Eof => return Ok((list, None)),
                Tok::Text(text) => list.push(Node::Text(text)),
                Tok::LeftDelim => {
                    if let Some(ending) = self.action(&mut list, t.pos)? {
                        return Ok((list, Some(ending)));
                    }
                }
                _ => return Err(self.unexpected(&t, "input")),
            }
        }
    }

    /// One action after `{{`; Some when it was `end` or `else` (for the caller to handle).
    fn action(&mut self, list: &mut List, delim: usize) -> Result<Option<Ending>, Error> {
        let t = self.peek_non_space();
        if let Tok::Ident(word) = &t.tok {
            let pos = t.pos;
            match word.as_str() {
                "end" => {
                    self.next_non_space();
                    self.expect_right("end")?;
                    return Ok(Some(Ending::End(pos)));
                }
                "else" => {
                    self.next_non_space();
                    // `else if` / `else with` are handled by the control parser.
                    return Ok(Some(Ending::Else(pos)));
                }
                "if" | "range" | "with" => {
                    self.next_non_space();
                    let word = word.clone();
                    list.push(self.control(&word, pos)?);
                    return Ok(None);
                }
                "define" => {
                    self.next_non_space();
                    self.define(pos, false, list)?;
                    return Ok(None);
                }
                "block" => {
                    self.next_non_space();
                    self.define(pos, true, list)?;
                    return Ok(None);
                }
                "template" => {
                    self.next_non_space();
                    list.push(self.template_call(pos)?);
                    return Ok(None);
                }
                "break" | "continue" => {
                    self.next_non_space();
                    if self.range_depth == 0 {
                        return Err(
                            self.error_at(pos, format!("{{{{{word}}}}} outside {{{{range}}}}"))
                        );
                    }
                    let node = if word == "break" {
                        Node::Break
                    } else {
                        Node::Continue
                    };
                    self.expect_right(word)?;
                    list.push(node);
                    return Ok(None);
                }
                _ => {}
            }
        }
        let _ = delim;
        let pipe = self.pipeline("command", true)?;
        list.push(Node::Action(pipe));
        Ok(None)
    }

    /// `if`/`range`/`with` PIPELINE }} LIST [{{else [if|with ...]}} LIST] {{end}}.
    fn control(&mut self, kind: &str, pos: usize) -> Result<Node, Error> {
        let vars_before = self.vars.len();
        let pipe = self.pipeline(kind, false)?;
        if kind == "range" {
            self.range_depth += 1;
        }
        let (list, ending) = self.list()?;
        if kind == "range" {
            self.range_depth -= 1;
        }
        let else_list = match ending {
            None => return Err(self.error_at(self.src.len(), format!("unexpected EOF in {kind}"))),
            Some(Ending::End(_)) => None,
            Some(Ending::Else(_)) => {
                // `{{else if ...}}` is an `if` nested in the else part, ended by the same `end`.
                let t = self.peek_non_space();
                match &t.tok {
                    Tok::Ident(w) if w == kind && kind != "range" => {
                        let w = w.clone();
                        self.next_non_space();
                        let nested = self.control(&w, t.pos)?;
                        Some(vec![nested])
                    }
                    _ => {
                        self.expect_right("else")?;
                        let (else_list, ending) = self.list()?;
                        match ending {
                            Some(Ending::End(_)) => Some(else_list),
                            Some(e @ Ending::Else(_)) => {
                                return Err(self.error_at(e.pos(), "expected end; found {{else}}"))
                            }
                            None => {
                                return Err(self
                                    .error_at(self.src.len(), format!("unexpected EOF in {kind}")))
                            }
                        }
                    }
                }
            }
        };
        self.vars.truncate(vars_before);
        let branch = Branch {
            pipe,
            list,
            else_list,
        };
        let _ = pos;
        Ok(match kind {
            "if" => Node::If(branch),
            "range" => Node::Range(branch),
            _ => Node::With(branch),
        })
    }

    /// `define "name"}} LIST {{end}}` or `block "name" PIPELINE}} LIST {{end}}`.
    fn define(&mut self, pos: usize, block: bool, list: &mut List) -> Result<(), Error> {
        let context = if block {
            "block clause"
        } else {
            "define clause"
        };
        let t = self.next_non_space();
        let Tok::Str(name) = t.tok else {
            return Err(self.unexpected(&t, context));
        };
        let pipe = if block {
            Some(self.pipeline(context, false)?)
        } else {
            self.expect_right(context)?;
            None
        };
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".to_owned()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (body, ending) = self.list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        match ending {
            Some(Ending::End(_)) => {}
            _ => return Err(self.error_at(pos, format!("unexpected EOF in {context}"))),
        }
        self.defines.insert(name.clone(), body);
        if block {
            list.push(Node::Template { pos, name, pipe });
        }
        Ok(())
    }

    /// `template "name" [PIPELINE]}}`.
    fn template_call(&mut self, pos: usize) -> Result<Node, Error> {
        let t = self.next_non_space();
        let Tok::Str(name) = t.tok else {
            return Err(self.unexpected(&t, "template clause"));
        };
        let pipe = if self.peek_non_space().tok == Tok::RightDelim {
            self.next_non_space();
            None
        } else {
            Some(self.pipeline("template clause", false)?)
        };
        Ok(Node::Template { pos, name, pipe })
    }

    /// A pipeline up to `}}`: optional declarations, then commands separated by `|`.
    fn pipeline(&mut self, context: &str, allow_empty_decl: bool) -> Result<Pipe, Error> {
        let _ = allow_empty_decl;
        let mut pipe = Pipe {
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        loop {
            let t = self.peek_non_space();
            match t.tok {
                Tok::RightDelim => {
                    self.next_non_space();
                    self.check_pipeline(&pipe, context, t.pos)?;
                    return Ok(pipe);
                }
                Tok::RightParen if context == "parenthesized pipeline" => {
                    self.next_non_space();
                    self.check_pipeline(&pipe, context, t.pos)?;
                    return Ok(pipe);
                }
                Tok::Bool(_)
                | Tok::Char(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str(_)
                | Tok::Variable(_)
                | Tok::LeftParen => {
                    let cmd = self.command(context)?;
                    pipe.cmds.push(cmd);
                }
                _ => {
                    self.next_non_space();
                    return Err(self.unexpected(&t, context));
                }
            }
        }
    }

    /// `$x :=`, `$x =`, or `$i, $e :=` (range only) at the start of a pipeline.
    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> Result<(), Error> {
        let save = self.at;
        let t = self.next_non_space();
        let Tok::Variable(first) = t.tok else {
            self.at = save;
            return Ok(());
        };
        let t2 = self.next_non_space();
        match t2.tok {
            Tok::Declare | Tok::Assign => {
                pipe.is_assign = t2.tok == Tok::Assign;
                if pipe.is_assign && !self.vars.contains(&first) {
                    return Err(self.error_at(t.pos, format!("undefined variable \"{first}\"")));
                }
                pipe.decl.push(first.clone());
                if !pipe.is_assign {
                    self.vars.push(first);
                }
                Ok(())
            }
            Tok::Comma if context == "range" => {
                let t3 = self.next_non_space();
                let Tok::Variable(second) = t3.tok else {
                    return Err(self.error_at(t3.pos, "range can only initialize variables"));
                };
                let t4 = self.next_non_space();
                if !matches!(t4.tok, Tok::Declare | Tok::Assign) {
                    return Err(self.unexpected(&t4, context));
                }
                pipe.is_assign = t4.tok == Tok::Assign;
                pipe.decl = vec![first.clone(), second.clone()];
                if !pipe.is_assign {
                    self.vars.push(first);
                    self.vars.push(second);
                }
                Ok(())
            }
            Tok::Comma => Err(self.error_at(t2.pos, format!("too many declarations in {context}"))),
            _ => {
                self.at = save;
                Ok(())
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str, end: usize) -> Result<(), Error> {
        if pipe.cmds.is_empty() {
            return Err(self.error_at(end, format!("missing value for {context}")));
        }
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                cmd.args[0],
                Arg::Bool(_) | Arg::Dot | Arg::Nil | Arg::Number(_) | Arg::String(_)
            ) {
                return Err(self.error_at(
                    cmd.pos,
                    format!("non executable command in pipeline stage {}", i + 1),
                ));
            }
        }
        Ok(())
    }

    /// Operands up to `|`, `}}` or `)`.
    fn command(&mut self, context: &str) -> Result<Command, Error> {
        let start = self.peek_non_space().pos;
        let mut args = Vec::new();
        let mut end = start;
        loop {
            if let Some(arg) = self.operand()? {
                args.push(arg);
                end = self.peek().pos;
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.at -= 1,
                Tok::Pipe => {}
                _ => return Err(self.error_at(t.pos, format!("unexpected {:?} in operand", t.tok))),
            }
            break;
        }
        if args.is_empty() {
            return Err(self.error_at(start, format!("missing value for {context}")));
        }
        Ok(Command {
            pos: start,
            text: self.src[start..end].trim_end().to_owned(),
            args,
        })
    }

    /// A term and any `.Field`s chained to it.
    fn operand(&mut self) -> Result<Option<Arg>, Error> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        // Go gives a chained field the position of its second part.
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while let Tok::Field(name) = &self.peek().tok {
            fields.push(name.clone());
            self.next();
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        Ok(Some(match term {
            Arg::Field(_, mut chain) => {
                chain.extend(fields);
                Arg::Field(chain_pos, chain)
            }
            Arg::Variable(_, name, mut chain) => {
                chain.extend(fields);
                Arg::Variable(chain_pos, name, chain)
            }
            Arg::Bool(_) | Arg::String(_) | Arg::Number(_) | Arg::Nil | Arg::Dot => {
                return Err(self.error_at(self.peek().pos, "unexpected . after term"));
            }
            other => Arg::Chain(Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, Error> {
        let t = self.next_non_space();
        Ok(Some(match t.tok {
            Tok::Ident(name) => {
                if !self.funcs.contains(&name) {
                    return Err(self.error_at(t.pos, format!("function \"{name}\" not defined")));
                }
                Arg::Ident(t.pos, name)
            }
            Tok::Dot => Arg::Dot,
            Tok::Nil => Arg::Nil,
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.error_at(t.pos, format!("undefined variable \"{name}\"")));
                }
                Arg::Variable(t.pos, name, Vec::new())
            }
            Tok::Field(name) => Arg::Field(t.pos, vec![name]),
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Char(c) => Arg::Number(Number {
                int: Some(c as i64),
                float: Some(c as u32 as f64),
                text: format!("'{c}'"),
            }),
            Tok::Number(text) => {
                Arg::Number(parse_number(&text).ok_or_else(|| {
                    self.error_at(t.pos, format!("illegal number syntax: {text:?}"))
                })?)
            }
            Tok::Str(s) => Arg::String(s),
            Tok::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", false)?;
                Arg::Pipe(Box::new(pipe))
            }
            _ => {
                self.at -= 1;
                return Ok(None);
            }
        }))
    }
}

/// A Go number constant: decimal, 0x/0o/0b integers, floats with exponents; `_` separators.
fn parse_number(text: &str) -> Option<Number> {
    let clean = text.replace('_', "");
    let (negative, body) = match clean.as_bytes().first() {
        Some(b'-') => (true, &clean[1..]),
        Some(b'+') => (false, &clean[1..]),
        _ => (false, clean.as_str()),
    };
    let radix_int = |digits: &str, radix| i64::from_str_radix(digits, radix).ok();
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains(['.', 'p']) {
            None
        } else {
            radix_int(h, 16)
        }
    } else if let Some(o) = lower.strip_prefix("0o") {
        radix_int(o, 8)
    } else if let Some(b) = lower.strip_prefix("0b") {
        radix_int(b, 2)
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        radix_int(&body[1..], 8)
    } else {
        body.parse::<i64>().ok()
    };
    let is_hex = lower.starts_with("0x");
    let float = if is_hex {
        int.map(|i| i as f64)
    } else {
        body.parse::<f64>().ok().or(int.map(|i| i as f64))
    };
    // An integral float constant ("1e3") is also an int.
    let int = int.or_else(|| {
        float
            .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
            .map(|f| f as i64)
    });
    if int.is_none() && float.is_none() {
        return None;
    }
    let sign = |x: i64| if negative { -x } else { x };
    Some(Number {
        int: int.map(sign),
        float: float.map(|f| if negative { -f } else { f }),
        text: text.to_owned(),
    })
}

impl Number {
    /// The value Go gives an untyped constant passed where any type fits: an int unless it
    /// is written as a float (`1.5`, `1e3`).
    pub fn value(&self) -> crate::Value {
        let lower = self.text.to_ascii_lowercase();
        let float_syntax =
            !lower.contains("0x") && lower.contains(['.', 'e']) && !lower.starts_with('\'');
        match (self.int, self.float) {
            (Some(i), _) if !float_syntax => crate::Value::Int(i),
            (_, Some(f)) => crate::Value::Float(f),
            (Some(i), None) => crate::Value::Int(i),
            (None, None) => crate::Value::Nil,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn funcs() -> BTreeSet<String> {
        ["printf", "len", "index"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn err(src: &str) -> String {
        match parse(src, &funcs()) {
            Ok(_) => panic!("{src} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn go_parse_errors() {
        assert_eq!(err("{{foo}}"), "template: :1: function \"foo\" not defined");
        assert_eq!(err("{{$x}}"), "template: :1: undefined variable \"$x\"");
        assert_eq!(
            err("{{break}}"),
            "template: :1: {{break}} outside {{range}}"
        );
        assert!(
            err("{{if .A}}x").contains("unexpected EOF"),
            "{}",
            err("{{if .A}}x")
        );
        assert!(err("{{end}}").contains("unexpected {{end}}"));
        assert!(err("{{.A | 3}}").contains("non executable command in pipeline stage 2"));
        assert!(err("{{}}").contains("missing value for command"));
        assert!(err("a\n{{foo}}").starts_with("template: :2:"));
    }

    #[test]
    fn variables_go_out_of_scope_at_end() {
        assert!(parse("{{if $x := 1}}{{$x}}{{end}}", &funcs()).is_ok());
        assert!(parse("{{if $x := 1}}{{end}}{{$x}}", &funcs()).is_err());
        assert!(parse("{{range $i, $e := .}}{{$i}}{{$e}}{{end}}", &funcs()).is_ok());
        assert!(parse("{{$x := 1}}{{$x = 2}}{{$x}}", &funcs()).is_ok());
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x1F").unwrap().int, Some(31));
        assert_eq!(parse_number("-3").unwrap().int, Some(-3));
        assert_eq!(
            parse_number("1e3").unwrap().value(),
            crate::Value::Float(1000.0)
        );
        assert_eq!(
            parse_number("1_000").unwrap().value(),
            crate::Value::Int(1000)
        );
        assert_eq!(
            parse_number("2.5").unwrap().value(),
            crate::Value::Float(2.5)
        );
    }
}
