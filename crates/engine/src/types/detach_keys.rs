//! `--detach-keys`: the key sequence that detaches a terminal from a container and leaves
//! it running (Docker's default Ctrl-P Ctrl-Q), parsed as Docker's `term.ToBytes` reads it,
//! and [`DetachScanner`], which watches the typed bytes for it. Never reads a terminal.

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// The bytes of the detach sequence (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachKeys(Vec<u8>);

impl DetachKeys {
    /// The sequence's bytes, in order.
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Ctrl-P Ctrl-Q, as Docker's.
impl Default for DetachKeys {
    fn default() -> DetachKeys {
        DetachKeys(vec![0x10, 0x11])
    }
}

/// Docker's names: `a` (one character), `ctrl-a`..`ctrl-z`, `ctrl-@`, `ctrl-[`, `ctrl-\`,
/// `ctrl-]`, `ctrl-^`, `ctrl-_`, `DEL`; comma-separated. Empty: the default.
impl FromStr for DetachKeys {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<DetachKeys, TypeError> {
        if s.is_empty() {
            return Ok(DetachKeys::default());
        }
        let bad = |key: &str| {
            TypeError::new(
                "detach keys",
                s,
                format!(
                    "unknown key \"{key}\": give comma-separated keys, each one character, \
                     ctrl-<a-z, @, [, \\, ], ^ or _>, or DEL (like ctrl-p,ctrl-q)"
                ),
            )
        };
        let mut bytes = Vec::new();
        for key in s.split(',') {
            let byte = match key.as_bytes() {
                [b] if b.is_ascii() => *b,
                b"DEL" => 127,
                _ => match key.strip_prefix("ctrl-").map(str::as_bytes) {
                    Some([c @ b'a'..=b'z']) => c - b'a' + 1,
                    Some([b'@']) => 0,
                    Some([c @ (b'[' | b'\\' | b']' | b'^' | b'_')]) => c - b'@',
                    _ => return Err(bad(key)),
                },
            };
            bytes.push(byte);
        }
        Ok(DetachKeys(bytes))
    }
}

impl fmt::Display for DetachKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self
            .0
            .iter()
            .map(|b| match b {
                0 => "ctrl-@".to_owned(),
                1..=26 => format!("ctrl-{}", (b'a' + b - 1) as char),
                27..=31 => format!("ctrl-{}", (b'@' + b) as char),
                127 => "DEL".to_owned(),
                b => (*b as char).to_string(),
            })
            .collect();
        f.write_str(&names.join(","))
    }
}

/// Watches typed bytes for the detach sequence, as Docker's escape proxy: bytes that may be
/// its beginning are held back, given out again if what follows does not complete it.
#[derive(Debug)]
pub struct DetachScanner {
    keys: DetachKeys,
    matched: usize,
}

impl DetachScanner {
    /// A scanner for `keys`, with nothing held back yet.
    pub fn new(keys: DetachKeys) -> DetachScanner {
        DetachScanner { keys, matched: 0 }
    }

    /// The bytes of `input` to pass on, and whether the sequence was completed (then what
    /// followed it in `input` is dropped, as Docker drops it).
    pub fn scan(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let keys = self.keys.bytes();
        let mut out = Vec::with_capacity(input.len());
        for &b in input {
            if b == keys[self.matched] {
                self.matched += 1;
                if self.matched == keys.len() {
                    self.matched = 0;
                    return (out, true);
                }
                continue;
            }
            // Not the sequence after all: what was held goes through, and this byte may
            // begin it again.
            out.extend_from_slice(&keys[..self.matched]);
            self.matched = 0;
            if b == keys[0] && keys.len() > 1 {
                self.matched = 1;
            } else if b == keys[0] {
                return (out, true);
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_parsed_as_docker_names_them() {
        let k = |s: &str| s.parse::<DetachKeys>().map(|k| k.bytes().to_vec());
        assert_eq!(k("ctrl-p,ctrl-q").unwrap(), [0x10, 0x11]);
        assert_eq!(k("").unwrap(), [0x10, 0x11]);
        assert_eq!(k("ctrl-a,x").unwrap(), [1, b'x']);
        assert_eq!(
            k("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_,DEL").unwrap(),
            [0, 27, 28, 29, 30, 31, 127]
        );
        for bad in ["ctrl-foo", "bad", "ctrl-P", "a,,b", "ctrl-"] {
            let e = k(bad).unwrap_err().to_string();
            assert!(
                e.starts_with(&format!("invalid detach keys \"{bad}\"")),
                "{e}"
            );
        }
        assert_eq!(
            "ctrl-a,x,DEL".parse::<DetachKeys>().unwrap().to_string(),
            "ctrl-a,x,DEL"
        );
    }

    #[test]
    fn the_scanner_holds_back_a_beginning_and_detaches_on_the_whole() {
        let mut s = DetachScanner::new(DetachKeys::default());
        assert_eq!(s.scan(b"ls\r"), (b"ls\r".to_vec(), false));
        // split across reads
        assert_eq!(s.scan(b"a\x10"), (b"a".to_vec(), false));
        assert_eq!(s.scan(b"\x11rest"), (Vec::new(), true));
        // a beginning that is not followed by the rest goes through
        assert_eq!(s.scan(b"\x10x"), (b"\x10x".to_vec(), false));
        assert_eq!(s.scan(b"\x10\x10\x11"), (b"\x10".to_vec(), true));
        let mut one = DetachScanner::new("ctrl-a".parse().unwrap());
        assert_eq!(one.scan(b"ab\x01c"), (b"ab".to_vec(), true));
    }
}
