//! The examples `spelunk help` shows cannot rot: every example of an implemented command or
//! function in the registry runs without an error and returns at least one row; every example of
//! one that only parses is reported by `spelunk check` as unsupported (it parses and validates,
//! and names what spelunk does not run).

use spelunk_syntax::registry::{FunctionKind, COMMANDS, FUNCTIONS};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn spelunk(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spelunk")).current_dir(root()).env("NO_COLOR", "1").args(args).output().expect("run spelunk")
}

/// Every registry example as (file stem, query, implemented).
fn examples() -> Vec<(String, &'static str, bool)> {
    let mut v: Vec<(String, &'static str, bool)> = COMMANDS.iter().map(|c| (format!("command_{}", c.name), c.example, c.implemented)).collect();
    for f in FUNCTIONS {
        let kind = if f.kind == FunctionKind::Eval { "eval" } else { "stats" };
        v.push((format!("{kind}_{}", f.name), f.example, f.implemented));
    }
    v
}

/// Write each query to `<dir>/<stem>.spl`; the paths, in order.
fn write_queries(dir: &Path, queries: &[&(String, &str, bool)]) -> Vec<String> {
    queries
        .iter()
        .map(|(stem, q, _)| {
            let p = dir.join(format!("{stem}.spl"));
            std::fs::write(&p, q).expect("write query");
            p.to_str().expect("utf8 path").to_string()
        })
        .collect()
}

#[test]
fn every_implemented_example_runs_and_returns_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    // the lookup table the lookup/inputlookup examples name
    let lookups = dir.path().join("lookups");
    std::fs::create_dir(&lookups).expect("mkdir");
    std::fs::write(lookups.join("users.csv"), "user,department\nalice,sales\nbob,engineering\n").expect("write lookup");
    let all = examples();
    let runnable: Vec<_> = all.iter().filter(|e| e.2).collect();
    assert!(runnable.len() > 100, "{} runnable examples", runnable.len());
    let files = write_queries(dir.path(), &runnable);
    let mut args: Vec<String> = ["run", "--format", "json", "-q", "--lookups"].iter().map(|s| s.to_string()).collect();
    args.push(lookups.to_str().expect("utf8 path").to_string());
    args.extend(files.iter().cloned());
    let o = spelunk(&args);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "some example failed:\n{stderr}");
    assert!(!stderr.contains("error") && !stderr.contains("warning"), "{stderr}");
    // with several queries, json output is one object: each query file's path -> its rows
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    let rows = |file: &str| out.get(file).and_then(|v| v.as_array()).map_or(0, |a| a.len());
    for ((stem, q, _), file) in runnable.iter().zip(&files) {
        let n = rows(file);
        assert!(n > 0, "the example of {stem} returns no rows: {q}");
    }
}

#[test]
fn every_parse_only_example_checks_as_unsupported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let all = examples();
    let parse_only: Vec<_> = all.iter().filter(|e| !e.2).collect();
    assert!(!parse_only.is_empty());
    let files = write_queries(dir.path(), &parse_only);
    let mut args = vec!["check".to_string()];
    args.extend(files.iter().cloned());
    let o = spelunk(&args);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    for ((stem, q, _), file) in parse_only.iter().zip(&files) {
        assert!(stdout.lines().any(|l| l.starts_with(&format!("{file}: unsupported"))), "the example of {stem} is not reported as unsupported: {q}\n{stdout}");
    }
}

/// `spelunk help NAME` shows a function's syntax, description and example.
#[test]
fn help_shows_syntax_description_and_example() {
    let o = spelunk(&["help".to_string(), "len".to_string()]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    let len = FUNCTIONS.iter().find(|f| f.name == "len").expect("len");
    for part in [len.syntax, len.summary, len.description, len.example] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
    assert!(out.contains("| makeresults | eval n=len(\"abc\") | table n"), "{out}");
}
