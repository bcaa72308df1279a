//! Hostile input: records that try to slip past the reader (escapes that hide searched text,
//! non-ASCII case, broken lines, odd file shapes, late deliveries). Every file is generated in a
//! temporary folder; nothing large is committed.

use arrow::array::{Array, Float64Array, StringArray};
use proptest::prelude::*;
use spelunk_io::{scan, EventBatch, Prefilter, ScanOptions, ScanStats};
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, bytes).expect("write");
    p
}

fn read(paths: &[PathBuf], opts: ScanOptions) -> (Vec<EventBatch>, ScanStats) {
    let mut s = scan(paths, opts).expect("scan");
    let b: Vec<_> = s.by_ref().map(|b| b.expect("batch")).collect();
    (b, s.stats().clone())
}

/// Every value of column `col` over all batches (null as None).
fn column(batches: &[EventBatch], col: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    for b in batches {
        match b.batch.column_by_name(col) {
            Some(c) => {
                let c = c.as_any().downcast_ref::<StringArray>().unwrap_or_else(|| panic!("{col} is {:?}", c.data_type()));
                out.extend((0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i).to_string())));
            }
            None => out.extend(std::iter::repeat_n(None, b.batch.num_rows())),
        }
    }
    out
}

fn times(batches: &[EventBatch]) -> Vec<f64> {
    let mut out = Vec::new();
    for b in batches {
        let c = b.batch.column_by_name("_time").expect("_time");
        let c = c.as_any().downcast_ref::<Float64Array>().expect("f64");
        out.extend((0..c.len()).map(|i| c.value(i)));
    }
    out
}

fn rows(batches: &[EventBatch]) -> usize {
    batches.iter().map(|b| b.batch.num_rows()).sum()
}

// ---------------------------------------------------------------------------------------------
// 1. Prefilter soundness: the raw-byte prefilter may rule out only records the full parse
//    could not match.

/// What the full parse gives a JSON string body: its decoded text.
fn decoded(body: &str) -> Option<String> {
    serde_json::from_str::<String>(&format!("\"{body}\"")).ok()
}

/// How search matches a value against `*term*`: Unicode lower-casing on both sides
/// (crates/exec/src/search.rs, `Pattern`).
fn full_match(value: &str, term: &str) -> bool {
    value.to_lowercase().contains(&term.to_lowercase())
}

/// One piece of a JSON string body: a plain character, or a character written as a JSON escape.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::char::range('a', 'z').prop_map(|c| c.to_string()),
        2 => proptest::char::range('A', 'Z').prop_map(|c| c.to_string()),
        1 => proptest::char::range('0', '9').prop_map(|c| c.to_string()),
        1 => Just("-".to_string()),
        1 => Just(".".to_string()),
        1 => Just(" ".to_string()),
        // escapes of ASCII characters, lower- or upper-case hex
        2 => (0x20u32..0x7f).prop_map(|c| format!("\\u{c:04x}")),
        1 => (0x20u32..0x7f).prop_map(|c| format!("\\u{c:04X}")),
        1 => Just("\\/".to_string()),
        1 => Just("\\\\".to_string()),
        1 => Just("\\\"".to_string()),
        // characters whose lower case is (or holds) ASCII: KELVIN SIGN, LATIN CAPITAL I WITH DOT ABOVE
        1 => Just("\u{212A}".to_string()),
        1 => Just("\\u212a".to_string()),
        1 => Just("\u{130}".to_string()),
        1 => Just("\\u0130".to_string()),
        // other non-ASCII
        1 => Just("é".to_string()),
        1 => Just("ẞ".to_string()),
        1 => Just("Σ".to_string()),
    ]
}

fn term() -> impl Strategy<Value = String> {
    proptest::collection::vec(prop_oneof![proptest::char::range('a', 'z'), proptest::char::range('A', 'Z'), Just('k'), Just('i'), Just('-'), Just('.')], 3..6)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    /// Prefilter says no ⇒ the full match says no, for any record spelling of the value.
    #[test]
    fn prefilter_no_implies_full_match_no(pieces in proptest::collection::vec(piece(), 0..12), t in term(), embed in any::<bool>()) {
        let body: String = pieces.concat();
        let Some(value) = decoded(&body) else { return Ok(()) };
        // the term sometimes sits inside the value, spelled with escapes or not
        let (body, value) = if embed {
            let esc: String = t.chars().map(|c| format!("\\u{:04x}", c as u32)).collect();
            (format!("{body}{esc}"), format!("{value}{t}"))
        } else {
            (body, value)
        };
        let line = format!("{{\"eventName\":\"{body}\"}}");
        let p = Prefilter::new(&[vec![t.clone()]]).expect("prefilter");
        if !p.is_match(line.as_bytes()) {
            prop_assert!(!full_match(&value, &t), "ruled out {line} but {value:?} matches {t:?}");
        }
        // the block search must offer the line as a candidate too
        if full_match(&value, &t) {
            prop_assert!(p.next_candidate(line.as_bytes(), 0).is_some(), "block search missed {line}");
        }
    }
}

/// `"D\u0065leteBucket"` is `DeleteBucket` once parsed: the prefilter must let it through, in
/// every reading mode (NDJSON block search, documents, a `Records` line).
/// (JSON: RFC 8259 section 7, any character may be escaped as \uXXXX.)
#[test]
fn escaped_terms_reach_the_full_parse() {
    let dir = tempfile::tempdir().expect("tmp");
    let rec = r#"{"eventName":"D\u0065leteBucket","n":"1"}"#;
    let other = r#"{"eventName":"ListBuckets","n":"2"}"#;
    let kelvin = "{\"eventName\":\"\u{212A}ill\",\"n\":\"3\"}";
    let ndjson = write(&dir, "a.ndjson", format!("{other}\n{rec}\n{other}\n{kelvin}\n").as_bytes());
    let doc = write(&dir, "b.json", format!("[{other},\n{rec}]").as_bytes());
    let records = write(&dir, "c.json", format!("{{\"Records\":[{other},{rec}]}}\n").as_bytes());
    for p in [&ndjson, &doc, &records] {
        let opts = ScanOptions::default().require_all(["deletebucket"]);
        let (b, _) = read(std::slice::from_ref(p), opts);
        let names = column(&b, "eventName");
        // (other candidates may come through: the prefilter only rules out; search decides)
        assert!(names.contains(&Some("DeleteBucket".to_string())), "{}: {names:?}", p.display());
        assert!(!names.contains(&Some("ListBuckets".to_string())), "{}: {names:?}", p.display());
    }
    let (b, _) = read(std::slice::from_ref(&ndjson), ScanOptions::default().require_all(["kill"]));
    assert_eq!(column(&b, "n"), [Some("3".to_string())]);
}

/// A broken line that lacks the query's literal is still named and counted as malformed, not
/// counted as ruled out by the prefilter.
#[test]
fn malformed_lines_without_the_term_are_still_named() {
    let dir = tempfile::tempdir().expect("tmp");
    let good = r#"{"eventName":"DeleteBucket"}"#;
    let text = format!("{good}\n{{\"eventName\":\"ListBu\n{good}\nnot json at all\n{{\"a\":1}}\n");
    let p = write(&dir, "a.ndjson", text.as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default().require_all(["DeleteBucket"]));
    assert_eq!(rows(&b), 2);
    let bad: u64 = stats.skipped.values().sum();
    assert_eq!(bad, 2, "{}", stats.summary_line());
    assert_eq!(stats.prefiltered, 1, "{}", stats.summary_line());
    let lines: Vec<Option<u64>> = stats.warnings.iter().map(|w| w.line).collect();
    assert!(lines.contains(&Some(2)) && lines.contains(&Some(4)), "{:?}", stats.warnings);
}

// ---------------------------------------------------------------------------------------------
// 4. Path time pruning keeps late deliveries.

/// AWS: "A log file delivered at a specific time can contain records written at any point
/// before that time" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-log-file-examples.html,
/// "CloudTrail log file name format"). The file name bounds its events from above only: a file
/// delivered at 05:00 with an event of 02:00 is kept for a search ending at 03:00.
#[test]
fn pruning_keeps_late_deliveries() {
    let p = PathBuf::from("AWSLogs/123456789012/CloudTrail/us-east-1/2024/03/05/123456789012_CloudTrail_us-east-1_20240305T0500Z_abc.json.gz");
    let (lo, hi) = spelunk_io::path_time_bounds(&p).expect("s3 layout");
    assert!(lo.is_infinite() && lo < 0.0, "no documented lower bound: {lo}");
    // 2024-03-05T05:00Z = 1709614800; the minute the name gives, to its end
    assert_eq!(hi, 1709614800.0 + 60.0);
    // an event at 2024-03-05T02:00Z, searched over [01:00, 03:00)
    let (kept, pruned) = spelunk_io::prune_by_time(vec![p.clone()], Some(1709600400.0), Some(1709607600.0));
    assert_eq!((kept.len(), pruned), (1, 0));
    // a file delivered before the range starts cannot hold an event in it
    let (kept, pruned) = spelunk_io::prune_by_time(vec![p], Some(1709614800.0 + 3600.0), None);
    assert_eq!((kept.len(), pruned), (0, 1));
}

// ---------------------------------------------------------------------------------------------
// 6. Duplicates: each file is read once, whatever the paths and links that name it.

#[test]
fn overlapping_paths_and_links_read_each_file_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let a = write(&dir, "logs/a.json", b"{\"n\":\"1\"}\n");
    write(&dir, "logs/sub/b.json", b"{\"n\":\"2\"}\n");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&a, dir.path().join("logs/sub/link.json")).expect("symlink");
    let logs = dir.path().join("logs");
    let (b, stats) = read(&[logs.clone(), a.clone(), logs.join("sub"), dir.path().join("logs/./a.json")], ScanOptions::default());
    let mut n = column(&b, "n");
    n.sort();
    assert_eq!(n, [Some("1".to_string()), Some("2".to_string())]);
    assert_eq!(stats.files_read, 2);
    assert!(stats.files_duplicate >= 3, "{}", stats.summary_line());
    assert!(stats.summary_line().contains("read once"), "{}", stats.summary_line());
}

// ---------------------------------------------------------------------------------------------
// 2. The shape is decided per record, not per file.

#[test]
fn a_bom_does_not_turn_json_into_text() {
    let dir = tempfile::tempdir().expect("tmp");
    let nd = write(&dir, "a.json", b"\xEF\xBB\xBF{\"n\":\"1\"}\n{\"n\":\"2\"}\n");
    let arr = write(&dir, "b.json", b"\xEF\xBB\xBF[{\"n\":\"3\"}]");
    let gz = {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut e, b"\xEF\xBB\xBF{\"Records\":[{\"n\":\"4\"}]}").expect("gz");
        write(&dir, "c.json.gz", &e.finish().expect("gz"))
    };
    let (b, stats) = read(&[nd, arr, gz], ScanOptions { strict: true, ..ScanOptions::default() });
    assert_eq!(column(&b, "n"), ["1", "2", "3", "4"].map(|s| Some(s.to_string())));
    assert!(stats.skipped.is_empty(), "{}", stats.summary_line());
}

#[test]
fn a_header_line_in_a_json_file_is_named_and_the_records_keep_their_fields() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "export.json", b"# exported 2024-03-05\n{\"n\":\"1\"}\n{\"n\":\"2\"}\n");
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    let n: Vec<Option<String>> = column(&b, "n").into_iter().flatten().map(Some).collect();
    assert_eq!(n, ["1", "2"].map(|s| Some(s.to_string())));
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{}", stats.summary_line());
    assert!(stats.warnings.iter().any(|w| w.line == Some(1) && w.file == p), "{:?}", stats.warnings);
    // --strict fails on it, naming the line
    let mut s = scan(std::slice::from_ref(&p), ScanOptions { strict: true, ..ScanOptions::default() }).expect("scan");
    let err = s.find_map(|b| b.err()).expect("strict fails");
    assert!(err.to_string().contains("export.json:1"), "{err}");
}

#[test]
fn a_first_line_cut_mid_record_loses_only_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "cut.json", b"{\"eventName\":\"Li\n{\"n\":\"1\"}\n{\"n\":\"2\"}\n");
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    let n: Vec<Option<String>> = column(&b, "n").into_iter().filter(Option::is_some).collect();
    assert_eq!(n, ["1", "2"].map(|s| Some(s.to_string())));
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{}", stats.summary_line());
    assert_eq!(stats.warnings.first().and_then(|w| w.line), Some(1), "{:?}", stats.warnings);
}

#[test]
fn a_long_first_line_does_not_make_ndjson_one_stream() {
    let dir = tempfile::tempdir().expect("tmp");
    let long = format!("{{\"n\":\"1\",\"pad\":\"{}\"}}\n", "x".repeat(1_200_000));
    let text = format!("{long}{{\"n\":\"2\",\"open\":[\n{{\"n\":\"3\"}}\n{{\"n\":\"4\"}}\n");
    let p = write(&dir, "big.ndjson", text.as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions { projection: spelunk_io::Projection::Fields(["n".to_string()].into()), ..ScanOptions::default() });
    assert_eq!(column(&b, "n"), ["1", "3", "4"].map(|s| Some(s.to_string())));
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{}", stats.summary_line());
    assert_eq!(stats.warnings.first().and_then(|w| w.line), Some(2), "{:?}", stats.warnings);
}

// ---------------------------------------------------------------------------------------------
// 3. CloudTrail recognised by its documented fields; `_time` from the record's own timestamp.

/// AWS "CloudTrail record contents for management, data, and network activity events"
/// (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html):
/// eventTime, eventSource, eventName, awsRegion and eventID are not optional; a record without
/// `eventVersion` (trimmed by an export) is still CloudTrail, and its time is its eventTime.
#[test]
fn cloudtrail_without_event_version_is_cloudtrail() {
    let dir = tempfile::tempdir().expect("tmp");
    let rec = r#"{"eventTime":"2024-03-05T02:00:00Z","eventSource":"s3.amazonaws.com","eventName":"DeleteBucket","awsRegion":"us-east-1","eventID":"e1"}"#;
    let wrapped = r#"{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":{"eventTime":"2024-03-05T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","awsRegion":"us-east-1"}}"#;
    let p = write(&dir, "trimmed.json", format!("{rec}\n{wrapped}\n").as_bytes());
    for projection in [spelunk_io::Projection::All, spelunk_io::Projection::Fields(["eventName".to_string(), "_time".to_string()].into())] {
        let (b, stats) = read(std::slice::from_ref(&p), ScanOptions { projection, ..ScanOptions::default() });
        let sts: Vec<&str> = b.iter().map(|b| b.sourcetype.as_str()).collect();
        assert_eq!(sts, ["aws:cloudtrail"]);
        assert_eq!(column(&b, "eventName"), [Some("DeleteBucket".to_string()), Some("ListUsers".to_string())]);
        assert_eq!(times(&b), [1709604000.0, 1709607600.0]);
        assert_eq!(stats.events_without_time, 0);
    }
    // the sourcetype rule itself
    let v: serde_json::Value = serde_json::from_str(rec).expect("json");
    assert_eq!(spelunk_io::detect_sourcetype(&v), "aws:cloudtrail");
    let not: serde_json::Value = serde_json::from_str(r#"{"eventSource":"x","eventName":"y"}"#).expect("json");
    assert_eq!(spelunk_io::detect_sourcetype(&not), "_json");
}

/// Splunk's `_json` sourcetype sets no TIMESTAMP_FIELDS, and "if not specified, Splunk software
/// tries to automatically extract the timestamp of the event" (props.conf.spec,
/// TIMESTAMP_FIELDS, https://docs.splunk.com/Documentation/Splunk/latest/Admin/Propsconf),
/// looking MAX_TIMESTAMP_LOOKAHEAD = 128 characters into the event ("Tune timestamp recognition",
/// https://help.splunk.com/splunk-enterprise/get-started/get-data-in/9.3/configure-timestamps/tune-timestamp-recognition-for-better-indexing-performance).
/// Only a record with no timestamp there gets the file's time, and that is counted.
#[test]
fn any_json_takes_its_time_from_its_own_timestamp() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!(
        "{}\n{}\n{}\n",
        r#"{"level":"info","ts":"2024-03-05T01:02:03.500Z","msg":"x"}"#,
        r#"{"when":"2024-03-05 01:02:04","msg":"y"}"#,
        format!(r#"{{"pad":"{}","ts":"2024-03-05T01:02:05Z"}}"#, "p".repeat(140))
    );
    let p = write(&dir, "app.json", text.as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    let t = times(&b);
    assert_eq!(t[..2], [1709600523.5, 1709600524.0]);
    assert_ne!(t[2], 1709600525.0, "beyond the 128-character lookahead");
    assert_eq!(stats.events_without_time, 1);
    assert!(stats.summary_line().contains("1 event(s) without a parsable time"), "{}", stats.summary_line());
}

// ---------------------------------------------------------------------------------------------
// 5. Pipes: never hang on a FIFO without a writer; a pipe read a second time says so.

#[cfg(unix)]
fn mkfifo(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    let p = dir.path().join(name);
    let ok = std::process::Command::new("mkfifo").arg(&p).status().map(|s| s.success()).unwrap_or(false);
    assert!(ok, "mkfifo");
    p
}

/// Runs `f` on a thread and fails (instead of hanging the test run) when it takes over 10 s.
#[cfg(unix)]
fn within_10s<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the scan hung")
}

#[cfg(unix)]
#[test]
fn a_fifo_without_a_writer_does_not_hang() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = mkfifo(&dir, "events.fifo");
    let good = write(&dir, "good.json", b"{\"n\":\"1\"}\n");
    let (b, stats) = within_10s(move || read(&[fifo, good], ScanOptions::default()));
    assert_eq!(column(&b, "n"), [Some("1".to_string())]);
    assert!(stats.warnings.iter().any(|w| w.file.ends_with("events.fifo") && w.message.contains("no writer")), "{:?}", stats.warnings);
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{}", stats.summary_line());
}

#[cfg(unix)]
#[test]
fn a_pipe_read_twice_says_so() {
    let dir = tempfile::tempdir().expect("tmp");
    let fifo = mkfifo(&dir, "twice.fifo");
    let w = fifo.clone();
    let writer = std::thread::spawn(move || std::fs::write(&w, b"{\"n\":\"1\"}\n{\"n\":\"2\"}\n"));
    let f1 = fifo.clone();
    let (b, _) = within_10s(move || read(&[f1], ScanOptions::default()));
    assert_eq!(rows(&b), 2);
    writer.join().expect("writer").expect("write");
    // a second pass (another query, a subsearch, append) cannot get the events again
    let f2 = fifo.clone();
    let (b, stats) = within_10s(move || read(&[f2], ScanOptions::default()));
    assert_eq!(rows(&b), 0);
    assert!(stats.warnings.iter().any(|w| w.message.contains("read once")), "{:?}", stats.warnings);
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{}", stats.summary_line());
}
