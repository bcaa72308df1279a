//! Snapshots of `spelunk explain` (with `--trace` over the shipped testdata) for both shipped
//! detections, plus the batch options of `run` and the exit codes of `check`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn spelunk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spelunk")).args(args).current_dir(root()).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn explain_cloudtrail_detection() {
    let o = spelunk(&["explain", "queries/aws_iam_accessdenied_discovery_events.spl", "--trace", "--data", "testdata/cloudtrail"]);
    insta::assert_snapshot!(stdout(&o));
}

#[test]
fn explain_asl_detection() {
    let o = spelunk(&["explain", "queries/asl_aws_iam_accessdenied_discovery_events.spl", "--trace", "--data", "testdata/asl"]);
    insta::assert_snapshot!(stdout(&o));
}

/// The lints of the shipped detections, as `explain` prints them on stderr: the cloudtrail one
/// gets the `!=` note (SPL0903) for `userAgent!=*.amazonaws.com`; the ASL one renames
/// `src_endpoint.ip` after a `stats` that did not keep it (SPL0906: `src` is never set).
#[test]
fn explain_lints_of_the_detections() {
    for (name, q) in [("cloudtrail", "queries/aws_iam_accessdenied_discovery_events.spl"), ("asl", "queries/asl_aws_iam_accessdenied_discovery_events.spl")] {
        let o = spelunk(&["explain", q]);
        assert!(o.status.success());
        insta::assert_snapshot!(format!("lints_{name}"), String::from_utf8_lossy(&o.stderr));
    }
}

/// What each stage needs and produces, on small queries: a search, eval, rename, stats and
/// table over events; a makeresults pipeline whose fields are known from the start.
#[test]
fn explain_fields_of_small_queries() {
    let q = "`cloudtrail` errorCode=AccessDenied | eval n=1, m=n+1 | rename user_name as user | fields - userAgent | stats count, dc(eventName) as calls by user, src | table user calls";
    insta::assert_snapshot!("fields_events", stdout(&spelunk(&["explain", q])));
    let q = "| makeresults count=2 | eval a=1, b=\"x\" | rex field=b \"(?<first>.)\" | table a first | rename a as z";
    insta::assert_snapshot!("fields_makeresults", stdout(&spelunk(&["explain", q])));
}

/// Splunk Search Manual, "Difference between != and NOT": `f!=v` returns only events that have
/// f; `NOT f=v` also returns those without it.
/// https://docs.splunk.com/Documentation/Splunk/9.0.2/Search/NOTexpressions
#[test]
fn check_prints_the_not_equal_note() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ne.spl");
    std::fs::write(&p, "`cloudtrail` errorCode!=AccessDenied | stats count by user").unwrap();
    let o = spelunk(&["check", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "a note does not fail the check");
    assert!(String::from_utf8_lossy(&o.stdout).contains(": ok"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("SPL0903") && err.contains("NOT errorCode=AccessDenied"), "{err}");
    // NOT f=v is the form that keeps events without f: nothing to say
    std::fs::write(&p, "`cloudtrail` NOT errorCode=AccessDenied | stats count by user").unwrap();
    let o = spelunk(&["check", p.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("SPL0903"), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Splunk's stats: "If a BY clause is used, one row is returned for each distinct value
/// specified in the BY clause": events without the field have none, so grouping by a field
/// the data lacks returns nothing.
/// https://help.splunk.com/splunk-enterprise/spl-search-reference/9.3/search-commands/stats
#[test]
fn fields_missing_from_the_data_are_named_by_explain_and_run() {
    let q = "`cloudtrail` | stats count by srcip";
    // without data nothing can be said: the events may have srcip
    assert!(!String::from_utf8_lossy(&spelunk(&["explain", q]).stderr).contains("SPL0905"));
    let o = spelunk(&["explain", q, "--data", "testdata/cloudtrail"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success());
    assert!(err.contains("SPL0905") && err.contains("`src_ip`?"), "{err}");
    // a run with no results says why; one with results reads nothing more
    let o = spelunk(&["run", "-e", q, "--data", "testdata/cloudtrail"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success() && err.contains("SPL0905"), "{err}");
    let o = spelunk(&["run", "-e", "`cloudtrail` | stats count by src_ip", "--data", "testdata/cloudtrail"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("SPL09"), "{}", String::from_utf8_lossy(&o.stderr));
    // --quiet: no extra reading
    let o = spelunk(&["run", "-q", "-e", q, "--data", "testdata/cloudtrail"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("SPL0905"));
}

#[test]
fn explain_trace_shows_the_engines_time_sort() {
    let o = spelunk(&["explain", "`cloudtrail` errorCode=AccessDenied | head 3", "--trace", "--data", "testdata/cloudtrail"]);
    let out = stdout(&o);
    let trace = out.split("== trace").nth(1).unwrap();
    assert!(trace.contains("(sort events newest first"), "{trace}");
    assert!(trace.trim_end().ends_with("| head 3"), "{trace}");
    assert!(trace.lines().last().unwrap().trim_start().starts_with('3'), "{trace}");
}

#[test]
fn lints_are_warnings_on_stderr() {
    let o = spelunk(&["explain", "`cloudtrail` errorCode=AccessDenied or errorCode=x | where user=admin | eval y=if(a=\"b*\",1,0)"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success());
    for code in ["SPL0901", "SPL0902", "SPL0904"] {
        assert!(err.contains(code), "{code} in {err}");
    }
}

#[test]
fn run_a_folder_with_fail_on_results_out_and_tz() {
    let o = spelunk(&["run", "queries/", "--data", "testdata", "--fail-on-results", "--format", "csv", "-q"]);
    assert_eq!(o.status.code(), Some(1), "both detections fire: {}", String::from_utf8_lossy(&o.stderr));
    // csv: each query's table as for one query; the `== NAME` labels go to stderr (none with -q)
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("=="), "{out}");
    assert!(out.lines().any(|l| l.starts_with("_time,user,")) && out.lines().any(|l| l.starts_with("src,user,")), "{out}");
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = spelunk(&["run", "queries/", "--data", "testdata", "--format", "csv"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("== queries/asl_aws_iam_accessdenied_discovery_events.spl: "), "{err}");
    assert!(err.contains("== queries/aws_iam_accessdenied_discovery_events.spl: 6 row(s)"), "{err}");
    let table = stdout(&spelunk(&["run", "queries/", "--data", "testdata", "-q"]));
    assert!(table.contains("== queries/aws_iam_accessdenied_discovery_events.spl"), "tables keep their labels: {table}");
    let o = spelunk(&["run", "-e", "`cloudtrail` errorCode=NoSuchCode", "--data", "testdata/cloudtrail", "--fail-on-results", "-q"]);
    assert_eq!(o.status.code(), Some(0));

    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.json");
    let o = spelunk(&["run", "queries/aws_iam_accessdenied_discovery_events.spl", "--data", "testdata/cloudtrail", "--out", f.to_str().unwrap()]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 6);

    let t = |tz: &str| stdout(&spelunk(&["run", "-e", "| makeresults | eval _time=0 | table _time", "--format", "csv", "--tz", tz]));
    assert!(t("UTC").contains("1970-01-01T00:00:00.000+00:00"), "{}", t("UTC"));
    assert!(t("+02:00").contains("1970-01-01T02:00:00.000+02:00"), "{}", t("+02:00"));
    assert!(!spelunk(&["run", "-e", "| makeresults", "--tz", "Mars/Olympus"]).status.success());
}

#[test]
fn run_and_check_accept_detection_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let y = dir.path().join("det.yml");
    let spl = std::fs::read_to_string(root().join("queries/aws_iam_accessdenied_discovery_events.spl")).unwrap();
    let yaml = format!("name: AWS IAM AccessDenied Discovery Events\nsearch: |-\n{}\n", spl.lines().filter(|l| !l.starts_with("```")).map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n"));
    std::fs::write(&y, yaml).unwrap();
    let o = spelunk(&["run", y.to_str().unwrap(), "--data", "testdata/cloudtrail", "--format", "ndjson", "-q"]);
    assert_eq!(stdout(&o).lines().count(), 6);
    assert_eq!(spelunk(&["check", y.to_str().unwrap()]).status.code(), Some(0));
}

#[test]
fn check_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, q: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, q).unwrap();
        p.to_str().unwrap().to_string()
    };
    let ok = w("ok.spl", "`cloudtrail` | stats count by user");
    let unsupported = w("u.spl", "`cloudtrail` | transaction x | tstats count");
    let bad = w("bad.spl", "`cloudtrail` | stats count by");
    assert_eq!(spelunk(&["check", &ok]).status.code(), Some(0));
    let o = spelunk(&["check", &ok, &unsupported]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("unsupported: transaction, tstats"), "{}", String::from_utf8_lossy(&o.stdout));
    assert_eq!(spelunk(&["check", &ok, &unsupported, &bad]).status.code(), Some(2));
}

#[test]
fn help_lists_everything_and_describes_every_entry() {
    let all = stdout(&spelunk(&["help"]));
    for c in spelunk_syntax::registry::COMMANDS {
        assert!(all.contains(c.name), "{} listed", c.name);
        let one = stdout(&spelunk(&["help", c.name]));
        assert!(one.contains(c.syntax) && one.contains(c.description) && one.contains(c.example), "help {}", c.name);
    }
    for f in spelunk_syntax::registry::FUNCTIONS {
        assert!(all.contains(f.name) && all.contains(f.summary), "{} listed with its summary", f.name);
        let one = stdout(&spelunk(&["help", f.name]));
        assert!(one.contains(f.syntax) && one.contains(f.description) && one.contains(f.example), "help {}", f.name);
    }
}
