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
