//! Reading the mount table: which mount points lie under a path, and whether the mount a
//! bind's source is on can carry the propagation asked for. Never mounts anything.

/// Mount points (from /proc/self/mountinfo) that start with `prefix`, deepest first.
pub(crate) fn mounted_under(prefix: &str) -> Vec<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut found: Vec<String> = info
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(unescape)
        .filter(|p| p.starts_with(prefix) || format!("{p}/") == prefix)
        .collect();
    found.sort_by_key(|p| std::cmp::Reverse(p.len()));
    found.dedup();
    found
}

/// Docker's rule for a bind's propagation (moby's `ensureShared`/`ensureSharedOrSlave`): a
/// `shared`/`rshared` bind needs its source on a shared mount, a `slave`/`rslave` one on a
/// shared or slave mount; "path /h is mounted on / but it is not a shared mount" otherwise.
pub(crate) fn check_propagation(source: &std::path::Path, propagation: &str) -> crate::Result<()> {
    let needs: &[&str] = match propagation {
        "shared" | "rshared" => &["shared:"],
        "slave" | "rslave" => &["shared:", "master:"],
        _ => return Ok(()),
    };
    let existing = source.ancestors().find(|p| p.exists()).unwrap_or(source);
    let real = std::fs::canonicalize(existing).unwrap_or_else(|_| existing.to_path_buf());
    let info = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let holder = info
        .lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split(' ').collect();
            let point = unescape(fields.get(4)?);
            let optional = fields.iter().skip(6).take_while(|f| **f != "-");
            let tags: Vec<String> = optional.map(|f| (*f).to_owned()).collect();
            real.starts_with(&point).then_some((point, tags))
        })
        .max_by_key(|(point, _)| point.len());
    let Some((point, tags)) = holder else {
        return Ok(());
    };
    if tags.iter().any(|t| needs.iter().any(|n| t.starts_with(n))) {
        return Ok(());
    }
    let what = match needs.len() {
        1 => "a shared mount",
        _ => "a shared or slave mount",
    };
    Err(crate::Error::Invalid(format!(
        "path {} is mounted on {point} but it is not {what}",
        source.display()
    )))
}

/// mountinfo escapes space, tab, newline and backslash as octal.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 4], 8) {
                out.push(v as char);
                i += 4;
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn unescapes_octal() {
        assert_eq!(super::unescape("/a\\040b"), "/a b");
        assert_eq!(super::unescape("/plain"), "/plain");
    }

    #[test]
    fn proc_is_mounted() {
        assert!(
            !super::mounted_under("/proc/").is_empty() || !super::mounted_under("/proc").is_empty()
        );
    }
}
