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
    std::fs::write(&q, format!("* | eval x=1, y=if({e}, 1, 0) | stats count")).expect("write");
    let o = spelunk(&["run", q.to_str().expect("utf8 path"), "--data", "testdata/cloudtrail", "--threads", "2", "--format", "csv", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "count\n488\n");
}

fn spelunk_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_spelunk"));
    c.current_dir(root()).args(args).env("NO_COLOR", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run spelunk")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `check` finds without data what the evaluator would only meet on the first event: wrong
/// argument counts, invalid regex literals, misspelt command and function names (exit 2, a
/// diagnostic pointing at the text); `run` reports them before it reads anything.
#[test]
fn check_and_run_validate_functions_and_regexes_without_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: &[(&str, &str, &[&str])] = &[
        ("arity.spl", "| makeresults | eval n=len(\"a\", \"b\")", &["SPL0203", "len() takes 1 argument(s); given 2", "len(\"a\", \"b\")"]),
        ("regex.spl", "| makeresults | where match(user, \"(adm\")", &["SPL0208", "invalid regular expression: unclosed group", "\"(adm\""]),
        ("rex.spl", "| makeresults | rex field=a \"(?<x>[a-\"", &["SPL0208"]),
        ("sed.spl", "| makeresults | rex field=a mode=sed \"s/(a/b/g\"", &["SPL0208"]),
        ("regexcmd.spl", "| makeresults | regex a=\"*x\"", &["SPL0208"]),
        ("cmdtypo.spl", "| makeresults | stast count", &["SPL0201", "did you mean `stats`?"]),
        ("fntypo.spl", "| makeresults | eval n=lenn(x)", &["SPL0202", "unknown function `lenn`", "did you mean `len()`?"]),
        ("fnunknown.spl", "| makeresults | eval n=frobnicate(x)", &["SPL0202", "unknown function `frobnicate`"]),
        // an error after a command spelunk does not run is still an error
        ("late.spl", "| tstats count | eval n=len()", &["SPL0203"]),
        // time modifiers and aligntime are read before any data
        ("earliest.spl", "earliest=-2x | stats count", &["SPL0205", "invalid earliest time `-2x`"]),
        ("aligntime.spl", "* | bin _time span=1h aligntime=bogus | stats count by _time", &["SPL0205", "invalid aligntime time `bogus`"]),
    ];
    for (name, q, wanted) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, q).expect("write");
        let o = spelunk_env(&["check", p.to_str().expect("path")], &[]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        for w in *wanted {
            assert!(err.contains(w), "{name}: {w} in {err}");
        }
        assert!(text(&o.stdout).contains(": error"), "{name}");
        // run stops before reading data (the missing folder is never opened)
        let o = spelunk_env(&["run", p.to_str().expect("path"), "--data", "no/such/folder"], &[]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(wanted[0]) && !err.contains("no/such/folder"), "{name}: {err}");
    }
    // valid SPL spelunk does not run: exit 1, named; a name far from every command is an app's
    let unsupported: &[(&str, &str)] = &[
        ("| makeresults | eval n=mvmap(x, x*2)", "mvmap()"),
        ("| makeresults | sistats count", "sistats"),
        ("| makeresults | cyberchef infield=x", "cyberchef"),
        ("| makeresults | where match(a, \"^(?!adm)\")", "PCRE-only regex"),
    ];
    for (q, named) in unsupported {
        let p = dir.path().join("u.spl");
        std::fs::write(&p, q).expect("write");
        let o = spelunk_env(&["check", p.to_str().expect("path")], &[]);
        assert_eq!(o.status.code(), Some(1), "{q}: {}", text(&o.stderr));
        assert!(text(&o.stdout).contains(&format!("unsupported: {named}")), "{q}: {}", text(&o.stdout));
    }
    // `check -e` checks a query given on the command line, with the same exit codes
    for (q, code) in [("* | stats count", 0), ("* | tstats count", 1), ("* | eval n=lenn(x)", 2)] {
        let o = spelunk_env(&["check", "-e", q], &[]);
        assert_eq!(o.status.code(), Some(code), "{q}: {}", text(&o.stderr));
        assert!(text(&o.stdout).starts_with("<query>: "), "{q}");
    }
    // PCRE's literal braces run
    let o = spelunk_env(&["run", "-e", "| makeresults | eval j=\"x={a}\" | rex field=j \"(?<obj>{.+})\" | table obj", "--format", "csv"], &[]);
    assert_eq!(text(&o.stdout), "obj\n{a}\n", "{}", text(&o.stderr));
}

#[test]
fn check_a_folder_checks_every_query_file_in_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("endpoint")).expect("mkdir");
    std::fs::write(dir.path().join("a.spl"), "| makeresults | eval n=1").expect("write");
    std::fs::write(dir.path().join("endpoint/b.yml"), "name: b\nsearch: '| makeresults | eval n=lenn(1)'\n").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a query").expect("write");
    let o = spelunk_env(&["check", dir.path().to_str().expect("path")], &[]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(out.contains("a.spl: ok") && out.contains("b.yml: error") && !out.contains("notes"), "{out}");
    let empty = tempfile::tempdir().expect("tempdir");
    assert_eq!(spelunk_env(&["check", empty.path().to_str().expect("path")], &[]).status.code(), Some(2));
}

/// Values starting with `-` are values (`--earliest -24h`, `--tz -0800`), and `--earliest` /
/// `--latest` take ISO-8601 times as `--now` does.
#[test]
fn time_options_take_relative_iso_and_negative_values() {
    let q = "`cloudtrail` | stats count";
    let count = |args: &[&str]| {
        let mut a = vec!["run", "-e", q, "--data", "testdata/cloudtrail", "--format", "csv", "-q"];
        a.extend_from_slice(args);
        let o = spelunk_env(&a, &[]);
        assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
        text(&o.stdout)
    };
    let all = count(&[]);
    assert_eq!(count(&["--earliest", "-100y", "--latest", "+1d"]), all);
    assert_eq!(count(&["--earliest", "-100y@y", "--now", "2024-03-06T00:00:00Z"]), all);
    let iso = count(&["--earliest", "2024-03-05T00:30:00Z"]);
    assert_eq!(iso, count(&["--earliest", "03/05/2024:00:30:00"]));
    assert_eq!(iso, count(&["--earliest", "1709598600"]));
    assert_ne!(iso, all, "the range cuts some events");
    assert_eq!(count(&["--latest", "2024-03-05T00:30:00+00:00"]).lines().nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0) + iso.lines().nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0), all.lines().nth(1).and_then(|n| n.parse::<u64>().ok()).unwrap_or(1));
    let o = spelunk_env(&["run", "-e", q, "--data", "testdata/cloudtrail", "--earliest", "last tuesday"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("--earliest \"last tuesday\""), "{}", text(&o.stderr));
    let o = spelunk_env(&["run", "-e", "| makeresults | eval _time=0 | table _time", "--format", "csv", "--tz", "-0800"], &[]);
    assert_eq!(text(&o.stdout), "_time\n1969-12-31T16:00:00.000-08:00\n", "{}", text(&o.stderr));
}

const BOTH: [&str; 2] = ["queries/asl_aws_iam_accessdenied_discovery_events.spl", "queries/aws_iam_accessdenied_discovery_events.spl"];

/// Several queries in JSON: one object, the query names as keys, each query's rows as the
/// array one query alone prints.
#[test]
fn several_queries_print_one_json_object() {
    let o = spelunk_env(&["run", "queries/", "--data", "testdata", "--format", "json", "-q"], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON document");
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.keys().map(|k| k.as_str()).collect::<Vec<_>>(), BOTH);
    for q in BOTH {
        let alone = spelunk_env(&["run", q, "--data", "testdata", "--format", "json", "-q"], &[]);
        let alone: serde_json::Value = serde_json::from_slice(&alone.stdout).expect("json");
        assert_eq!(obj[q], alone, "{q}");
        assert!(!alone.as_array().expect("rows").is_empty());
    }
    // -e and a file, a query that fails: the others still print, the run fails
    let o = spelunk_env(&["run", "-e", "| makeresults count=2 | eval n=1", BOTH[1], "--data", "testdata", "--format", "json", "-q"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["<query>"].as_array().map(|a| a.len()), Some(2));
    assert_eq!(v[BOTH[1]].as_array().map(|a| a.len()), Some(6));
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.spl");
    std::fs::write(&bad, "| makeresults | eval x=lenn(1)").expect("write");
    let o = spelunk_env(&["run", bad.to_str().expect("path"), BOTH[1], "--data", "testdata", "--format", "json", "-q"], &[]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("still one JSON document");
    assert_eq!(v.as_object().map(|o| o.len()), Some(1));
}

/// Several queries read the data once (kept in memory) and end with one summary line; over
/// the memory limit each query reads it, and the summary says so.
#[test]
fn several_queries_read_the_data_once() {
    // the read extracts what any query needs: `table *` makes that every field
    let args = ["run", BOTH[1], BOTH[1], "-e", "`cloudtrail` | table * | stats count", "--data", "testdata/cloudtrail", "--format", "ndjson"];
    let o = spelunk_env(&args, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let summary: Vec<&str> = err.lines().filter(|l| l.contains("event(s)")).collect();
    assert_eq!(summary.len(), 1, "one summary line: {err}");
    let line = summary[0];
    assert!(line.starts_with("3 queries run, 13 row(s); one read for all queries (") && line.contains(" kept in memory): read 40 file(s), 488 event(s), "), "{line}");
    assert!(line.ends_with(" s"), "{line}");
    assert_eq!(text(&o.stdout).lines().count(), 13);
    // the same results as reading per query
    let o2 = spelunk_env(&args, &[("SPELUNK_CACHE_MB", "0")]);
    assert_eq!(o2.stdout, o.stdout);
    let err = text(&o2.stderr);
    assert!(err.contains("3 queries run, 13 row(s); in 3 reads of the data: read 120 file(s), ") && err.contains("SPELUNK_CACHE_MB=0"), "{err}");
    // over the memory limit (1.3 MiB of events here): read per query, and said
    let o3 = spelunk_env(&args, &[("SPELUNK_CACHE_MB", "1")]);
    assert_eq!(o3.stdout, o.stdout);
    let err = text(&o3.stderr);
    assert!(err.contains("in 3 reads of the data") && err.contains("more than 1.0 MiB of memory"), "{err}");
    // without `table *`, the one read extracts only the fields the queries name, and skips the
    // records none of them wants: far less memory
    let o4 = spelunk_env(&["run", BOTH[1], BOTH[1], "--data", "testdata/cloudtrail", "--format", "ndjson"], &[("SPELUNK_CACHE_MB", "1")]);
    let err = text(&o4.stderr);
    assert!(err.contains("2 queries run, 12 row(s); one read for all queries (") && err.contains("ruled out by raw-text prefilter"), "{err}");
    // one query: the same summary shape
    let o = spelunk_env(&["run", BOTH[1], "--data", "testdata/cloudtrail"], &[]);
    let err = text(&o.stderr);
    assert!(err.lines().any(|l| l.starts_with("1 query run, 6 row(s); read 40 file(s), ")), "{err}");
}

/// `-q` leaves stderr to errors: no lint warnings, no summary.
#[test]
fn quiet_silences_lints_and_the_summary() {
    let q = "`cloudtrail` errorCode=AccessDenied or errorCode=x | where user=admin | stats count";
    let o = spelunk_env(&["run", "-e", q, "--data", "testdata/cloudtrail"], &[]);
    let err = text(&o.stderr);
    assert!(err.contains("SPL0901") && err.contains("SPL0902") && err.contains("1 query run"), "{err}");
    let o = spelunk_env(&["run", "-q", "-e", q, "--data", "testdata/cloudtrail"], &[]);
    assert!(o.status.success());
    assert_eq!(text(&o.stderr), "");
}

/// A reader that goes away (`spelunk run ... | head -1`) ends the run quietly.
#[test]
fn a_closed_stdout_ends_quietly() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_spelunk"))
        .current_dir(root())
        .args(["run", "-e", "| makeresults count=200000 | eval s=\"some text to fill the pipe\"", "--format", "ndjson"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    {
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufReader::new(stdout).read_line(&mut first).expect("one line");
    }
    let o = child.wait_with_output().expect("wait");
    assert!(first.contains("some text"), "{first}");
    let err = text(&o.stderr);
    assert!(!err.contains("panicked") && !err.to_lowercase().contains("broken pipe"), "{err}");
    assert!(o.status.success(), "{:?}: {err}", o.status);
}

#[test]
fn compile_prints_one_statement_per_dialect_and_refuses_by_name() {
    for (dialect, layout, query) in [
        ("spark", "cloudtrail", "queries/aws_iam_accessdenied_discovery_events.spl"),
        ("trino", "ocsf", "queries/asl_aws_iam_accessdenied_discovery_events.spl"),
        ("duckdb", "cloudtrail", "queries/aws_iam_accessdenied_discovery_events.spl"),
    ] {
        let out = spelunk(&["compile", query, "--dialect", dialect, "--layout", layout, "--table", "logs"]);
        assert!(out.status.success(), "{dialect}: {}", String::from_utf8_lossy(&out.stderr));
        let sql = String::from_utf8_lossy(&out.stdout);
        assert!(sql.starts_with("WITH\n") && sql.contains("FROM logs") && sql.contains("ORDER BY"), "{sql}");
        assert_eq!(sql.matches(';').count(), 0, "one statement, no terminator: {sql}");
    }
    let out = spelunk(&["compile", "-e", "`cloudtrail` | streamstats count", "--dialect", "trino", "--table", "t"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`streamstats`") && err.contains("trino"), "{err}");
    let out = spelunk(&["compile", "-e", "* | stats count by user", "--dialect", "duckdb", "--layout", "ndjson", "--columns", "user,status", "--table", "events"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("FROM events"));
    let out = spelunk(&["compile", "-e", "* | stats count", "--dialect", "oracle", "--table", "t"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `check` and `explain` whose output cannot be written (a full disk: /dev/full) exit non-zero
/// instead of reporting success.
#[test]
fn check_and_explain_fail_when_stdout_cannot_be_written() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else { return };
    for args in [&["check", "-e", "* | stats count"][..], &["explain", "* | stats count"][..]] {
        let out = Command::new(env!("CARGO_BIN_EXE_spelunk")).args(args).stdout(full.try_clone().unwrap()).output().expect("runs");
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("writing"), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// Both shipped detections run on DataFusion (no fallback to the row engine) and give the
/// row engine's rows exactly; a plan DataFusion cannot run yet is named when it is forced.
#[test]
fn detections_run_on_datafusion_with_the_row_engines_rows() {
    for (q, data) in [(CT, "testdata/cloudtrail"), (ASL, "testdata/asl")] {
        let run = |engine: &str| spelunk_env(&["run", q, "--data", data, "--format", "json", "-q"], &[("SPELUNK_ENGINE", engine)]);
        let (df, row) = (run("datafusion"), run("row"));
        assert!(df.status.success() && row.status.success(), "{q}: {}", text(&df.stderr));
        assert_eq!(text(&df.stdout), text(&row.stdout), "{q}");
        assert!(text(&df.stdout).len() > 100, "{q}: rows expected");
    }
    let forced = spelunk_env(&["run", "-e", "* | dedup eventName", "--data", "testdata/cloudtrail", "-q"], &[("SPELUNK_ENGINE", "datafusion")]);
    assert_eq!(forced.status.code(), Some(2));
    assert!(text(&forced.stderr).contains("not run on DataFusion yet"), "{}", text(&forced.stderr));
}

/// `--memory-limit`: a query whose operators need more memory fails with a message that says
/// so (never an out-of-memory kill); an invalid size is refused.
#[test]
fn memory_limit_fails_clearly() {
    let out = spelunk(&["run", "-e", "* | stats count by eventName", "--data", "testdata/cloudtrail", "--memory-limit", "1KB", "-q"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--memory-limit"), "{}", text(&out.stderr));
    let ok = spelunk(&["run", "-e", "* | stats count by eventName", "--data", "testdata/cloudtrail", "--memory-limit", "64MB", "-q"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    let bad = spelunk(&["run", "-e", "* | stats count", "--data", "testdata/cloudtrail", "--memory-limit", "lots"]);
    assert_eq!(bad.status.code(), Some(2));
}
