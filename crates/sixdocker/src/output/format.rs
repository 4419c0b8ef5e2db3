//! `--format` (and `inspect -f`): a command's rows or documents through a Go template, as
//! Docker prints them. Uses six-gotemplate; the rows themselves are built by each command's
//! output module (Docker's field names there).

use std::io::Write;

use six_gotemplate::docker::{self, Format};
use six_gotemplate::Value;

use crate::commands::Failure;

/// Prints `rows` by a list command's `--format` (None or "table": `default_table`), with
/// `headers` naming each field's column. Errors read as Docker's: "template parsing error: ...".
pub fn print_list(
    out: &mut dyn Write,
    format: Option<&str>,
    default_table: &str,
    rows: &[Value],
    headers: &Value,
) -> Result<(), Failure> {
    let format = Format::new(format.unwrap_or(""), default_table).map_err(template_failure)?;
    let text = format
        .render(rows, headers)
        .map_err(|e| Failure::other(format!("template parsing error: {e}")))?;
    out.write_all(text.as_bytes())?;
    Ok(())
}

/// Prints each value through `template` (Docker's functions, no `table`), a newline after
/// each: `inspect -f`, `info -f`, `version -f`, `network inspect -f`. `"json"` is `{{json .}}`.
pub fn print_each(
    out: &mut dyn Write,
    template: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<(), Failure> {
    let template = parse(template)?;
    for value in values {
        let mut text = String::new();
        let result = template.execute_into(&value, &mut text);
        out.write_all(text.as_bytes())?;
        result.map_err(|e| Failure::other(format!("template parsing error: {e}")))?;
        writeln!(out)?;
    }
    Ok(())
}

/// A template with Docker's functions (`"json"` meaning `{{json .}}`).
pub fn parse(template: &str) -> Result<six_gotemplate::Template, Failure> {
    let template = if template == "json" {
        "{{json .}}"
    } else {
        template
    };
    docker::parse(template).map_err(template_failure)
}

fn template_failure(e: six_gotemplate::Error) -> Failure {
    match e {
        six_gotemplate::Error::Parse(m) if m.starts_with("template parsing error") => {
            Failure::other(m)
        }
        e => Failure::other(format!("template parsing error: {e}")),
    }
}

/// Whether a list format will read `field` (Docker asks the daemon for costly fields such as
/// `Size` only then). A format that does not parse reads nothing.
pub fn reads_field(format: Option<&str>, field: &str) -> bool {
    format
        .and_then(|f| Format::new(f, "").ok())
        .is_some_and(|f| f.template().mentions_field(field))
}

/// Docker's `.Label "KEY"` method of a list row: the label's value, "" when unset.
pub fn label_method(
    labels: std::collections::BTreeMap<String, String>,
) -> impl Fn(&[six_gotemplate::Value]) -> Result<six_gotemplate::Value, String> {
    move |args| match args {
        [six_gotemplate::Value::String(key)] => Ok(six_gotemplate::Value::from(
            labels.get(&**key).map_or("", String::as_str),
        )),
        _ => Err(format!(
            "wrong number of args for Label: want 1 got {}",
            args.len()
        )),
    }
}
