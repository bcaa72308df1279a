//! Skipping CloudTrail files that cannot hold events in the query's time range, from their S3
//! delivery path alone (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<id>.json.gz`).
//!
//! CloudTrail delivers a file some minutes after its events, and the date folder and file-name
//! timestamp follow the delivery time, so a file can hold events from shortly before its folder's
//! day (or before its file-name time); never after it. Pruning keeps a one-hour margin on the
//! early side and none on the late side.

use chrono::{NaiveDate, NaiveDateTime};
use std::path::{Path, PathBuf};

const MARGIN: f64 = 3600.0;

/// The latest time (epoch seconds) any event in the file can have, and the earliest it can
/// plausibly have, from the path; `None` when the path is not in the S3 layout.
pub fn path_time_bounds(path: &Path) -> Option<(f64, f64)> {
    let s = path.to_string_lossy();
    let i = s.find("/CloudTrail/").or_else(|| s.find("\\CloudTrail\\"))?;
    let parts: Vec<&str> = s[i + 12..].split(['/', '\\']).collect();
    // region / YYYY / MM / DD / file
    if parts.len() < 5 {
        return None;
    }
    let (y, m, d) = (parts[1].parse::<i32>().ok()?, parts[2].parse::<u32>().ok()?, parts[3].parse::<u32>().ok()?);
    let day = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64;
    let (mut lo, mut hi) = (day - MARGIN, day + 86400.0);
    // file name timestamp: _YYYYMMDDTHHMMZ_
    if let Some(ts) = parts[4].split('_').find(|p| p.len() == 14 && p.ends_with('Z') && p.as_bytes().get(8) == Some(&b'T')) {
        if let Ok(t) = NaiveDateTime::parse_from_str(&ts[..13], "%Y%m%dT%H%M") {
            let t = t.and_utc().timestamp() as f64;
            hi = hi.min(t + 60.0);
            lo = lo.max(t - MARGIN);
        }
    }
    Some((lo, hi))
}

/// Keep the files that may hold events in `[earliest, latest)`; returns them and how many were pruned.
pub fn prune_by_time(files: Vec<PathBuf>, earliest: Option<f64>, latest: Option<f64>) -> (Vec<PathBuf>, usize) {
    if earliest.is_none() && latest.is_none() {
        return (files, 0);
    }
    let before = files.len();
    let kept: Vec<PathBuf> = files
        .into_iter()
        .filter(|f| match path_time_bounds(f) {
            None => true,
            Some((lo, hi)) => earliest.is_none_or(|e| hi >= e) && latest.is_none_or(|l| lo < l),
        })
        .collect();
    let pruned = before - kept.len();
    (kept, pruned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_from_the_s3_layout() {
        let p = Path::new("x/AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/05/123456789012_CloudTrail_us-east-1_20240305T0030Z_abc.json.gz");
        let (lo, hi) = path_time_bounds(p).expect("s3 layout");
        // 2024-03-05T00:30Z = 1709598600
        assert_eq!(hi, 1709598600.0 + 60.0);
        assert_eq!(lo, 1709598600.0 - 3600.0);
        assert_eq!(path_time_bounds(Path::new("logs/events.json")), None);
        let (kept, pruned) = prune_by_time(vec![p.to_path_buf(), PathBuf::from("other.json")], Some(1709600000.0), None);
        assert_eq!((kept.len(), pruned), (1, 1));
        let (kept, pruned) = prune_by_time(vec![p.to_path_buf()], Some(1709590000.0), Some(1709600000.0));
        assert_eq!((kept.len(), pruned), (1, 0));
    }
}
