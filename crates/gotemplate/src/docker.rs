//! Docker's side of templates (docker/cli's `templates` and `formatter` packages): the
//! functions it adds (`json`, `split`, `join`, `title`, `lower`, `upper`, `pad`, `truncate`),
//! the stand-ins it uses when a template renders a table header, and how a list command reads
//! `--format`:
//!
//! - `""` or `"table"`: the command's default table;
//! - `"table TEMPLATE"`: a header row (the template run on the column titles) and one row per
//!   item, aligned by Go's tabwriter (minimum width 10, padding 3);
//! - `"json"`: `{{json .}}`, one JSON object a line;
//! - anything else: the template once per item, each followed by a newline.
//!
//! In a list format, the two characters `\t` and `\n` stand for a tab and a newline.

use std::rc::Rc;

use crate::funcs::{arity, int_arg, string_arg};
use crate::json::to_json;
use crate::tabwriter;
use crate::{Error, Func, FuncMap, Template, Value};

/// Parses a template with Docker's functions (`templates.Parse`): what `inspect -f`, `info
/// --format` and `version --format` use, with no `table` or `\t` handling.
pub fn parse(template: &str) -> Result<Template, Error> {
    Template::parse_with(template, functions())
}

/// Docker's template functions.
pub fn functions() -> FuncMap {
    let mut m = FuncMap::new();
    let mut add = |name: &str, f: Func| {
        m.insert(name.to_owned(), f);
    };
    add(
        "json",
        Rc::new(|a| {
            arity("json", a, 1)?;
            Ok(Value::from(to_json(&a[0]).unwrap_or_default()))
        }),
    );
    add(
        "split",
        Rc::new(|a| {
            arity("split", a, 2)?;
            let (s, sep) = (string_arg(&a[0])?, string_arg(&a[1])?);
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::from(c.to_string())).collect()
            } else {
                s.split(sep).map(Value::from).collect()
            };
            Ok(Value::from(parts))
        }),
    );
    add(
        "join",
        Rc::new(|a| {
            arity("join", a, 2)?;
            let sep = string_arg(&a[1])?;
            let items = match &a[0] {
                Value::List(l) if l.iter().all(|v| matches!(v, Value::String(_))) => l,
                Value::Nil => return Ok(Value::from("")),
                other => {
                    return Err(format!(
                        "wrong type for value; expected []string; got {}",
                        other.type_name()
                    ))
                }
            };
            let parts: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            Ok(Value::from(parts.join(sep)))
        }),
    );
    add(
        "title",
        Rc::new(|a| {
            arity("title", a, 1)?;
            Ok(Value::from(title(string_arg(&a[0])?)))
        }),
    );
    add(
        "lower",
        Rc::new(|a| {
            arity("lower", a, 1)?;
            Ok(Value::from(string_arg(&a[0])?.to_lowercase()))
        }),
    );
    add(
        "upper",
        Rc::new(|a| {
            arity("upper", a, 1)?;
            Ok(Value::from(string_arg(&a[0])?.to_uppercase()))
        }),
    );
    add(
        "pad",
        Rc::new(|a| {
            arity("pad", a, 3)?;
            let s = string_arg(&a[0])?;
            let (prefix, suffix) = (int_arg(&a[1])?, int_arg(&a[2])?);
            if s.is_empty() {
                return Ok(Value::from(""));
            }
            let spaces = |n: i64| " ".repeat(usize::try_from(n).unwrap_or(0));
            Ok(Value::from(format!(
                "{}{s}{}",
                spaces(prefix),
                spaces(suffix)
            )))
        }),
    );
    add(
        "truncate",
        Rc::new(|a| {
            arity("truncate", a, 2)?;
            let s = string_arg(&a[0])?;
            let n = int_arg(&a[1])?;
            let n = usize::try_from(n).map_err(|_| format!("slice bounds out of range [:{n}]"))?;
            if s.len() < n {
                return Ok(Value::from(s));
            }
            // Go cuts bytes; we cut at the last character boundary at or before n.
            let mut cut = n;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            Ok(Value::from(&s[..cut]))
        }),
    );
    m
}

/// The functions a table header is rendered with: each returns its first argument, so the
/// header shows the column's title (`pad` is not replaced, keeping columns aligned).
pub fn header_functions() -> FuncMap {
    let mut m = FuncMap::new();
    for (name, args) in [
        ("json", 1),
        ("split", 2),
        ("join", 2),
        ("title", 1),
        ("lower", 1),
        ("upper", 1),
        ("truncate", 2),
    ] {
        let f: Func = Rc::new(move |a| {
            arity(name, a, args)?;
            Ok(a[0].clone())
        });
        m.insert(name.to_owned(), f);
    }
    m
}

/// Go's `strings.Title`: the first letter of each word in title case.
fn title(s: &str) -> String {
    let is_separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// The fields of Docker's inspect documents that are Go maps (labels, options, port and
/// network tables ...), by key, or by parent and key: a missing key in them prints
/// `<no value>`, where a missing field of a struct is an error.
const MAP_FIELDS: &[&str] = &[
    "Labels",
    "ExposedPorts",
    "Volumes",
    "Sysctls",
    "StorageOpt",
    "Tmpfs",
    "PortBindings",
    "Annotations",
    "Ports",
    "Networks",
    "DriverOpts",
    "Options",
    "Containers",
    "Data",
    "Status",
    "IndexConfigs",
    "Runtimes",
    "Details",
    "LogConfig.Config",
];

/// A field Docker's typed documents have but their JSON lacks under that name, as Docker
/// reads it: it runs a template on the typed value first, so the Go names of fields whose
/// JSON key differs work (`ID` is `json:"Id"`, `APIVersion` is `json:"ApiVersion"`), and an
/// omitted nil pointer is nil (`State.Health` without a health check: `{{if .State.Health}}`
/// is false, `{{json .State.Health}}` is null).
pub(crate) fn typed_field(object: &crate::Struct, name: &str) -> Option<Value> {
    match name {
        "ID" => object.get("Id").cloned(),
        "APIVersion" => object.get("ApiVersion").cloned(),
        "Health" if object.get("OOMKilled").is_some() => Some(Value::Nil),
        _ => None,
    }
}

/// An inspect document (container, image, network, volume, info, version) as `inspect -f`
/// sees it in Docker 28: objects are structs whose missing fields are errors ("map has no
/// entry for key"), except the Go maps among them (labels, options, port and network
/// tables); integers stay integers.
pub fn inspect_value(doc: &serde_json::Value) -> Value {
    convert(doc, "", "")
}

fn convert(v: &serde_json::Value, parent: &str, key: &str) -> Value {
    use crate::value::StructKind;
    match v {
        serde_json::Value::Object(o) => {
            let dotted = format!("{parent}.{key}");
            let is_map = MAP_FIELDS.iter().any(|f| *f == key || *f == dotted);
            if is_map {
                return Value::map(o.iter().map(|(k, e)| (k.clone(), convert(e, key, k))));
            }
            let mut s = crate::Struct::new("map[string]interface {}");
            s.kind = StructKind::JsonObject;
            s.fields = o
                .iter()
                .map(|(k, e)| (k.clone(), convert(e, key, k)))
                .collect();
            Value::from(s)
        }
        serde_json::Value::Array(a) => Value::from(
            a.iter()
                .map(|e| convert(e, parent, key))
                .collect::<Vec<_>>(),
        ),
        other => Value::from_json(other),
    }
}

/// A list command's `--format`, read as Docker reads it.
#[derive(Debug, Clone)]
pub struct Format {
    template: Template,
    table: bool,
}

impl Format {
    /// Reads `format`; `default_table` (e.g. `"table {{.ID}}\t{{.Image}}"`) is used for an
    /// empty format and for `"table"` alone.
    pub fn new(format: &str, default_table: &str) -> Result<Format, Error> {
        let format = match format {
            "" | "table" => default_table,
            f => f,
        };
        let table = format.starts_with("table");
        let body = if table {
            &format["table".len()..]
        } else if format == "json" {
            "{{json .}}"
        } else {
            format
        };
        let body = body
            .trim_matches(' ')
            .replace("\\t", "\t")
            .replace("\\n", "\n");
        let template = Template::parse_with(&body, functions())
            .map_err(|e| Error::Parse(format!("template parsing error: {e}")))?;
        Ok(Format { template, table })
    }

    /// Whether this format prints a table (with a header row).
    pub fn is_table(&self) -> bool {
        self.table
    }

    /// The parsed template (e.g. to ask `mentions_field("Size")`).
    pub fn template(&self) -> &Template {
        &self.template
    }

    /// The output for `rows`: each row's text and a newline; for a table, first the header
    /// (the template run on `headers`, a map from field name to column title, with
    /// [`header_functions`]; a header that fails keeps what it wrote, as Docker's does), all
    /// aligned by Docker's tabwriter.
    pub fn render(&self, rows: &[Value], headers: &Value) -> Result<String, Error> {
        let mut body = String::new();
        for row in rows {
            self.template.execute_into(row, &mut body)?;
            body.push('\n');
        }
        if !self.table {
            return Ok(body);
        }
        let mut text = String::new();
        let _ = self
            .template
            .with_funcs(header_functions())
            .execute_into(headers, &mut text);
        text.push('\n');
        text.push_str(&body);
        Ok(tabwriter::align(&text, tabwriter::DOCKER))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_as_strings_title() {
        assert_eq!(title("hello world-foo_bar"), "Hello World-Foo_bar");
        assert_eq!(title("élan vital"), "Élan Vital");
    }
}
