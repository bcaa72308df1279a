//! The command-line contract: formats, exit codes, diagnostics, and the detections over the
//! real public corpus.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spelunk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spelunk")).current_dir(root()).args(args).output().expect("run spelunk")
}

const CT: &str = "queries/aws_iam_accessdenied_discovery_events.spl";
const ASL: &str = "queries/asl_aws_iam_accessdenied_discovery_events.spl";

#[test]
fn cloudtrail_detection_in_all_four_formats() {
    let run = |f: &str| {
        let o = spelunk(&["run", CT, "--data", "testdata/cloudtrail", "--format", f, "-q"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).expect("utf8")
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).expect("json output is one JSON array");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0]["user"], "carol");
    assert_eq!(rows[0]["failures"], 5, "counts are JSON numbers");
    assert!(rows[0]["signature"].is_array(), "multivalue fields are arrays");
    let keys: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    assert_eq!(keys, ["src", "user", "vendor_account", "vendor_region", "vendor_product", "failures", "firstTime", "lastTime", "methods", "sources", "signature", "dest"]);
    assert_eq!(run("ndjson").lines().count(), 6);
    let csv = run("csv");
    assert_eq!(csv.lines().next(), Some("src,user,vendor_account,vendor_region,vendor_product,failures,firstTime,lastTime,methods,sources,signature,dest"));
    assert!(csv.contains("198.51.100.21,carol,210987654321,eu-west-1,AWS CloudTrail,5,2024-03-04T23:00:00,2024-03-04T23:00:00,4,4,\"DescribeAutoScalingGroups\nDescribeDBInstances"));
    let table = run("table");
    for u in ["carol", "leo", "heidi", "mallory", "nina", "grace"] {
        assert!(table.contains(u), "table lists {u}");
    }
    assert!(!table.contains("trudy"));
}

#[test]
fn a_query_error_points_at_the_span_and_fails() {
    let o = spelunk(&["run", "-e", "* | stats count bye user", "--data", "testdata/asl"]);
    assert!(!o.status.success());
    let o = spelunk(&["run", "-e", "* | stast count", "--data", "testdata/asl"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("unknown command `stast`") && err.contains("SPL0201"), "{err}");
    assert!(err.contains("did you mean `stats`?"), "{err}");
}

#[test]
fn an_unreadable_path_fails() {
    let o = spelunk(&["run", CT, "--data", "no/such/folder"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no/such/folder"));
}

#[test]
fn detections_run_over_the_real_corpus() {
    let corpus = root().join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("shared corpus absent at {}: skipping", corpus.display());
        return;
    }
    let ct = corpus.join("cloudtrail");
    let o = spelunk(&["run", CT, "--data", ct.to_str().expect("path"), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    // DATA_SOURCES.md: 797 CloudTrail records; the index TSV is reported, not fatal
    assert!(err.contains("read 63 file(s)"), "{err}");
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let users: Vec<&str> = rows.as_array().expect("array").iter().filter_map(|r| r["user"].as_str()).collect();
    // The two groups DATA_SOURCES.md predicts (both from concatenated Panther unit tests)
    assert_eq!(users, ["testuser", "developer"]);
    let ocsf = corpus.join("ocsf");
    let o = spelunk(&["run", ASL, "--data", ocsf.to_str().expect("path"), "--format", "json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("v1.5.0"), "the invalid OCSF sample is named");
    // only one AccessDenied IAMUser row exists in the OCSF samples: the detection does not fire
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "[]");
}

#[test]
fn time_range_prunes_s3_folders_without_changing_results() {
    let pruned = spelunk(&["run", "-e", "`cloudtrail` earliest=03/05/2024:00:30:00 | stats count min(_time) as first", "--data", "testdata/cloudtrail", "--format", "csv"]);
    let full = spelunk(&["run", "-e", "`cloudtrail` | where _time >= 1709598600 | stats count min(_time) as first", "--data", "testdata/cloudtrail", "--format", "csv"]);
    assert!(pruned.status.success() && full.status.success());
    assert_eq!(pruned.stdout, full.stdout);
    assert!(String::from_utf8_lossy(&pruned.stderr).contains("file(s) outside the time range not opened"));
}

/// A query whose expression is a flat chain of 50,000 terms (`1+1+...+1` nests one tree level
/// per `+`) checks and runs: over makeresults, and over events on parallel worker threads.
#[test]
fn fifty_thousand_term_chains_check_and_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = 50_000;
    let chain = vec!["1"; n].join("+");
    let q = dir.path().join("chain.spl");
    std::fs::write(&q, format!("| makeresults | eval x={chain} | where x={chain} OR {} | table x", vec!["x=0"; n].join(" OR "))).expect("write");
    let q = q.to_str().expect("utf8 path");
    let o = spelunk(&["check", q]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = spelunk(&["run", q, "--format", "csv", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("x\n{n}\n"));
    let events = dir.path().join("events.spl");
    std::fs::write(&events, format!("* | eval x={chain} | stats sum(x) as s count")).expect("write");
    let o = spelunk(&["run", events.to_str().expect("utf8 path"), "--data", "testdata/cloudtrail", "--threads", "2", "--format", "csv", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let row: Vec<u64> = out.lines().nth(1).expect("a row").split(',').map(|c| c.parse().expect("number")).collect();
    assert_eq!(row[0], n as u64 * row[1], "{out}");
    assert!(row[1] > 0);
}

/// Nesting 100,000 parentheses deep is a diagnostic (SPL0001), not a crash.
#[test]
fn very_deep_nesting_is_a_diagnostic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let q = dir.path().join("deep.spl");
    std::fs::write(&q, format!("| makeresults | eval x={}1{}", "(".repeat(100_000), ")".repeat(100_000))).expect("write");
    let o = spelunk(&["check", q.to_str().expect("utf8 path")]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("SPL0001") && err.contains("nested more than 96 levels deep"), "{}", &err[..err.len().min(500)]);
}

/// printf's field width and precision are capped (at 10,000): `%999999999d` does not allocate
/// gigabytes.
#[test]
fn printf_width_is_capped() {
    let o = spelunk(&["run", "-e", "| makeresults | eval a=len(printf(\"%999999999d\", 1)), b=len(printf(\"%.999999999f\", 1)) | table a b", "--format", "csv", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "a,b\n10000,10002\n");
}

/// An expression nested to nearly the parser's limit, through every precedence level at each
/// level, evaluates on the parallel scan workers too (they get the main work thread's stack).
#[test]
fn deeply_nested_expressions_run_on_worker_threads() {
    let mut e = "1".to_string();
    for _ in 0..90 {
        e = format!("(x OR x AND x = x + 1 * {e})");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let q = dir.path().join("deep.spl");
    std::fs::write(&q, format!("* | eval x=1, y={e} | stats count")).expect("write");
    let o = spelunk(&["run", q.to_str().expect("utf8 path"), "--data", "testdata/cloudtrail", "--threads", "2", "--format", "csv", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "count\n488\n");
}
