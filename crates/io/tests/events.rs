//! The event batch convention end to end: columns and their types, `_raw`, `_time`,
//! sourcetypes, projection, folder order, streaming documents, and bad input with locations.

use arrow::array::{Array, Float64Array, ListArray, StringArray};
use arrow::datatypes::DataType;
use spelunk_io::{scan, EventBatch, IoError, Projection, ScanOptions};
use std::io::Write;
use std::path::PathBuf;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, bytes).expect("write");
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

fn read(paths: &[PathBuf], opts: ScanOptions) -> (Vec<EventBatch>, spelunk_io::ScanStats) {
    let mut s = scan(paths, opts).expect("scan");
    let b: Vec<_> = s.by_ref().map(|b| b.expect("batch")).collect();
    (b, s.stats().clone())
}

fn strings(b: &EventBatch, col: &str) -> Vec<Option<String>> {
    let c = b.batch.column_by_name(col).unwrap_or_else(|| panic!("no column {col}"));
    let c = c.as_any().downcast_ref::<StringArray>().unwrap_or_else(|| panic!("{col} is {:?}", c.data_type()));
    (0..c.len()).map(|i| c.is_valid(i).then(|| c.value(i).to_string())).collect()
}

fn fields(names: &[&str]) -> Projection {
    Projection::Fields(names.iter().map(|s| s.to_string()).collect())
}

const CT1: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"alice"},"eventTime":"2024-01-15T10:45:23Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","errorCode":"AccessDenied","resources":[{"ARN":"a1","type":"t"},{"ARN":"a2"}],"requestParameters":{"x":"s"}}"#;
const CT2: &str = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole"},"eventTime":"2025-01-21 17:49:47.000000000","eventSource":"s3.amazonaws.com","eventName":"GetObject","resources":[{"ARN":"b1"}],"requestParameters":{"x":{"y":1}},"userAgent":["ua1","ua2"]}"#;
const ASL: &str = r#"{"class_uid":6003,"metadata":{"version":"1.1.0"},"time":1705315523123,"api":{"operation":"GetCallerIdentity","response":{"error":"AccessDenied"}},"actor":{"user":{"type":"IAMUser","uid":"u"}}}"#;

#[test]
fn columns_types_raw_and_time() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "a.json", format!("{{\"Records\":[{CT1},\n  {CT2}]}}").as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions { host: "h1".into(), ..ScanOptions::default() });
    assert_eq!(b.len(), 1);
    let eb = &b[0];
    assert_eq!(eb.sourcetype, "aws:cloudtrail");
    let names: Vec<String> = eb.batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(&names[..6], ["_time", "_raw", "source", "sourcetype", "host", "index"]);
    // fields in first-seen order
    assert_eq!(names[6], "eventVersion");
    assert!(names.contains(&"requestParameters.x".to_string()) && names.contains(&"requestParameters.x.y".to_string()));
    // _raw: each record's compact text, key order kept
    assert_eq!(strings(eb, "_raw"), [Some(CT1.to_string()), Some(CT2.to_string())]);
    assert_eq!(strings(eb, "host"), [Some("h1".into()), Some("h1".into())]);
    // files on disk read as Splunk's default index
    assert_eq!(strings(eb, "index"), [Some("main".into()), Some("main".into())]);
    assert_eq!(strings(eb, "source")[0].as_deref(), Some(p.display().to_string().as_str()));
    let t = eb.batch.column_by_name("_time").expect("_time");
    let t = t.as_any().downcast_ref::<Float64Array>().expect("f64");
    assert_eq!(t.value(0), 1705315523.0);
    assert_eq!(t.value(1), 1737481787.0);
    assert_eq!(stats.events_without_time, 0);
    // multivalue: List<Utf8> with item field "item"; single values: Utf8; absent: null
    let r = eb.batch.column_by_name("resources{}.ARN").expect("arn");
    assert!(matches!(r.data_type(), DataType::List(f) if f.name() == "item" && f.data_type() == &DataType::Utf8));
    let r = r.as_any().downcast_ref::<ListArray>().expect("list");
    assert_eq!(r.value(0).as_any().downcast_ref::<StringArray>().expect("s").iter().flatten().collect::<Vec<_>>(), ["a1", "a2"]);
    assert_eq!(strings(eb, "resources{}.type"), [Some("t".into()), None]);
    assert_eq!(strings(eb, "errorCode"), [Some("AccessDenied".into()), None]);
    assert!(matches!(eb.batch.column_by_name("userAgent{}").expect("ua").data_type(), DataType::List(_)));
}

#[test]
fn one_sourcetype_per_batch_and_time_rules() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!("{CT1}\n{ASL}\n{{\"_time\":\"1705315523.5\",\"k\":\"v\"}}\n{{\"k\":\"no time\"}}\n{CT2}\n");
    let p = write(&dir, "mixed.ndjson", text.as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    let sts: Vec<(&str, usize)> = b.iter().map(|b| (b.sourcetype.as_str(), b.batch.num_rows())).collect();
    assert_eq!(sts, [("aws:cloudtrail", 1), ("aws:asl", 1), ("_json", 2), ("aws:cloudtrail", 1)]);
    let time = |b: &EventBatch| b.batch.column_by_name("_time").expect("t").as_any().downcast_ref::<Float64Array>().expect("f64").clone();
    assert_eq!(time(&b[1]).value(0), 1705315523.123);
    assert_eq!(time(&b[2]).value(0), 1705315523.5);
    // no time: the file's modification time, counted
    let mtime = std::fs::metadata(&p).expect("meta").modified().expect("mtime").duration_since(std::time::UNIX_EPOCH).expect("epoch").as_secs_f64();
    assert!((time(&b[2]).value(1) - mtime).abs() < 1.0);
    assert_eq!(stats.events_without_time, 1);
    // --sourcetype overrides: one batch
    let (b, _) = read(&[p], ScanOptions { sourcetype: Some("mine".into()), ..ScanOptions::default() });
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].sourcetype, "mine");
}

#[test]
fn projection_builds_exactly_the_requested_columns() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "a.ndjson", format!("{CT1}\n{CT2}\n").as_bytes());
    let opts = ScanOptions { projection: fields(&["_time", "sourcetype", "userIdentity.type", "resources{}.ARN", "nobody.has.this"]), ..ScanOptions::default() };
    let (b, _) = read(&[p], opts);
    let names: Vec<String> = b[0].batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    // a requested field no record has is omitted
    assert_eq!(names, ["_time", "sourcetype", "userIdentity.type", "resources{}.ARN"]);
    assert_eq!(strings(&b[0], "userIdentity.type"), [Some("IAMUser".into()), Some("AssumedRole".into())]);
    // sourcetype detection and time still work although their fields were not asked for
    assert_eq!(b[0].sourcetype, "aws:cloudtrail");
}

#[test]
fn folders_walk_sorted_and_missing_paths_fail() {
    let dir = tempfile::tempdir().expect("tmp");
    write(&dir, "b/2.json", br#"{"id":"b2"}"#);
    write(&dir, "a/z/1.json", br#"{"id":"az1"}"#);
    write(&dir, "a/1.json", br#"{"id":"a1"}"#);
    write(&dir, "c.json.gz", &gz(br#"{"id":"c"}"#));
    write(&dir, ".hidden.json", br#"{"id":"hidden"}"#);
    let mut s = scan(&[dir.path().to_path_buf()], ScanOptions::default()).expect("scan");
    let files: Vec<String> = s.files().iter().map(|f| f.strip_prefix(dir.path()).expect("under").display().to_string()).collect();
    assert_eq!(files, ["a/1.json", "a/z/1.json", "b/2.json", "c.json.gz"]);
    let ids: Vec<Option<String>> = s.by_ref().flat_map(|b| strings(&b.expect("batch"), "id")).collect();
    assert_eq!(ids, [Some("a1".into()), Some("az1".into()), Some("b2".into()), Some("c".into())]);
    match scan(&[dir.path().join("nope")], ScanOptions::default()) {
        Err(e @ IoError::Path { .. }) => assert!(e.to_string().contains("nope")),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a missing path must fail"),
    }
}

#[test]
fn concatenated_and_pretty_documents_stream() {
    let dir = tempfile::tempdir().expect("tmp");
    // `zcat a.json.gz b.json.gz > all.json`: two CloudTrail documents back to back
    let cat = format!("{{\"Records\":[{CT1}]}}{{\"Records\":[{CT2}]}}");
    let pretty = format!("[\n  {},\n  {}\n]\n", CT1.replace(",\"", ",\n    \""), CT2.replace(",\"", ",\n    \""));
    let two_objects = format!("{}\n\n{}\n", CT1.replace(",\"", ",\n  \""), CT2.replace(",\"", ",\n  \""));
    let mut concatenated_gz = gz(format!("{{\"Records\":[{CT1}]}}").as_bytes());
    concatenated_gz.extend(gz(format!("{{\"Records\":[{CT2}]}}").as_bytes()));
    for (name, bytes) in [("cat.json", cat.into_bytes()), ("pretty.json", pretty.into_bytes()), ("two.json", two_objects.into_bytes()), ("multi.json.gz", concatenated_gz)] {
        let p = write(&dir, name, &bytes);
        let (b, stats) = read(&[p], ScanOptions::default());
        assert_eq!(stats.skipped.values().sum::<u64>(), 0, "{name}: {:?}", stats.warnings);
        let raws: Vec<Option<String>> = b.iter().flat_map(|b| strings(b, "_raw")).collect();
        assert_eq!(raws, [Some(CT1.to_string()), Some(CT2.to_string())], "{name}");
    }
}

#[test]
fn bad_records_in_documents_are_located_and_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let text = format!("[\n{CT1},\n{{\"a\": oops}},\n\"just a string\",\n{CT2}\n]\n");
    let p = write(&dir, "arr.json", text.as_bytes());
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    assert_eq!(b.iter().map(|b| b.batch.num_rows()).sum::<usize>(), 2);
    assert_eq!(stats.skipped.get("malformed JSON"), Some(&1), "{:?}", stats.skipped);
    assert_eq!(stats.skipped.get("not a JSON object"), Some(&1), "{:?}", stats.skipped);
    let w = &stats.warnings[0];
    assert_eq!(w.line, Some(3));
    assert_eq!(w.byte_offset, Some(4 + CT1.len() as u64));
    assert!(w.to_string().starts_with(&format!("{}:3: malformed JSON", p.display())), "{w}");
    // strict: the first bad record is an error naming file and line
    let mut s = scan(&[p], ScanOptions { strict: true, ..ScanOptions::default() }).expect("scan");
    let err = s.find_map(|b| b.err()).expect("strict error");
    assert!(err.to_string().contains("arr.json:3:"), "{err}");
}

#[test]
fn truncated_documents_keep_what_was_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::from("{\"Records\":[");
    for i in 0..500 {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&CT1.replace("alice", &format!("user{i}")));
    }
    text.push_str("]}");
    // cut inside the JSON
    let p = write(&dir, "cut.json", &text.as_bytes()[..text.len() / 2]);
    let (b, stats) = read(&[p], ScanOptions::default());
    let n: usize = b.iter().map(|b| b.batch.num_rows()).sum();
    assert!(n > 200 && n <= 250, "{n}");
    assert_eq!(stats.skipped.get("truncated JSON"), Some(&1), "{:?}", stats.skipped);
    // cut inside the gzip stream
    let mut z = gz(text.as_bytes());
    z.truncate(z.len() / 2);
    let p = write(&dir, "cut.json.gz", &z);
    let (b, stats) = read(std::slice::from_ref(&p), ScanOptions::default());
    let n: usize = b.iter().map(|b| b.batch.num_rows()).sum();
    assert!(n > 0 && n < 500, "{n}");
    assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{:?}", stats.skipped);
    let mut s = scan(&[p], ScanOptions { strict: true, ..ScanOptions::default() }).expect("scan");
    assert!(s.any(|b| b.is_err()));
}

#[test]
fn invalid_utf8_deep_nesting_and_wrong_contents() {
    let dir = tempfile::tempdir().expect("tmp");
    // invalid UTF-8 inside a string of a document record: kept, bad bytes replaced, noted
    let mut bytes = b"[{\"id\":\"a\xff\xfeb\"},{\"id\":\"c\"}]".to_vec();
    let p = write(&dir, "utf.json", &bytes);
    let (b, stats) = read(&[p], ScanOptions::default());
    assert_eq!(strings(&b[0], "id"), [Some("a\u{fffd}\u{fffd}b".into()), Some("c".into())]);
    assert!(stats.warnings.iter().any(|w| w.message.contains("UTF-8")));
    assert_eq!(stats.skipped.values().sum::<u64>(), 0);
    // nesting far deeper than serde_json accepts: the event is kept, the deep part is text
    let deep = format!("{{\"id\":\"d\",\"x\":{}{}}}\n", "[".repeat(3000), "]".repeat(3000));
    let p = write(&dir, "deep.ndjson", deep.as_bytes());
    let (b, stats) = read(&[p], ScanOptions::default());
    assert_eq!(strings(&b[0], "id"), [Some("d".into())]);
    assert_eq!(stats.skipped.values().sum::<u64>(), 0);
    // a binary file named .json: skipped as not text
    bytes = vec![0x89, b'P', b'N', b'G', 0, 0, 0, 13];
    let p = write(&dir, "image.json", &bytes);
    let (b, stats) = read(&[p], ScanOptions::default());
    assert!(b.is_empty());
    assert_eq!(stats.skipped.get("not a text file"), Some(&1), "{:?}", stats.skipped);
    // a gzip file named .json and JSON named .gz: by content
    let p = write(&dir, "really-gzip.json", &gz(b"{\"id\":\"g\"}"));
    assert_eq!(strings(&read(&[p], ScanOptions::default()).0[0], "id"), [Some("g".into())]);
    let p = write(&dir, "plain.json.gz", b"{\"id\":\"p\"}");
    assert_eq!(strings(&read(&[p], ScanOptions::default()).0[0], "id"), [Some("p".into())]);
}

#[test]
fn prefilter_on_documents_and_counts() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "a.json", format!("{{\"Records\":[{CT1},{CT2}]}}").as_bytes());
    let opts = ScanOptions { projection: fields(&["eventName"]), ..ScanOptions::default() }.require_all(["accessdenied", "IAMUSER"]);
    let (b, stats) = read(&[p], opts);
    assert_eq!(strings(&b[0], "eventName"), [Some("ListUsers".into())]);
    assert_eq!(stats.prefiltered, 1);
    assert_eq!(stats.events_read, 1);
    assert!(stats.summary_line().starts_with("read 1 file(s), 1 event(s)"), "{}", stats.summary_line());
}

#[test]
fn summary_line_counts_by_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for i in 0..1234 {
        text.push_str(&format!("{{\"i\":{i}}}\n"));
    }
    text.push_str("{bad\n{bad\n");
    let p = write(&dir, "n.ndjson", text.as_bytes());
    let (_, stats) = read(&[p], ScanOptions::default());
    let s = stats.summary_line();
    assert!(s.starts_with("read 1 file(s), 1,234 event(s)"), "{s}");
    assert!(s.contains("skipped 2 (malformed JSON: 2)"), "{s}");
}

#[test]
fn parquet_reads_only_projected_columns() {
    let pq = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/ocsf/amazon-security-lake-ocsf-validation__GetVpcLinks.test.gz.parquet"));
    if !pq.is_file() {
        eprintln!("shared corpus absent at {}: skipping", pq.display());
        return;
    }
    let (all, _) = read(std::slice::from_ref(&pq), ScanOptions::default());
    let (some, stats) = read(&[pq], ScanOptions { projection: fields(&["_time", "actor.user.type", "api.response.error", "actor.user.account_uid"]), ..ScanOptions::default() });
    assert_eq!(some[0].sourcetype, "aws:asl");
    let names: Vec<String> = some[0].batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    // requested columns only, fields in the record's order
    assert_eq!(names, ["_time", "api.response.error", "actor.user.type", "actor.user.account_uid"]);
    for n in &names[1..] {
        assert_eq!(strings(&some[0], n), strings(&all[0], n), "{n}");
    }
    assert_eq!(strings(&some[0], "api.response.error"), [Some("AccessDenied".into())]);
    assert_eq!(stats.events_without_time, 0);
}

mod fuzz_documents {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 150, .. ProptestConfig::default() })]

        /// Real records in every document shape, with bytes flipped, cut or dropped, plain or
        /// gzipped: the reader never panics or stalls, and what it reads is counted.
        #[test]
        fn mutated_documents_never_panic(shape in 0usize..4, edits in proptest::collection::vec((any::<u16>(), any::<u8>()), 0..6), cut in any::<u16>(), zip in any::<bool>(), strict in any::<bool>()) {
            let doc = match shape {
                0 => format!("{{\"Records\":[{CT1},{CT2}]}}"),
                1 => format!("[\n  {CT1},\n  {ASL}\n]"),
                2 => format!("{CT1}\n{CT2}\n{ASL}\n"),
                _ => format!("{{\"Records\":[{CT1}]}}{{\"Records\":[{CT2}]}}"),
            };
            let mut b = doc.into_bytes();
            for (pos, byte) in edits {
                let i = pos as usize % b.len();
                if byte % 5 == 0 { b.remove(i); } else { b[i] = byte; }
            }
            let keep = b.len() - (cut as usize % (b.len() / 4 + 1));
            b.truncate(keep);
            // at most the three records, or (a file read as text lines, each line an event) its lines
            let most = 3u64.max(b.iter().filter(|c| **c == b'\n').count() as u64 + 1);
            let data = if zip { gz(&b) } else { b };
            let dir = tempfile::tempdir().expect("tmp");
            let p = write(&dir, "m.json", &data);
            let mut s = scan(&[p], ScanOptions { strict, batch_size: 2, ..ScanOptions::default() }).expect("scan");
            let mut n = 0u64;
            for b in s.by_ref() {
                match b {
                    Ok(b) => n += b.batch.num_rows() as u64,
                    Err(_) => prop_assert!(strict),
                }
            }
            // (a strict scan stops at its error and drops the batch it was building)
            if !strict {
                prop_assert_eq!(n, s.stats().events_read);
            }
            prop_assert!(n <= most, "{n} events, at most {most} expected");
        }
    }
}

#[test]
fn unreadable_entries_in_folders_are_reported() {
    let dir = tempfile::tempdir().expect("tmp");
    write(&dir, "good.json", br#"{"id":"g"}"#);
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("gone.json"), dir.path().join("dangling.json")).expect("symlink");
    let (b, stats) = read(&[dir.path().to_path_buf()], ScanOptions::default());
    assert_eq!(b.iter().map(|b| b.batch.num_rows()).sum::<usize>(), 1);
    #[cfg(unix)]
    {
        assert_eq!(stats.skipped.values().sum::<u64>(), 1, "{:?}", stats.warnings);
        assert!(stats.warnings[0].file.ends_with("dangling.json"), "{}", stats.warnings[0]);
        assert!(matches!(scan(&[dir.path().to_path_buf()], ScanOptions { strict: true, ..ScanOptions::default() }), Err(IoError::Strict(_))));
    }
    // a .json file that is plain text: read as text lines, each counted and named (so that
    // --strict fails on it; the shape is decided per record, tests/hostile.rs)
    let p = write(&dir, "notes.json", b"just words\nmore words\n");
    let (b, stats) = read(&[p], ScanOptions::default());
    assert_eq!(b[0].sourcetype, "text");
    assert_eq!(b[0].batch.num_rows(), 2);
    assert_eq!(stats.skipped.get("line not JSON (read as text)"), Some(&2), "{}", stats.summary_line());
    assert!(stats.warnings[0].message.contains("not JSON") && stats.warnings[0].line == Some(1));
}
