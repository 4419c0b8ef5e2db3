//! Executing a parsed template on a value, with Go's rules: fields of maps (missing:
//! `<no value>`) and structs (missing: an error), methods with arguments, variables and their
//! scopes, pipelines (the previous value is the last argument), `and`/`or` that stop early,
//! `range` over lists, maps (in key order) and integers, `break`/`continue`, and errors worded
//! as Go words them (`template: :1:2: executing "" at <.Foo>: ...`).

use std::collections::BTreeSet;
use std::rc::Rc;

use crate::parse::{parse, Arg, Branch, Command, List, Node, Pipe, Tree};
use crate::value::write_value;
use crate::{funcs, line_col, Error, FuncMap, Value};

/// A parsed template, ready to execute on any number of values.
#[derive(Clone)]
pub struct Template {
    src: Rc<str>,
    tree: Rc<Tree>,
    funcs: FuncMap,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("src", &self.src)
            .finish_non_exhaustive()
    }
}

/// Go's limit on nested `template` calls.
const MAX_DEPTH: usize = 10_000;

enum Flow {
    Normal,
    Break,
    Continue,
}

impl Template {
    /// Parses `src` with Go's builtin functions only.
    pub fn parse(src: &str) -> Result<Template, Error> {
        Template::parse_with(src, FuncMap::new())
    }

    /// Parses `src`; `funcs` are added to Go's builtins (and replace any of the same name).
    pub fn parse_with(src: &str, funcs: FuncMap) -> Result<Template, Error> {
        let mut names: BTreeSet<String> = funcs::BUILTINS.iter().map(|s| (*s).to_owned()).collect();
        names.extend(funcs.keys().cloned());
        let tree = parse(src, &names)?;
        Ok(Template {
            src: src.into(),
            tree: Rc::new(tree),
            funcs,
        })
    }

    /// The same template with other implementations of its functions (as Go's
    /// `tmpl.Funcs(...)` after parsing; Docker renders table headers this way). Names the
    /// template calls must stay defined.
    pub fn with_funcs(&self, funcs: FuncMap) -> Template {
        let mut merged = self.funcs.clone();
        merged.extend(funcs);
        Template {
            src: self.src.clone(),
            tree: self.tree.clone(),
            funcs: merged,
        }
    }

    /// The template's text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// Whether the template may read a field or method called `name`: it names it (`.Size`,
    /// `$x.Size`, `(...).Size`) or hands `.` or `$` whole to something (`{{json .}}`,
    /// `{{.}}`). Lets a caller compute a costly field only when it is used.
    pub fn mentions_field(&self, name: &str) -> bool {
        let lists = std::iter::once(&self.tree.root).chain(self.tree.defines.values());
        lists.into_iter().any(|l| list_mentions(l, name))
    }

    /// Executes the template on `data`, returning the text.
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        let mut out = String::new();
        self.execute_into(data, &mut out)?;
        Ok(out)
    }

    /// Executes the template on `data`, appending to `out` (what was written before an error
    /// stays, as in Go).
    pub fn execute_into(&self, data: &Value, out: &mut String) -> Result<(), Error> {
        let mut state = State {
            tmpl: self,
            name: String::new(),
            vars: vec![("$".to_owned(), data.clone())],
            out,
            depth: 0,
            at: (0, String::new()),
        };
        state.walk_list(data, &self.tree.root).map(|_| ())
    }
}

fn list_mentions(list: &List, name: &str) -> bool {
    list.iter().any(|node| match node {
        Node::Action(p) => pipe_mentions(p, name),
        Node::If(b) | Node::Range(b) | Node::With(b) => {
            pipe_mentions(&b.pipe, name)
                || list_mentions(&b.list, name)
                || b.else_list.as_ref().is_some_and(|l| list_mentions(l, name))
        }
        Node::Template { pipe, .. } => pipe.as_ref().is_some_and(|p| pipe_mentions(p, name)),
        _ => false,
    })
}

fn pipe_mentions(pipe: &Pipe, name: &str) -> bool {
    pipe.cmds
        .iter()
        .flat_map(|c| c.args.iter())
        .any(|a| arg_mentions(a, name))
}

fn arg_mentions(arg: &Arg, name: &str) -> bool {
    match arg {
        Arg::Dot => true,
        Arg::Variable(_, _, f) if f.is_empty() => true,
        Arg::Field(_, f) | Arg::Variable(_, _, f) => f.iter().any(|n| n == name),
        Arg::Chain(inner, f) => f.iter().any(|n| n == name) || arg_mentions(inner, name),
        Arg::Pipe(p) => pipe_mentions(p, name),
        _ => false,
    }
}

struct State<'a> {
    tmpl: &'a Template,
    /// The name of the template executing (`""` for the main one).
    name: String,
    vars: Vec<(String, Value)>,
    out: &'a mut String,
    depth: usize,
    /// Where we are, for error messages: byte offset and the node's text.
    at: (usize, String),
}

type Result<T, E = Error> = std::result::Result<T, E>;

impl State<'_> {
    fn error(&self, message: impl std::fmt::Display) -> Error {
        let (line, col) = line_col(&self.tmpl.src, self.at.0);
        Error::Exec(format!(
            "template: {}:{line}:{col}: executing \"{}\" at <{}>: {message}",
            self.name, self.name, self.at.1
        ))
    }

    fn at(&mut self, pos: usize, text: impl Into<String>) {
        self.at = (pos, text.into());
    }

    fn walk_list(&mut self, dot: &Value, list: &List) -> Result<Flow> {
        for node in list {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &Node) -> Result<Flow> {
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Action(pipe) => {
                let value = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    write_value(self.out, &value, false);
                }
            }
            Node::If(b) => return self.walk_if_with(dot, b, false),
            Node::With(b) => return self.walk_if_with(dot, b, true),
            Node::Range(b) => return self.walk_range(dot, b),
            Node::Template { pos, name, pipe } => {
                self.at(*pos, format!("template {name:?}"));
                let Some(body) = self.tmpl.tree.defines.get(name) else {
                    return Err(self.error(format!("template {name:?} not defined")));
                };
                if self.depth >= MAX_DEPTH {
                    return Err(
                        self.error(format!("exceeded maximum template depth ({MAX_DEPTH})"))
                    );
                }
                let new_dot = match pipe {
                    Some(p) => self.eval_pipeline(dot, p)?,
                    None => Value::Missing,
                };
                let vars =
                    std::mem::replace(&mut self.vars, vec![("$".to_owned(), new_dot.clone())]);
                let name_before = std::mem::replace(&mut self.name, name.clone());
                self.depth += 1;
                let result = self.walk_list(&new_dot, body);
                self.depth -= 1;
                self.name = name_before;
                self.vars = vars;
                result?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, dot: &Value, b: &Branch, with: bool) -> Result<Flow> {
        let mark = self.vars.len();
        let value = self.eval_pipeline(dot, &b.pipe)?;
        let flow = if value.is_true() {
            let new_dot = if with { value } else { dot.clone() };
            self.walk_list(&new_dot, &b.list)?
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Value, b: &Branch) -> Result<Flow> {
        let mark = self.vars.len();
        let value = self.eval_commands(dot, &b.pipe)?;
        let items: Vec<(Value, Value)> = match &value {
            Value::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, e)| (Value::from(i), e.clone()))
                .collect(),
            Value::Map(m) => m
                .iter()
                .map(|(k, e)| (Value::from(k.as_str()), e.clone()))
                .collect(),
            // Docker runs a template the typed object refuses (a struct cannot be ranged
            // over) on the document decoded into Go maps: the keys in order.
            Value::Struct(s) if s.kind == crate::StructKind::JsonObject => {
                let mut fields: Vec<(Value, Value)> = s
                    .fields
                    .iter()
                    .map(|(k, e)| (Value::from(k.as_str()), e.clone()))
                    .collect();
                fields.sort_by(|a, b| a.0.as_str().cmp(&b.0.as_str()));
                fields
            }
            Value::Int(n) => {
                if b.pipe.decl.len() > 1 {
                    return Err(self.error(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                (0..(*n).max(0))
                    .map(|i| (Value::Int(i), Value::Int(i)))
                    .collect()
            }
            Value::Missing | Value::Nil => Vec::new(),
            other => {
                return Err(self.error(format!(
                    "range can't iterate over {}",
                    crate::value::to_go_string(other)
                )))
            }
        };
        let mut flow = Flow::Normal;
        for (index, elem) in &items {
            let iteration_mark = self.vars.len();
            match b.pipe.decl.as_slice() {
                [] => {}
                [one] => self.declare(one, elem.clone(), b.pipe.is_assign),
                [first, second, ..] => {
                    self.declare(first, index.clone(), b.pipe.is_assign);
                    self.declare(second, elem.clone(), b.pipe.is_assign);
                }
            }
            let result = self.walk_list(elem, &b.list)?;
            self.vars.truncate(iteration_mark);
            if let Flow::Break = result {
                break;
            }
        }
        if items.is_empty() {
            if let Some(else_list) = &b.else_list {
                flow = self.walk_list(dot, else_list)?;
            }
        }
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn declare(&mut self, name: &str, value: Value, assign: bool) {
        if assign {
            if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                slot.1 = value;
                return;
            }
        }
        self.vars.push((name.to_owned(), value));
    }

    /// A pipeline's value; its declarations are made.
    fn eval_pipeline(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value> {
        let value = self.eval_commands(dot, pipe)?;
        for name in &pipe.decl {
            self.declare(name, value.clone(), pipe.is_assign);
        }
        Ok(value)
    }

    /// A pipeline's value, without its declarations (range makes those per item).
    fn eval_commands(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value> {
        let mut value = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        Ok(value.unwrap_or(Value::Missing))
    }

    fn eval_command(&mut self, dot: &Value, cmd: &Command, last: Option<Value>) -> Result<Value> {
        self.at(cmd.pos, cmd.text.clone());
        let rest = &cmd.args[1..];
        match &cmd.args[0] {
            Arg::Field(pos, names) => {
                self.at(*pos, format!(".{}", names.join(".")));
                self.eval_field_chain(dot, dot.clone(), names, rest, last)
            }
            Arg::Variable(pos, name, names) => {
                self.at(
                    *pos,
                    format!(
                        "{name}{}",
                        names.iter().map(|n| format!(".{n}")).collect::<String>()
                    ),
                );
                let value = self.variable(name)?;
                if names.is_empty() {
                    self.not_a_function(rest, &last, name)?;
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, names, rest, last)
            }
            Arg::Chain(inner, names) => {
                let value = self.eval_arg(dot, inner)?;
                self.eval_field_chain(dot, value, names, rest, last)
            }
            Arg::Ident(pos, name) => {
                self.at(*pos, name.clone());
                self.eval_function(dot, name, rest, last)
            }
            Arg::Pipe(p) => {
                self.not_a_function(rest, &last, &cmd.text)?;
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, p);
                self.vars.truncate(mark);
                v
            }
            literal => {
                self.not_a_function(rest, &last, &cmd.text)?;
                match literal {
                    Arg::Nil => Err(self.error("nil is not a command")),
                    other => self.eval_arg(dot, other),
                }
            }
        }
    }

    fn not_a_function(&self, rest: &[Arg], last: &Option<Value>, what: &str) -> Result<()> {
        if !rest.is_empty() || last.is_some() {
            return Err(self.error(format!("can't give argument to non-function {what}")));
        }
        Ok(())
    }

    fn variable(&self, name: &str) -> Result<Value> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| self.error(format!("undefined variable: {name}")))
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        names: &[String],
        args: &[Arg],
        last: Option<Value>,
    ) -> Result<Value> {
        let (final_name, path) = names.split_last().expect("a chain has a name");
        for name in path {
            receiver = self.eval_field(dot, name, receiver, &[], None)?;
        }
        self.eval_field(dot, final_name, receiver, args, last)
    }

    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        receiver: Value,
        args: &[Arg],
        last: Option<Value>,
    ) -> Result<Value> {
        let has_args = !args.is_empty() || last.is_some();
        match &receiver {
            Value::Missing => Ok(Value::Missing),
            // Go: a field of a nil interface (a JSON null, a typed nil pointer) "can't work".
            Value::Nil => Err(self.error(format!("nil pointer evaluating interface {{}}.{name}"))),
            Value::Struct(s) => {
                if let Some(method) = s.get_method(name) {
                    let method = method.clone();
                    let values = self.eval_args(dot, args, last)?;
                    return method(&values)
                        .map_err(|m| self.error(format!("error calling {name}: {m}")));
                }
                match s.get(name) {
                    Some(_) if has_args => Err(self.error(format!(
                        "{name} has arguments but cannot be invoked as function"
                    ))),
                    Some(v) => Ok(v.clone()),
                    None if s.kind == crate::StructKind::JsonObject => {
                        match crate::docker::typed_field(s, name) {
                            Some(v) if !has_args => Ok(v),
                            _ => Err(self.error(format!("map has no entry for key \"{name}\""))),
                        }
                    }
                    None => Err(self.error(format!(
                        "can't evaluate field {name} in type {}",
                        s.type_name
                    ))),
                }
            }
            Value::Map(m) => {
                if has_args {
                    return Err(self.error(format!("{name} is not a method but has arguments")));
                }
                Ok(m.get(name).cloned().unwrap_or(Value::Missing))
            }
            other => Err(self.error(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            ))),
        }
    }

    fn eval_args(&mut self, dot: &Value, args: &[Arg], last: Option<Value>) -> Result<Vec<Value>> {
        let mut values = Vec::with_capacity(args.len() + 1);
        for a in args {
            values.push(self.eval_arg(dot, a)?);
        }
        values.extend(last);
        // A missing value passed to a function is Go's nil.
        for v in &mut values {
            if let Value::Missing = v {
                *v = Value::Nil;
            }
        }
        Ok(values)
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        name: &str,
        args: &[Arg],
        last: Option<Value>,
    ) -> Result<Value> {
        let at = self.at.clone();
        if !self.tmpl.funcs.contains_key(name) && (name == "and" || name == "or") {
            // Evaluated left to right, stopping at the first false (and) or true (or) value.
            let total = args.len() + usize::from(last.is_some());
            if total == 0 {
                return Err(self.error(format!(
                    "wrong number of args for {name}: want at least 1 got 0"
                )));
            }
            let mut value = Value::Missing;
            for a in args {
                value = self.eval_arg(dot, a)?;
                if value.is_true() == (name == "or") {
                    return Ok(value);
                }
            }
            if let Some(v) = last {
                value = v;
            }
            return Ok(value);
        }
        let values = self.eval_args(dot, args, last)?;
        self.at = at;
        let result = match self.tmpl.funcs.get(name) {
            Some(f) => f(&values),
            None => match funcs::builtin(name) {
                Some(f) => f(&values),
                None => return Err(self.error(format!("{name:?} is not a defined function"))),
            },
        };
        result.map_err(|m| {
            if m.starts_with("wrong number of args") || m.starts_with("wrong type for value") {
                self.error(m)
            } else {
                self.error(format!("error calling {name}: {m}"))
            }
        })
    }

    /// An argument's value.
    fn eval_arg(&mut self, dot: &Value, arg: &Arg) -> Result<Value> {
        match arg {
            Arg::Dot => Ok(dot.clone()),
            Arg::Nil => Ok(Value::Nil),
            Arg::Bool(b) => Ok(Value::Bool(*b)),
            Arg::Number(n) => Ok(n.value()),
            Arg::String(s) => Ok(Value::from(s.as_str())),
            Arg::Field(pos, names) => {
                self.at(*pos, format!(".{}", names.join(".")));
                self.eval_field_chain(dot, dot.clone(), names, &[], None)
            }
            Arg::Variable(_, name, names) => {
                let value = self.variable(name)?;
                if names.is_empty() {
                    return Ok(value);
                }
                self.eval_field_chain(dot, value, names, &[], None)
            }
            Arg::Chain(inner, names) => {
                let value = self.eval_arg(dot, inner)?;
                self.eval_field_chain(dot, value, names, &[], None)
            }
            Arg::Ident(pos, name) => {
                self.at(*pos, name.clone());
                self.eval_function(dot, name, &[], None)
            }
            Arg::Pipe(p) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, p);
                self.vars.truncate(mark);
                v
            }
        }
    }
}
