//! Trino / Athena: golden SQL snapshots (insta) of the shipped detections and a few hunts, and
//! a parse check of each with `sqlglot` in the trino dialect (a Python with sqlglot:
//! `$SPELUNK_SQL_PYTHON`, else the venv `.ci/run` makes at `<target>/sql-venv`; without it the
//! check says so and skips). Also: what cannot be compiled exactly is refused by name.

use spelunk_plan::Planner;
use spelunk_sql::{compile, DialectName, Layout, LayoutKind, Options};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn opts(dialect: DialectName, kind: LayoutKind, table: &str) -> Options {
    Options { dialect, table: table.into(), layout: Layout::new(kind) }
}

fn detection(name: &str) -> String {
    std::fs::read_to_string(root().join(format!("queries/{name}.spl"))).unwrap()
}

const HUNTS: &[&str] = &[
    "`cloudtrail` errorCode=AccessDenied | stats count dc(eventName) as calls values(eventSource) as services by user_name | sort -count user_name",
    "`cloudtrail` userAgent=*boto3* | rex field=userAgent \"^(?<tool>[A-Za-z0-9]+)/(?<tool_version>[0-9.]+)\" | stats count by tool, tool_version",
    "`cloudtrail` | bin _time span=1h | stats count dc(user_name) as users by _time | eval hour=strftime(_time, \"%Y-%m-%dT%H\")",
    "`cloudtrail` | eventstats count as per_user by user_name | where per_user > 20 | stats count earliest(eventName) as first_call by user_name, per_user",
];

fn all_trino() -> Vec<(String, String)> {
    let p = Planner::builtin().unwrap();
    let mut out = vec![
        ("aws_iam_accessdenied_discovery_events".to_string(), compile(&detection("aws_iam_accessdenied_discovery_events"), &p, &opts(DialectName::Trino, LayoutKind::CloudTrail, "cloudtrail_logs")).unwrap()),
        ("asl_aws_iam_accessdenied_discovery_events".to_string(), compile(&detection("asl_aws_iam_accessdenied_discovery_events"), &p, &opts(DialectName::Trino, LayoutKind::Ocsf, "amazon_security_lake_table_us_east_1_cloud_trail_mgmt_2_0")).unwrap()),
    ];
    for (i, h) in HUNTS.iter().enumerate() {
        out.push((format!("hunt_{i}"), compile(h, &p, &opts(DialectName::Trino, LayoutKind::CloudTrail, "cloudtrail_logs")).unwrap()));
    }
    out
}

#[test]
fn trino_snapshots() {
    for (name, sql) in all_trino() {
        insta::assert_snapshot!(format!("trino_{name}"), sql);
    }
}

#[test]
fn trino_sql_parses_with_sqlglot() {
    let py = std::env::var_os("SPELUNK_SQL_PYTHON").map(PathBuf::from).unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().join("sql-venv/bin/python"));
    let ok = py.exists() && Command::new(&py).args(["-c", "import sqlglot"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED trino parse check: no Python with sqlglot at {} (run .ci/run, or set SPELUNK_SQL_PYTHON)", py.display());
        return;
    }
    let script = "import sys, sqlglot\nsql = sys.stdin.read()\ntrees = sqlglot.parse(sql, read='trino', error_level=sqlglot.ErrorLevel.RAISE)\nassert len(trees) == 1, len(trees)\n";
    for (name, sql) in all_trino() {
        let mut child = Command::new(&py).args(["-c", script]).stdin(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{name}: sqlglot (trino) rejects the SQL:\n{}\n{sql}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn refusals_name_the_command_or_function_and_the_dialect() {
    let p = Planner::builtin().unwrap();
    let cases = [
        ("`cloudtrail` | transaction user_name", "transaction", "spark"),
        ("`cloudtrail` | streamstats count", "streamstats", "spark"),
        ("`cloudtrail` | eval h=md5(eventName) | table h", "md5()", "spark"),
        ("`cloudtrail` | stats list(eventName)", "list", "spark"),
        ("`cloudtrail` | stats mode(eventName)", "mode", "spark"),
        ("`cloudtrail` sourceIPAddress=10.0.0.0/8 | stats count", "search field=CIDR", "spark"),
    ];
    for (q, what, dialect) in cases {
        let e = compile(q, &p, &opts(DialectName::Spark, LayoutKind::CloudTrail, "t")).unwrap_err();
        assert!(e.message.contains(&format!("`{what}`")) && e.message.contains(dialect), "{q}: {}", e.message);
    }
    // bare terms need _raw, which a CloudTrail table does not hold
    let e = compile("`cloudtrail` AccessDenied | stats count", &p, &opts(DialectName::DuckDb, LayoutKind::CloudTrail, "t")).unwrap_err();
    assert!(e.message.contains("duckdb"), "{}", e.message);
}
