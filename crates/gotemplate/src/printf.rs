//! Go's `fmt.Sprintf` for template values: the verbs `%v %s %q %d %b %o %O %x %X %c %U %e
//! %E %f %F %g %G %t %T %%`, flags `+ - # 0 space`, width and precision (also `*`), and Go's
//! complaints in the output (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA int=1)`).

use std::fmt::Write;

use crate::value::{format_float_g, write_value};
use crate::Value;

#[derive(Default, Clone, Copy)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `args` by `format` as Go's fmt.Sprintf does.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&(_, f)) = chars.peek() {
            match f {
                '+' => spec.plus = true,
                '-' => spec.minus = true,
                '#' => spec.sharp = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = number_or_star(&mut chars, args, &mut next_arg);
        if chars.peek().is_some_and(|&(_, c)| c == '.') {
            chars.next();
            spec.precision = Some(number_or_star(&mut chars, args, &mut next_arg).unwrap_or(0));
        }
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        next_arg += 1;
        let arg = match arg {
            Value::Missing => &Value::Nil,
            a => a,
        };
        let text = format_one(arg, verb, spec);
        out.push_str(&text);
    }
    if next_arg < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[next_arg..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=", a.type_name());
            write_value(&mut out, a, false);
        }
        out.push(')');
    }
    out
}

fn number_or_star(
    chars: &mut std::iter::Peekable<std::str::CharIndices>,
    args: &[Value],
    next_arg: &mut usize,
) -> Option<usize> {
    if chars.peek().is_some_and(|&(_, c)| c == '*') {
        chars.next();
        let n = match args.get(*next_arg) {
            Some(Value::Int(n)) => usize::try_from(*n).ok(),
            _ => None,
        };
        *next_arg += 1;
        return n;
    }
    let mut n = None;
    while let Some(d) = chars.peek().and_then(|&(_, c)| c.to_digit(10)) {
        n = Some(n.unwrap_or(0) * 10 + d as usize);
        chars.next();
    }
    n
}

/// One argument by one verb, padded to the width.
fn format_one(arg: &Value, verb: char, spec: Spec) -> String {
    if verb == 'T' {
        return pad(arg.type_name(), spec, false);
    }
    match arg {
        Value::List(items) if verb != 'T' => {
            let inner: Vec<String> = items
                .iter()
                .map(|v| {
                    format_one(
                        v,
                        verb,
                        Spec {
                            width: spec.width,
                            ..spec
                        },
                    )
                })
                .collect();
            return format!("[{}]", inner.join(" "));
        }
        Value::Map(m) if matches!(verb, 'v' | 's' | 'd' | 'q' | 'x' | 'X') => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        format_one(&Value::from(k.as_str()), verb, spec),
                        format_one(v, verb, spec)
                    )
                })
                .collect();
            return format!("map[{}]", inner.join(" "));
        }
        Value::Struct(s) if matches!(verb, 'v' | 's' | 'd' | 'q' | 'x' | 'X') => {
            let inner: Vec<String> = s
                .fields
                .iter()
                .map(|(name, v)| {
                    let value = format_one(v, verb, spec);
                    if spec.plus && verb == 'v' {
                        format!("{name}:{value}")
                    } else {
                        value
                    }
                })
                .collect();
            return format!("{{{}}}", inner.join(" "));
        }
        _ => {}
    }
    let formatted = match (arg, verb) {
        (Value::Bool(b), 'v' | 't') => Some(b.to_string()),
        (Value::Int(i), _) => format_int(*i, verb, spec),
        (Value::Float(x), _) => format_float(*x, verb, spec),
        (Value::String(s), 'v' | 's') => Some(match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        }),
        (Value::String(s), 'q') => Some(
            if spec.sharp && !s.contains('`') && !s.chars().any(char::is_control) {
                format!("`{s}`")
            } else {
                quote_with(s, spec.plus)
            },
        ),
        (Value::String(s), 'x' | 'X') => {
            let mut hex = String::new();
            for (i, b) in s.bytes().enumerate() {
                if spec.space && i > 0 {
                    hex.push(' ');
                }
                if verb == 'x' {
                    let _ = write!(hex, "{b:02x}");
                } else {
                    let _ = write!(hex, "{b:02X}");
                }
            }
            Some(hex)
        }
        (Value::Nil, 'v') => Some("<nil>".into()),
        (Value::Struct(_) | Value::Map(_), _) => None,
        _ => None,
    };
    match formatted {
        Some(text) => {
            let numeric =
                matches!(arg, Value::Int(_) | Value::Float(_)) && verb != 'c' && verb != 'q';
            pad(text, spec, numeric)
        }
        None => {
            let mut value = String::new();
            write_value(&mut value, arg, false);
            match arg {
                Value::Nil => format!("%!{verb}(<nil>)"),
                _ => format!("%!{verb}({}={value})", arg.type_name()),
            }
        }
    }
}

fn format_int(i: i64, verb: char, spec: Spec) -> Option<String> {
    let magnitude = i.unsigned_abs();
    let digits = match verb {
        'v' | 'd' => magnitude.to_string(),
        'b' => format!("{magnitude:b}"),
        'o' | 'O' => format!("{magnitude:o}"),
        'x' => format!("{magnitude:x}"),
        'X' => format!("{magnitude:X}"),
        'c' => {
            return char::from_u32(i as u32)
                .map(String::from)
                .or(Some("\u{FFFD}".into()))
        }
        'q' => {
            let c = char::from_u32(i as u32).unwrap_or('\u{FFFD}');
            return Some(format!(
                "'{}'",
                quote_with(&c.to_string(), spec.plus).trim_matches('"')
            ));
        }
        'U' => return Some(format!("U+{magnitude:04X}")),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => return None,
        _ => return None,
    };
    let mut digits = digits;
    if let Some(p) = spec.precision {
        if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
        if p == 0 && magnitude == 0 {
            digits.clear();
        }
    }
    let prefix = match (verb, spec.sharp) {
        ('x', true) => "0x",
        ('X', true) => "0X",
        ('o', true) if !digits.starts_with('0') => "0",
        ('O', _) => "0o",
        ('b', true) => "0b",
        _ => "",
    };
    Some(format!("{}{prefix}{digits}", sign(i < 0, spec)))
}

fn sign(negative: bool, spec: Spec) -> &'static str {
    match (negative, spec.plus, spec.space) {
        (true, _, _) => "-",
        (false, true, _) => "+",
        (false, false, true) => " ",
        _ => "",
    }
}

fn format_float(x: f64, verb: char, spec: Spec) -> Option<String> {
    let negative = x.is_sign_negative() && !x.is_nan();
    let a = x.abs();
    let body = if a.is_infinite() {
        "Inf".to_owned()
    } else if a.is_nan() {
        "NaN".to_owned()
    } else {
        match verb {
            'v' | 'g' => format_float_g(a, spec.precision),
            'G' => format_float_g(a, spec.precision).to_uppercase(),
            'f' | 'F' => format!("{:.*}", spec.precision.unwrap_or(6), a),
            'e' | 'E' => {
                let text = format_exp(a, spec.precision.unwrap_or(6));
                if verb == 'E' {
                    text.to_uppercase()
                } else {
                    text
                }
            }
            _ => return None,
        }
    };
    let sign = if a.is_nan() {
        if spec.plus {
            "+"
        } else {
            ""
        }
    } else {
        sign(negative, spec)
    };
    Some(format!("{sign}{body}"))
}

/// `%e`: d.dddddde±dd.
fn format_exp(a: f64, precision: usize) -> String {
    let text = format!("{a:.precision$e}");
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// Pads to the width: spaces on the left (on the right with `-`), zeros after the sign for
/// numbers with `0`.
fn pad(text: String, spec: Spec, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let len = text.chars().count();
    if len >= width {
        return text;
    }
    let fill = width - len;
    if spec.minus {
        return format!("{text}{}", " ".repeat(fill));
    }
    if spec.zero && numeric && !text.ends_with("Inf") && !text.ends_with("NaN") {
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), &text[1..]),
            _ => (String::new(), text.as_str()),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    if spec.zero && !numeric {
        return format!("{}{text}", "0".repeat(fill));
    }
    format!("{}{text}", " ".repeat(fill))
}

/// Go's `strconv.Quote`: `"a\"b\n"`.
pub fn quote(s: &str) -> String {
    quote_with(s, false)
}

/// Go's `strconv.Quote` (`ascii_only`: `strconv.QuoteToASCII`, as `%+q`).
pub(crate) fn quote_with(s: &str, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() || (ascii_only && !c.is_ascii()) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(format: &str, args: &[Value]) -> String {
        sprintf(format, args)
    }

    #[test]
    fn verbs_as_go() {
        let s = Value::from("web");
        assert_eq!(
            f("%s|%v|%q|%x", &[s.clone(), s.clone(), s.clone(), s.clone()]),
            "web|web|\"web\"|776562"
        );
        assert_eq!(
            f("%-6s|%6s|%.2s", &[s.clone(), s.clone(), s.clone()]),
            "web   |   web|we"
        );
        assert_eq!(
            f(
                "%d %5d %-5d| %05d %+d %x %X %o %b %c",
                &[
                    Value::Int(3),
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(-42),
                    Value::Int(7),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(65)
                ]
            ),
            "3    42 42   | -0042 +7 ff FF 10 101 A"
        );
        assert_eq!(
            f(
                "%f %.2f %e %g %v %6.1f",
                &[
                    Value::Float(1.5),
                    Value::Float(2.71838),
                    Value::Float(1234.5678),
                    Value::Float(0.000012),
                    Value::Float(1e21),
                    Value::Float(2.25)
                ]
            ),
            "1.500000 2.72 1.234568e+03 1.2e-05 1e+21    2.2"
        );
        assert_eq!(f("%t %v", &[Value::Bool(true), Value::Nil]), "true <nil>");
        assert_eq!(
            f("%T %T %T", &[Value::Int(1), Value::from("x"), Value::Nil]),
            "int string <nil>"
        );
        assert_eq!(f("100%%", &[]), "100%");
    }

    #[test]
    fn complaints_as_go() {
        assert_eq!(f("%d", &[Value::from("x")]), "%!d(string=x)");
        assert_eq!(f("%s %s", &[Value::from("x")]), "x %!s(MISSING)");
        assert_eq!(
            f("%s", &[Value::from("x"), Value::Int(1)]),
            "x%!(EXTRA int=1)"
        );
        assert_eq!(f("%s", &[Value::Nil]), "%!s(<nil>)");
        assert_eq!(f("%d", &[Value::Float(1.5)]), "%!d(float64=1.5)");
    }

    #[test]
    fn composites_apply_the_verb_inside() {
        let list = Value::from(vec!["a", "b"]);
        assert_eq!(f("%q", std::slice::from_ref(&list)), "[\"a\" \"b\"]");
        assert_eq!(f("%v", &[list]), "[a b]");
        let m = Value::map([("k", 1)]);
        assert_eq!(f("%v %d", &[m.clone(), m]), "map[k:1] map[%!d(string=k):1]");
    }

    #[test]
    fn quoting_as_strconv() {
        assert_eq!(quote("a\"b\\\n\t\x01é"), "\"a\\\"b\\\\\\n\\t\\x01é\"");
        assert_eq!(quote_with("é", true), "\"\\u00e9\"");
    }
}
