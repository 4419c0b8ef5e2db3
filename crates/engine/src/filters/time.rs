//! Docker's timestamps (`events --since/--until`, the `until` filter of prune): what moby's
//! `timetypes.GetTimestamp` takes, read the same way.
//!
//! - a Go duration (`10m`, `1h30m`, `1.5h`, `300ms`): that long before now;
//! - RFC 3339 with or without the seconds, fraction or zone (`2026-12-05T18:00:00Z`,
//!   `2026-12-05T18:00:00.5+01:00`, `2026-12-05T18:00`, `2026-12-05T18`, `2026-12-05`); without a
//!   zone it is local time;
//! - a unix timestamp, `1764957600` or `1764957600.123456789`.

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// The instant `value` names, seen from `now`, as (unix seconds, nanoseconds).
pub fn parse_timestamp(value: &str, now: DateTime<Utc>) -> Result<(i64, u32)> {
    if value != "0" {
        if let Some(nanos) = crate::types::go_duration_nanos(value) {
            let then = now - chrono::Duration::nanoseconds(nanos);
            // Docker keeps only the seconds of `now - d`.
            return Ok((then.timestamp(), 0));
        }
    }
    let failed = || {
        Error::Invalid(format!(
            "failed to parse value as time or duration: {value:?}"
        ))
    };
    let in_local_time = !(value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3);
    match parse_date_time(value, in_local_time) {
        Some(t) => Ok((t.timestamp(), t.timestamp_subsec_nanos())),
        // Dashes: a date that did not parse; otherwise perhaps a unix timestamp.
        None if value.contains('-') => Err(failed()),
        None => unix_timestamp(value).ok_or_else(failed),
    }
}

/// A date with an optional time, fraction and zone.
fn parse_date_time(value: &str, in_local_time: bool) -> Option<DateTime<Utc>> {
    let (body, offset) = if in_local_time {
        (value, None)
    } else {
        let (body, offset) = split_zone(value)?;
        (body, Some(offset))
    };
    let naive = parse_naive(body)?;
    let t = match offset {
        Some(offset) => offset.from_local_datetime(&naive).single()?.to_utc(),
        None => Local.from_local_datetime(&naive).earliest()?.to_utc(),
    };
    Some(t)
}

/// `2026-12-05`, `…T18`, `…T18:04`, `…T18:04:05`, `…T18:04:05.123`.
fn parse_naive(body: &str) -> Option<NaiveDateTime> {
    let Some((date, time)) = body.split_once('T') else {
        return NaiveDate::parse_from_str(body, "%Y-%m-%d")
            .ok()?
            .and_hms_opt(0, 0, 0);
    };
    let time = match time.matches(':').count() {
        0 if !time.contains('.') => format!("{time}:00:00"),
        1 if !time.contains('.') => format!("{time}:00"),
        _ => time.to_owned(),
    };
    NaiveDateTime::parse_from_str(&format!("{date}T{time}"), "%Y-%m-%dT%H:%M:%S%.f").ok()
}

/// `…Z` or `…+01:00` / `…-05:00` at the end: the rest and the offset.
fn split_zone(value: &str) -> Option<(&str, FixedOffset)> {
    if let Some(body) = value.strip_suffix(['Z', 'z']) {
        return Some((body, FixedOffset::east_opt(0)?));
    }
    let at = value.rfind(['+', '-'])?;
    let (body, zone) = value.split_at(at);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let (h, m) = zone[1..].split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    Some((body, FixedOffset::east_opt(sign * secs)?))
}

/// `secs` or `secs.fraction` (up to nine digits).
fn unix_timestamp(value: &str) -> Option<(i64, u32)> {
    let (secs, fraction) = value.split_once('.').unwrap_or((value, ""));
    let secs = secs.parse::<i64>().ok()?;
    if fraction.len() > 9 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse::<u32>().ok()?;
    Some((secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, 18, 0, 0).unwrap()
    }

    fn at(value: &str) -> (i64, u32) {
        parse_timestamp(value, now()).unwrap_or_else(|e| panic!("{value}: {e}"))
    }

    #[test]
    fn durations_count_back_from_now() {
        let t = now().timestamp();
        assert_eq!(at("10m"), (t - 600, 0));
        assert_eq!(at("1h30m"), (t - 5400, 0));
        assert_eq!(at("1.5h"), (t - 5400, 0));
        assert_eq!(at("90s"), (t - 90, 0));
        assert_eq!(
            at("-1h"),
            (t + 3600, 0),
            "a negative duration is in the future"
        );
    }

    #[test]
    fn rfc3339_in_its_forms() {
        let t = now().timestamp();
        assert_eq!(at("2026-12-05T18:00:00Z"), (t, 0));
        assert_eq!(at("2026-12-05T18:00:00.5Z"), (t, 500_000_000));
        assert_eq!(at("2026-12-05T19:00:00+01:00"), (t, 0));
        assert_eq!(at("2026-12-05T13:00:00-05:00"), (t, 0));
        assert_eq!(at("2026-12-05T18:00Z"), (t, 0));
        assert_eq!(at("2026-12-05T18Z"), (t, 0));
        assert_eq!(at("2026-12-05Z"), (t - 18 * 3600, 0));
    }

    #[test]
    fn without_a_zone_it_is_local_time() {
        let local = Local
            .with_ymd_and_hms(2026, 12, 5, 18, 4, 5)
            .unwrap()
            .timestamp();
        assert_eq!(at("2026-12-05T18:04:05"), (local, 0));
        assert_eq!(at("2026-12-05T18:04"), (local - 5, 0));
        assert_eq!(at("2026-12-05T18"), (local - 245, 0));
    }

    #[test]
    fn unix_timestamps_and_zero() {
        assert_eq!(at("1764957600"), (1_764_957_600, 0));
        assert_eq!(at("1764957600.25"), (1_764_957_600, 250_000_000));
        assert_eq!(at("0"), (0, 0), "0 is the epoch, not a zero duration");
    }

    #[test]
    fn nonsense_is_one_line_naming_it() {
        for bad in ["x", "10x", "2026-13-45", "1.2.3", ""] {
            let e = parse_timestamp(bad, now()).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("failed to parse value as time or duration: {bad:?}")
            );
        }
    }
}
