//! Go's `text/template`, as Docker's `--format` and `inspect -f` use it.
//!
//! - [`Template`]: parse once (`Template::parse`), execute on a [`Value`] as many times as
//!   there are rows. The language is Go's: actions, pipelines, variables, `if`/`else if`,
//!   `range` (lists, maps in key order, integers; `break`, `continue`), `with`, `define`,
//!   `template`, `block`, trim markers, comments, and Go's builtin functions (`and`, `or`,
//!   `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq`, `ne`, `lt`, `le`,
//!   `gt`, `ge`, `html`, `js`, `urlquery`, `call`).
//! - [`Value`]: the data a template sees. JSON converts into it (`Value::from_json`: objects
//!   become Go maps — a missing key prints `<no value>`); [`Struct`] is a Go struct with fields
//!   and methods (`.Label "key"`), whose missing field is an error, as in Go.
//! - Values print as Go's `fmt` prints them (`[a b]`, `map[k:v]`, `{a b}`, `<nil>`, `1e+06`).
//! - [`docker`]: Docker's functions (`json`, `join`, `split`, `upper`, `lower`, `title`, `pad`,
//!   `truncate`) and its `--format` reading (`table`, `json`, `\t`), rendered through
//!   [`tabwriter`] as Docker's tables are.
//!
//! It never reads the clock, the disk or the engine: callers hand in values.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod docker;
mod exec;
mod funcs;
mod json;
mod lex;
mod parse;
mod printf;
pub mod tabwriter;
mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

pub use exec::Template;
pub use printf::quote;
pub use value::{Method, Struct, StructKind, Value};

/// A function a template may call: the evaluated arguments in, a value or an error message out.
pub type Func = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

/// Extra functions by name (Docker's, or a caller's own), added to Go's builtins.
pub type FuncMap = BTreeMap<String, Func>;

/// A template that did not parse or failed while executing, worded as Go words it:
/// `template: :1: function "foo" not defined`,
/// `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The template text does not parse (Go's whole message).
    Parse(String),
    /// Executing it failed (Go's whole message).
    Exec(String),
}

impl Error {
    /// A parse error at byte `pos` of `src`.
    pub(crate) fn parse(src: &str, pos: usize, message: impl fmt::Display) -> Error {
        Error::Parse(format!("template: :{}: {message}", line_of(src, pos)))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(m) | Error::Exec(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {}

/// The 1-based line of byte `pos`.
pub(crate) fn line_of(src: &str, pos: usize) -> usize {
    1 + src[..pos.min(src.len())].matches('\n').count()
}

/// The 1-based line and column (in bytes, as Go counts) of byte `pos`.
pub(crate) fn line_col(src: &str, pos: usize) -> (usize, usize) {
    let before = &src[..pos.min(src.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line_of(src, pos), pos - line_start)
}
