//! Input shapes, byte-range splitting, prefiltering and bad input.

use spelunk_io::{plan_units, scan, scan_units, Projection, ScanOptions};
use arrow::array::Array;
use std::io::Write;
use std::path::PathBuf;

fn ids(batches: Vec<spelunk_io::EventBatch>) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        let col = b.batch.column_by_name("id").expect("id column");
        let col = col.as_any().downcast_ref::<arrow::array::StringArray>().expect("utf8");
        for i in 0..col.len() {
            out.push(col.value(i).to_string());
        }
    }
    out
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn byte_ranges_cover_every_line_exactly_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for i in 0..1000 {
        text.push_str(&format!("{{\"id\":\"{i}\",\"pad\":\"{}\"}}\n", "x".repeat(i % 37)));
    }
    let p = write(&dir, "big.ndjson", text.as_bytes());
    for chunk in [1u64, 7, 64, 1000, 5000, 1 << 20] {
        let units = plan_units(std::slice::from_ref(&p), chunk);
        let mut all = Vec::new();
        for u in units {
            let s = scan_units(vec![u], ScanOptions::default());
            all.extend(ids(s.map(|b| b.expect("batch")).collect()));
        }
        all.sort_by_key(|x| x.parse::<u32>().unwrap_or(0));
        let want: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        assert_eq!(all, want, "chunk {chunk}");
    }
}

#[test]
fn every_shape_gives_the_same_events() {
    let dir = tempfile::tempdir().expect("tmp");
    let recs = [r#"{"id":"1","eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventTime":"2024-01-15T10:45:23Z"}"#, r#"{"id":"2","eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventTime":"2024-01-15T10:45:24Z"}"#];
    let records_doc = format!("{{\"Records\":[{},{}]}}", recs[0], recs[1]);
    let array_doc = format!("[\n  {},\n  {}\n]\n", recs[0], recs[1]);
    let ndjson = format!("{}\n{}\n", recs[0], recs[1]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("records.json", records_doc.clone().into_bytes()),
        ("records.json.gz", gz(records_doc.as_bytes())),
        ("records_pretty.json", records_doc.replace(",{", ",\n{").into_bytes()),
        ("array.json", array_doc.into_bytes()),
        ("lines.ndjson", ndjson.clone().into_bytes()),
        ("lines.log.gz", gz(ndjson.as_bytes())),
        ("renamed.txt", gz(ndjson.as_bytes())),
    ];
    for (name, bytes) in cases {
        let p = write(&dir, name, &bytes);
        let s = scan(&[p], ScanOptions::default()).expect("scan");
        let batches: Vec<_> = s.map(|b| b.expect("batch")).collect();
        assert!(batches.iter().all(|b| b.sourcetype == "aws:cloudtrail"), "{name}");
        assert_eq!(ids(batches), ["1", "2"], "{name}");
    }
    // one pretty-printed object
    let p = write(&dir, "one.json", b"{\n  \"id\": \"9\",\n  \"class_uid\": 6003,\n  \"metadata\": {},\n  \"time\": 1705315523000\n}\n");
    let batches: Vec<_> = scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect();
    assert_eq!(batches[0].sourcetype, "aws:asl");
    assert_eq!(ids(batches), ["9"]);
}

#[test]
fn bad_lines_are_reported_with_line_numbers_and_skipped() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "bad.ndjson", b"{\"id\":\"1\"}\n{\"id\": oops}\n\xff\xfe{\"id\":\"3\"}\n{\"id\":\"4\"}\n");
    let mut s = scan(std::slice::from_ref(&p), ScanOptions::default()).expect("scan");
    let batches: Vec<_> = s.by_ref().map(|b| b.expect("batch")).collect();
    assert_eq!(ids(batches), ["1", "4"]);
    let st = s.stats();
    assert_eq!(st.skipped.values().sum::<u64>(), 2, "{:?}", st.skipped);
    assert_eq!(st.warnings[0].line, Some(2));
    assert!(st.warnings[0].to_string().contains("bad.ndjson:2"));
    // strict mode fails on the first one
    let opts = ScanOptions { strict: true, ..ScanOptions::default() };
    let mut s = scan(&[p], opts).expect("scan");
    assert!(s.any(|b| b.is_err()));
}

#[test]
fn truncated_gzip_is_reported_not_fatal() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!("{{\"id\":\"{i}\"}}\n"));
    }
    let mut z = gz(text.as_bytes());
    z.truncate(z.len() / 2);
    let p = write(&dir, "cut.ndjson.gz", &z);
    let mut s = scan(&[p], ScanOptions::default()).expect("scan");
    let n: usize = s.by_ref().map(|b| b.expect("batch").batch.num_rows()).sum();
    assert!(n > 0 && n < 2000);
    assert!(s.stats().skipped.contains_key("unreadable file"), "{:?}", s.stats().skipped);
}

#[test]
fn prefilter_skips_records_before_parsing() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = write(&dir, "x.ndjson", b"{\"id\":\"1\",\"e\":\"AccessDenied\"}\n{\"id\":\"2\",\"e\":\"ok\"}\n{\"id\":\"3\",\"e\":\"accessdenied\"}\n");
    let opts = ScanOptions { raw_prefilter: vec![vec!["AccessDenied".into()]], projection: Projection::Fields(["id".to_string()].into()), ..ScanOptions::default() };
    let mut s = scan(&[p], opts).expect("scan");
    let got = ids(s.by_ref().map(|b| b.expect("batch")).collect());
    assert_eq!(got, ["1", "3"]);
    assert_eq!(s.stats().prefiltered, 1);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = r#"{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","userName":"a"},"eventTime":"2024-01-15T10:45:23Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","errorCode":"AccessDenied","resources":[{"ARN":"x"},{"ARN":"y"}]}]}"#;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

        /// Random bytes, plain or gzipped, never panic the reader; every event read is counted.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), zip in any::<bool>()) {
            let dir = tempfile::tempdir().expect("tmp");
            let data = if zip { gz(&bytes) } else { bytes };
            let p = write(&dir, "r.json", &data);
            let mut s = scan(&[p], ScanOptions::default()).expect("scan");
            let n: u64 = s.by_ref().map(|b| b.map(|b| b.batch.num_rows() as u64).unwrap_or(0)).sum();
            prop_assert_eq!(n, s.stats().events_read);
        }

        /// A real record with bytes flipped, cut or repeated never panics the reader.
        #[test]
        fn mutated_records_never_panic(pos in 0usize..SEED.len(), byte in any::<u8>(), cut in 0usize..SEED.len(), lines in 1usize..4) {
            let dir = tempfile::tempdir().expect("tmp");
            let mut b = SEED.as_bytes().to_vec();
            b[pos] = byte;
            b.truncate(cut.max(pos + 1));
            let mut data = Vec::new();
            for _ in 0..lines {
                data.extend_from_slice(&b);
                data.push(b'\n');
            }
            let p = write(&dir, "m.ndjson", &data);
            let mut s = scan(&[p], ScanOptions::default()).expect("scan");
            for b in s.by_ref() {
                prop_assert!(b.is_ok());
            }
        }
    }
}

#[test]
fn zstd_csv_and_text_inputs() {
    let dir = tempfile::tempdir().expect("tmp");
    let nd = b"{\"id\":\"1\"}\n{\"id\":\"2\"}\n";
    let z = zstd::encode_all(&nd[..], 3).expect("zstd");
    let p = write(&dir, "events.log.zst", &z);
    assert_eq!(ids(scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect()), ["1", "2"]);
    let p = write(&dir, "users.csv", b"id,name,_time\n1,alice,1705315523\n2,\"bob, jr\",\n");
    let batches: Vec<_> = scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect();
    assert_eq!(batches[0].sourcetype, "csv");
    let names = batches[0].batch.column_by_name("name").expect("name");
    let names = names.as_any().downcast_ref::<arrow::array::StringArray>().expect("utf8");
    assert_eq!(names.value(1), "bob, jr");
    assert_eq!(ids(batches), ["1", "2"]);
    let p = write(&dir, "app.log", b"Jan 1 error one\n\nJan 2 error two\n");
    let mut s = scan(&[p], ScanOptions::default()).expect("scan");
    let batches: Vec<_> = s.by_ref().map(|b| b.expect("batch")).collect();
    assert_eq!(batches[0].sourcetype, "text");
    assert_eq!(batches[0].batch.num_rows(), 2);
    assert_eq!(s.stats().events_without_time, 2, "text lines get the file's time and are counted");
}

/// Security Lake v2 (OCSF 1.1, class 6003, actor.user.account.uid) as Parquet with nested
/// structs, made here from a sample (the corpus has only the v1 layout).
#[test]
fn security_lake_v2_parquet() {
    use arrow::array::{ArrayRef, Int64Array, StringArray, StructArray};
    use arrow::datatypes::{DataType, Field, Fields};
    use std::sync::Arc;
    let account = StructArray::from(vec![(Arc::new(Field::new("uid", DataType::Utf8, true)), Arc::new(StringArray::from(vec!["123456789012"])) as ArrayRef)]);
    let user_fields = Fields::from(vec![Field::new("type", DataType::Utf8, true), Field::new("uid", DataType::Utf8, true), Field::new("account", account.data_type().clone(), true)]);
    let user = StructArray::new(user_fields.clone(), vec![Arc::new(StringArray::from(vec!["IAMUser"])) as ArrayRef, Arc::new(StringArray::from(vec!["arn:aws:iam::123456789012:user/olivia"])), Arc::new(account)], None);
    let actor = StructArray::from(vec![(Arc::new(Field::new("user", DataType::Struct(user_fields), true)), Arc::new(user) as ArrayRef)]);
    let batch = arrow::record_batch::RecordBatch::try_from_iter(vec![
        ("class_uid", Arc::new(Int64Array::from(vec![6003])) as ArrayRef),
        ("metadata", Arc::new(StructArray::from(vec![(Arc::new(Field::new("version", DataType::Utf8, true)), Arc::new(StringArray::from(vec!["1.1.0"])) as ArrayRef)])) as ArrayRef),
        ("time", Arc::new(Int64Array::from(vec![1709589600123])) as ArrayRef),
        ("actor", Arc::new(actor) as ArrayRef),
    ])
    .expect("batch");
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("v2.parquet");
    let f = std::fs::File::create(&p).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(f, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let batches: Vec<_> = scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect();
    assert_eq!(batches[0].sourcetype, "aws:asl");
    let b = &batches[0].batch;
    let get = |n: &str| arrow::util::display::array_value_to_string(b.column_by_name(n).expect(n).as_ref(), 0).expect("display");
    assert_eq!(get("actor.user.account.uid"), "123456789012");
    assert_eq!(get("actor.user.type"), "IAMUser");
    assert_eq!(get("_time"), "1709589600.123");
}

#[test]
fn wrappers_deep_nesting_and_huge_records() {
    let dir = tempfile::tempdir().expect("tmp");
    // EventBridge: the CloudTrail record sits under `detail`
    let p = write(&dir, "eb.json", br#"{"version":"0","detail-type":"AWS API Call via CloudTrail","detail":{"id":"7","eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventTime":"2024-01-15T10:45:23Z"}}"#);
    let batches: Vec<_> = scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect();
    assert_eq!(batches[0].sourcetype, "aws:cloudtrail");
    assert_eq!(ids(batches), ["7"]);
    // nesting deeper than any log: reported, not a crash
    let deep = format!("{}{}\n{{\"id\":\"2\"}}\n", "[".repeat(5000), "]".repeat(5000));
    let p = write(&dir, "deep.ndjson", format!("{{\"id\":\"1\"}}\n{deep}").as_bytes());
    let mut s = scan(&[p], ScanOptions::default()).expect("scan");
    let got = ids(s.by_ref().map(|b| b.expect("batch")).collect());
    assert_eq!(got, ["1", "2"]);
    assert_eq!(s.stats().skipped.values().sum::<u64>(), 1);
    // a record of several megabytes
    let big = format!("{{\"id\":\"3\",\"blob\":\"{}\"}}\n", "x".repeat(8 << 20));
    let p = write(&dir, "big.ndjson", big.as_bytes());
    assert_eq!(ids(scan(&[p], ScanOptions::default()).expect("scan").map(|b| b.expect("batch")).collect()), ["3"]);
}

#[test]
fn cloudtrail_digest_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tmp");
    let digest = br#"{"awsAccountId":"123456789012","digestStartTime":"2024-03-04T21:00:00Z","digestEndTime":"2024-03-04T22:00:00Z","digestS3Bucket":"b","logFiles":[]}"#;
    let p = write(&dir, "123456789012_CloudTrail-Digest_us-east-1_x.json.gz", &gz(digest));
    let mut s = scan(&[p], ScanOptions::default()).expect("scan");
    assert_eq!(s.by_ref().count(), 0);
    assert_eq!(s.stats().skipped.get("CloudTrail digest file"), Some(&1));
}

#[test]
fn block_prefilter_with_byte_ranges_reads_each_candidate_once() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut text = String::new();
    for i in 0..3000 {
        let tag = if i % 7 == 0 { "AccessDenied" } else { "Success" };
        text.push_str(&format!("{{\"id\":\"{i}\",\"e\":\"{tag}\",\"pad\":\"{}\"}}\n", "y".repeat(i % 53)));
    }
    text.push_str("{\"id\": \"bad\" AccessDenied\n");
    let p = write(&dir, "big.ndjson", text.as_bytes());
    let opts = ScanOptions { raw_prefilter: vec![vec!["accessdenied".into()]], ..ScanOptions::default() };
    for chunk in [97u64, 4096, 1 << 30] {
        let mut all = Vec::new();
        let mut warnings = Vec::new();
        for u in plan_units(std::slice::from_ref(&p), chunk) {
            let mut s = scan_units(vec![u], opts.clone());
            all.extend(ids(s.by_ref().map(|b| b.expect("batch")).collect()));
            warnings.extend(s.stats().warnings.clone());
        }
        all.sort_by_key(|x| x.parse::<u32>().unwrap_or(0));
        let want: Vec<String> = (0..3000).filter(|i| i % 7 == 0).map(|i| i.to_string()).collect();
        assert_eq!(all, want, "chunk {chunk}");
        assert_eq!(warnings.len(), 1, "chunk {chunk}");
        if chunk > 1 << 20 {
            assert_eq!(warnings[0].line, Some(3001), "line numbers stay exact in block mode");
        }
    }
}

/// A folder of logs may hold notes and configuration beside the logs: those are not read as
/// events (and are counted), while a file named on the command line is read whatever its name.
#[test]
fn folders_skip_files_that_are_not_logs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = write(&dir, "events.json", b"{\"a\":\"1\"}\n");
    let readme = write(&dir, "README.md", b"# notes\n");
    write(&dir, "macros.conf", b"[m]\ndefinition = x\n");
    let (files, stats) = spelunk_io::list_files(&[dir.path().to_path_buf()]).expect("list");
    assert_eq!(files, vec![log]);
    assert_eq!(stats.files_not_logs, 2);
    assert!(stats.summary_line().contains("2 file(s) in folders skipped as not logs"), "{}", stats.summary_line());
    let (files, stats) = spelunk_io::list_files(std::slice::from_ref(&readme)).expect("list");
    assert_eq!((files, stats.files_not_logs), (vec![readme], 0));
}
