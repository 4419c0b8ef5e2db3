//! Docker's human-readable renderings: durations ("5 seconds", "About an hour"), sizes
//! ("4.26MB"), truncated commands ("sh -c 'while tru…"), and short IDs.
//!
//! Pure functions over numbers and strings; they never read the clock or the engine.

use std::time::Duration;

/// Docker's `units.HumanDuration`: "Less than a second", "1 second", "3 seconds",
/// "About a minute", "5 minutes", "About an hour", "3 hours", "2 days", "3 weeks", ...
pub fn duration(d: Duration) -> String {
    let seconds = d.as_secs();
    let minutes = seconds / 60;
    let hours = (d.as_secs_f64() / 3600.0 + 0.5) as u64;
    match () {
        _ if seconds < 1 => "Less than a second".to_owned(),
        _ if seconds == 1 => "1 second".to_owned(),
        _ if seconds < 60 => format!("{seconds} seconds"),
        _ if minutes == 1 => "About a minute".to_owned(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".to_owned(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", seconds / 3600 / 24 / 365),
    }
}

/// Docker's `units.HumanSizeWithPrecision(n, 3)` (decimal, three significant digits): "0B",
/// "812B", "4.26MB".
pub fn size(bytes: u64) -> String {
    size_with_precision(bytes, 3)
}

/// Docker's `units.HumanSizeWithPrecision` with `digits` significant digits (`HumanSize` is 4:
/// "1.982MB").
pub fn size_with_precision(bytes: u64, digits: usize) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", significant(value, digits), UNITS[unit])
}

/// Docker's `units.BytesSize` (binary, `%.4g`: four significant digits): "1.5MiB",
/// "100MiB", "23.54GiB".
pub fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{}{}", significant(value, 4), UNITS[unit])
}

/// Go's `%.Ng` for 0 <= v < 1000, without an exponent: 4.2632 → "4.26", 12.0 → "12".
fn significant(v: f64, digits: usize) -> String {
    let integer_digits = match v {
        v if v < 10.0 => 1,
        v if v < 100.0 => 2,
        _ => 3,
    };
    let decimals = digits.saturating_sub(integer_digits);
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// Docker's `Ellipsis`: at most `max` characters, the last one "…" when cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Go's `time.Time.String()` of a whole second in the local time zone, as Docker's
/// `CreatedAt` columns print it: "2026-12-05 18:12:54 +0000 UTC".
pub fn go_time(t: chrono::DateTime<chrono::Utc>) -> String {
    let secs: libc::time_t = t.timestamp();
    // SAFETY: an all-zero `tm` is valid (its zone pointer null); localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live locals; localtime_r writes only into `tm`.
    let local = unsafe { libc::localtime_r(&secs, &mut tm) };
    if local.is_null() {
        return t.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string();
    }
    let zone = if tm.tm_zone.is_null() {
        String::new()
    } else {
        // SAFETY: localtime_r set tm_zone to a static, NUL-terminated zone name.
        unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }
            .to_string_lossy()
            .into_owned()
    };
    let offset = tm.tm_gmtoff;
    let sign = if offset < 0 { '-' } else { '+' };
    let offset = offset.abs();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {sign}{:02}{:02} {zone}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        offset / 3600,
        offset / 60 % 60
    )
    .trim_end()
    .to_owned()
}

/// The 12-hex-digit short form of an ID, without any "sha256:" prefix.
pub fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn durations_read_like_dockers() {
        assert_eq!(duration(Duration::from_millis(300)), "Less than a second");
        assert_eq!(duration(secs(1)), "1 second");
        assert_eq!(duration(secs(5)), "5 seconds");
        assert_eq!(duration(secs(59)), "59 seconds");
        assert_eq!(duration(secs(60)), "About a minute");
        assert_eq!(duration(secs(119)), "About a minute");
        assert_eq!(duration(secs(120)), "2 minutes");
        assert_eq!(duration(secs(3599)), "59 minutes");
        assert_eq!(duration(secs(3600)), "About an hour");
        assert_eq!(duration(secs(3 * 3600)), "3 hours");
        assert_eq!(duration(secs(3 * 86400)), "3 days");
        assert_eq!(duration(secs(21 * 86400)), "3 weeks");
        assert_eq!(duration(secs(90 * 86400)), "3 months");
        assert_eq!(duration(secs(3 * 365 * 86400)), "3 years");
    }

    #[test]
    fn sizes_read_like_dockers() {
        assert_eq!(size(0), "0B");
        assert_eq!(size(812), "812B");
        assert_eq!(size(1000), "1kB");
        assert_eq!(size(4_263_200), "4.26MB");
        assert_eq!(size(12_000_000), "12MB");
        assert_eq!(size(187_700_000), "188MB");
        assert_eq!(size(1_500_000_000), "1.5GB");
        assert_eq!(size_with_precision(1_982_000, 4), "1.982MB");
    }

    #[test]
    fn binary_sizes_read_like_dockers() {
        assert_eq!(binary_size(512), "512B");
        assert_eq!(binary_size(100 * 1024 * 1024), "100MiB");
        assert_eq!(binary_size(1536 * 1024), "1.5MiB");
        assert_eq!(binary_size(25_275_000_000), "23.54GiB");
    }

    #[test]
    fn ellipsis_cuts_to_the_width() {
        assert_eq!(ellipsis("top", 20), "top");
        assert_eq!(
            ellipsis("nginx -g 'daemon off;'", 20),
            "nginx -g 'daemon of…"
        );
        assert_eq!(ellipsis("nginx -g 'daemon off;'", 20).chars().count(), 20);
    }

    #[test]
    fn short_ids_drop_the_algorithm() {
        assert_eq!(short_id("sha256:0123456789abcdef0123"), "0123456789ab");
        assert_eq!(short_id("0123456789abcdef"), "0123456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
