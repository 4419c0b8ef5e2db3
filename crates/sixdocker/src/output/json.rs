//! JSON as Docker's `inspect` prints it: an array, indented by four spaces.

use std::io::{self, Write};

use serde::Serialize;

/// Writes `values` as a pretty JSON array followed by a newline.
pub fn write_array<T: Serialize>(out: &mut dyn Write, values: &[T]) -> io::Result<()> {
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut *out, formatter);
    values.serialize(&mut ser).map_err(io::Error::other)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indented_array() {
        let mut out = Vec::new();
        write_array(&mut out, &[serde_json::json!({"Id": "x"})]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "[\n    {\n        \"Id\": \"x\"\n    }\n]\n"
        );
        let mut out = Vec::new();
        write_array::<serde_json::Value>(&mut out, &[]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}
