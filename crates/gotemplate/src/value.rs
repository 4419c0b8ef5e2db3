//! The values a template sees, and how Go's `fmt` prints them (`%v`): `[a b]` for a list,
//! `map[k:v]` (keys in order) for a map, `{a b}` for a struct, `<nil>` for nil, floats in
//! Go's shortest form (`1.5`, `1e+06`).
//!
//! Values are cheap to clone (lists, maps and structs are shared).

use std::collections::BTreeMap;
use std::fmt::{self, Write};
use std::rc::Rc;

/// A template value.
#[derive(Clone, Default)]
pub enum Value {
    /// No value at all: a map's missing key (prints `<no value>`).
    #[default]
    Missing,
    /// Go's nil (JSON null; prints `<nil>`).
    Nil,
    /// A bool.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// A string.
    String(Rc<str>),
    /// A slice.
    List(Rc<Vec<Value>>),
    /// A Go map from strings: ranged and printed in key order; a missing key is [`Value::Missing`].
    Map(Rc<BTreeMap<String, Value>>),
    /// A Go struct: its fields in order and its methods; a missing field is an error.
    Struct(Rc<Struct>),
}

/// A method of a struct: called with the template's arguments (`.Label "key"`).
pub type Method = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

/// A Go struct: a type name (for error messages, e.g. `formatter.ContainerContext`), fields
/// in declaration order, and methods that take arguments.
#[derive(Clone, Default)]
pub struct Struct {
    /// Its Go type's name.
    pub type_name: String,
    /// Its fields, in declaration order.
    pub fields: Vec<(String, Value)>,
    /// Its methods, by name.
    pub methods: Vec<(String, Method)>,
    /// What kind of Go value it stands for.
    pub kind: StructKind,
}

/// What kind of Go value a [`Struct`] stands for: it decides `json`'s output and the error for
/// a missing field.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StructKind {
    /// A plain Go struct: `json` in field order; a missing field is "can't evaluate field F in
    /// type T".
    #[default]
    Plain,
    /// One of Docker's formatter contexts (`ps`, `images` ... rows): its `MarshalJSON` is
    /// `json.Marshal` of a map, so `json` sorts the keys and escapes `<`, `>` and `&`.
    FormatterContext,
    /// A JSON object as `docker inspect -f` sees it (decoded, `missingkey=error`): a missing
    /// field is "map has no entry for key \"F\"".
    JsonObject,
}

impl Struct {
    /// A plain struct of this type, without fields or methods yet.
    pub fn new(type_name: impl Into<String>) -> Struct {
        Struct {
            type_name: type_name.into(),
            ..Struct::default()
        }
    }

    /// A Docker formatter context (see [`StructKind::FormatterContext`]).
    pub fn formatter_context(type_name: impl Into<String>) -> Struct {
        Struct {
            kind: StructKind::FormatterContext,
            ..Struct::new(type_name)
        }
    }

    /// Adds a field (builder style).
    pub fn field(mut self, name: impl Into<String>, value: impl Into<Value>) -> Struct {
        self.fields.push((name.into(), value.into()));
        self
    }

    /// Adds a method that takes arguments (builder style).
    pub fn method(
        mut self,
        name: impl Into<String>,
        f: impl Fn(&[Value]) -> Result<Value, String> + 'static,
    ) -> Struct {
        self.methods.push((name.into(), Rc::new(f)));
        self
    }

    /// The field `name`'s value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The method `name`.
    pub fn get_method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|(n, _)| n == name).map(|(_, m)| m)
    }
}

impl fmt::Debug for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(&self.type_name)
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Missing => f.write_str("Missing"),
            Value::Nil => f.write_str("Nil"),
            Value::Bool(b) => write!(f, "Bool({b})"),
            Value::Int(i) => write!(f, "Int({i})"),
            Value::Float(x) => write!(f, "Float({x})"),
            Value::String(s) => write!(f, "String({s:?})"),
            Value::List(l) => f.debug_list().entries(l.iter()).finish(),
            Value::Map(m) => f.debug_map().entries(m.iter()).finish(),
            Value::Struct(s) => s.fmt(f),
        }
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Missing, Value::Missing) | (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::List(a), Value::List(b)) => a == b,
            (Value::Map(a), Value::Map(b)) => a == b,
            (Value::Struct(a), Value::Struct(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.into())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s.into())
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::String(s.as_str().into())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<i32> for Value {
    fn from(i: i32) -> Value {
        Value::Int(i.into())
    }
}
impl From<u32> for Value {
    fn from(i: u32) -> Value {
        Value::Int(i.into())
    }
}
impl From<u64> for Value {
    fn from(i: u64) -> Value {
        i64::try_from(i).map_or(Value::Float(i as f64), Value::Int)
    }
}
impl From<usize> for Value {
    fn from(i: usize) -> Value {
        Value::from(i as u64)
    }
}
impl From<f64> for Value {
    fn from(x: f64) -> Value {
        Value::Float(x)
    }
}
impl From<Struct> for Value {
    fn from(s: Struct) -> Value {
        Value::Struct(Rc::new(s))
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::List(Rc::new(v.into_iter().map(Into::into).collect()))
    }
}
impl<T: Into<Value>> From<BTreeMap<String, T>> for Value {
    fn from(m: BTreeMap<String, T>) -> Value {
        Value::Map(Rc::new(m.into_iter().map(|(k, v)| (k, v.into())).collect()))
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Value {
        v.map_or(Value::Nil, Into::into)
    }
}
impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        Value::from_json(v)
    }
}
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Value {
        Value::from_json(&v)
    }
}

impl Value {
    /// JSON as a template sees it after Go decodes it: objects are maps (a missing key prints
    /// `<no value>`), integers stay integers, null is nil.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Value::Int(i),
                (None, Some(u)) => Value::from(u),
                _ => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::from(s.as_str()),
            serde_json::Value::Array(a) => {
                Value::List(Rc::new(a.iter().map(Value::from_json).collect()))
            }
            serde_json::Value::Object(o) => Value::Map(Rc::new(
                o.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            )),
        }
    }

    /// A map from string pairs.
    pub fn map<K: Into<String>, V: Into<Value>>(pairs: impl IntoIterator<Item = (K, V)>) -> Value {
        Value::Map(Rc::new(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ))
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn is_true(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(x) => *x != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Struct(_) => true,
        }
    }

    /// Go's name of the value's type, as `%T` and error messages print it.
    pub fn type_name(&self) -> String {
        match self {
            Value::Missing => "<no value>".into(),
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Float(_) => "float64".into(),
            Value::String(_) => "string".into(),
            Value::List(l) if l.iter().all(|v| matches!(v, Value::String(_))) && !l.is_empty() => {
                "[]string".into()
            }
            Value::List(_) => "[]interface {}".into(),
            Value::Map(_) => "map[string]interface {}".into(),
            Value::Struct(s) => s.type_name.clone(),
        }
    }
}

/// Go's `%v` (and `%+v` with `plus`: struct fields named).
pub(crate) fn write_value(out: &mut String, v: &Value, plus: bool) {
    match v {
        Value::Missing => out.push_str("<no value>"),
        Value::Nil => out.push_str("<nil>"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => out.push_str(&format_float_g(*x, None)),
        Value::String(s) => out.push_str(s),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, e, plus);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, e, plus);
            }
            out.push(']');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, (name, e)) in s.fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if plus {
                    out.push_str(name);
                    out.push(':');
                }
                write_value(out, e, plus);
            }
            out.push('}');
        }
    }
}

/// `%v` of a value as a new string.
pub(crate) fn to_go_string(v: &Value) -> String {
    let mut s = String::new();
    write_value(&mut s, v, false);
    s
}

/// Go's `%g` (strconv 'g'): the shortest representation when `precision` is None, with an
/// exponent when it is below -4 or at least the precision (6 for the shortest form).
pub(crate) fn format_float_g(x: f64, precision: Option<usize>) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Decimal digits and exponent: shortest round-trip, or rounded to `precision` digits.
    let sci = match precision {
        None => format!("{x:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, x),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut digits = digits.trim_end_matches('0').to_owned();
    if digits.is_empty() {
        digits.push('0');
    }
    let eprec = match precision {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > digits.len() as i32 && digits.len() as i32 > exp {
                digits.len() as i32
            } else {
                p
            }
        }
    };
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exp < -4 || exp >= eprec {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let _ = write!(out, "{:02}", exp.abs());
    } else if exp < 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_gos_v() {
        for (x, want) in [
            (1.5, "1.5"),
            (100.0, "100"),
            (123456.0, "123456"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.25, "-2.25"),
            (0.1 + 0.2, "0.30000000000000004"),
        ] {
            assert_eq!(format_float_g(x, None), want, "{x}");
        }
        assert_eq!(format_float_g(2.71838, Some(3)), "2.72");
        assert_eq!(format_float_g(1234.5, Some(2)), "1.2e+03");
    }

    #[test]
    fn composites_print_as_gos_v() {
        let v = Value::from_json(&serde_json::json!({
            "b": [1, "x", null, 2.5], "a": {"k": true}
        }));
        assert_eq!(to_go_string(&v), "map[a:map[k:true] b:[1 x <nil> 2.5]]");
        let s = Value::from(Struct::new("T").field("A", "x").field("B", 3));
        assert_eq!(to_go_string(&s), "{x 3}");
        let mut plus = String::new();
        write_value(&mut plus, &s, true);
        assert_eq!(plus, "{A:x B:3}");
    }

    #[test]
    fn truth_as_go() {
        assert!(!Value::from("").is_true());
        assert!(!Value::from(Vec::<Value>::new()).is_true());
        assert!(Value::from(0.5).is_true());
        assert!(!Value::Missing.is_true());
        assert!(Value::from(Struct::new("T")).is_true());
    }
}
