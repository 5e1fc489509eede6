//! Time as people read it: every relative time the command line and the TUI print comes from here.

use mcp_accounts::store::StoredToken;

/// Unix seconds as RFC 3339 (UTC).
pub fn rfc3339(unix: i64) -> String {
    ::time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&::time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// Unix seconds as local date and time with the offset, `2026-11-27 18:00:00 +01:00`.
pub fn local_time(unix: i64, utc_offset_secs: i32) -> String {
    let offset = ::time::UtcOffset::from_whole_seconds(utc_offset_secs).unwrap_or(::time::UtcOffset::UTC);
    ::time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(offset))
        .ok()
        .and_then(|t| {
            t.format(::time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory]:[offset_minute]"
            ))
            .ok()
        })
        .unwrap_or_else(|| unix.to_string())
}

/// Expiry relative to now: `in 42m`, `in 3h 5m`, `expired 2d ago`; `-` without a token, `no expiry` when
/// the server did not say.
pub fn relative_expiry(expires_at: Option<i64>, has_token: bool, now: i64) -> String {
    match (has_token, expires_at) {
        (false, _) => "-".to_owned(),
        (true, None) => "no expiry".to_owned(),
        (true, Some(at)) if at > now => format!("in {}", span(at - now)),
        (true, Some(at)) => format!("expired {}", ago(at, now)),
    }
}

/// The expiry as a phrase after a name: `expires in 59m`, `expired 2m ago`, `no expiry`.
pub fn expiry_phrase(expires_at: Option<i64>, now: i64) -> String {
    match expires_at {
        Some(at) if at > now => format!("expires in {}", span(at - now)),
        _ => relative_expiry(expires_at, true, now),
    }
}

/// How long ago `at` was: `5m ago`; `just now` within the second (not `0s ago`).
pub fn ago(at: i64, now: i64) -> String {
    if now <= at {
        return "just now".to_owned();
    }
    format!("{} ago", span(now - at))
}

/// What is left of a code, as a clock counts it down: `14:32`, `0:05` (seconds matter here, so no
/// rounding to the minute).
pub fn clock_left(secs: u64) -> String {
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// A duration in its two largest units: `45s`, `42m`, `3h 5m`, `2d 4h`. From a minute on it is rounded to
/// the nearest minute, so a token of an hour reads `1h` a second later too, not `59m`.
pub fn span(secs: i64) -> String {
    let secs = round_to_minute(secs.max(0));
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{m}m"),
        3600..86_400 if m == 0 => format!("{h}h"),
        3600..86_400 => format!("{h}h {m}m"),
        _ if h == 0 => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

/// Durations of a minute and more, to the nearest minute.
fn round_to_minute(secs: i64) -> i64 {
    if secs < 60 { secs } else { (secs + 30) / 60 * 60 }
}

/// A duration in its largest unit only, for a narrow column: `45s`, `59m`, `3h`, `2d`.
pub fn compact_span(secs: i64) -> String {
    match round_to_minute(secs.max(0)) {
        secs @ ..60 => format!("{secs}s"),
        secs @ 60..3600 => format!("{}m", secs / 60),
        secs @ 3600..86_400 => format!("{}h", secs / 3600),
        secs => format!("{}d", secs / 86_400),
    }
}

/// The time a token has left, compactly: `59m`, `3h`, `2d ago`, `∞` without expiry, `-` without a token.
pub fn time_left(token: Option<&StoredToken>, now: i64) -> String {
    match token {
        None => "-".to_owned(),
        Some(t) => match t.expires_at {
            None => "∞".to_owned(),
            Some(at) if at > now => compact_span(at - now),
            Some(at) => format!("{} ago", compact_span(now - at)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_expiry_reads_naturally() {
        let now = 1_000_000;
        assert_eq!(relative_expiry(Some(now + 42 * 60), true, now), "in 42m");
        assert_eq!(
            relative_expiry(Some(now + 3 * 3600 + 5 * 60 + 10), true, now),
            "in 3h 5m"
        );
        assert_eq!(relative_expiry(Some(now + 3600), true, now), "in 1h");
        assert_eq!(relative_expiry(Some(now + 45), true, now), "in 45s");
        assert_eq!(relative_expiry(Some(now - 2 * 86_400), true, now), "expired 2d ago");
        assert_eq!(
            relative_expiry(Some(now - 2 * 86_400 - 3 * 3600), true, now),
            "expired 2d 3h ago"
        );
        assert_eq!(relative_expiry(Some(now), true, now), "expired just now");
        assert_eq!(ago(now, now), "just now");
        assert_eq!(ago(now - 1, now), "1s ago");
        assert_eq!(relative_expiry(None, true, now), "no expiry");
        assert_eq!(relative_expiry(None, false, now), "-");
        assert_eq!(expiry_phrase(Some(now + 42 * 60), now), "expires in 42m");
        assert_eq!(expiry_phrase(Some(now - 120), now), "expired 2m ago");
        assert_eq!(expiry_phrase(None, now), "no expiry");
        assert_eq!(compact_span(3 * 3600 + 59 * 60), "3h");
        assert_eq!(ago(now - 300, now), "5m ago");
        // A token of an hour reads the same a second later (login, then list).
        assert_eq!(expiry_phrase(Some(now + 3600), now), "expires in 1h");
        assert_eq!(expiry_phrase(Some(now + 3599), now), "expires in 1h");
        assert_eq!(compact_span(3599), "1h");
        assert_eq!(span(89), "1m");
        assert_eq!(span(59), "59s");
    }

    #[test]
    fn a_code_counts_down_in_minutes_and_seconds() {
        assert_eq!(clock_left(900), "15:00");
        assert_eq!(clock_left(872), "14:32");
        assert_eq!(clock_left(5), "0:05");
        assert_eq!(clock_left(0), "0:00");
    }

    #[test]
    fn rfc3339_is_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(local_time(0, 3600), "1970-01-01 01:00:00 +01:00");
    }
}
