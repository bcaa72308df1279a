//! What a plan needs besides its events, resolved before it runs (Splunk runs subsearches
//! first): the results of each `append`/`join` subsearch, run over the same data through
//! [`runner::execute`] (so a subsearch has the whole engine, its own projection and prefilter,
//! and its own subsearches and lookups), and every lookup table `lookup`/`inputlookup` names.
//!
//! Lookup names resolve in each lookup folder in turn (`--lookups DIR`, repeatable; default
//! `./lookups` when it exists): the file `DIR/<name>`, a `[<name>]` stanza of
//! `DIR/transforms.conf` with `filename = <file>` (its `case_sensitive_match` and
//! `max_matches` apply), then `DIR/<name>.csv` and `DIR/<name>.csv.gz`. Tables are CSV with a
//! header row, plain or gzip-compressed.

use crate::runner::{self, Failure, RunConfig};
use spelunk_exec::ops::combine::{Inputs, LookupTable, DEFAULT_MAX_MATCHES};
use spelunk_exec::ExecError;
use spelunk_plan::{LogicalPlan, Op, Planned, Planner};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The default lookup folder, used when no `--lookups` is given and it exists.
pub const DEFAULT_LOOKUP_DIR: &str = "lookups";

/// Run the plan's subsearches and read its lookup tables. `now` is the main search's time,
/// shared with the subsearches.
pub fn inputs(planner: &Planner, planned: &Planned, cfg: &RunConfig, now: f64) -> Result<Inputs, Failure> {
    let plan = &planned.plan;
    let mut inputs = Inputs::default();
    let dirs = lookup_dirs(cfg);
    for node in &plan.nodes {
        if let Some(sub) = node.op.subsearch() {
            let batches = run_subsearch(planner, planned, &sub.plan, cfg, now)?;
            if inputs.subsearches.len() <= sub.id {
                inputs.subsearches.resize(sub.id + 1, Vec::new());
            }
            inputs.subsearches[sub.id] = batches;
        }
        let (name, span) = match &node.op {
            Op::Lookup(l) => (&l.table, l.table_span),
            Op::InputLookup(l) => (&l.table, l.table_span),
            _ => continue,
        };
        if !inputs.lookups.contains_key(name) {
            let table = load_lookup(name, &dirs).map_err(|message| Failure::Exec(ExecError { message, span: Some(span) }))?;
            inputs.lookups.insert(name.clone(), Arc::new(table));
        }
    }
    Ok(inputs)
}

fn run_subsearch(planner: &Planner, parent: &Planned, plan: &LogicalPlan, cfg: &RunConfig, now: f64) -> Result<Vec<arrow::record_batch::RecordBatch>, Failure> {
    let sub = Planned {
        expanded: parent.expanded.clone(),
        ast: parent.ast.clone(),
        prefilter: spelunk_plan::pushdown::raw_prefilter(plan, &planner.props),
        plan: plan.clone(),
    };
    // one progress bar is enough: the main search's
    let sub_cfg = RunConfig { now: Some(now), progress: false, ..cfg.clone() };
    Ok(runner::execute(planner, &sub, &sub_cfg)?.batches)
}

/// The folders lookup names resolve in.
pub fn lookup_dirs(cfg: &RunConfig) -> Vec<PathBuf> {
    if !cfg.lookups.is_empty() {
        return cfg.lookups.clone();
    }
    let d = PathBuf::from(DEFAULT_LOOKUP_DIR);
    if d.is_dir() {
        vec![d]
    } else {
        Vec::new()
    }
}

/// Where a lookup name points, with the transforms.conf matching options.
#[derive(Debug, PartialEq)]
struct Found {
    path: PathBuf,
    case_insensitive: bool,
    max_matches: usize,
}

/// A lookup file name must stay inside its lookup folder (Splunk keeps lookup files in an
/// app's lookups/ folder): no folder part, no `..`, not absolute.
fn confined(name: &str, what: &str) -> Result<(), String> {
    let bad = name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." || Path::new(name).is_absolute();
    if bad {
        return Err(format!("{what} `{}` is not a file name in the lookup folder: lookup files are read only from the lookup folders (--lookups DIR), by name, without a path", name.escape_debug()));
    }
    Ok(())
}

fn find_lookup(name: &str, dirs: &[PathBuf]) -> Result<Found, String> {
    confined(name, "lookup table")?;
    if dirs.is_empty() {
        return Err(format!("lookup table `{name}` not found: there is no lookup folder (give --lookups DIR, or create ./{DEFAULT_LOOKUP_DIR})"));
    }
    let plain = |path: PathBuf| Found { path, case_insensitive: false, max_matches: DEFAULT_MAX_MATCHES };
    for dir in dirs {
        let exact = dir.join(name);
        if exact.is_file() {
            return Ok(plain(exact));
        }
        if let Some(found) = transforms_stanza(name, dir)? {
            return Ok(found);
        }
        for ext in ["csv", "csv.gz"] {
            let p = dir.join(format!("{name}.{ext}"));
            if p.is_file() {
                return Ok(plain(p));
            }
        }
    }
    let searched: Vec<String> = dirs.iter().map(|d| if d.is_dir() { d.display().to_string() } else { format!("{} (no such folder)", d.display()) }).collect();
    Err(format!(
        "lookup table `{name}` not found in {}: looked for `{name}`, `{name}.csv`, `{name}.csv.gz` and a [{name}] stanza with `filename =` in transforms.conf",
        searched.join(", ")
    ))
}

/// The `[name]` stanza of `dir/transforms.conf` that names a lookup file, if any.
fn transforms_stanza(name: &str, dir: &Path) -> Result<Option<Found>, String> {
    let conf = dir.join("transforms.conf");
    let Ok(text) = std::fs::read_to_string(&conf) else { return Ok(None) };
    let stanzas = spelunk_plan::macros::parse_conf(&text, &conf.display().to_string()).map_err(|e| e.to_string())?;
    let Some(st) = stanzas.iter().rev().find(|s| s.name == name) else { return Ok(None) };
    let Some(file) = st.keys.get("filename") else { return Ok(None) };
    confined(file, &format!("{}: [{name}] filename", conf.display()))?;
    let path = dir.join(file);
    if !path.is_file() {
        return Err(format!("{}: stanza [{name}] names the lookup file `{file}`, which is not in {}", conf.display(), dir.display()));
    }
    let case_insensitive = st.keys.get("case_sensitive_match").is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "false" | "f" | "0" | "no"));
    let max_matches = match st.keys.get("max_matches") {
        None => DEFAULT_MAX_MATCHES,
        Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n >= 1).ok_or_else(|| format!("{}: [{name}] max_matches = {v}: expected a whole number from 1", conf.display()))?,
    };
    Ok(Some(Found { path, case_insensitive, max_matches }))
}

fn load_lookup(name: &str, dirs: &[PathBuf]) -> Result<LookupTable, String> {
    let found = find_lookup(name, dirs)?;
    let mut table = read_csv(&found.path)?;
    table.case_insensitive = found.case_insensitive;
    table.max_matches = found.max_matches;
    Ok(table)
}

/// A CSV lookup file (gzip-compressed or not): the header row, then one row per record.
/// Short records are padded with empty cells, long ones cut to the header; invalid UTF-8 is
/// replaced.
pub fn read_csv(path: &Path) -> Result<LookupTable, String> {
    let err = |e: &dyn std::fmt::Display| format!("lookup file {}: {e}", path.display());
    let raw = std::fs::read(path).map_err(|e| err(&e))?;
    let data = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice()).read_to_end(&mut out).map_err(|e| err(&e))?;
        out
    } else {
        raw
    };
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(data.as_slice());
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut columns: Vec<String> = reader.byte_headers().map_err(|e| err(&e))?.iter().map(text).collect();
    if let Some(first) = columns.first_mut() {
        if let Some(rest) = first.strip_prefix('\u{feff}') {
            *first = rest.to_string();
        }
    }
    if columns.iter().all(|c| c.trim().is_empty()) {
        return Err(err(&"no header row"));
    }
    let mut rows = Vec::new();
    for rec in reader.byte_records() {
        let rec = rec.map_err(|e| err(&e))?;
        rows.push((0..columns.len()).map(|i| rec.get(i).map(text).unwrap_or_default()).collect());
    }
    Ok(LookupTable::new(path.display().to_string(), columns, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_to_files_then_stanzas_then_csv() {
        let d = tempfile::tempdir().unwrap();
        let dir = d.path().to_path_buf();
        std::fs::write(dir.join("users.csv"), "user,dept\n").unwrap();
        std::fs::write(dir.join("real.csv"), "a,b\n").unwrap();
        std::fs::write(dir.join("transforms.conf"), "[users]\nfilename = real.csv\ncase_sensitive_match = false\nmax_matches = 3\n").unwrap();
        let dirs = vec![dir.clone()];
        assert_eq!(find_lookup("users.csv", &dirs).unwrap().path, dir.join("users.csv"));
        let f = find_lookup("users", &dirs).unwrap();
        assert_eq!((f.path, f.case_insensitive, f.max_matches), (dir.join("real.csv"), true, 3));
        assert_eq!(find_lookup("real", &dirs).unwrap().path, dir.join("real.csv"));
        let e = find_lookup("nosuch", &dirs).unwrap_err();
        assert!(e.contains("`nosuch` not found in") && e.contains(&dir.display().to_string()), "{e}");
        assert!(find_lookup("x", &[]).unwrap_err().contains("--lookups"));
    }

    #[test]
    fn csv_tables_pad_short_rows_and_read_gzip() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.csv");
        std::fs::write(&p, "\u{feff}k,\"v w\"\n1,\"a,b\"\n2\n3,c,extra\n").unwrap();
        let t = read_csv(&p).unwrap();
        assert_eq!(t.columns, ["k", "v w"]);
        assert_eq!(t.rows, [vec!["1", "a,b"], vec!["2", ""], vec!["3", "c"]]);
        let gz = d.path().join("t.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut enc, b"k\nx\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(read_csv(&gz).unwrap().rows, [vec!["x"]]);
        std::fs::write(&p, "").unwrap();
        assert!(read_csv(&p).unwrap_err().contains("no header row"));
    }

    /// Lookup names and transforms.conf `filename =` values are file names inside the lookup
    /// folder, as Splunk keeps lookup files in an app's lookups/ folder: a path that leaves it
    /// (`../../etc/passwd`, `/etc/passwd`, `sub/../../x`) is refused and nothing is read.
    #[test]
    fn lookups_stay_in_their_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("lookups");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(root.path().join("secret.csv"), "password\nhunter2\n").unwrap();
        std::fs::write(dir.join("transforms.conf"), "[leak]\nfilename = ../secret.csv\n[abs]\nfilename = /etc/passwd\n").unwrap();
        let dirs = vec![dir.clone()];
        for name in ["../secret.csv", "../secret", "/etc/passwd", "..", "./../secret.csv", "..\\secret.csv", "leak", "abs"] {
            let e = find_lookup(name, &dirs).expect_err(name);
            assert!(e.contains("lookup folder"), "{name}: {e}");
            assert!(!e.contains("hunter2") && !e.contains("root:"), "{name}: {e}");
        }
        let abs = root.path().join("secret.csv").display().to_string();
        assert!(find_lookup(&abs, &dirs).unwrap_err().contains("lookup folder"));
    }
}
