//! `spelunk check` over security_content's whole detection corpus
//! (`../shared/corpus/security_content_searches.jsonl`, macros from
//! `security_content_macros.conf`), in-process: how many run, how many use commands or
//! functions spelunk does not run yet (by name), how many fail. At least 99% must parse and
//! expand their macros; none may panic.

#[path = "../src/check.rs"]
#[allow(dead_code)]
mod check;

use std::collections::BTreeMap;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// Splunk_SA_CIM's definition of the one CIM macro the corpus uses.
const CIM_MACROS: &str = "[drop_dm_object_name(1)]\nargs = object\ndefinition = rename $object$.* AS *\n";

/// Check every search; print the numbers; the percentage that parse and expand, and how many
/// fail after parsing (None when the corpus is absent). Panics if `check` panics on any search.
fn run_corpus() -> Option<(f64, usize)> {
    let dir = corpus();
    let searches = dir.join("security_content_searches.jsonl");
    let macros = dir.join("security_content_macros.conf");
    if !searches.exists() || !macros.exists() {
        println!("corpus absent, skipping ({} not found)", searches.display());
        return None;
    }
    let mut planner = spelunk_plan::Planner::builtin().unwrap();
    check::load_macros(&mut planner, &macros).expect("security_content macros load");
    // security_content's searches assume Splunk's Common Information Model app, whose
    // `drop_dm_object_name(1)` 990 of them call; it is not in security_content's macros.
    planner.macros.load_conf(CIM_MACROS, "Splunk_SA_CIM (test stub)").unwrap();
    let text = std::fs::read_to_string(&searches).unwrap();
    let (mut total, mut ok, mut unsupported, mut failed, mut parse_failed) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut by_name: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut examples: Vec<String> = Vec::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let Some(search) = v["search"].as_str() else { continue };
        total += 1;
        let verdict = std::panic::catch_unwind(|| check::classify(&planner, search)).unwrap_or_else(|_| panic!("check panicked on line {}: {search}", i + 1));
        match verdict {
            check::Verdict::Ok(_) => ok += 1,
            check::Verdict::Unsupported { names, .. } => {
                unsupported += 1;
                for n in names {
                    *by_name.entry(n).or_default() += 1;
                }
            }
            check::Verdict::Error(e) => {
                failed += 1;
                *errors.entry(format!("{} {}", e.error.code.code(), e.error.code.title())).or_default() += 1;
                if check::is_parse_or_macro_error(&e) {
                    parse_failed += 1;
                    let m = format!("{}: {}", e.error.code.code(), e.error.message);
                    // group messages by their shape (names replaced) to show the causes
                    let shape: String = m.split('`').enumerate().map(|(i, p)| if i % 2 == 1 { "`_`" } else { p }).collect();
                    *shapes.entry(shape).or_default() += 1;
                    if examples.len() < 10 {
                        examples.push(format!("{}: {m}", v["name"].as_str().unwrap_or("?")));
                    }
                }
            }
        }
    }
    let parsed = total - parse_failed;
    let pct = 100.0 * parsed as f64 / total.max(1) as f64;
    println!("security_content: {total} searches; {ok} run, {unsupported} unsupported, {failed} fail ({parse_failed} of them in parsing or macro expansion)");
    println!("parse and macro-expand: {parsed}/{total} = {pct:.2}%");
    let mut top: Vec<_> = by_name.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    println!("unsupported, by command or function (searches using it):");
    for (n, c) in top.iter().take(25) {
        println!("  {c:>5}  {n}");
    }
    println!("failures by code:");
    for (code, c) in &errors {
        println!("  {c:>5}  {code}");
    }
    println!("parse/macro failures by message shape:");
    for (m, c) in &shapes {
        println!("  {c:>5}  {m}");
    }
    for e in &examples {
        println!("  parse/macro failure: {e}");
    }
    assert!(total > 1000, "the corpus has {total} searches");
    Some((pct, failed - parse_failed))
}

/// Today's floor, so a regression shows. 161 searches fail on one parser gap:
/// A floor well under the target, so a regression shows even when the 99% test is adjusted.
/// (`drop_dm_object_name("Authentication")` expands to `rename "Authentication".* AS *`: the
/// parser joins a quoted part with the name text glued to it, as Splunk's tokenizer does.)
#[test]
fn security_content_corpus_parses_without_panics() {
    if let Some((pct, _)) = run_corpus() {
        assert!(pct >= 90.0, "only {pct:.2}% parse and expand");
    }
}

/// The target: at least 99% parse and expand.
#[test]
fn security_content_corpus_parses_99_percent() {
    if let Some((pct, checks_failed)) = run_corpus() {
        assert!(pct >= 99.0, "only {pct:.2}% parse and expand");
        // Splunk runs every one of them: the checks without data (function names and arity,
        // regex literals, command typos) must not call any an error
        assert_eq!(checks_failed, 0, "searches that parse but fail the static checks");
    }
}

#[test]
fn detection_yaml_and_macro_yaml_folders() {
    let dir = tempfile::tempdir().unwrap();
    let det = dir.path().join("d.yml");
    std::fs::write(&det, "name: Test\nid: 1\nsearch: '`my_src` errorCode=AccessDenied | stats count by `my_field(user)`'\nhow_to_implement: x\n").unwrap();
    let macros = dir.path().join("macros");
    std::fs::create_dir(&macros).unwrap();
    std::fs::write(macros.join("my_src.yml"), "definition: sourcetype=aws:cloudtrail\ndescription: d\nname: my_src\n").unwrap();
    std::fs::write(macros.join("my_field.yml"), "arguments:\n- f\ndefinition: $f$, src\nname: my_field\n").unwrap();
    let mut planner = spelunk_plan::Planner::builtin().unwrap();
    assert_eq!(check::load_macros(&mut planner, &macros).unwrap(), 2);
    let q = check::read_query_file(&det).unwrap();
    match check::classify(&planner, &q) {
        check::Verdict::Ok(p) => assert!(p.expanded.text.contains("by user, src"), "{}", p.expanded.text),
        _ => panic!("should plan"),
    }
    assert!(check::search_from_yaml("name: x\n").is_err());
}
