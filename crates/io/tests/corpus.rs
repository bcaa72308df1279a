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

fn count(dir: &std::path::Path) -> (u64, spelunk_io::ScanStats, std::collections::BTreeMap<String, u64>) {
    let opts = ScanOptions { projection: Projection::Fields(["_time".to_string()].into()), ..ScanOptions::default() };
    let mut s = scan(&[dir.to_path_buf()], opts).expect("corpus folder is readable");
    let mut n = 0;
    let mut by_st = std::collections::BTreeMap::new();
    for b in s.by_ref() {
        let b = b.expect("non-strict scans do not fail");
        n += b.batch.num_rows() as u64;
        *by_st.entry(b.sourcetype.clone()).or_insert(0) += b.batch.num_rows() as u64;
    }
    (n, s.stats().clone(), by_st)
}

/// Events per file, each file scanned on its own.
fn per_file(dir: &std::path::Path) -> std::collections::BTreeMap<String, u64> {
    let (files, _) = spelunk_io::list_files(&[dir.to_path_buf()]).expect("list");
    files
        .iter()
        .map(|f| {
            let opts = ScanOptions { projection: Projection::Fields(["_time".to_string()].into()), ..ScanOptions::default() };
            let n = scan(std::slice::from_ref(f), opts).expect("scan").map(|b| b.map(|b| b.batch.num_rows() as u64).unwrap_or(0)).sum();
            (f.file_name().expect("name").to_string_lossy().into_owned(), n)
        })
        .collect()
}

/// `| `file` | records | ...` rows of DATA_SOURCES.md's Stratus table.
fn documented_counts(md: &str) -> std::collections::BTreeMap<String, u64> {
    md.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cols.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
            let n = cols.get(2)?.parse::<u64>().ok()?;
            Some((name.to_string(), n))
        })
        .collect()
}

#[test]
fn cloudtrail_corpus_has_797_records() {
    let Some(c) = corpus() else { return };
    let (n, stats, by_st) = count(&c.join("cloudtrail"));
    eprintln!("cloudtrail/: {}; by sourcetype {by_st:?}", stats.summary_line());
    // DATA_SOURCES.md: "797 CloudTrail records in cloudtrail/ (62 data files + 1 index TSV)".
    // The index TSV (Panther's test index: source file, test name, expected result) is a valid
    // TSV with a header, so it is read as 459 events of sourcetype `tsv`, never as CloudTrail.
    assert_eq!(stats.files_read, 63);
    assert_eq!(n, 797 + 459, "{}", stats.summary_line());
    assert_eq!(stats.skipped.values().sum::<u64>(), 0, "{:?}", stats.warnings);
    assert_eq!(by_st.get("tsv").copied(), Some(459));
    // records are typed by content: 42 Panther test records lack eventVersion; 28 of them have
    // eventTime with awsRegion or eventID, fields AWS documents as always present, and are
    // CloudTrail (lib.rs, detect_sourcetype); the other 14 (snippets without eventTime) are
    // `_json` (`--sourcetype aws:cloudtrail` makes them CloudTrail)
    assert_eq!(by_st.get("aws:cloudtrail").copied().unwrap_or(0) + by_st.get("_json").copied().unwrap_or(0), 797);
    assert_eq!(by_st.get("aws:cloudtrail").copied(), Some(783));
    // per file, against the documented counts
    let md = std::fs::read_to_string(c.join("DATA_SOURCES.md")).expect("DATA_SOURCES.md");
    let mut want = documented_counts(&md);
    assert_eq!(want.len(), 35, "the Stratus table lists 35 files");
    assert_eq!(want.values().sum::<u64>(), 310);
    want.insert("panther-analysis__aws_cloudtrail_rule_tests.ndjson".into(), 459);
    want.insert("panther-analysis__aws_cloudtrail_rule_tests.index.tsv".into(), 459);
    want.insert("elastic-integrations__test-console-login-json.log".into(), 3);
    want.insert("elastic-integrations__test-get-caller-identity-json.log".into(), 1);
    let got = per_file(&c.join("cloudtrail"));
    for (f, n) in &got {
        // the 21 Security Lake validation inputs and the 3 ocsf-examples .raw: one record each
        let expect = want.get(f).copied().unwrap_or(1);
        assert_eq!(*n, expect, "{f}");
    }
    assert_eq!(got.len(), 63);
}

#[test]
fn ocsf_json_corpus_reports_the_invalid_file() {
    let Some(c) = corpus() else { return };
    let (n, stats, by_st) = count(&c.join("ocsf"));
    eprintln!("ocsf/: {}; by sourcetype {by_st:?}", stats.summary_line());
    // 22 Parquet rows + their 22 DERIVED NDJSON twins + 1 Elastic row + 3 valid ocsf/examples
    // documents are OCSF; the DERIVED index TSV gives 22 `tsv` events; the Security Lake table
    // description (a JSON document, not events) is one `_json` event.
    assert_eq!(by_st.get("aws:asl").copied(), Some(48), "{by_st:?}");
    assert_eq!(by_st.get("tsv").copied(), Some(22));
    assert_eq!(by_st.get("_json").copied(), Some(1));
    assert_eq!(n, 71);
    assert_eq!(stats.files_read, 30);
    // the v1.5.0 example has a trailing comma: named, with its line, and not fatal
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{:?}", stats.skipped);
    let bad = stats.warnings.iter().find(|w| w.file.to_string_lossy().contains("v1.5.0")).expect("v1.5.0 reported");
    assert!(bad.message.contains("malformed JSON"), "{bad}");
    // the trailing comma sits after the `service` object, on line 18 of the file
    let text = std::fs::read_to_string(&bad.file).expect("read");
    let line = bad.line.expect("line") as usize;
    let src = text.lines().nth(line - 1).unwrap_or_default();
    assert!(src.trim_start().starts_with('}') || src.contains("\"service\"") || src.trim() == "},", "{bad}: line {line} is {src:?}");
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
