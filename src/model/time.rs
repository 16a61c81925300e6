//! Time in residue: every instant is a UTC [`Timestamp`]; every duration a [`SignedDuration`].
//!
//! Sources write time in many shapes (RFC 3339 with or without fractions, `Z` or an offset,
//! a bare date, epoch seconds or milliseconds). [`parse_timestamp`] accepts all of them and
//! says exactly what it expected when it cannot. Reports always print RFC 3339 in UTC.

pub use jiff::{SignedDuration, Timestamp};

/// The shapes accepted by [`parse_timestamp`], for error messages.
pub const TIMESTAMP_SHAPES: &str =
    "an RFC 3339 timestamp such as 2026-03-01T09:30:00Z (fractions and offsets allowed), a date such as 2026-03-01, or epoch seconds/milliseconds";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a timestamp: expected {TIMESTAMP_SHAPES}")]
pub struct TimestampError {
    pub input: String,
}

/// Parses the timestamp forms found in access exports.
pub fn parse_timestamp(raw: &str) -> Result<Timestamp, TimestampError> {
    let input = raw.trim();
    let fail = || TimestampError {
        input: shorten(raw),
    };
    if input.is_empty() {
        return Err(fail());
    }
    if input.bytes().all(|b| b.is_ascii_digit()) {
        // Epoch numbers: 10 digits are seconds (until 2286), 13 are milliseconds.
        let n: i64 = input.parse().map_err(|_| fail())?;
        return match input.len() {
            1..=11 => Timestamp::from_second(n).map_err(|_| fail()),
            12..=14 => Timestamp::from_millisecond(n).map_err(|_| fail()),
            _ => Err(fail()),
        };
    }
    if let Ok(ts) = input.parse::<Timestamp>() {
        return Ok(ts);
    }
    // "2026-03-01 09:30:00Z" (space separator) and offset-less civil times, read as UTC.
    let normalised = input.replacen(' ', "T", 1);
    if let Ok(ts) = normalised.parse::<Timestamp>() {
        return Ok(ts);
    }
    let civil_text = normalised.trim_end_matches(['Z', 'z']);
    if let Ok(dt) = civil_text.parse::<jiff::civil::DateTime>() {
        return jiff::tz::TimeZone::UTC.to_timestamp(dt).map_err(|_| fail());
    }
    if let Ok(date) = civil_text.parse::<jiff::civil::Date>() {
        return jiff::tz::TimeZone::UTC
            .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|_| fail());
    }
    Err(fail())
}

/// Go's zero time, which Go-written sources (Teleport) put in a time field that is unset.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Like [`parse_timestamp`] for an optional field: blank text and Go's zero time
/// (`0001-01-01T00:00:00Z`, in any shape that denotes that instant) mean "none".
pub fn parse_optional_timestamp(raw: &str) -> Result<Option<Timestamp>, TimestampError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let ts = parse_timestamp(raw)?;
    Ok(if is_go_zero_time(ts) { None } else { Some(ts) })
}

/// Whether `ts` is Go's zero time, `0001-01-01T00:00:00Z`: a field that was never set.
pub fn is_go_zero_time(ts: Timestamp) -> bool {
    ts.as_second() == GO_ZERO_SECONDS && ts.subsec_nanosecond() == 0
}

/// `0001-01-01T00:00:00Z` in seconds since the Unix epoch.
const GO_ZERO_SECONDS: i64 = -62_135_596_800;

/// The shapes accepted by [`parse_duration`], for error messages.
pub const DURATION_SHAPES: &str =
    "a duration such as 30m, 4h, 7d, 1d12h or an ISO 8601 duration such as PT4H";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration: expected {DURATION_SHAPES}")]
pub struct DurationError {
    pub input: String,
}

/// Parses `30s`, `15m`, `4h`, `7d`, `2w`, combinations like `1d12h`, and ISO 8601 `PT4H` / `P1D`.
pub fn parse_duration(raw: &str) -> Result<SignedDuration, DurationError> {
    let input = raw.trim();
    let fail = || DurationError {
        input: shorten(raw),
    };
    if input.is_empty() {
        return Err(fail());
    }
    if input.starts_with('P') || input.starts_with('p') {
        let span: jiff::Span = input.parse().map_err(|_| fail())?;
        // Days are 24 hours here: windows are wall-clock lengths, not calendar arithmetic.
        return span
            .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
            .map_err(|_| fail());
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in input.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(fail()),
        };
        let n: i64 = digits.parse().map_err(|_| fail())?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(fail)?;
    }
    if !digits.is_empty() {
        return Err(fail());
    }
    Ok(SignedDuration::from_secs(total))
}

/// Formats a duration the way a person writes a window: `4h`, `1d12h`, `45m`.
pub fn format_duration(d: SignedDuration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    if secs < 0 {
        out.push('-');
        secs = -secs;
    }
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= len {
            out.push_str(&format!("{}{}", secs / len, unit));
            secs %= len;
        }
    }
    out
}

/// RFC 3339 in UTC with second precision (fractions kept only when present).
pub fn format_timestamp(ts: Timestamp) -> String {
    ts.to_string()
}

/// Whole days from `earlier` to `later` (negative if reversed).
pub fn days_between(earlier: Timestamp, later: Timestamp) -> i64 {
    later.duration_since(earlier).as_secs().div_euclid(86_400)
}

fn shorten(s: &str) -> String {
    // Inputs may be hostile or huge: never echo more than a short prefix into an error.
    let mut out: String = s.chars().take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        parse_timestamp(s).unwrap()
    }

    #[test]
    fn accepts_every_timestamp_shape_sources_use() {
        let expected: Timestamp = "2026-03-01T09:30:00Z".parse().unwrap();
        assert_eq!(ts("2026-03-01T09:30:00Z"), expected);
        assert_eq!(ts("2026-03-01T09:30:00.000Z"), expected);
        assert_eq!(ts("2026-03-01T10:30:00+01:00"), expected);
        assert_eq!(ts("2026-03-01T09:30:00+00:00"), expected);
        assert_eq!(ts("2026-03-01 09:30:00"), expected);
        assert_eq!(ts("2026-03-01T09:30:00"), expected);
        assert_eq!(ts("1772357400"), expected);
        assert_eq!(ts("1772357400000"), expected);
        assert_eq!(ts("2026-03-01"), "2026-03-01T00:00:00Z".parse().unwrap());
        assert_eq!(
            ts("2026-03-01T09:30:00.1234567Z").as_nanosecond() - expected.as_nanosecond(),
            123_456_700
        );
    }

    #[test]
    fn go_zero_time_and_blank_mean_none() {
        assert_eq!(parse_optional_timestamp(GO_ZERO_TIME).unwrap(), None);
        assert_eq!(
            parse_optional_timestamp("0001-01-01T00:00:00.000Z").unwrap(),
            None
        );
        assert_eq!(parse_optional_timestamp(" ").unwrap(), None);
        assert_eq!(
            parse_optional_timestamp("2022-06-08T15:10:35.368Z").unwrap(),
            Some("2022-06-08T15:10:35.368Z".parse().unwrap())
        );
        assert_eq!(
            parse_optional_timestamp("1654701035368").unwrap(),
            Some("2022-06-08T15:10:35.368Z".parse().unwrap())
        );
        assert!(parse_optional_timestamp("0001-01-01T00:00:01Z")
            .unwrap()
            .is_some());
        assert!(parse_optional_timestamp("soon").is_err());
    }

    #[test]
    fn rejects_non_timestamps_naming_the_input() {
        for bad in ["", "yesterday", "2026-13-01", "N/A", "12345678901234567"] {
            let err = parse_timestamp(bad).unwrap_err();
            assert!(err.to_string().contains("expected an RFC 3339"), "{err}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("4h").unwrap(), SignedDuration::from_hours(4));
        assert_eq!(
            parse_duration("1d12h").unwrap(),
            SignedDuration::from_hours(36)
        );
        assert_eq!(
            parse_duration("30m").unwrap(),
            SignedDuration::from_mins(30)
        );
        assert_eq!(
            parse_duration("PT4H").unwrap(),
            SignedDuration::from_hours(4)
        );
        assert_eq!(
            parse_duration("P1D").unwrap(),
            SignedDuration::from_hours(24)
        );
        assert_eq!(
            parse_duration("2w").unwrap(),
            SignedDuration::from_hours(336)
        );
        for bad in ["", "4", "h", "4x", "99999999999999999999d"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(SignedDuration::from_hours(36)), "1d12h");
        assert_eq!(format_duration(SignedDuration::from_mins(45)), "45m");
    }
}

#[cfg(test)]
mod proptests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn timestamps_and_durations_never_panic(s in ".{0,40}", digits in "[0-9]{1,25}") {
            let _ = parse_timestamp(&s);
            let _ = parse_timestamp(&digits);
            let _ = parse_duration(&s);
            let _ = parse_duration(&format!("{digits}d"));
            let _ = parse_duration(&format!("P{digits}D"));
        }

        #[test]
        fn rfc3339_round_trips(secs in 0i64..4_000_000_000i64) {
            let ts = Timestamp::from_second(secs).unwrap();
            prop_assert_eq!(parse_timestamp(&format_timestamp(ts)).unwrap(), ts);
        }
    }
}
