//! Event time: each sourcetype's rule, and the formats real data carries.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

/// Parse ISO-8601 (`2024-01-15T10:45:23Z`, fractional seconds, offsets), the Panther-normalised
/// `2025-01-21 17:49:47.000000000`, or epoch seconds / milliseconds, to epoch seconds.
pub fn parse_time(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let v: f64 = t.parse().ok()?;
        // 13-digit values are epoch milliseconds
        return Some(if v > 1e11 { v / 1000.0 } else { v });
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(dt) = DateTime::parse_from_str(t, f) {
            return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
        }
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            let dt = Utc.from_utc_datetime(&dt);
            return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
        }
    }
    None
}

/// How many characters into an event Splunk's timestamp processor looks when no timestamp
/// field is configured (props.conf MAX_TIMESTAMP_LOOKAHEAD, default 128).
pub const MAX_TIMESTAMP_LOOKAHEAD: usize = 128;

/// The first date-time written in the first [`MAX_TIMESTAMP_LOOKAHEAD`] characters of a
/// record's text (`2024-03-05T01:02:03Z`, `2024-03-05 01:02:03.5`, with an offset or not), as
/// Splunk's automatic timestamp extraction finds one in a JSON event whose sourcetype names no
/// TIMESTAMP_FIELDS (`_json`). Bare numbers are not taken: ids and counts look like epochs.
pub fn timestamp_in_text(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let mut chars = 0usize;
    for (i, _) in text.char_indices() {
        if chars >= MAX_TIMESTAMP_LOOKAHEAD {
            break;
        }
        chars += 1;
        // YYYY-MM-DD[T ]HH:MM:SS
        if digits(i..i + 4) && b.get(i + 4) == Some(&b'-') && digits(i + 5..i + 7) && b.get(i + 7) == Some(&b'-') && digits(i + 8..i + 10) && matches!(b.get(i + 10), Some(b'T' | b' ')) && digits(i + 11..i + 13) && b.get(i + 13) == Some(&b':') {
            if i > 0 && b[i - 1].is_ascii_digit() {
                continue;
            }
            let end = b[i..].iter().position(|c| !(c.is_ascii_digit() || matches!(c, b'-' | b':' | b'.' | b'T' | b' ' | b'Z' | b'+'))).map_or(b.len(), |k| i + k);
            let cand = text[i..end].trim_end();
            if let Some(t) = parse_time(cand) {
                return Some(t);
            }
        }
    }
    None
}

/// The event time of a record by its sourcetype's rule.
pub fn event_time(record: &serde_json::Value, sourcetype: &str) -> Option<f64> {
    use serde_json::Value;
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match sourcetype {
        "aws:cloudtrail" => record.get("eventTime").and_then(text).and_then(|s| parse_time(&s)),
        "aws:asl" => record.get("time").and_then(|v| match v {
            Value::Number(n) => n.as_f64().map(|ms| ms / 1000.0),
            Value::String(s) => s.parse::<f64>().ok().map(|ms| ms / 1000.0).or_else(|| parse_time(s)),
            _ => None,
        }),
        _ => record.get("_time").and_then(text).and_then(|s| parse_time(&s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(parse_time("2024-01-15T10:45:23Z"), Some(1705315523.0));
        assert_eq!(parse_time("2024-01-15T10:45:23.500Z"), Some(1705315523.5));
        assert_eq!(parse_time("2024-01-15T12:45:23+02:00"), Some(1705315523.0));
        assert_eq!(parse_time("2024-01-15 10:45:23.000000000"), Some(1705315523.0));
        assert_eq!(parse_time("1705315523"), Some(1705315523.0));
        assert_eq!(parse_time("1705315523000"), Some(1705315523.0));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(parse_time("2024-01-15T10:45:23.123456789Z"), Some(1_705_315_523.123_456_7));
        assert_eq!(parse_time("2024-01-15T10:45:23+0000"), Some(1705315523.0));
        assert_eq!(parse_time("2024-01-15T05:45:23-05:00"), Some(1705315523.0));
        assert_eq!(parse_time("2024-01-15T10:45:23"), Some(1705315523.0));
        assert_eq!(parse_time(" 1705315523.25 "), Some(1705315523.25));
        assert_eq!(parse_time(""), None);
        assert_eq!(parse_time("."), None);
        assert_eq!(parse_time("2024-13-45T10:45:23Z"), None);
    }

    #[test]
    fn timestamps_found_in_text() {
        assert_eq!(timestamp_in_text(r#"{"a":"b","ts":"2024-01-15T10:45:23Z"}"#), Some(1705315523.0));
        assert_eq!(timestamp_in_text(r#"{"ts":"2024-01-15 10:45:23.5","n":1}"#), Some(1705315523.5));
        assert_eq!(timestamp_in_text(r#"{"ts":"2024-01-15T12:45:23+02:00"}"#), Some(1705315523.0));
        assert_eq!(timestamp_in_text(r#"{"id":"12024-01-15T10:45:23Z"}"#), None);
        assert_eq!(timestamp_in_text(r#"{"d":"2024-01-15","n":1705315523}"#), None);
        assert_eq!(timestamp_in_text(&format!("{}2024-01-15T10:45:23Z", "é".repeat(128))), None);
        assert_eq!(timestamp_in_text(&format!("{}2024-01-15T10:45:23Z", "é".repeat(127))), Some(1705315523.0));
    }

    #[test]
    fn rules_by_sourcetype() {
        use serde_json::json;
        assert_eq!(event_time(&json!({"eventTime": "2024-01-15T10:45:23Z"}), "aws:cloudtrail"), Some(1705315523.0));
        assert_eq!(event_time(&json!({"eventTime": "2025-01-21 17:49:47.000000000"}), "aws:cloudtrail"), Some(1737481787.0));
        assert_eq!(event_time(&json!({"time": 1705315523123u64}), "aws:asl"), Some(1705315523.123));
        assert_eq!(event_time(&json!({"time": "1705315523123"}), "aws:asl"), Some(1705315523.123));
        assert_eq!(event_time(&json!({"_time": 1705315523}), "_json"), Some(1705315523.0));
        assert_eq!(event_time(&json!({"_time": "2024-01-15T10:45:23Z"}), "_json"), Some(1705315523.0));
        assert_eq!(event_time(&json!({"eventTime": "2024-01-15T10:45:23Z"}), "_json"), None);
        assert_eq!(event_time(&json!({"eventTime": null}), "aws:cloudtrail"), None);
    }
}
