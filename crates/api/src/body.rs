//! Reading Docker's JSON request bodies field by field, as Go reads them: a missing field and
//! `null` are its zero value, a lone string may stand for a one-element list (`StrSlice`).
//! A field of the wrong type is a 400 naming it. Fields the engine cannot honour are refused
//! when set (a value other than Go's zero value), never silently dropped, and so are fields
//! this service does not know; unknown fields left at their zero value are ignored, as the
//! newer clients send them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::http::ApiError;

/// One JSON object of a request body; `prefix` names where it is (`HostConfig.`) in errors.
pub(crate) struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Fields<'a> {
    /// `value` as an object (`null`: an empty one).
    pub(crate) fn of(value: &'a Value, prefix: &str) -> Result<Fields<'a>, ApiError> {
        match value {
            Value::Object(map) => Ok(Fields {
                map,
                prefix: prefix.to_owned(),
            }),
            Value::Null => Ok(Fields {
                map: &EMPTY,
                prefix: prefix.to_owned(),
            }),
            other => {
                let what = match prefix {
                    "" => "the body",
                    p => p.trim_end_matches('.'),
                };
                Err(ApiError::bad(format!(
                    "{what}: expected a JSON object, got {other}"
                )))
            }
        }
    }

    /// Every field, in order.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&'a String, &'a Value)> {
        self.map.iter()
    }

    /// The raw value of `key` (None: missing or null).
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The field's name as errors show it.
    pub(crate) fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn wrong(&self, key: &str, expected: &str, v: &Value) -> ApiError {
        ApiError::bad(format!("{}: expected {expected}, got {v}", self.name(key)))
    }

    /// 400 for the first field set here that is not in `known`.
    pub(crate) fn refuse_unknown(&self, known: &[&str]) -> Result<(), ApiError> {
        for (k, v) in self.map {
            if !known.contains(&k.as_str()) && is_set(v) {
                return Err(ApiError::bad(format!(
                    "{} is not a field sixdocker knows (given: {v})",
                    self.name(k)
                )));
            }
        }
        Ok(())
    }

    /// 400 for the first of `fields` that is set: the engine cannot honour it.
    pub(crate) fn refuse_set(&self, fields: &[&str]) -> Result<(), ApiError> {
        for f in fields {
            if let Some(v) = self.map.get(*f).filter(|v| is_set(v)) {
                return Err(ApiError::bad(format!(
                    "{} is not supported by sixdocker (given: {v})",
                    self.name(f)
                )));
            }
        }
        Ok(())
    }

    /// A nested object (None: missing or null).
    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Fields::of(v, &format!("{}.", self.name(key))).map(Some),
            Some(v) => Err(self.wrong(key, "a JSON object", v)),
        }
    }

    /// A string (None: missing, null or empty).
    pub(crate) fn string(&self, key: &str) -> Result<Option<String>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    /// A list of strings; a lone string is a one-element list (Docker's `StrSlice`).
    pub(crate) fn strings(&self, key: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| self.wrong(key, "strings", v))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(v) => Err(self.wrong(key, "a list of strings", v)),
        }
    }

    /// A list (empty when missing or null).
    pub(crate) fn list(&self, key: &str) -> Result<Vec<Value>, ApiError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(v) => Err(self.wrong(key, "a list", v)),
        }
    }

    pub(crate) fn boolean(&self, key: &str) -> Result<bool, ApiError> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.wrong(key, "true or false", v)),
        }
    }

    /// An integer (None: missing or null).
    pub(crate) fn number(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| self.wrong(key, "an integer", v)),
            Some(v) => Err(self.wrong(key, "an integer", v)),
        }
    }

    /// A number that must not be negative (0: not set).
    pub(crate) fn positive(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.number(key)? {
            None | Some(0) => Ok(None),
            Some(n) if n < 0 => Err(ApiError::bad(format!(
                "{}: {n} is negative; expected a positive number",
                self.name(key)
            ))),
            Some(n) => Ok(Some(n as u64)),
        }
    }

    /// An object of strings (`Labels`, `DriverOpts`); empty when missing or null.
    pub(crate) fn string_map(&self, key: &str) -> Result<BTreeMap<String, String>, ApiError> {
        match self.get(key) {
            None => Ok(BTreeMap::new()),
            Some(Value::Object(o)) => o
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(self.wrong(key, "string values", other)),
                })
                .collect(),
            Some(v) => Err(self.wrong(key, "an object of strings", v)),
        }
    }
}

/// Whether a JSON value says more than Go's zero value.
pub(crate) fn is_set(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => o.values().any(is_set),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_read_as_go_reads_them() {
        let doc = json!({"A": "x", "L": "one", "N": null, "M": {"k": "v"}, "I": 5, "Z": {"x": 0}});
        let f = Fields::of(&doc, "HostConfig.").unwrap();
        assert_eq!(f.string("A").unwrap().as_deref(), Some("x"));
        assert_eq!(f.strings("L").unwrap().unwrap(), ["one"]);
        assert_eq!(f.string("N").unwrap(), None);
        assert_eq!(f.string_map("M").unwrap()["k"], "v");
        assert_eq!(f.number("I").unwrap(), Some(5));
        let e = f.boolean("A").unwrap_err();
        assert!(
            e.message
                .starts_with("HostConfig.A: expected true or false"),
            "{}",
            e.message
        );
        // Z holds only zero values: not set.
        f.refuse_unknown(&["A", "L", "N", "M", "I"]).unwrap();
        let e = f.refuse_unknown(&["A", "L", "N", "M"]).unwrap_err();
        assert!(
            e.message.contains("HostConfig.I is not a field"),
            "{}",
            e.message
        );
        assert!(Fields::of(&json!([1]), "").is_err());
    }
}
