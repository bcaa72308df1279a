//! Time formatting and parsing: Splunk's strftime variables on top of chrono, and relative
//! time modifiers (`-24h`, `-7d@d`, `@h`, `now`).
//!
//! Splunk doc "Date and time format variables"
//! (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/Commontimeformatvariables)
//! and "Time modifiers" (https://docs.splunk.com/Documentation/Splunk/latest/SearchReference/SearchTimeModifiers).

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDateTime, TimeZone, Timelike, Utc};

/// Translate Splunk-only format variables to chrono's: `%<n>N` subseconds, `%N`, `%Q`, `%s`.
fn translate(fmt: &str) -> String {
    let mut out = String::with_capacity(fmt.len());
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '%' && i + 1 < chars.len() {
            // %3N, %6N, %9N
            if chars[i + 1].is_ascii_digit() && i + 2 < chars.len() && chars[i + 2] == 'N' {
                out.push_str(&format!("%{}f", chars[i + 1]));
                i += 3;
                continue;
            }
            match chars[i + 1] {
                'N' => {
                    out.push_str("%9f");
                    i += 2;
                    continue;
                }
                'Q' => {
                    out.push_str("%3f");
                    i += 2;
                    continue;
                }
                _ => {
                    out.push(chars[i]);
                    out.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

/// Format epoch seconds with a Splunk strftime format at a fixed UTC offset.
pub fn strftime(epoch: f64, fmt: &str, offset_secs: i32) -> Option<String> {
    let secs = epoch.floor() as i64;
    let nanos = ((epoch - epoch.floor()) * 1e9).round().min(999_999_999.0) as u32;
    let tz = FixedOffset::east_opt(offset_secs)?;
    let dt = tz.timestamp_opt(secs, nanos).single()?;
    let f = translate(fmt);
    let mut s = String::new();
    use std::fmt::Write;
    // chrono reports bad format strings as a fmt error
    write!(s, "{}", dt.format(&f)).ok()?;
    Some(s)
}

/// Parse text with a Splunk strptime format; UTC unless the format has an offset.
pub fn strptime(text: &str, fmt: &str) -> Option<f64> {
    let f = translate(fmt);
    if let Ok(dt) = DateTime::parse_from_str(text, &f) {
        return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(text, &f) {
        let dt = Utc.from_utc_datetime(&dt);
        return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, &f) {
        let dt = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?);
        return Some(dt.timestamp() as f64);
    }
    None
}

/// Resolve a time modifier (`now`, `-24h`, `-7d@d`, `@h`, `+1d`, epoch seconds, or
/// `%m/%d/%Y:%H:%M:%S`) relative to `now` (epoch seconds), in UTC.
pub fn relative_time(now: f64, spec: &str) -> Option<f64> {
    let s = spec.trim();
    if s.eq_ignore_ascii_case("now") || s.is_empty() {
        return Some(now);
    }
    if let Some(n) = crate::value::parse_number(s) {
        if !s.starts_with('+') && !s.starts_with('-') {
            return Some(n);
        }
    }
    if let Some(t) = strptime(s, "%m/%d/%Y:%H:%M:%S") {
        return Some(t);
    }
    let (offset_part, snap_part) = match s.find('@') {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut t = now;
    if !offset_part.is_empty() {
        t = apply_offset(t, offset_part)?;
    }
    if let Some(snap) = snap_part {
        // snap may be followed by another offset: @d+3h
        let (unit, rest) = match snap.find(['+', '-']) {
            Some(i) => (&snap[..i], Some(&snap[i..])),
            None => (snap, None),
        };
        t = snap_to(t, unit)?;
        if let Some(r) = rest {
            t = apply_offset(t, r)?;
        }
    }
    Some(t)
}

fn unit_seconds(unit: &str) -> Option<UnitKind> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => UnitKind::Secs(1),
        "m" | "min" | "mins" | "minute" | "minutes" => UnitKind::Secs(60),
        "h" | "hr" | "hrs" | "hour" | "hours" => UnitKind::Secs(3600),
        "d" | "day" | "days" => UnitKind::Secs(86400),
        "w" | "week" | "weeks" => UnitKind::Secs(7 * 86400),
        "mon" | "month" | "months" => UnitKind::Months(1),
        "q" | "qtr" | "qtrs" | "quarter" | "quarters" => UnitKind::Months(3),
        "y" | "yr" | "yrs" | "year" | "years" => UnitKind::Months(12),
        _ => return None,
    })
}

enum UnitKind {
    Secs(i64),
    Months(i32),
}

fn apply_offset(t: f64, part: &str) -> Option<f64> {
    let (sign, rest) = match part.as_bytes().first()? {
        b'-' => (-1i64, &part[1..]),
        b'+' => (1, &part[1..]),
        _ => (1, part),
    };
    let split = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let n: i64 = if split == 0 { 1 } else { rest[..split].parse().ok()? };
    match unit_seconds(&rest[split..])? {
        UnitKind::Secs(u) => Some(t + sign.checked_mul(n)?.checked_mul(u)? as f64),
        UnitKind::Months(m) => {
            let dt = Utc.timestamp_opt(t.floor() as i64, 0).single()?;
            let delta = i32::try_from(sign.checked_mul(n)?.checked_mul(m as i64)?).ok()?;
            let total = (dt.year() * 12 + dt.month0() as i32).checked_add(delta)?;
            let (y, mo) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
            let day = dt.day().min(days_in_month(y, mo));
            let nd = Utc.with_ymd_and_hms(y, mo, day, dt.hour(), dt.minute(), dt.second()).single()?;
            Some(nd.timestamp() as f64 + (t - t.floor()))
        }
    }
}

fn days_in_month(y: i32, m: u32) -> u32 {
    let next = if m == 12 { chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1) } else { chrono::NaiveDate::from_ymd_opt(y, m + 1, 1) };
    next.and_then(|n| n.pred_opt()).map(|d| d.day()).unwrap_or(28)
}

/// Round down to the start of the unit (`@d`, `@h`, `@w0`, `@mon`, `@y`).
fn snap_to(t: f64, unit: &str) -> Option<f64> {
    let dt = Utc.timestamp_opt(t.floor() as i64, 0).single()?;
    let u = unit.to_ascii_lowercase();
    // @w0 (Sunday) to @w7 (Sunday again); @w8 is not a day
    if let Some(day) = u.strip_prefix('w').filter(|d| d.len() == 1 && matches!(d.as_bytes()[0], b'0'..=b'7')) {
        let want: i64 = day.parse().ok()?;
        let start = dt.date_naive().and_hms_opt(0, 0, 0)?;
        let dow = dt.weekday().num_days_from_sunday() as i64;
        let back = (dow - want).rem_euclid(7);
        return Some((Utc.from_utc_datetime(&start) - Duration::days(back)).timestamp() as f64);
    }
    Some(match unit_seconds(&u)? {
        UnitKind::Secs(s) if s == 7 * 86400 => {
            let start = dt.date_naive().and_hms_opt(0, 0, 0)?;
            let dow = dt.weekday().num_days_from_sunday() as i64;
            (Utc.from_utc_datetime(&start) - Duration::days(dow)).timestamp() as f64
        }
        UnitKind::Secs(s) => ((t.floor() as i64).div_euclid(s) * s) as f64,
        UnitKind::Months(m) => {
            let mo0 = dt.month0() as i32;
            let start_mo = mo0 - mo0 % m;
            Utc.with_ymd_and_hms(dt.year(), start_mo as u32 + 1, 1, 0, 0, 0).single()?.timestamp() as f64
        }
    })
}

/// Start of the calendar bucket of `months` months containing `t` (UTC), for `bin span=1mon`.
pub fn month_bucket(t: f64, months: u32) -> Option<f64> {
    let dt = Utc.timestamp_opt(t.floor() as i64, 0).single()?;
    let m = months.max(1) as i32;
    let total = dt.year() * 12 + dt.month0() as i32;
    let start = total - total.rem_euclid(m);
    Some(Utc.with_ymd_and_hms(start.div_euclid(12), start.rem_euclid(12) as u32 + 1, 1, 0, 0, 0).single()?.timestamp() as f64)
}

/// Parse the common textual time formats of log data to epoch seconds.
pub fn parse_any_time(s: &str) -> Option<f64> {
    if let Some(n) = crate::value::parse_number(s) {
        return Some(n);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp() as f64 + dt.timestamp_subsec_nanos() as f64 / 1e9);
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d"] {
        if let Some(t) = strptime(s, f) {
            return Some(t);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(strftime(0.0, "%Y-%m-%dT%H:%M:%S", 0).as_deref(), Some("1970-01-01T00:00:00"));
        assert_eq!(strftime(1.5, "%S.%3N", 0).as_deref(), Some("01.500"));
        assert_eq!(strptime("2024-01-15T10:45:23", "%Y-%m-%dT%H:%M:%S"), Some(1705315523.0));
    }

    #[test]
    fn relative() {
        let now = 1705315523.0; // 2024-01-15T10:45:23Z (a Monday)
        assert_eq!(relative_time(now, "-1h"), Some(now - 3600.0));
        assert_eq!(relative_time(now, "@h"), Some(1705312800.0));
        assert_eq!(relative_time(now, "-1d@d"), Some(1705190400.0));
        assert_eq!(relative_time(now, "@w0"), Some(1705190400.0));
        assert_eq!(relative_time(now, "now"), Some(now));
    }

    /// Huge offsets and odd formats give null (None), never an overflow panic.
    #[test]
    fn hostile_times_are_none() {
        assert_eq!(relative_time(0.0, "-999999999999y@y"), None);
        assert_eq!(relative_time(0.0, "-9223372036854775807d"), None);
        assert_eq!(relative_time(0.0, "+99999999999999mon"), None);
        assert_eq!(strftime(1e300, "%Y", 0), None);
        assert_eq!(strftime(-1e300, "%Y", 0), None);
        assert_eq!(strptime("x", "%Q%Q%Q"), None);
        assert!(strftime(0.0, "%Q%Q%N%3N%:z%::z%%%", 0).is_some() || strftime(0.0, "%Q%Q%N%3N%:z%::z%%%", 0).is_none());
    }
}
