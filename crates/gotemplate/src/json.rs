//! Go's `encoding/json` output for a template value, as Docker's `json` function writes it
//! (HTML characters not escaped): map keys in order, struct fields in their order, floats in
//! Go's form (`1e+21`, `1e-7`), `\u2028`/`\u2029` escaped.

use std::fmt::Write;

use crate::Value;

/// The compact JSON text of `v`; None for a value JSON cannot hold (NaN, infinities).
pub fn to_json(v: &Value) -> Option<String> {
    let mut out = String::new();
    write_json(&mut out, v)?;
    Some(out)
}

fn write_json(out: &mut String, v: &Value) -> Option<()> {
    if let Value::Struct(s) = v {
        if s.kind == crate::StructKind::FormatterContext {
            // json.Marshal of a map: keys in order, <, > and & escaped everywhere inside.
            let mut members: Vec<(&str, &Value)> =
                s.fields.iter().map(|(k, v)| (k.as_str(), v)).collect();
            members.sort_by_key(|(k, _)| *k);
            let mut inner = String::new();
            write_object(&mut inner, members.into_iter())?;
            out.push_str(
                &inner
                    .replace('<', "\\u003c")
                    .replace('>', "\\u003e")
                    .replace('&', "\\u0026"),
            );
            return Some(());
        }
    }
    match v {
        Value::Missing | Value::Nil => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(x) => out.push_str(&json_float(*x)?),
        Value::String(s) => write_string(out, s),
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, e)?;
            }
            out.push(']');
        }
        Value::Map(m) => write_object(out, m.iter().map(|(k, v)| (k.as_str(), v)))?,
        Value::Struct(s) => write_object(out, s.fields.iter().map(|(k, v)| (k.as_str(), v)))?,
    }
    Some(())
}

fn write_object<'a>(
    out: &mut String,
    members: impl Iterator<Item = (&'a str, &'a Value)>,
) -> Option<()> {
    out.push('{');
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, k);
        out.push(':');
        write_json(out, v)?;
    }
    out.push('}');
    Some(())
}

/// Go's float encoding: like %f for ordinary magnitudes, exponent form below 1e-6 and from
/// 1e21, with the exponent's leading zero dropped (`1e-07` → `1e-7`).
fn json_float(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    let a = x.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let text = format!("{x:e}");
        let (mantissa, exp) = text.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        return Some(
            format!(
                "{mantissa}e{}{:02}",
                if exp < 0 { '-' } else { '+' },
                exp.abs()
            )
            .replace("e-0", "e-"),
        );
    }
    // Shortest digits that round-trip, without an exponent.
    let text = format!("{x}");
    Some(text)
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Struct;

    #[test]
    fn json_as_go_writes_it() {
        let v = Value::from_json(&serde_json::json!({
            "b": [1, 2.5, null, true], "a": "<&>\u{2028}\u{1}"
        }));
        assert_eq!(
            to_json(&v).unwrap(),
            r#"{"a":"<&>\u2028\u0001","b":[1,2.5,null,true]}"#
        );
        let s = Value::from(
            Struct::new("T")
                .field("Z", 1)
                .field("A", 1e21)
                .field("M", 1e-7),
        );
        assert_eq!(to_json(&s).unwrap(), r#"{"Z":1,"A":1e+21,"M":1e-7}"#);
        assert_eq!(to_json(&Value::Float(100.0)).unwrap(), "100");
        assert_eq!(to_json(&Value::Float(f64::NAN)), None);
    }
}
