//! UTC calendar arithmetic and the few timestamp formats CloudTrail uses.
//! Hand-rolled (Howard Hinnant's civil-from-days) because it sits on the hot path.

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i64 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub struct Parts {
    pub y: i64,
    pub mo: u32,
    pub d: u32,
    pub h: u32,
    pub mi: u32,
    pub s: u32,
}

pub fn parts(secs: i64) -> Parts {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: (rem / 3600) as u32,
        mi: (rem / 60 % 60) as u32,
        s: (rem % 60) as u32,
    }
}

/// `2024-03-04T21:03:11Z`, CloudTrail's eventTime.
pub fn iso(secs: i64) -> String {
    let p = parts(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `2024-03-04T21:03:11.000Z`, OCSF time_dt.
pub fn iso_millis(ms: i64) -> String {
    let p = parts(ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        p.y,
        p.mo,
        p.d,
        p.h,
        p.mi,
        p.s,
        ms.rem_euclid(1000)
    )
}

/// `%Y-%m-%dT%H:%M:%S`, what `security_content_ctime` prints.
pub fn ctime(secs: i64) -> String {
    let p = parts(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        p.y, p.mo, p.d, p.h, p.mi, p.s
    )
}

/// `20240304T2105Z`, the timestamp in a CloudTrail log file name.
pub fn compact_minute(secs: i64) -> String {
    let p = parts(secs);
    format!("{:04}{:02}{:02}T{:02}{:02}Z", p.y, p.mo, p.d, p.h, p.mi)
}

/// `2024/03/04`, the date folders of the S3 layout.
pub fn ymd_path(secs: i64) -> String {
    let p = parts(secs);
    format!("{:04}/{:02}/{:02}", p.y, p.mo, p.d)
}

pub fn parse_start(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp())
        .map_err(|e| format!("--start {s:?}: expected RFC 3339 like 2024-03-04T00:00:00Z ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = parse_start("2024-03-04T21:03:11Z").unwrap();
        assert_eq!(iso(t), "2024-03-04T21:03:11Z");
        assert_eq!(ctime(t - t % 3600), "2024-03-04T21:00:00");
        assert_eq!(compact_minute(t), "20240304T2103Z");
        assert_eq!(ymd_path(t + 3 * 3600), "2024/03/05");
        assert_eq!(iso_millis(t * 1000 + 7), "2024-03-04T21:03:11.007Z");
        // leap day and far dates agree with chrono
        for secs in [951_782_400i64, 1_709_164_800, 4_102_444_800, 0] {
            let c = chrono::DateTime::from_timestamp(secs, 0).unwrap();
            assert_eq!(iso(secs), c.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        }
    }
}
