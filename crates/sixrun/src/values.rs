//! runc's readings of flag values, so a command line runc takes means the same here: integers
//! as Go's flag package reads them (`0x10`, `-1`, `1_000`), sizes as docker/go-units'
//! `RAMInBytes` reads them (`100m`, `1.5g`, `512KiB`: powers of 1024), durations as Go's
//! `time.ParseDuration` (`5s`, `100ms`, `1m30s`). Each error is one line naming the flag, the
//! value and what was expected.
//!
//! It only parses: what a value means is the caller's.

/// A signed integer as Go's `strconv.ParseInt(s, 0, 64)` (an `IntFlag`) reads it: an
/// optional sign, then decimal, `0x` hex, `0o` or leading-`0` octal, or `0b` binary, with `_`
/// between digits.
pub fn go_int(flag: &str, s: &str) -> anyhow::Result<i64> {
    let bad = || anyhow::anyhow!("invalid value {s:?} for --{flag}: expected an integer");
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_uint_digits(digits).ok_or_else(bad)?;
    if negative {
        0i64.checked_sub_unsigned(magnitude).ok_or_else(bad)
    } else {
        i64::try_from(magnitude).map_err(|_| bad())
    }
}

/// Digits of a Go integer literal (base 0) without its sign.
fn go_uint_digits(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let (radix, body) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    // Underscores only between digits (or right after a base prefix), as Go allows.
    let body = body
        .strip_prefix('_')
        .filter(|_| radix != 10)
        .unwrap_or(body);
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    u64::from_str_radix(&body.replace('_', ""), radix).ok()
}

/// An unsigned decimal as Go's `strconv.ParseUint(s, 10, 64)` reads it (runc's cpu flags).
pub fn uint(flag: &str, s: &str) -> anyhow::Result<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("invalid value for {flag}: {s:?}: expected an unsigned integer");
    }
    s.parse()
        .map_err(|_| anyhow::anyhow!("invalid value for {flag}: {s:?}: out of range"))
}

/// A signed decimal as Go's `strconv.ParseInt(s, 10, 64)` reads it (`--cpu-quota -1`).
pub fn int(flag: &str, s: &str) -> anyhow::Result<i64> {
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        anyhow::bail!("invalid value for {flag}: {s:?}: expected an integer");
    }
    s.parse()
        .map_err(|_| anyhow::anyhow!("invalid value for {flag}: {s:?}: out of range"))
}

/// A byte count as runc's memory flags read it: `-1` (unlimited), or docker/go-units'
/// `RAMInBytes`: a number (a fraction allowed), an optional space, then an optional unit
/// `k`, `m`, `g`, `t` or `p` (any case, powers of 1024) with an optional `i` and `b`.
pub fn ram_bytes(flag: &str, s: &str) -> anyhow::Result<i64> {
    if s == "-1" {
        return Ok(-1);
    }
    let bad = || {
        anyhow::anyhow!(
            "invalid value for {flag}: invalid size: {s:?}: expected bytes, or a number with a unit such as 100m or 1.5g (or -1)"
        )
    };
    let number_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (number, mut unit) = s.split_at(number_end);
    let integral = number.split('.').next().unwrap_or_default();
    if integral.is_empty() || number.ends_with('.') || number.matches('.').count() > 1 {
        return Err(bad());
    }
    let value: f64 = number.parse().map_err(|_| bad())?;
    unit = unit.strip_prefix(' ').unwrap_or(unit);
    let mut chars = unit.chars().peekable();
    let power = match chars.peek().map(char::to_ascii_lowercase) {
        Some(p @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            chars.next();
            "kmgtp".find(p).map_or(0, |i| i as i32 + 1)
        }
        _ => 0,
    };
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(bad());
    }
    let bytes = value * 1024f64.powi(power);
    if bytes >= i64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes as i64)
}

/// A duration as Go's `time.ParseDuration` reads it, in nanoseconds (negative allowed): an
/// optional sign, then one or more numbers (a fraction allowed) each with a unit `ns`, `us`
/// (`µs`), `ms`, `s`, `m` or `h`; or `0` alone.
pub fn go_duration(flag: &str, s: &str) -> anyhow::Result<i128> {
    let bad = || {
        anyhow::anyhow!(
            "invalid value {s:?} for --{flag}: expected a duration such as 5s, 100ms or 1m30s"
        )
    };
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (number, after) = rest.split_at(number_end);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(bad());
        }
        let value: f64 = number.parse().map_err(|_| bad())?;
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_end);
        let scale = match unit {
            "ns" => 1.0,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        total += value * scale;
        rest = after;
    }
    if total > i64::MAX as f64 {
        return Err(bad());
    }
    let ns = total as i128;
    Ok(if negative { -ns } else { ns })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_ints_take_signs_bases_and_underscores() {
        for (text, want) in [
            ("0", 0),
            ("42", 42),
            ("-1", -1),
            ("+7", 7),
            ("0x10", 16),
            ("0o17", 15),
            ("017", 15),
            ("0b101", 5),
            ("1_000", 1000),
            ("0x_ff", 255),
            ("-9223372036854775808", i64::MIN),
        ] {
            assert_eq!(go_int("pids-limit", text).unwrap(), want, "{text}");
        }
        for text in [
            "",
            "abc",
            "1.5",
            "9223372036854775808",
            "1__0",
            "_1",
            "1_",
            "08",
            "-",
        ] {
            let e = go_int("pids-limit", text).unwrap_err().to_string();
            assert!(
                e.contains("--pids-limit") && e.contains("integer"),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn decimal_flags_refuse_what_runc_refuses() {
        assert_eq!(uint("cpu-share", "512").unwrap(), 512);
        let e = uint("cpu-share", "-5").unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid value for cpu-share: \"-5\": expected an unsigned integer"
        );
        assert!(uint("cpu-period", "0x10").is_err());
        assert_eq!(int("cpu-quota", "-1").unwrap(), -1);
        assert_eq!(int("cpu-quota", "50000").unwrap(), 50000);
        assert!(int("cpu-quota", "5e4").is_err());
        assert!(int("cpu-quota", "-").is_err());
    }

    #[test]
    fn durations_read_as_go_parse_duration() {
        for (text, want) in [
            ("5s", 5_000_000_000),
            ("100ms", 100_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("250us", 250_000),
            ("250\u{b5}s", 250_000),
            ("7ns", 7),
            ("0", 0),
            ("-1s", -1_000_000_000),
        ] {
            assert_eq!(go_duration("interval", text).unwrap(), want, "{text}");
        }
        for text in ["", "5", "abc", "5x", "1.2.3s", "s", "-", "1s5"] {
            let e = go_duration("interval", text).unwrap_err().to_string();
            assert!(
                e.contains("--interval") && e.contains("duration"),
                "{text}: {e}"
            );
        }
    }

    #[test]
    fn sizes_read_as_go_units_ram_in_bytes() {
        for (text, want) in [
            ("-1", -1),
            ("1024", 1024),
            ("100m", 100 << 20),
            ("100M", 100 << 20),
            ("100MB", 100 << 20),
            ("100MiB", 100 << 20),
            ("1.5m", 1572864),
            ("2 g", 2 << 30),
            ("1k", 1024),
            ("3b", 3),
            ("1p", 1 << 50),
        ] {
            assert_eq!(ram_bytes("memory", text).unwrap(), want, "{text}");
        }
        for text in [
            "",
            "-2",
            "m",
            "1x",
            "1.",
            ".5m",
            "1.2.3",
            "1mm",
            "1  m",
            "10000000p",
        ] {
            let e = ram_bytes("memory", text).unwrap_err().to_string();
            assert!(
                e.starts_with("invalid value for memory: invalid size"),
                "{text}: {e}"
            );
        }
    }
}
