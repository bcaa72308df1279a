//! Reads the real public samples in `../shared/corpus` (see its DATA_SOURCES.md) and checks the
//! event counts. Says so plainly and passes when the corpus is absent.

use spelunk_io::{scan, Projection, ScanOptions};
use arrow::array::Array;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"));
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!("shared corpus absent at {}: skipping", p.display());
        None
    }
}

fn count(dir: &PathBuf) -> (u64, spelunk_io::ScanStats, std::collections::BTreeMap<String, u64>) {
    let opts = ScanOptions { projection: Projection::Fields(["_time".to_string()].into()), ..ScanOptions::default() };
    let mut s = scan(&[dir.clone()], opts).expect("corpus folder is readable");
    let mut n = 0;
    let mut by_st = std::collections::BTreeMap::new();
    for b in s.by_ref() {
        let b = b.expect("non-strict scans do not fail");
        n += b.batch.num_rows() as u64;
        *by_st.entry(b.sourcetype.clone()).or_insert(0) += b.batch.num_rows() as u64;
    }
    (n, s.stats().clone(), by_st)
}

#[test]
fn cloudtrail_corpus_has_797_records() {
    let Some(c) = corpus() else { return };
    let (n, stats, by_st) = count(&c.join("cloudtrail"));
    // DATA_SOURCES.md: "797 CloudTrail records in cloudtrail/ (62 data files + 1 index TSV)"
    assert_eq!(n, 797 + 459, "{}", stats.summary_line());
    // the index TSV (Panther's test index) is read as CSV with a header: not CloudTrail
    assert_eq!(stats.skipped.values().sum::<u64>(), 0, "{:?}", stats.warnings);
    assert_eq!(by_st.get("csv").copied(), Some(459));
    assert_eq!(by_st.get("aws:cloudtrail").copied().unwrap_or(0) + by_st.get("_json").copied().unwrap_or(0), 797);
}

#[test]
fn ocsf_json_corpus_reports_the_invalid_file() {
    let Some(c) = corpus() else { return };
    let (_n, stats, by_st) = count(&c.join("ocsf"));
    // 22 DERIVED NDJSON rows + 1 Elastic row + 3 valid ocsf/examples documents are OCSF
    assert!(by_st.get("aws:asl").copied().unwrap_or(0) >= 26, "{by_st:?}");
    // the v1.5.0 example has a trailing comma: named, with its line, and not fatal
    let bad = stats.warnings.iter().find(|w| w.file.to_string_lossy().contains("v1.5.0")).expect("v1.5.0 reported");
    assert!(bad.line.is_some() && bad.message.contains("malformed JSON"), "{bad}");
}

/// Every Security Lake Parquet row gives the same fields and values as its JSON twin in
/// `*.DERIVED.ndjson` (DuckDB's dump of the same rows). The dump writes every absent struct
/// member as JSON null; Parquet has no "present but null", so those are left out on both sides.
#[test]
fn parquet_rows_match_their_json_twins() {
    let Some(c) = corpus() else { return };
    let ocsf = c.join("ocsf");
    let index = std::fs::read_to_string(ocsf.join("amazon-security-lake-ocsf-validation__all_parquet_rows.DERIVED.index.tsv")).expect("index");
    let twins = std::fs::read_to_string(ocsf.join("amazon-security-lake-ocsf-validation__all_parquet_rows.DERIVED.ndjson")).expect("twins");
    let twins: Vec<&str> = twins.lines().collect();
    let mut compared = 0;
    for row in index.lines().skip(1) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (Ok(line), Some(file)) = (cols[0].parse::<usize>(), cols.get(1)) else { continue };
        let pq = spelunk_io::scan(&[ocsf.join(file)], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect::<Vec<_>>();
        let js = {
            let dir = tempfile::tempdir().expect("tmp");
            let p = dir.path().join("twin.ndjson");
            std::fs::write(&p, twins[line - 1]).expect("write");
            spelunk_io::scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect::<Vec<_>>()
        };
        let fields = |bs: &[spelunk_io::EventBatch]| -> std::collections::BTreeMap<String, String> {
            let b = &bs[0].batch;
            let mut m = std::collections::BTreeMap::new();
            for (f, col) in b.schema().fields().iter().zip(b.columns()) {
                if ["_raw", "source", "host", "_time"].contains(&f.name().as_str()) || col.is_null(0) {
                    continue;
                }
                let v = arrow::util::display::array_value_to_string(col.as_ref(), 0).expect("display");
                if v != "null" {
                    m.insert(f.name().clone(), v);
                }
            }
            m
        };
        assert_eq!(fields(&pq), fields(&js), "{file}");
        compared += 1;
    }
    assert_eq!(compared, 22);
}
