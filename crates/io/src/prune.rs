//! Skipping CloudTrail files that cannot hold events in the query's time range, from their S3
//! delivery path alone (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<id>.json.gz`).
//!
//! The date folder and file-name timestamp are the delivery time, and AWS documents only one
//! bound: "A log file delivered at a specific time can contain records written at any point
//! before that time" (CloudTrail log file examples, "CloudTrail log file name format",
//! <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html>).
//! Delivery is typically within minutes but not guaranteed, so a file can hold an event hours or
//! days older than its name. Pruning therefore uses the upper bound only: a file delivered before
//! the range starts is not opened; a file delivered after the range ends is always read.

use chrono::{NaiveDate, NaiveDateTime};
use std::path::{Path, PathBuf};

/// The earliest and latest time (epoch seconds) an event in the file can have, from the path:
/// the earliest is always minus infinity (no documented bound); `None` when the path is not in
/// the S3 layout.
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
    let (lo, mut hi) = (f64::NEG_INFINITY, day + 86400.0);
    // file name timestamp: _YYYYMMDDTHHMMZ_
    if let Some(ts) = parts[4].split('_').find(|p| p.len() == 14 && p.ends_with('Z') && p.as_bytes().get(8) == Some(&b'T')) {
        if let Ok(t) = NaiveDateTime::parse_from_str(&ts[..13], "%Y%m%dT%H%M") {
            let t = t.and_utc().timestamp() as f64;
            hi = hi.min(t + 60.0);
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
        assert_eq!(lo, f64::NEG_INFINITY);
        assert_eq!(path_time_bounds(Path::new("logs/events.json")), None);
        let (kept, pruned) = prune_by_time(vec![p.to_path_buf(), PathBuf::from("other.json")], Some(1709600000.0), None);
        assert_eq!((kept.len(), pruned), (1, 1));
        let (kept, pruned) = prune_by_time(vec![p.to_path_buf()], Some(1709590000.0), Some(1709600000.0));
        assert_eq!((kept.len(), pruned), (1, 0));
    }
}
