//! Go's builtin template functions (`and` and `or` stop early, so `exec` evaluates those
//! itself): `not`, `len`, `index`, `slice`, `print`, `printf`, `println`, `eq`, `ne`, `lt`,
//! `le`, `gt`, `ge`, `html`, `js`, `urlquery`, `call`.
//!
//! Errors are Go's words: "wrong number of args for len: want 1 got 2", "index out of
//! range: 5", "incompatible types for comparison".

use std::cmp::Ordering;
use std::fmt::Write;

use crate::printf::sprintf;
use crate::value::{to_go_string, write_value};
use crate::Value;

/// The names of Go's builtin functions.
pub const BUILTINS: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt",
    "le", "gt", "ge", "html", "js", "urlquery", "call",
];

type Builtin = fn(&[Value]) -> Result<Value, String>;

/// The implementation of a builtin (all but `and` and `or`).
pub fn builtin(name: &str) -> Option<Builtin> {
    Some(match name {
        "not" => not,
        "len" => len,
        "index" => index,
        "slice" => slice,
        "print" => |a| Ok(Value::from(sprint(a))),
        "println" => |a| Ok(Value::from(sprintln(a))),
        "printf" => printf,
        "eq" => eq,
        "ne" => |a| {
            arity("ne", a, 2)?;
            Ok(Value::Bool(!equal(&a[0], &a[1])?))
        },
        "lt" => |a| order("lt", a, |o| o == Ordering::Less),
        "le" => |a| order("le", a, |o| o != Ordering::Greater),
        "gt" => |a| order("gt", a, |o| o == Ordering::Greater),
        "ge" => |a| order("ge", a, |o| o != Ordering::Less),
        "html" => |a| Ok(Value::from(html_escape(&eval_args_text(a)))),
        "js" => |a| Ok(Value::from(js_escape(&eval_args_text(a)))),
        "urlquery" => |a| Ok(Value::from(query_escape(&eval_args_text(a)))),
        "call" => call,
        _ => return None,
    })
}

/// Checks that a function got exactly `want` arguments.
pub fn arity(name: &str, args: &[Value], want: usize) -> Result<(), String> {
    if args.len() != want {
        return Err(format!(
            "wrong number of args for {name}: want {want} got {}",
            args.len()
        ));
    }
    Ok(())
}

/// The text of a string argument, or Go's type error.
pub fn string_arg(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| {
        format!(
            "wrong type for value; expected string; got {}",
            v.type_name()
        )
    })
}

/// An integer argument, or Go's type error.
pub fn int_arg(v: &Value) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        )),
    }
}

fn not(a: &[Value]) -> Result<Value, String> {
    arity("not", a, 1)?;
    Ok(Value::Bool(!a[0].is_true()))
}

fn len(a: &[Value]) -> Result<Value, String> {
    arity("len", a, 1)?;
    match &a[0] {
        Value::String(s) => Ok(Value::from(s.len())),
        Value::List(l) => Ok(Value::from(l.len())),
        Value::Map(m) => Ok(Value::from(m.len())),
        // As on the decoded document Docker falls back to (see `range`).
        Value::Struct(s) if s.kind == crate::StructKind::JsonObject => {
            Ok(Value::from(s.fields.len()))
        }
        Value::Nil | Value::Missing => Err("len of nil pointer".into()),
        other => Err(format!("len of type {}", other.type_name())),
    }
}

fn index(a: &[Value]) -> Result<Value, String> {
    let Some((item, indexes)) = a.split_first() else {
        return Err("wrong number of args for index: want at least 1 got 0".into());
    };
    let mut item = item.clone();
    for i in indexes {
        item = match (&item, i) {
            (Value::List(l), Value::Int(n)) => {
                let at = usize::try_from(*n).map_err(|_| format!("index out of range: {n}"))?;
                l.get(at)
                    .cloned()
                    .ok_or(format!("index out of range: {n}"))?
            }
            (Value::String(s), Value::Int(n)) => {
                let at = usize::try_from(*n).map_err(|_| format!("index out of range: {n}"))?;
                Value::Int(i64::from(
                    *s.as_bytes()
                        .get(at)
                        .ok_or(format!("index out of range: {n}"))?,
                ))
            }
            (Value::List(_) | Value::String(_), other) => {
                return Err(format!(
                    "cannot index slice/array with type {}",
                    other.type_name()
                ))
            }
            (Value::Map(m), Value::String(k)) => match m.get(&**k) {
                Some(v) => v.clone(),
                // Go gives the map's zero value: "" for the maps of strings Docker has
                // (labels, options), nil otherwise.
                None if m.values().all(|v| matches!(v, Value::String(_))) => Value::from(""),
                None => Value::Missing,
            },
            (Value::Map(_), other) => {
                return Err(format!(
                    "value has type {}; should be string",
                    other.type_name()
                ))
            }
            (Value::Nil | Value::Missing, _) => return Err("index of untyped nil".into()),
            (other, _) => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(a: &[Value]) -> Result<Value, String> {
    let Some((item, indexes)) = a.split_first() else {
        return Err("wrong number of args for slice: want at least 1 got 0".into());
    };
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::String(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Nil | Value::Missing => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    if indexes.len() == 3 && matches!(item, Value::String(_)) {
        return Err("cannot 3-index slice a string".into());
    }
    let mut bounds = [0, len];
    for (i, v) in indexes.iter().take(2).enumerate() {
        let n = int_arg(v)?;
        bounds[i] = usize::try_from(n)
            .ok()
            .filter(|n| *n <= len)
            .ok_or(format!("index out of range: {n}"))?;
    }
    if bounds[0] > bounds[1] {
        return Err(format!(
            "invalid slice index: {} > {}",
            bounds[0], bounds[1]
        ));
    }
    match item {
        Value::String(s) => s
            .get(bounds[0]..bounds[1])
            .map(Value::from)
            .ok_or_else(|| "slice cuts a character in two".to_owned()),
        Value::List(l) => Ok(Value::from(l[bounds[0]..bounds[1]].to_vec())),
        _ => unreachable!("checked above"),
    }
}

fn printf(a: &[Value]) -> Result<Value, String> {
    let Some((format, args)) = a.split_first() else {
        return Err("wrong number of args for printf: want at least 1 got 0".into());
    };
    Ok(Value::from(sprintf(string_arg(format)?, args)))
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
pub fn sprint(a: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        let is_string = |v: &Value| matches!(v, Value::String(_));
        if i > 0 && !is_string(v) && !is_string(&a[i - 1]) {
            out.push(' ');
        }
        write_arg(&mut out, v);
    }
    out
}

/// Go's `fmt.Sprintln`: spaces between all operands and a newline.
pub fn sprintln(a: &[Value]) -> String {
    let mut out = String::new();
    for (i, v) in a.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_arg(&mut out, v);
    }
    out.push('\n');
    out
}

/// A function argument as fmt prints it (a missing value is nil there).
fn write_arg(out: &mut String, v: &Value) {
    match v {
        Value::Missing => out.push_str("<nil>"),
        v => write_value(out, v, false),
    }
}

/// What html, js and urlquery escape: the argument if it is one string, else Sprint of all.
fn eval_args_text(a: &[Value]) -> String {
    match a {
        [Value::String(s)] => s.to_string(),
        _ => sprint(a),
    }
}

fn eq(a: &[Value]) -> Result<Value, String> {
    let Some((first, rest)) = a.split_first() else {
        return Err("wrong number of args for eq: want at least 1 got 0".into());
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    for other in rest {
        if equal(first, other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn equal(a: &Value, b: &Value) -> Result<bool, String> {
    use Value::*;
    Ok(match (a, b) {
        (Nil | Missing, Nil | Missing) => true,
        (Nil | Missing, _) | (_, Nil | Missing) => false,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Float(x), Float(y)) => x == y,
        (String(x), String(y)) => x == y,
        (List(_), _) | (Map(_), _) => {
            return Err(format!(
                "non-comparable type {}: {}",
                a.type_name(),
                to_go_string(a)
            ))
        }
        (_, List(_)) | (_, Map(_)) => {
            return Err(format!(
                "non-comparable type {}: {}",
                b.type_name(),
                to_go_string(b)
            ))
        }
        (Struct(x), Struct(y)) => std::rc::Rc::ptr_eq(x, y),
        _ => return Err("incompatible types for comparison".into()),
    })
}

fn order(name: &str, a: &[Value], test: fn(Ordering) -> bool) -> Result<Value, String> {
    arity(name, a, 2)?;
    use Value::*;
    let ordering = match (&a[0], &a[1]) {
        (Int(x), Int(y)) => x.cmp(y),
        (Float(x), Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (String(x), String(y)) => x.cmp(y),
        (Int(_) | Float(_) | String(_), Int(_) | Float(_) | String(_)) => {
            return Err("incompatible types for comparison".into())
        }
        _ => return Err("invalid type for comparison".into()),
    };
    Ok(Value::Bool(test(ordering)))
}

fn call(a: &[Value]) -> Result<Value, String> {
    match a.first() {
        None => Err("wrong number of args for call: want at least 1 got 0".into()),
        Some(v) => Err(format!("non-function of type {}", v.type_name())),
    }
}

/// Go's `template.HTMLEscapeString`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' | '>' | '&' | '=' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
