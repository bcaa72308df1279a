//! Sizes on the command line (`100MB`, `1GB`, `1.5GiB`) and in the table.

/// Bytes in a size such as `100MB`, `1GB`, `512KiB`, `2.5G`, `1000000` (decimal units:
/// KB/MB/GB = 10^3/10^6/10^9, as input sizes and MB/s are reported; KiB/MiB/GiB binary).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("bad size {text:?}: expected a number and a unit such as 100MB or 1GB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => return Err(format!("bad size {text:?}: unknown unit {other:?}")),
    };
    let bytes = n * mult;
    if bytes.is_nan() || bytes < 1.0 || !bytes.is_finite() {
        return Err(format!("bad size {text:?}: must be positive"));
    }
    Ok(bytes.round() as u64)
}

/// A comma-separated list of sizes.
pub fn parse_sizes(text: &str) -> Result<Vec<u64>, String> {
    let v: Vec<u64> = text
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(parse_size)
        .collect::<Result<_, _>>()?;
    if v.is_empty() {
        return Err("--sizes: no size given".into());
    }
    Ok(v)
}

/// A short label for a size, used in folder names and the table: `100MB`, `1GB`, `1.5GB`.
pub fn label(bytes: u64) -> String {
    let (v, unit) = if bytes >= 1_000_000_000 {
        (bytes as f64 / 1e9, "GB")
    } else if bytes >= 1_000_000 {
        (bytes as f64 / 1e6, "MB")
    } else if bytes >= 1_000 {
        (bytes as f64 / 1e3, "KB")
    } else {
        (bytes as f64, "B")
    };
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}{unit}")
}

/// Megabytes (10^6) with one decimal.
pub fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units() {
        assert_eq!(parse_size("100MB").unwrap(), 100_000_000);
        assert_eq!(parse_size("1GB").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("1gb").unwrap(), 1_000_000_000);
        assert_eq!(parse_size("2.5G").unwrap(), 2_500_000_000);
        assert_eq!(parse_size(" 512KiB ").unwrap(), 524_288);
        assert_eq!(parse_size("1GiB").unwrap(), 1_073_741_824);
        assert_eq!(parse_size("12345").unwrap(), 12_345);
        assert!(parse_size("MB").is_err());
        assert!(parse_size("10XB").is_err());
        assert!(parse_size("0MB").is_err());
        assert_eq!(parse_sizes("100MB, 1GB").unwrap(), vec![100_000_000, 1_000_000_000]);
        assert!(parse_sizes(",").is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(label(100_000_000), "100MB");
        assert_eq!(label(1_000_000_000), "1GB");
        assert_eq!(label(1_500_000_000), "1.5GB");
        assert_eq!(label(250_000), "250KB");
        assert_eq!(mb(64_593_941), "64.6");
    }
}
