//! Differential test of `spelunk compile`: the same query over the same input, run by the
//! spelunk binary and by the compiled SQL on DuckDB and on Spark (local mode, one session for
//! every case), must give identical rows (in the same order, values compared as text: numbers
//! without a fraction print as integers, `_time` as epoch seconds, a one-value multivalue as
//! that value).
//!
//! Cases: the two shipped detections over `testdata/` (cloudtrail and ocsf layouts), a set of
//! hunts over the CloudTrail test set, and every golden case (`tests/golden`) with events, a
//! query and expected rows whose query compiles (ndjson layout: one column per top-level key).
//!
//! Needs a Python with `duckdb` and `pyspark` (and Java for Spark): `$SPELUNK_SQL_PYTHON`, else
//! the venv `.ci/run` makes at `<target>/sql-venv`. Without them the test says so and skips.
//! The counts are written to `<target>/sql-differential.txt`.

use serde_json::Value;
use spelunk_plan::{Op, Planner, StatsMode};
use spelunk_sql::{DialectName, Layout, LayoutKind, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// events without a `_time` get their file's modification time: this one
const MTIME: u64 = 1_700_000_000;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap().to_path_buf()
}

fn python() -> Option<PathBuf> {
    let p = std::env::var_os("SPELUNK_SQL_PYTHON").map(PathBuf::from).unwrap_or_else(|| target_dir().join("sql-venv/bin/python"));
    p.exists().then_some(p)
}

fn has_module(py: &Path, m: &str) -> bool {
    Command::new(py).args(["-c", &format!("import {m}")]).output().is_ok_and(|o| o.status.success())
}

fn has_java() -> bool {
    Command::new("java").arg("-version").output().is_ok_and(|o| o.status.success())
}

struct Case {
    id: String,
    query: String,
    layout: Layout,
    inputs: Vec<PathBuf>,
    /// golden: is every command among those issue 15 lists
    in_scope: Option<bool>,
    spelunk: Vec<String>,
}

const HUNTS: &[&str] = &[
    "`cloudtrail` errorCode=AccessDenied | stats count dc(eventName) as calls values(eventSource) as services by user_name | sort -count user_name",
    "`cloudtrail` eventSource=iam* | stats count min(_time) as first max(_time) as last by eventName, awsRegion",
    "`cloudtrail` | bin _time span=1h | stats count by _time | sort _time",
    "`cloudtrail` userAgent=*boto3* | rex field=userAgent \"^(?<tool>[A-Za-z0-9]+)/(?<tool_version>[0-9.]+)\" | stats count by tool, tool_version",
    "`cloudtrail` | eval failed=if(isnull(errorCode) OR errorCode==\"success\", 0, 1), region_len=len(awsRegion) | stats sum(failed) as failures avg(region_len) as avg_len by recipientAccountId",
    "`cloudtrail` errorCode!=success | where like(eventName, \"List%\") OR like(eventName, \"Get%\") | stats count by errorCode, eventName | sort -count, eventName | head 5",
    "`cloudtrail` sourceIPAddress=203.0.113.* | dedup user_name | table user_name, sourceIPAddress, eventName",
    "`cloudtrail` | top limit=3 eventSource",
    "`cloudtrail` | rare limit=2 eventName by awsRegion",
    "`cloudtrail` | stats dc(sourceIPAddress) as ips earliest(eventName) as first_call latest(eventName) as last_call by user_name | where ips > 1 | sort -ips, user_name",
    "`cloudtrail` (user_type=IAMUser OR user_type=Root) | eval who=user_name.\"@\".vendor_account | stats count by who, user_type | sort -count who | head 10",
    "`cloudtrail` errorCode=AccessDenied | fields user_name, eventName, dest | sort user_name, eventName | head 20",
    "`cloudtrail` | eventstats count as per_user by user_name | where per_user > 20 | stats count by user_name, per_user",
    "`cloudtrail` | fillnull value=none errorCode | stats count by errorCode | sort errorCode",
];

fn run_spelunk(query: &str, inputs: &[PathBuf]) -> Result<Vec<String>, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spelunk"));
    cmd.current_dir(root()).args(["run", "--format", "ndjson", "--quiet", "-e", query]);
    for i in inputs {
        cmd.arg("--data").arg(i);
    }
    let out = cmd.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect())
}

fn sections(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("--- ") {
            cur = Some(n.trim().to_string());
            out.entry(n.trim().to_string()).or_default();
        } else if let Some(c) = &cur {
            out.get_mut(c).unwrap().push(line.to_string());
        }
    }
    out
}

fn in_scope(plan: &spelunk_plan::LogicalPlan) -> bool {
    plan.source == spelunk_plan::Source::Events
        && plan.nodes.iter().all(|n| match &n.op {
            Op::Stats(s) => s.mode != StatsMode::StreamStats,
            Op::Search(_) | Op::Where(_) | Op::Eval(_) | Op::Bin(_) | Op::Rex { .. } | Op::Rename(_) | Op::Table(_) | Op::Fields { .. } | Op::Sort { .. } | Op::Head(_) | Op::Dedup { .. } | Op::Top(_) | Op::FillNull { .. } | Op::TimeOrder => true,
            _ => false,
        })
}

fn golden_cases(planner: &Planner, tmp: &Path, cases: &mut Vec<Case>, spelunk_rejects: &mut usize) {
    let mut files = Vec::new();
    let mut stack = vec![root().join("tests/golden")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "case") {
                files.push(p);
            }
        }
    }
    files.sort();
    for f in files {
        let s = sections(&std::fs::read_to_string(&f).unwrap());
        let (Some(events), Some(query)) = (s.get("events"), s.get("query")) else { continue };
        if s.contains_key("args") || s.contains_key("data") || s.keys().any(|k| k.starts_with("lookup ")) {
            continue;
        }
        let id = f.strip_prefix(root().join("tests/golden")).unwrap().with_extension("").display().to_string();
        let query = query.join("\n").trim().to_string();
        let events: Vec<&String> = events.iter().filter(|l| !l.trim().is_empty()).collect();
        let data = tmp.join(format!("{}.ndjson", id.replace('/', "_")));
        std::fs::write(&data, events.iter().map(|l| l.as_str()).collect::<Vec<_>>().join("\n")).unwrap();
        let file = std::fs::File::options().write(true).open(&data).unwrap();
        file.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(MTIME)).unwrap();
        drop(file);
        let Ok(spelunk) = run_spelunk(&query, std::slice::from_ref(&data)) else {
            *spelunk_rejects += 1;
            continue;
        };
        // the table's columns: one per top-level key; JSON text where a value is not a scalar
        let mut cols: Vec<(String, bool)> = Vec::new();
        for l in &events {
            if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(l) {
                for (k, v) in m {
                    let json = matches!(v, Value::Object(_) | Value::Array(_) | Value::Null);
                    match cols.iter_mut().find(|c| c.0 == k) {
                        Some(c) => c.1 |= json,
                        None => cols.push((k, json)),
                    }
                }
            }
        }
        let mut layout = Layout::new(LayoutKind::Ndjson);
        layout.columns = cols.into_iter().map(|(name, json)| spelunk_sql::layout::NdjsonColumn { name, json }).collect();
        // the raw line, for search terms and rex over _raw
        layout.columns.push(spelunk_sql::layout::NdjsonColumn { name: "_raw".into(), json: false });
        layout.seq_column = Some("_seq".into());
        layout.missing_time = Some(MTIME as f64);
        let scope = planner.plan(&query).map(|p| in_scope(&p.plan)).unwrap_or(false);
        cases.push(Case { id: format!("golden/{id}"), query, layout, inputs: vec![data], in_scope: Some(scope), spelunk });
    }
}

#[test]
fn compiled_sql_gives_spelunk_rows_on_duckdb_and_spark() {
    let Some(py) = python() else {
        eprintln!("SKIPPED sql differential: no Python with duckdb/pyspark (set SPELUNK_SQL_PYTHON, or run .ci/run to make {})", target_dir().join("sql-venv").display());
        return;
    };
    let duck = has_module(&py, "duckdb");
    let spark = has_module(&py, "pyspark") && has_java();
    if !duck && !spark {
        eprintln!("SKIPPED sql differential: {} has neither duckdb nor pyspark+java", py.display());
        return;
    }
    if !spark {
        eprintln!("NOTE sql differential: Spark part skipped (pyspark or java missing)");
    }
    let planner = Planner::builtin().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    let mut rejects = 0;
    let detections = [("aws_iam_accessdenied_discovery_events", LayoutKind::CloudTrail, "testdata/cloudtrail"), ("asl_aws_iam_accessdenied_discovery_events", LayoutKind::Ocsf, "testdata/asl")];
    for (name, kind, data) in detections {
        let query = std::fs::read_to_string(root().join(format!("queries/{name}.spl"))).unwrap();
        let inputs = vec![root().join(data)];
        let spelunk = run_spelunk(&query, &inputs).expect("spelunk runs the detection");
        assert!(!spelunk.is_empty());
        let mut layout = Layout::new(kind);
        layout.seq_column = Some("_seq".into());
        cases.push(Case { id: format!("detection/{name}"), query, layout, inputs, in_scope: None, spelunk });
    }
    for (i, q) in HUNTS.iter().enumerate() {
        let inputs = vec![root().join("testdata/cloudtrail")];
        let spelunk = run_spelunk(q, &inputs).unwrap_or_else(|e| panic!("hunt {i}: {e}"));
        let mut layout = Layout::new(LayoutKind::CloudTrail);
        layout.seq_column = Some("_seq".into());
        cases.push(Case { id: format!("hunt/{i:02}"), query: q.to_string(), layout, inputs, in_scope: None, spelunk });
    }
    golden_cases(&planner, tmp.path(), &mut cases, &mut rejects);

    let mut report = String::new();
    let mut failures = Vec::new();
    let engines: Vec<(&str, DialectName)> = [("duckdb", DialectName::DuckDb, duck), ("spark", DialectName::Spark, spark)].into_iter().filter(|e| e.2).filter(|e| std::env::var("SPELUNK_SQL_ENGINES").map_or(true, |v| v.split(',').any(|x| x == e.0))).map(|e| (e.0, e.1)).collect();
    let mut refused_by: BTreeMap<&str, BTreeMap<String, String>> = BTreeMap::new();
    let mut matched: BTreeMap<&str, BTreeMap<String, bool>> = BTreeMap::new();
    for (engine, dialect) in &engines {
        let refused = refused_by.entry(engine).or_default();
        let mut manifest = Vec::new();
        for c in &cases {
            let opts = Options { dialect: *dialect, table: "events".into(), layout: c.layout.clone() };
            match spelunk_sql::compile(&c.query, &planner, &opts) {
                Ok(sql) => manifest.push(serde_json::json!({
                    "id": c.id, "sql": sql, "table": "events",
                    "layout": match c.layout.kind { LayoutKind::CloudTrail => "cloudtrail", LayoutKind::Ocsf => "ocsf", LayoutKind::Ndjson => "ndjson" },
                    "inputs": c.inputs, "spelunk": c.spelunk,
                    "columns": c.layout.columns.iter().map(|x| serde_json::json!({"name": x.name, "json": x.json})).collect::<Vec<_>>(),
                })),
                Err(e) => {
                    refused.insert(c.id.clone(), e.message.clone());
                    if c.in_scope.is_none() {
                        failures.push(format!("{engine}: {} does not compile: {e}", c.id));
                    }
                }
            }
        }
        let mpath = tmp.path().join(format!("manifest-{engine}.json"));
        std::fs::write(&mpath, serde_json::to_string(&manifest).unwrap()).unwrap();
        let out = Command::new(&py).arg(root().join("crates/sql/tests/harness.py")).arg(engine).arg(&mpath).output().unwrap();
        assert!(out.status.success(), "{engine} harness failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let res: Value = serde_json::from_slice(&out.stdout).unwrap();
        for m in &manifest {
            let id = m["id"].as_str().unwrap();
            let r = &res[id];
            let ok = r["error"].is_null() && r["sql"] == r["spelunk"];
            matched.entry(engine).or_default().insert(id.to_string(), ok);
            if !ok {
                failures.push(format!(
                    "{engine}: {id}: rows differ\n  query: {}\n  error: {}\n  sql rows: {}\n  spelunk rows: {}\n  sql: {}",
                    cases.iter().find(|c| c.id == id).unwrap().query,
                    r["error"],
                    r["sql"],
                    r["spelunk"],
                    m["sql"].as_str().unwrap()
                ));
            }
        }
    }
    // the counts
    let golden: Vec<&Case> = cases.iter().filter(|c| c.in_scope.is_some()).collect();
    let scoped: Vec<&Case> = golden.iter().copied().filter(|c| c.in_scope == Some(true)).collect();
    let compiled = |refused: &BTreeMap<String, String>, cs: &[&Case]| cs.iter().filter(|c| !refused.contains_key(&c.id)).count();
    report.push_str(&format!("golden cases run by the differential test (events + query + rows): {}; spelunk rejects {} more (error cases)\n", golden.len(), rejects));
    report.push_str(&format!("in scope (only search/where/eval/stats/bin/rex/rename/table/fields/sort/head/dedup/top/rare/fillnull/eventstats): {}\n", scoped.len()));
    for (engine, m) in &matched {
        let refused = &refused_by[engine];
        let (sc, gc) = (compiled(refused, &scoped), compiled(refused, &golden));
        let g_ok = golden.iter().filter(|c| m.get(&c.id) == Some(&true)).count();
        let s_ok = scoped.iter().filter(|c| m.get(&c.id) == Some(&true)).count();
        let other_ok = m.iter().filter(|(k, v)| !k.starts_with("golden/") && **v).count();
        report.push_str(&format!(
            "{engine}: in-scope golden compile {sc}/{} ({:.0}%), match {s_ok}/{sc}; all golden compile {gc}/{}, match {g_ok}/{gc}; detections+hunts match {other_ok}/{}\n",
            scoped.len(),
            100.0 * sc as f64 / scoped.len().max(1) as f64,
            golden.len(),
            2 + HUNTS.len()
        ));
    }
    for (engine, refused) in &refused_by {
        report.push_str(&format!("refused in-scope golden cases ({engine}):\n"));
        for c in &scoped {
            if let Some(r) = refused.get(&c.id) {
                report.push_str(&format!("  {}: {r}\n", c.id));
            }
        }
    }
    let _ = std::fs::write(target_dir().join("sql-differential.txt"), &report);
    eprintln!("{report}");
    assert!(failures.is_empty(), "{} failure(s):\n{}", failures.len(), failures.join("\n\n"));
}
