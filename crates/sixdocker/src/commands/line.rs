//! How a message becomes the one line `sixdocker: ...` printed on stderr: folded onto one
//! line, every control character escaped, and capped to a readable length.
//!
//! This is the last line of defence: values from archives, images and containers (tar
//! header names, file content, command output) can end up in an error message, and a raw
//! ESC, CR or backspace would let them rewrite the user's terminal, a bidi override would
//! let them reorder what it shows. Sources escape what they quote too; this never trusts
//! that they did. It never changes what a message says, only how it is shown.

/// The longest line printed, in characters (the message is cut, with an ellipsis, after).
pub const MAX_LINE: usize = 300;

/// Folds `message` onto one line ("a\nb" -> "a; b"), escapes control characters and caps
/// the result at [`MAX_LINE`] characters.
pub fn one_line(message: &str) -> String {
    let folded = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    cap(&escape_controls(&folded), MAX_LINE)
}

/// `\x1b`-style escapes for C0 and C1 control characters and DEL (`\t`, `\r` by name), and
/// `\u{...}` for the invisible characters that reorder or hide text (bidi controls,
/// zero-width characters).
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// C1 controls, bidi embeddings/overrides/isolates and zero-width characters.
fn is_hidden(c: char) -> bool {
    matches!(c as u32,
        0x80..=0x9f | 0x200b..=0x200f | 0x202a..=0x202e | 0x2066..=0x2069 | 0xfeff)
}

/// `text` cut to at most `max` characters, ending in "…" when it was cut (never inside an
/// escape this module wrote: the cut moves back before a partial `\x..` or `\u{..}`).
fn cap(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max - 1).collect();
    if let Some(start) = cut.rfind('\\') {
        let tail = &cut[start..];
        let complete = match tail.as_bytes().get(1) {
            Some(b'x') => tail.len() >= 4,
            Some(b'u') => tail.contains('}'),
            Some(_) => true,
            None => false,
        };
        if !complete {
            cut.truncate(start);
        }
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_folded_onto_one_line() {
        assert_eq!(one_line("a\n  b\n\nc"), "a; b; c");
        assert_eq!(one_line("single"), "single");
    }

    #[test]
    fn control_characters_are_escaped() {
        let hostile =
            "refusing \"\u{1b}[2J\u{1b}]0;owned\u{7}x\u{8}\r\t\u{9b}1m\u{202e}txt.exe\u{200b}\"";
        let shown = one_line(hostile);
        assert_eq!(
            shown,
            "refusing \"\\x1b[2J\\x1b]0;owned\\x07x\\x08\\r\\t\\u{9b}1m\\u{202e}txt.exe\\u{200b}\""
        );
        assert!(
            !shown.chars().any(|c| c.is_control() || is_hidden(c)),
            "{shown}"
        );
        assert_eq!(one_line("naïve ünïcode stays"), "naïve ünïcode stays");
    }

    #[test]
    fn long_lines_are_capped_with_an_ellipsis() {
        let long = "x".repeat(10_000);
        let shown = one_line(&long);
        assert_eq!(shown.chars().count(), MAX_LINE);
        assert!(shown.ends_with('…'));
        assert_eq!(
            one_line(&"y".repeat(MAX_LINE)),
            "y".repeat(MAX_LINE),
            "not cut"
        );
    }

    #[test]
    fn a_cut_never_splits_an_escape() {
        for pad in 0..8 {
            let text = format!(
                "{}{}",
                "a".repeat(MAX_LINE - 8 + pad),
                "\u{1b}\u{202e}".repeat(10)
            );
            let shown = one_line(&text);
            assert!(shown.chars().count() <= MAX_LINE, "{shown}");
            let body = shown.trim_end_matches('…');
            let last = body.rfind('\\').map_or("", |i| &body[i..]);
            assert!(
                last.is_empty() || last == "\\x1b" || last == "\\u{202e}",
                "pad {pad}: cut inside an escape: {last:?}"
            );
        }
    }
}
