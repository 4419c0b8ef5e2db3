//! Reading the mount table: which mount points lie under a path. Never mounts anything.

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
