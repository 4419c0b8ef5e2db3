//! A request's query string: percent-decoded pairs, and Docker's ways of spelling values
//! (booleans as `1`/`true`, `filters` as JSON in either of its two shapes).

use six_engine::filters::Filters;

use crate::http::ApiError;

/// The decoded `key=value` pairs of a query string, in order.
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub(crate) fn parse(raw: Option<&str>) -> Query {
        let pairs = raw
            .unwrap_or_default()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        Query(pairs)
    }

    /// The last value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (`?t=a&t=b`).
    pub(crate) fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A boolean as Docker reads one (`httputils.BoolValue`): absent, "", "0", "no",
    /// "false" and "none" are false.
    pub(crate) fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "0" | "no" | "false" | "none"
            )
        })
    }

    /// An integer, or 400 naming the parameter.
    pub(crate) fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad(format!(
                    "invalid value for {key}: {v:?}: expected an integer"
                ))
            }),
        }
    }

    /// `filters`: `{"status":["exited"]}` or the older `{"status":{"exited":true}}`.
    pub(crate) fn filters(&self) -> Result<Filters, ApiError> {
        let mut f = Filters::default();
        let Some(text) = self.get("filters").filter(|t| !t.is_empty()) else {
            return Ok(f);
        };
        let bad = |why: &str| ApiError::bad(format!("invalid filters {text:?}: {why}"));
        let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        let map = doc
            .as_object()
            .ok_or_else(|| bad("expected a JSON object"))?;
        for (key, values) in map {
            match values {
                serde_json::Value::Array(a) => {
                    for v in a {
                        f.add(
                            key,
                            v.as_str().ok_or_else(|| bad("values must be strings"))?,
                        );
                    }
                }
                serde_json::Value::Object(o) => {
                    for (v, on) in o {
                        if on.as_bool() == Some(true) {
                            f.add(key, v);
                        }
                    }
                }
                _ => return Err(bad("each filter must be a list or a map")),
            }
        }
        Ok(f)
    }
}

/// Percent-decoding, with `+` as a space (form encoding, as Go's `url.ParseQuery`).
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_reads_values() {
        let q = Query::parse(Some(
            "all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D&t=a+b&x=%",
        ));
        assert!(q.flag("all"));
        assert!(!q.flag("missing"));
        assert_eq!(q.get("t"), Some("a b"));
        assert_eq!(q.get("x"), Some("%"));
        assert!(q.filters().unwrap().contains("status"));
    }

    #[test]
    fn old_filter_shape_and_bad_filters() {
        let q = Query::parse(Some("filters=%7B%22label%22%3A%7B%22a%3Db%22%3Atrue%7D%7D"));
        assert_eq!(
            q.filters().unwrap().values("label").collect::<Vec<_>>(),
            ["a=b"]
        );
        assert_eq!(
            Query::parse(Some("filters=nope"))
                .filters()
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            Query::parse(Some("limit=x"))
                .int("limit")
                .unwrap_err()
                .status,
            400
        );
    }
}
