//! Fuzz target bodies: each takes arbitrary bytes and panics only on a real defect (a panic in
//! spelunk's own code, or a broken invariant it asserts). Two drivers run them:
//! - `cargo test -p spelunk-fuzz` (stable, in CI): `tests/soak.rs` feeds every body the
//!   kept regression inputs and seeds in `testdata/fuzz/<target>/`, then mutations of them for a
//!   few seconds (`SPELUNK_SOAK_SECS`, default 3 per target);
//! - cargo-fuzz (nightly, libFuzzer; the long soak): `crates/fuzz/libfuzzer/` has one target
//!   per body, e.g.
//!   `cargo +nightly fuzz run --fuzz-dir crates/fuzz/libfuzzer -s none read_ndjson testdata/fuzz/read_ndjson -- -max_total_time=600`.
//!   A crashing input found there is kept in `testdata/fuzz/<target>/` as a regression case.
//!
//! The invariants, per target:
//! - `query`: parsing, macro expansion and planning never panic; a pipeline that parses prints
//!   to text that parses to the same tree (what `explain` shows is what runs).
//! - `macros_conf`, `props_conf`: a conf file is loaded or refused with an error; every macro it
//!   defines expands (or is refused) without a panic or a blow-up.
//! - `read_*`: a file of that shape (NDJSON, a JSON document, gzip, zstd, Parquet, CSV) is read
//!   without a panic; every event read is counted (`events_read` equals the rows of the
//!   batches); a projected read gives the same values as a full read for the fields it names.
//! - `prefilter_soundness`: the raw-text prefilter never rules out a record whose parsed field
//!   value holds the term (case-insensitively, as search matches), whatever the spelling.

use arrow::array::{Array, ListArray, StringArray};
use spelunk_io::{scan, EventBatch, Prefilter, Projection, ScanOptions, ScanStats};
use spelunk_plan::{MacroSet, Planner, Props};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The names of every target, in the order the soak runs them.
pub const TARGETS: &[&str] = &["query", "macros_conf", "props_conf", "read_ndjson", "read_document", "read_gzip", "read_zstd", "read_parquet", "read_csv", "prefilter_soundness"];

/// Run the body of the named target (for the soak driver).
pub fn run(target: &str, data: &[u8]) {
    match target {
        "query" => query(data),
        "macros_conf" => macros_conf(data),
        "props_conf" => props_conf(data),
        "read_ndjson" => read_ndjson(data),
        "read_document" => read_document(data),
        "read_gzip" => read_gzip(data),
        "read_zstd" => read_zstd(data),
        "read_parquet" => read_parquet(data),
        "read_csv" => read_csv(data),
        "prefilter_soundness" => prefilter_soundness(data),
        other => panic!("no fuzz target {other}"),
    }
}

fn planner() -> &'static Planner {
    static P: OnceLock<Planner> = OnceLock::new();
    P.get_or_init(|| Planner::builtin().expect("the built-in macros.conf and props.conf load"))
}

/// Query text: parse, expand macros, plan; a parsed pipeline round-trips through the printer.
pub fn query(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = spelunk_syntax::parse_pipeline(text) {
        let printed = p.to_string();
        match spelunk_syntax::parse_pipeline(&printed) {
            Ok(again) => {
                use spelunk_syntax::normalize::without_spans;
                assert_eq!(without_spans(&p), without_spans(&again), "{text:?} printed as {printed:?} parses to another tree");
            }
            Err(e) => panic!("{text:?} printed as {printed:?}, which does not parse: {}", e.message),
        }
    }
    let _ = planner().plan(text);
}

/// A macros.conf: loaded or refused; each macro it defines expanded with placeholder arguments.
pub fn macros_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut set = MacroSet::default();
    if set.load_conf(text, "fuzz").is_err() {
        return;
    }
    let calls: Vec<String> = set
        .iter()
        .take(8)
        .map(|d| if d.args.is_empty() { format!("`{}`", d.name) } else { format!("`{}({})`", d.name, vec!["x"; d.args.len()].join(",")) })
        .collect();
    for call in calls {
        let _ = spelunk_plan::macros::expand(&format!("index=main {call} | stats count"), &set);
    }
}

/// A props.conf: loaded or refused; its fields planned for a query that names them.
pub fn props_conf(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut props = Props::default();
    if props.load_conf(text, "fuzz").is_err() {
        return;
    }
    let mut named: BTreeSet<String> = BTreeSet::new();
    for p in props.sourcetypes.values() {
        named.extend(p.derived_fields().take(4).map(str::to_string));
        let _ = p.extracted_dependencies(&named);
    }
    let planner = Planner { macros: MacroSet::default(), props };
    let by: Vec<String> = named.iter().filter(|n| !n.is_empty() && !n.contains(['\'', '`', '\n', '\r'])).map(|n| format!("'{n}'")).collect();
    if let Ok(planned) = planner.plan(&format!("* | stats count by {}", if by.is_empty() { "x".to_string() } else { by.join(", ") })) {
        let _ = planner.scan_fields_any(&planned.plan.projection);
    }
}

thread_local! {
    static DIR: RefCell<Option<tempfile::TempDir>> = const { RefCell::new(None) };
}

/// Write `bytes` to a file of that name in this thread's scratch folder.
fn file(name: &str, bytes: &[u8]) -> PathBuf {
    DIR.with(|d| {
        let mut d = d.borrow_mut();
        if d.is_none() {
            *d = Some(tempfile::tempdir().expect("a scratch folder"));
        }
        let path = d.as_ref().map(|d| d.path().join(name)).expect("scratch folder");
        std::fs::write(&path, bytes).expect("write the scratch file");
        path
    })
}

fn read_all(path: &PathBuf, opts: ScanOptions) -> (Vec<EventBatch>, ScanStats) {
    let mut s = match scan(std::slice::from_ref(path), opts) {
        Ok(s) => s,
        Err(_) => return (Vec::new(), ScanStats::default()),
    };
    let mut out = Vec::new();
    for b in s.by_ref() {
        match b {
            Ok(b) => out.push(b),
            // a strict-mode or I/O error ends the scan: a value, not a panic
            Err(_) => break,
        }
    }
    (out, s.stats().clone())
}

/// Every value of `field` per event over the batches (Utf8 or List<Utf8>).
fn values(batches: &[EventBatch], field: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        let n = b.batch.num_rows();
        match b.batch.column_by_name(field) {
            None => out.extend(std::iter::repeat_n(Vec::new(), n)),
            Some(c) => {
                if let Some(s) = c.as_any().downcast_ref::<StringArray>() {
                    out.extend((0..n).map(|i| if s.is_valid(i) { vec![s.value(i).to_string()] } else { Vec::new() }));
                } else if let Some(l) = c.as_any().downcast_ref::<ListArray>() {
                    for i in 0..n {
                        let mut vals = Vec::new();
                        if l.is_valid(i) {
                            let item = l.value(i);
                            if let Some(s) = item.as_any().downcast_ref::<StringArray>() {
                                vals.extend((0..s.len()).filter(|&k| s.is_valid(k)).map(|k| s.value(k).to_string()));
                            }
                        }
                        out.push(vals);
                    }
                } else {
                    panic!("field {field} has type {:?}: fields are Utf8 or List<Utf8>", c.data_type());
                }
            }
        }
    }
    out
}

/// Read a file every way the invariants need: whole, then projected onto a few fields.
fn check_reader(name: &str, bytes: &[u8]) {
    let path = file(name, bytes);
    let (all, stats) = read_all(&path, ScanOptions::default());
    let rows: usize = all.iter().map(|b| b.batch.num_rows()).sum();
    assert_eq!(stats.events_read, rows as u64, "{name}: events counted {} but {rows} read", stats.events_read);
    // the fields a projected read asks for: a few the full read found, and CloudTrail's
    let mut wanted: BTreeSet<String> = ["eventName", "userIdentity.arn", "eventTime", "resources{}.ARN", "requestParameters.bucketName"].iter().map(|s| s.to_string()).collect();
    for b in &all {
        for f in b.batch.schema().fields().iter().take(6) {
            if !f.name().starts_with('_') && !matches!(f.name().as_str(), "source" | "sourcetype" | "host" | "index") {
                wanted.insert(f.name().clone());
            }
        }
    }
    let opts = ScanOptions { projection: Projection::Fields(wanted.clone()), ..ScanOptions::default() };
    let (some, pstats) = read_all(&path, opts);
    if name.ends_with(".parquet") && !stats.skipped.is_empty() {
        // a Parquet file is read by column: a projected read does not touch (so cannot find)
        // a corrupt column it does not need, where the full read fails on it (and says so)
        return;
    }
    assert_eq!(pstats.events_read, stats.events_read, "{name}: a projected read gave another number of events");
    assert_eq!(pstats.skipped, stats.skipped, "{name}: a projected read skipped other records");
    for f in &wanted {
        assert_eq!(values(&some, f), values(&all, f), "{name}: field {f} differs between a full and a projected read");
    }
}

/// NDJSON lines.
pub fn read_ndjson(data: &[u8]) {
    check_reader("events.ndjson", data);
}

/// A JSON document (arrays, `{"Records":[...]}`, pretty-printed, concatenated objects).
pub fn read_document(data: &[u8]) {
    check_reader("events.json", data);
}

/// Gzip: the input compressed (so the fuzzer explores the content), or the raw bytes when
/// they already start with gzip's magic (so it explores broken streams).
pub fn read_gzip(data: &[u8]) {
    let bytes = if data.starts_with(&[0x1f, 0x8b]) {
        data.to_vec()
    } else {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let _ = e.write_all(data);
        e.finish().unwrap_or_default()
    };
    check_reader("events.json.gz", &bytes);
}

/// Zstandard, as gzip.
pub fn read_zstd(data: &[u8]) {
    let bytes = if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) { data.to_vec() } else { zstd::encode_all(data, 1).unwrap_or_default() };
    check_reader("events.json.zst", &bytes);
}

/// Parquet bytes as they are (seeds are valid files; mutations break them).
pub fn read_parquet(data: &[u8]) {
    check_reader("events.parquet", data);
}

/// CSV with a header row.
pub fn read_csv(data: &[u8]) {
    check_reader("events.csv", data);
}

/// The first byte (mod 8, plus 1) is the term's length, the term follows, the rest is one
/// record. If the parsed record has a field value holding the term (lower-cased on both sides,
/// as search compares), the prefilter must let the record through.
pub fn prefilter_soundness(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n as usize % 8) + 1;
    if rest.len() < n {
        return;
    }
    let (term, record) = rest.split_at(n);
    let Ok(term) = std::str::from_utf8(term) else { return };
    if term.trim().is_empty() || term.contains(['\n', '\r']) {
        return;
    }
    let Ok(record) = std::str::from_utf8(record) else { return };
    let record = record.replace(['\n', '\r'], " ");
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&record) else { return };
    let needle = term.to_lowercase();
    let mut holds = false;
    let mut leaves = |s: &str| holds |= s.to_lowercase().contains(&needle);
    walk_leaves(&v, &mut leaves);
    let Some(p) = Prefilter::new(&[vec![term.to_string()]]) else { return };
    if holds {
        assert!(p.is_match(record.as_bytes()), "the prefilter rules out {record:?}, whose value holds {term:?}");
        assert!(p.next_candidate(record.as_bytes(), 0).is_some(), "the block search misses {record:?}, whose value holds {term:?}");
        // and through the reader: the record is read with the prefilter on
        let plain = v.as_object().is_some_and(|m| !["Records", "detail", "digestStartTime"].iter().any(|k| m.contains_key(*k)));
        if plain {
            let path = file("prefilter.ndjson", format!("{record}\n").as_bytes());
            let (b, _) = read_all(&path, ScanOptions::default().require_all([term.to_string()]));
            let rows: usize = b.iter().map(|b| b.batch.num_rows()).sum();
            assert_eq!(rows, 1, "the reader with the prefilter drops {record:?}, whose value holds {term:?}");
        }
    }
}

fn walk_leaves(v: &serde_json::Value, f: &mut dyn FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| walk_leaves(x, f)),
        serde_json::Value::Object(m) => m.values().for_each(|x| walk_leaves(x, f)),
        // numbers, booleans and null: the prefilter's terms come from `field=value` on fields
        // whose value is the record's text, and are only ever text values (see
        // crates/plan/src/pushdown.rs)
        _ => {}
    }
}
